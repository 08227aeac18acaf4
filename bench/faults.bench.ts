/**
 * `npm run bench -- faults`: the cost of the optimizers' fault policy (src/optim/faults.ts) — the finiteness checks
 * of the gradients, the layer statistics and the updates — as the ratio of one `update()` with the policy on to the
 * same optimizer with `skipNonFinite: false`, measured alternately in the same run on the parameters and synthetic
 * batch-128 statistics of the 784-256-256-10 MLP of `npm run bench -- optim`.
 */
import { Matrix } from "../src/linalg/matrix.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import type { KroneckerStats, Params, UpdateContext } from "../src/nn/types.js";
import * as optim from "../src/optim/index.js";
import { printTable } from "./numpy.js";

const WIDTHS = [784, 256, 256, 10];
const BATCH = 128;

/** Params of the MLP (dense weight out×in, bias 1×out). */
function mlpParams(rng: Rng): Params {
  const p: Params = {};
  for (let l = 0; l + 1 < WIDTHS.length; l++) {
    p[`w${l + 1}`] = gaussianMatrix(rng, WIDTHS[l + 1], WIDTHS[l], 1 / Math.sqrt(WIDTHS[l]));
    p[`b${l + 1}`] = new Matrix(1, WIDTHS[l + 1]);
  }
  return p;
}

/** Random gradients and per-layer statistics with the shapes a forward/backward pass would give. */
function syntheticBatch(rng: Rng): { grads: Params; ctx: UpdateContext } {
  const grads: Params = {};
  const stats: KroneckerStats[] = [];
  for (let l = 0; l + 1 < WIDTHS.length; l++) {
    const [fanIn, fanOut] = [WIDTHS[l], WIDTHS[l + 1]];
    const a = gaussianMatrix(rng, BATCH, fanIn + 1);
    for (let i = 0; i < BATCH; i++) a.data[i * (fanIn + 1) + fanIn] = 1;
    const g = gaussianMatrix(rng, BATCH, fanOut, 1e-2);
    grads[`w${l + 1}`] = gaussianMatrix(rng, fanOut, fanIn, 1e-3);
    grads[`b${l + 1}`] = gaussianMatrix(rng, 1, fanOut, 1e-3);
    stats.push({ kind: "dense", weight: `w${l + 1}`, bias: `b${l + 1}`, a, g, batchSize: BATCH, positions: 1 });
  }
  return { grads, ctx: { stats } };
}

type Make = (policy: optim.FaultOptions) => optim.GradientTransformation<unknown>;

/** Median ms per update of `make(policy on)` and `make(policy off)`, the two timed in alternation. */
function timePair(make: Make, rounds: number): { on: number; off: number } {
  const rng = new Rng(0);
  const params = mlpParams(rng);
  const batches = [0, 1, 2, 3].map(() => syntheticBatch(rng));
  const runs = [make({}), make({ skipNonFinite: false })].map((t) => ({
    t,
    state: t.init(params),
    ms: [] as number[],
  }));
  for (let s = 0; s < rounds; s++) {
    for (const r of runs) {
      const b = batches[s % batches.length];
      const t0 = performance.now();
      r.state = r.t.update(b.grads, r.state, params, b.ctx).state;
      if (s >= 2) r.ms.push(performance.now() - t0);
    }
  }
  const median = (x: number[]): number => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
  return { on: median(runs[0].ms), off: median(runs[1].ms) };
}

export default function main(): void {
  const cases: [string, Make, number][] = [
    ["sgd (momentum 0.9)", (f) => optim.sgd({ learningRate: 0.1, momentum: 0.9, ...f }), 60],
    ["adam", (f) => optim.adam({ learningRate: 1e-3, ...f }), 60],
    ["kfac (inverse every 10)", (f) => optim.kfac({ learningRate: 0.1, inverseEvery: 10, ...f }), 30],
    ["muon", (f) => optim.muon({ learningRate: 0.02, ...f }), 20],
  ];
  const rows = cases.map(([name, make, rounds]) => {
    const { on, off } = timePair(make, rounds);
    return { optimizer: name, "ms/update, policy on": on, "ms/update, policy off": off, "on / off": on / off };
  });
  printTable("fault policy overhead per update(), 784-256-256-10 MLP, batch-128 statistics, float64", rows);
}
