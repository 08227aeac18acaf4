/**
 * `npm run bench -- refresh`: what the background refresh thread saves. The whole training step (forward, backward,
 * update, applying it) of the 784-256-256-10 MLP with float32 products at batch 128, Shampoo, SOAP, KFAC and EKFAC
 * at their constructor defaults but for the delay, with the refreshes delayed by one refresh period and computed on
 * the training thread (`backgroundRefresh: false`) or in the background thread (the default), against the
 * undelayed refresh (`refreshDelay: 0`: Shampoo's and SOAP's previous behaviour, KFAC's and EKFAC's default; the
 * same work as the first). Mean ms per step over whole refresh
 * periods, timed in interleaved rounds; the ratio is to the training-thread row of the same method, measured in the
 * same run; and the delayed refreshes' time on the training thread's critical path per step (computing them, or
 * waiting for the worker), which a loaded machine's noise affects far less than whole steps. The two delayed rows
 * must end with the same parameters bit for bit (checked, printed).
 *
 * Environment: REFRESH_BENCH_BATCH (default 128), REFRESH_BENCH_PERIODS (timed refresh periods per row, default 2
 * for Shampoo's period of 100 steps and 10 for the others' 10), REFRESH_BENCH_ONLY (method names separated by
 * commas, default all).
 */
import { mlp } from "../src/experiments/fashion/networks.js";
import { softmaxCrossEntropy } from "../src/nn/losses.js";
import type { Network } from "../src/nn/sequential.js";
import type { Params } from "../src/nn/types.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import * as optim from "../src/optim/index.js";
import { backgroundRefreshStats, shutdownRefreshThread } from "../src/optim/curvature/refresh-thread.js";
import { trainingThreadRefreshMs } from "../src/optim/curvature/background-refresh.js";
import { printTable } from "./numpy.js";

const WIDTHS = [784, 256, 256, 10] as const;
const ROUNDS = 4;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`bench: ${name} must be a positive integer, got ${raw}`);
  return value;
}

type Variant = "refreshDelay: 0" | "delayed, training thread" | "delayed, background thread";
/** The variants' options for a refresh period. */
const variantsFor = (period: number): Record<Variant, object> => ({
  "refreshDelay: 0": { refreshDelay: 0, backgroundRefresh: false },
  "delayed, training thread": { refreshDelay: period, backgroundRefresh: false },
  "delayed, background thread": { refreshDelay: period },
});

interface Method {
  name: string;
  make: (variant: object) => optim.GradientTransformation<unknown>;
  /** Refresh period in steps; warm-up is two periods (Shampoo starts preconditioning after its first). */
  period: number;
  periods: number;
}

/** One optimizer training the network on fixed random batches: `run(k)` takes k steps and returns their ms. */
function trainer(net: Network, opt: optim.GradientTransformation<unknown>, batch: number) {
  const rng = new Rng(1);
  const batches = [0, 1, 2, 3].map(() => ({
    x: gaussianMatrix(rng, batch, WIDTHS[0]),
    y: Int32Array.from({ length: batch }, () => rng.int(WIDTHS[WIDTHS.length - 1])),
  }));
  const params = net.init(0);
  let state = opt.init(params);
  let s = 0;
  const run = (k: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < k; i++, s++) {
      const b = batches[s % batches.length];
      const pass = net.lossAndGrad(params, b.x, b.y, softmaxCrossEntropy, { stats: optim.statsRequest(opt, state) });
      const r = opt.update(pass.grads, state, params, { stats: pass.stats, loss: pass.loss, donate: true });
      state = r.state;
      optim.applyUpdatesInPlace(params, r.updates);
    }
    return performance.now() - t0;
  };
  return { run, params: (): Params => params };
}

const identical = (a: Params, b: Params): boolean =>
  Object.keys(a).every((k) => a[k].data.every((x, i) => Object.is(x, b[k].data[i])));

export default async function main(): Promise<void> {
  const batch = positiveInteger("REFRESH_BENCH_BATCH", 128);
  const net = mlp(WIDTHS[0], WIDTHS.slice(1, -1), WIDTHS[WIDTHS.length - 1], "float32");
  const methods: Method[] = [
    {
      name: "shampoo",
      make: (v) => optim.shampoo({ learningRate: 3e-3, ...v }) as optim.GradientTransformation<unknown>,
      period: 100,
      periods: positiveInteger("REFRESH_BENCH_PERIODS", 2),
    },
    {
      name: "soap",
      make: (v) => optim.soap({ learningRate: 3e-3, ...v }) as optim.GradientTransformation<unknown>,
      period: 10,
      periods: positiveInteger("REFRESH_BENCH_PERIODS", 10),
    },
    {
      name: "kfac",
      make: (v) => optim.kfac({ learningRate: 1e-3, ...v }) as optim.GradientTransformation<unknown>,
      period: 10,
      periods: positiveInteger("REFRESH_BENCH_PERIODS", 10),
    },
    {
      name: "ekfac",
      make: (v) => optim.ekfac({ learningRate: 1e-3, ...v }) as optim.GradientTransformation<unknown>,
      period: 10,
      periods: positiveInteger("REFRESH_BENCH_PERIODS", 10),
    },
  ];
  const only = process.env.REFRESH_BENCH_ONLY?.split(",").map((n) => n.trim());
  const unknown = only?.filter((n) => !methods.some((m) => m.name === n)) ?? [];
  if (unknown.length > 0) {
    throw new RangeError(
      `bench: REFRESH_BENCH_ONLY names unknown methods ${unknown.join(", ")}; methods: ${methods.map((m) => m.name).join(", ")}`,
    );
  }
  for (const m of methods.filter((x) => !only || only.includes(x.name))) {
    const variants = Object.entries(variantsFor(m.period)) as [Variant, object][];
    const runs = variants.map(([, v]) => trainer(net, m.make(v), batch));
    for (const r of runs) r.run(2 * m.period);
    const steps = m.period * m.periods;
    const per = Math.ceil(steps / ROUNDS);
    const total = runs.map(() => 0);
    const before = { ...backgroundRefreshStats(), computingMs: trainingThreadRefreshMs() };
    for (let round = 0; round < ROUNDS; round++) runs.forEach((r, i) => (total[i] += r.run(per)));
    const after = { ...backgroundRefreshStats(), computingMs: trainingThreadRefreshMs() };
    const timed = per * ROUNDS;
    const ms = total.map((t) => t / timed);
    // The critical-path time of the delayed refreshes, per step: computing them (only the training-thread row
    // does) or waiting for the worker (only the background row does); the undelayed row's refreshes are not timed.
    const refreshMs = [
      NaN,
      (after.computingMs - before.computingMs) / timed,
      (after.waitedMs - before.waitedMs) / timed,
    ];
    const same = identical(runs[1].params(), runs[2].params());
    printTable(
      `${m.name} whole training step, MLP 784-256-256-10 float32, batch ${batch}, 1 kernel thread, constructor ` +
        `defaults, delay ${m.period} (mean of ${timed} steps after ${2 * m.period}); background thread answered ` +
        `${after.answered - before.answered} refreshes; delayed rows bit-identical: ${same ? "yes" : "NO"}`,
      variants.map(([name], i) => ({
        refresh: name,
        "ms/step": ms[i],
        "× training-thread row": ms[i] / ms[1],
        "refresh ms/step on the training thread": Number.isNaN(refreshMs[i]) ? "(not timed)" : refreshMs[i],
      })),
    );
  }
  await shutdownRefreshThread();
}
