/** Shared by the fault tests: a small training problem, ways to poison a batch, and every exported optimizer. */
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import type { KroneckerStats, Params, UpdateContext } from "../../src/nn/types.js";
import { denseLeastSquares } from "../optim/fixtures.js";

// A dense least-squares layer w (3×4), b (1×3) trained on 8 batches drawn once; a "bad" batch is any of them with
// one entry of its gradient or statistics replaced by NaN or ±Inf.
const rng = new Rng(24);
const X = Array.from({ length: 8 }, () => gaussianMatrix(rng, 10, 4));
const Y = X.map(() => gaussianMatrix(rng, 10, 3));
export const initial: Params = { w: gaussianMatrix(rng, 3, 4), b: gaussianMatrix(rng, 1, 3) };

export function batch(p: Params, t: number): { grads: Params; ctx: UpdateContext } {
  const { grads, stats, loss } = denseLeastSquares(p.w, p.b, X[t], Y[t]);
  return { grads, ctx: { loss, stats: [{ ...stats, gSampled: stats.g }] } };
}

export type Where = "gradient" | "a" | "g";

/** The batch at `t` with entry `index` of its gradient of `key` (or of statistic a or g) set to `value`. */
export function poisoned(p: Params, t: number, where: Where, key: string, index: number, value: number) {
  const { grads, ctx } = batch(p, t);
  if (where === "gradient") {
    const m = grads[key].clone();
    m.data[index % m.data.length] = value;
    return { grads: { ...grads, [key]: m }, ctx };
  }
  const s = ctx.stats![0] as KroneckerStats;
  const m = s[where].clone();
  m.data[index % m.data.length] = value;
  return { grads, ctx: { ...ctx, stats: [{ ...s, [where]: m }] } };
}

export type Maker = (policy?: optim.FaultOptions) => optim.GradientTransformation<unknown>;
const quiet = { onFault: () => undefined };
export const makers: Record<string, Maker> = {
  sgd: (f = quiet) => optim.sgd({ learningRate: 0.1, ...f }),
  "sgd momentum nesterov wd": (f = quiet) =>
    optim.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01, ...f }),
  adam: (f = quiet) => optim.adam({ learningRate: 0.01, ...f }),
  adamw: (f = quiet) => optim.adamw({ learningRate: 0.01, weightDecay: 0.1, ...f }),
  kfac: (f = quiet) => optim.kfac({ learningRate: 0.3, inverseEvery: 2, ...f }),
  "kfac momentum 0.9 + klClip (the experiments' settings)": (f = quiet) =>
    optim.kfac({ learningRate: 0.3, inverseEvery: 2, momentum: 0.9, klClip: 1e-3, ...f }),
  "kfac sampled": (f = quiet) => optim.kfac({ learningRate: 0.3, fisher: "sampled", ...f }),
  ekfac: (f = quiet) => optim.ekfac({ learningRate: 0.3, inverseEvery: 2, momentum: 0.9, klClip: 1e-3, ...f }),
  shampoo: (f = quiet) => optim.shampoo({ learningRate: 0.01, preconditionEvery: 2, ...f }),
  soap: (f = quiet) => optim.soap({ learningRate: 0.01, preconditionEvery: 2, ...f }),
  muon: (f = quiet) => optim.muon({ learningRate: 0.02, ...f }),
};
