/**
 * `npm run bench -- optim`: the whole training step (forward + backward + optimizer update + applying it) of the
 * 784-256-256-10 MLP with float32 products, through the public API at each optimizer's constructor defaults, on
 * random data at batch 128 and 1024. Per optimizer: the step's flop count (the model in `stepFlops`), the mean ms
 * per step over whole refresh periods (so refreshes are amortised), the achieved GFLOP/s and its share of our own
 * float32 GEMM rate (measured in the same run), and the ratio to the SGD step.
 *
 * Environment: OPTIM_BENCH_THREADS (default "1"; e.g. "1,2"), OPTIM_BENCH_BATCHES (default "128,1024"),
 * OPTIM_BENCH_STEPS (timed steps per row, default 100: a whole number of every default refresh period) and
 * OPTIM_BENCH_WARMUP (untimed steps first, default 100: past Shampoo's start-up period).
 */
import { Matrix } from "../src/linalg/matrix.js";
import { Matrix32 } from "../src/linalg/matrix32.js";
import { matmulInto } from "../src/linalg/blas.js";
import { matmul32Into } from "../src/linalg/blas32.js";
import { setThreads, startThreads } from "../src/linalg/threads.js";
import { mlp } from "../src/experiments/fashion/networks.js";
import { softmaxCrossEntropy } from "../src/nn/losses.js";
import type { Network } from "../src/nn/sequential.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import * as optim from "../src/optim/index.js";
import { stepFlops, type FlopMethod } from "./optim-flops.js";
import { printTable } from "./numpy.js";

const WIDTHS = [784, 256, 256, 10] as const;
/** Interleaved timing rounds (see `meanStepMs`). */
const ROUNDS = 4;

function listFromEnv(name: string, fallback: string): number[] {
  const raw = process.env[name] ?? fallback;
  const values = raw.split(",").map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(`bench: ${name} must be a comma-separated list of positive integers, got ${raw}`);
  }
  return values;
}

/** The optimizers at their constructor defaults; only the required step size is given (small enough that no method
 * diverges on random labels: the cost of a step does not depend on it). */
const METHODS: { name: FlopMethod; make: () => optim.GradientTransformation<unknown>; stats: boolean }[] = [
  { name: "sgd", make: () => optim.sgd({ learningRate: 0.05, momentum: 0.9 }), stats: false },
  { name: "adam", make: () => optim.adam({ learningRate: 1e-3 }), stats: false },
  { name: "kfac", make: () => optim.kfac({ learningRate: 1e-3 }), stats: true },
  { name: "ekfac", make: () => optim.ekfac({ learningRate: 1e-3 }), stats: true },
  { name: "shampoo", make: () => optim.shampoo({ learningRate: 3e-3 }), stats: false },
  { name: "soap", make: () => optim.soap({ learningRate: 3e-3 }), stats: false },
  { name: "muon", make: () => optim.muon({ learningRate: 0.02 }), stats: false },
];

/** One optimizer training the network: `run(k)` takes k whole training steps and returns their ms. */
function trainer(net: Network, make: () => optim.GradientTransformation<unknown>, stats: boolean, batch: number) {
  const rng = new Rng(1);
  const batches = [0, 1, 2, 3].map(() => ({
    x: gaussianMatrix(rng, batch, WIDTHS[0]),
    y: Int32Array.from({ length: batch }, () => rng.int(WIDTHS[WIDTHS.length - 1])),
  }));
  const params = net.init(0);
  const opt = make();
  let state = opt.init(params);
  let s = 0;
  return (k: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < k; i++, s++) {
      const b = batches[s % batches.length];
      const pass = net.lossAndGrad(params, b.x, b.y, softmaxCrossEntropy, { stats });
      const r = opt.update(pass.grads, state, params, { stats: pass.stats, loss: pass.loss, donate: true });
      state = r.state;
      optim.applyUpdatesInPlace(params, r.updates);
    }
    return performance.now() - t0;
  };
}

/**
 * Mean ms per step of each method over `steps` steps after `warmup` untimed ones, timed in ROUNDS interleaved
 * rounds (every method runs steps/ROUNDS steps in turn), so that a load that drifts during the run (a shared
 * machine) weighs on every method alike instead of on whichever ran at the wrong moment.
 */
function meanStepMs(net: Network, batch: number, warmup: number, steps: number): number[] {
  const runs = METHODS.map((m) => trainer(net, m.make, m.stats, batch));
  for (const run of runs) run(warmup);
  const total = runs.map(() => 0);
  const per = Math.ceil(steps / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) runs.forEach((run, i) => (total[i] += run(per)));
  return total.map((ms) => ms / (per * ROUNDS));
}

/** GFLOP/s of our GEMM (float32 and float64) on a 512³ product, best of 5. */
function gemmRates(): { f32: number; f64: number } {
  const n = 512;
  const rng = new Rng(2);
  const A = gaussianMatrix(rng, n, n);
  const B = gaussianMatrix(rng, n, n);
  const best = (fn: () => void): number => {
    fn();
    let ms = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      fn();
      ms = Math.min(ms, performance.now() - t0);
    }
    return (2 * n ** 3) / ms / 1e6;
  };
  const [A32, B32, C32] = [Matrix32.fromMatrix(A), Matrix32.fromMatrix(B), new Matrix32(n, n)];
  const C = new Matrix(n, n);
  return { f32: best(() => matmul32Into(C32, A32, B32)), f64: best(() => matmulInto(C, A, B)) };
}

export default function main(): void {
  const threadCounts = listFromEnv("OPTIM_BENCH_THREADS", "1");
  const batchSizes = listFromEnv("OPTIM_BENCH_BATCHES", "128,1024");
  const [steps] = listFromEnv("OPTIM_BENCH_STEPS", "100");
  const [warmup] = listFromEnv("OPTIM_BENCH_WARMUP", "100");
  const net = mlp(WIDTHS[0], WIDTHS.slice(1, -1), WIDTHS[WIDTHS.length - 1], "float32");
  for (const threads of threadCounts) {
    setThreads(threads);
    startThreads();
    for (const batch of batchSizes) {
      const rows: Record<string, string | number>[] = [];
      let sgdMs = NaN;
      const times = meanStepMs(net, batch, warmup, steps);
      for (const [i, m] of METHODS.entries()) {
        const ms = times[i];
        if (m.name === "sgd") sgdMs = ms;
        const flops = stepFlops(m.name, WIDTHS, batch);
        const gflops = flops / ms / 1e6;
        rows.push({ optimizer: m.name, "GFLOP/step": flops / 1e9, "ms/step": ms, "GFLOP/s": gflops });
      }
      // Measured right after the rows, so that a machine whose load changes compares like with like.
      const rate = gemmRates();
      for (const row of rows) {
        row["% of sgemm"] = `${((100 * (row["GFLOP/s"] as number)) / rate.f32).toFixed(0)}%`;
        row["× sgd step"] = (row["ms/step"] as number) / sgdMs;
      }
      printTable(
        `whole training step, MLP 784-256-256-10 float32, batch ${batch}, ${threads} thread${threads > 1 ? "s" : ""}, ` +
          `constructor defaults (mean of ${steps} steps after ${warmup}); our GEMM 512³: ` +
          `sgemm ${rate.f32.toFixed(1)} GFLOP/s, dgemm ${rate.f64.toFixed(1)} GFLOP/s`,
        rows,
      );
    }
  }
  setThreads(1);
}
