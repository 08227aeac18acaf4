/**
 * `net.lossAndGrad(…, { reuseGrads: true })` writes every step's gradients into the same matrices, and a training
 * loop that donates them (`ctx.donate`) lets the optimizer write its updates there too. That is sound only if no
 * optimizer keeps a gradient (or an update) matrix in its state: the next pass overwrites them. Here every
 * optimizer runs twice over the same batches — with fresh gradient matrices each step, and with one set of
 * matrices that is filled with NaN after each step, as the next pass would overwrite it — and must take the same
 * steps bit for bit.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import type { Params } from "../../src/nn/types.js";
import { bitEqual, denseLeastSquares } from "./fixtures.js";

const rng = new Rng(41);
const X = Array.from({ length: 8 }, () => gaussianMatrix(rng, 12, 5));
const Y = X.map(() => gaussianMatrix(rng, 12, 4));
const initial: Params = { w: gaussianMatrix(rng, 4, 5, 0.5), b: gaussianMatrix(rng, 1, 4) };

function run(t: optim.GradientTransformation<unknown>, reuse: boolean): { params: Params; state: string } {
  let params: Params = { w: initial.w.clone(), b: initial.b.clone() };
  let state = t.init(params);
  const owned: Params = { w: new Matrix(4, 5), b: new Matrix(1, 4) };
  X.forEach((x, step) => {
    const { grads, stats, loss } = denseLeastSquares(params.w, params.b, x, Y[step]);
    let given = grads;
    if (reuse) {
      for (const key of Object.keys(owned)) owned[key].data.set(grads[key].data);
      given = owned;
    }
    const r = t.update(given, state, params, { stats: [stats], loss, donate: true });
    state = r.state;
    params = optim.applyUpdates(params, r.updates);
    // The next pass overwrites the gradients it owns.
    if (reuse) for (const m of Object.values(owned)) m.data.fill(NaN);
  });
  return { params, state: optim.saveState(state) };
}

describe("optimizers keep nothing of the gradients they are given (safe with reuseGrads and donation)", () => {
  const makers: Record<string, () => optim.GradientTransformation<unknown>> = {
    sgd: () => optim.sgd({ learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3 }),
    adam: () => optim.adam({ learningRate: 0.01 }),
    adamw: () => optim.adamw({ learningRate: 0.01, weightDecay: 0.1 }),
    kfac: () => optim.kfac({ learningRate: 0.1, damping: 0.1, factorUpdateEvery: 1, inverseEvery: 2, momentum: 0.5 }),
    ekfac: () => optim.ekfac({ learningRate: 0.1, damping: 0.1, factorUpdateEvery: 1, inverseEvery: 2 }),
    shampoo: () => optim.shampoo({ learningRate: 0.01, preconditionEvery: 2, startPreconditioningStep: 2 }),
    soap: () => optim.soap({ learningRate: 0.01, preconditionEvery: 2 }),
    muon: () => optim.muon({ learningRate: 0.02 }),
  };
  for (const [name, make] of Object.entries(makers)) {
    it(name, () => {
      const fresh = run(make(), false);
      const reused = run(make(), true);
      expect(bitEqual(reused.params, fresh.params)).toBe(true);
      expect(reused.state).toBe(fresh.state);
      // The steps moved the parameters, so the comparison is not vacuous.
      expect(bitEqual(fresh.params, initial)).toBe(false);
    });
  }
});
