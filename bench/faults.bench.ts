/**
 * `npm run bench -- faults`: the cost of the optimizers' fault policy (src/optim/faults.ts) — the finiteness checks
 * of the gradients, the layer statistics and the updates — as the ratio of one `update()` with the policy on to the
 * same optimizer with `skipNonFinite: false`, measured alternately in the same run on the parameters and synthetic
 * batch-128 statistics of the 784-256-256-10 MLP of `npm run bench -- optim`.
 */
import { Rng } from "../src/random/index.js";
import * as optim from "../src/optim/index.js";
import { printTable } from "./numpy.js";
import { mlpParams, syntheticBatch } from "./optim.bench.js";

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
