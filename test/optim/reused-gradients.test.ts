/**
 * `net.lossAndGrad(…, { reuseGrads: true })` writes every step's gradients into the same matrices, and a training
 * loop that donates them (`ctx.donate`) lets the optimizer write its updates there too. That is sound only if no
 * optimizer keeps a gradient (or an update) matrix in its state: the next pass overwrites them. Here every
 * optimizer runs twice over the same batches — with fresh gradient matrices each step, and with one set of
 * matrices that is filled with NaN after each step, as the next pass would overwrite it — and must take the same
 * steps bit for bit. The same holds for every optimizer the time-to-target search builds (schedules, weight decay,
 * Muon's AdamW part, adaptive KFAC), trained through `lossAndGrad` with and without `reuseGrads`.
 */
import { describe, expect, it } from "vitest";
import {
  makeTrialOptimizer,
  trialSetting,
  TTT_OPTIMIZERS,
  warmupCosine,
} from "../../src/experiments/time-to-target/search.js";
import { nn } from "../../src/index.js";
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

describe("the time-to-target search's optimizers keep nothing of the gradients (its training loop reuses them)", () => {
  // Past the refreshes every 10 steps that makeTrialOptimizer fixes (Shampoo's roots, SOAP's basis, KFAC's inverses).
  const STEPS = 25;
  const net = nn.sequential([nn.dense(6, 5), nn.relu(), nn.dense(5, 3)], { inputShape: [6] });
  const data = new Rng(43);
  const batches = Array.from({ length: STEPS }, () => ({
    x: gaussianMatrix(data, 16, 6),
    y: Int32Array.from({ length: 16 }, () => data.int(3)),
  }));
  const start = net.init(3);

  /**
   * The loop of time-to-target/train.ts (`exact`: the batch's curvature too, for kfac-auto): gradients donated;
   * with `reuse`, the network's own matrices, filled with NaN after each step.
   */
  function train(t: optim.GradientTransformation, exact: boolean, reuse: boolean) {
    const params: Params = Object.fromEntries(Object.entries(start).map(([k, m]) => [k, m.clone()]));
    let state = t.init(params);
    for (const b of batches) {
      const options = { stats: true, curvature: exact, reuseGrads: reuse };
      const { grads, stats, loss, curvature } = net.lossAndGrad(params, b.x, b.y, nn.softmaxCrossEntropy, options);
      const r = t.update(grads, state, params, { stats, loss, curvature, donate: true });
      state = r.state;
      optim.applyUpdatesInPlace(params, r.updates);
      if (reuse) for (const m of Object.values(grads)) m.data.fill(NaN);
    }
    return { params, state: optim.saveState(state) };
  }

  for (const name of TTT_OPTIMIZERS) {
    it(name, () => {
      const make = () => makeTrialOptimizer(trialSetting(name, 0, 7), (peak) => warmupCosine(peak, STEPS, 4));
      const exact = name === "kfac-auto";
      const fresh = train(make(), exact, false);
      const reused = train(make(), exact, true);
      expect(bitEqual(reused.params, fresh.params)).toBe(true);
      expect(reused.state).toBe(fresh.state);
      expect(bitEqual(fresh.params, start)).toBe(false);
    });
  }
});
