/**
 * The optimizers keep step intermediates in reused scratch matrices (src/optim/scratch.ts). Nothing they return may
 * live there: the updates and the state of one step must keep their values, bit for bit, through the next steps.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import type { KroneckerStats, Params, UpdateContext } from "../../src/nn/types.js";
import { denseLeastSquares } from "./fixtures.js";

/** Every Float64Array reachable from `value` (matrices in nested records and arrays), in a fixed order. */
function arrays(value: unknown, out: Float64Array[] = []): Float64Array[] {
  if (value instanceof Matrix) out.push(value.data);
  else if (value instanceof Float64Array) out.push(value);
  else if (Array.isArray(value)) for (const v of value) arrays(v, out);
  else if (value !== null && typeof value === "object")
    for (const k of Object.keys(value).sort()) arrays((value as Record<string, unknown>)[k], out);
  return out;
}

/** Two dense layers, the first with a bias and the second without, and a 6-vector, with random statistics. */
function problem(seed: number): { params: Params; batches: { grads: Params; ctx: UpdateContext }[] } {
  const rng = new Rng(seed);
  const params: Params = {
    w1: gaussianMatrix(rng, 5, 7),
    b1: gaussianMatrix(rng, 1, 5),
    w2: gaussianMatrix(rng, 6, 5),
    v: gaussianMatrix(rng, 1, 6),
  };
  const batches = [0, 1, 2, 3].map(() => {
    const X = gaussianMatrix(rng, 9, 7);
    const first = denseLeastSquares(params.w1, params.b1, X, gaussianMatrix(rng, 9, 5));
    const second: KroneckerStats = {
      kind: "dense",
      weight: "w2",
      a: gaussianMatrix(rng, 9, 5),
      g: gaussianMatrix(rng, 9, 6),
      batchSize: 9,
      positions: 1,
    };
    const grads: Params = {
      w1: first.grads.w,
      b1: first.grads.b,
      w2: gaussianMatrix(rng, 6, 5),
      v: gaussianMatrix(rng, 1, 6),
    };
    return { grads, ctx: { stats: [{ ...first.stats, weight: "w1", bias: "b1" }, second] } };
  });
  return { params, batches };
}

describe("what an update returns is never overwritten by a later update", () => {
  const makers: Record<string, () => optim.GradientTransformation<unknown>> = {
    kfac: () => optim.kfac({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3, klClip: 1e-2, inverseEvery: 2 }),
    ekfac: () => optim.ekfac({ learningRate: 0.1, momentum: 0.5, inverseEvery: 2 }),
    shampoo: () => optim.shampoo({ learningRate: 0.1, preconditionEvery: 2 }),
    "shampoo, tiled": () => optim.shampoo({ learningRate: 0.1, graft: "sgd", maxPreconditionerDim: 3 }),
    soap: () => optim.soap({ learningRate: 0.1, preconditionEvery: 2 }),
    muon: () => optim.muon({ learningRate: 0.1, weightDecay: 0.01 }),
  };
  for (const [name, make] of Object.entries(makers)) {
    it(name, () => {
      const { params, batches } = problem(7);
      const t = make();
      let state = t.init(params);
      let p = params;
      const kept: { arrays: Float64Array[]; copies: Float64Array[] }[] = [];
      for (let step = 0; step < 6; step++) {
        const { grads, ctx } = batches[step % batches.length];
        const r = t.update(grads, state, p, ctx);
        const returned = arrays([r.updates, r.state]);
        kept.push({ arrays: returned, copies: returned.map((a) => a.slice()) });
        state = r.state;
        p = optim.applyUpdates(p, r.updates);
      }
      for (const { arrays: live, copies } of kept) live.forEach((a, i) => expect(a).toEqual(copies[i]));
      // The updates moved the parameters (the check above is not vacuous).
      expect(p.w1.data[0]).not.toBe(params.w1.data[0]);
    });
  }
});
