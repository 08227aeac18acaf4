/**
 * `npm run bench -- optim`: the whole training step (forward + backward + optimizer update + applying it) through
 * the public API at each optimizer's constructor defaults, on random data, one table per (network, batch, thread
 * count):
 * - the 784-256-256-10 MLP with float32 products at batch 128 and 1024: per optimizer the step's flop count (the
 *   model in `stepFlops`), the mean ms per step over whole refresh periods (so refreshes are amortised), the
 *   achieved GFLOP/s and its share of our own float32 GEMM rate (measured in the same run), and the ratio to the
 *   SGD step;
 * - DeepOBS's 2c2d CNN (`nn.twoConvTwoDense`, float32) at batch 128: ms per step and the ratio to the SGD step for
 *   sgd, kfac, shampoo and soap (no flop model; a step is ≈ 1 s, so few steps: see OPTIM_BENCH_CNN_STEPS).
 *   Shampoo's roots come every 100 steps, more than the CNN rows run: its row is the steady step (preconditioning
 *   from step 1) plus one refresh's measured extra time / 100.
 * Every loop asks the pass for the statistics its optimizer asks for (`optim.statsRequest`): KFAC and EKFAC all of
 * them only at the steps that fold them, SGD, Adam, Shampoo, SOAP and Muon none.
 * With OPTIM_BENCH_PREVIOUS=1, rows beside the defaults are added to each table (EKFAC's scalings every 10
 * steps, an option; Shampoo's and SOAP's statistics every 10 steps, an option; KFAC with every statistic at every step, the loop before `needsStats`; KFAC unblocked on the
 * CNN, the behaviour before blocking; KFAC and EKFAC with each refresh computed and used at its own step,
 * `refreshDelay: 0`, the default before the background refresh: docs/background-refresh.md; Shampoo and SOAP on
 * the CNN with blocks of 512) and a table of KFAC's inverse by float64 solves against the float32 Gram form.
 *
 * Environment: OPTIM_BENCH_THREADS (default "1"; e.g. "1,2"), OPTIM_BENCH_BATCHES (default "128,1024"),
 * OPTIM_BENCH_STEPS (timed steps per row, default 100: a whole number of every default refresh period),
 * OPTIM_BENCH_WARMUP (untimed steps first, default 100: past Shampoo's start-up period), OPTIM_BENCH_MLP and
 * OPTIM_BENCH_CNN (1, the default, or 0), OPTIM_BENCH_CNN_STEPS (default 20: two of KFAC's and SOAP's refresh
 * periods), OPTIM_BENCH_CNN_WARMUP (untimed steps first, default 10),
 * OPTIM_BENCH_PREVIOUS (0 or 1, default 0), OPTIM_BENCH_CLOCK ("wall", the default, or "cpu": the process's CPU
 * time, user + system, all its threads, for a machine so loaded that a niced benchmark waits most of its wall
 * time; the GEMM rate stays wall time), OPTIM_BENCH_ONLY (row names to run, separated by ";" since some names hold commas,
 * default all; the SGD row, the reference of the ratios, always runs).
 */
import { Matrix } from "../src/linalg/matrix.js";
import { Matrix32 } from "../src/linalg/matrix32.js";
import { gram, matmulInto } from "../src/linalg/blas.js";
import { matmul32Into } from "../src/linalg/blas32.js";
import { setThreads, startThreads } from "../src/linalg/threads.js";
import { mlp } from "../src/experiments/fashion/networks.js";
import { softmaxCrossEntropy } from "../src/nn/losses.js";
import { twoConvTwoDense } from "../src/nn/networks.js";
import { spdInverse } from "../src/optim/curvature/precision.js";
import type { Network } from "../src/nn/sequential.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import * as optim from "../src/optim/index.js";
import { stepFlops, type FlopMethod } from "./optim-flops.js";
import { printTable } from "./numpy.js";

const WIDTHS = [784, 256, 256, 10] as const;
const CLASSES = 10;
const CNN_INPUTS = 784;
const CNN_BATCH = 128;
/** Shampoo's default refresh period (docs/second-order-cost.md). */
const SHAMPOO_EVERY = 100;
/** Interleaved timing rounds (see `meanStepMs`). */
const ROUNDS = 4;

function listFromEnv(name: string, fallback: string, min = 1): number[] {
  const raw = process.env[name] ?? fallback;
  const values = raw.split(",").map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < min)) {
    throw new RangeError(`bench: ${name} must be a comma-separated list of integers ≥ ${min}, got ${raw}`);
  }
  return values;
}

interface Method {
  /** Row label. */
  name: string;
  /** The flop model's method (null: no flop count for this row). */
  flops: FlopMethod | null;
  make: () => optim.GradientTransformation<unknown>;
  /** Every layer's statistics at every step, whatever the optimizer asks for (the loop before `needsStats`). */
  allStats?: boolean;
  /** The pass also returns the batch's curvature (Gauss–Newton products, the loss elsewhere): adaptive KFAC. */
  curvature?: boolean;
  /**
   * A CNN Shampoo row at this `maxPreconditionerDim`: timed preconditioning from step 1, plus one root refresh's
   * measured extra time / 100 (its roots come every 100 steps, more than the CNN rows run).
   */
  shampooBlocks?: number;
}

/**
 * Shampoo on the CNN, its tiles at most `blocks` wide (see `Method.shampooBlocks`), its statistics folded every
 * `statisticsEvery` steps.
 */
const cnnShampoo = (name: string, blocks: number, statisticsEvery = 1): Method => ({
  name,
  flops: null,
  make: () =>
    optim.shampoo({
      learningRate: 3e-3,
      startPreconditioningStep: 1,
      maxPreconditionerDim: blocks,
      statisticsUpdateEvery: statisticsEvery,
    }),
  shampooBlocks: blocks,
});

/** The optimizers at their constructor defaults; only the required step size is given (small enough that no method
 * diverges on random labels: the cost of a step does not depend on it). */
const METHODS: Method[] = [
  { name: "sgd", flops: "sgd", make: () => optim.sgd({ learningRate: 0.05, momentum: 0.9 }) },
  { name: "adam", flops: "adam", make: () => optim.adam({ learningRate: 1e-3 }) },
  { name: "kfac", flops: "kfac", make: () => optim.kfac({ learningRate: 1e-3 }) },
  { name: "ekfac", flops: "ekfac", make: () => optim.ekfac({ learningRate: 1e-3 }) },
  { name: "shampoo", flops: "shampoo", make: () => optim.shampoo({ learningRate: 3e-3 }) },
  { name: "soap", flops: "soap", make: () => optim.soap({ learningRate: 3e-3 }) },
  { name: "muon", flops: "muon", make: () => optim.muon({ learningRate: 0.02 }) },
  // No learning rate: step size, momentum and damping from the quadratic model (no flop model for its products).
  { name: "kfac-auto", flops: null, make: () => optim.kfac({ adaptive: true }), curvature: true },
];

/** KFAC with each refresh computed and used at its own step (`refreshDelay: 0`, the earlier default). */
const UNDELAYED_KFAC: Method = {
  name: "kfac, refresh at once (refreshDelay 0)",
  flops: null,
  make: () => optim.kfac({ learningRate: 1e-3, refreshDelay: 0 }),
};

/** SOAP folding the gradient into its factors every 10 steps (an option; Adam in the basis still runs every step). */
const SOAP_STATISTICS_EVERY_10: Method = {
  name: "soap, statistics every 10 steps",
  flops: null,
  make: () => optim.soap({ learningRate: 3e-3, statisticsUpdateEvery: 10 }),
};

/** MLP rows at non-default options (OPTIM_BENCH_PREVIOUS=1): their cost beside the defaults in the same run. */
const MLP_NON_DEFAULT_METHODS: Method[] = [
  { name: "kfac, all statistics every step", flops: null, make: METHODS[2].make, allStats: true },
  {
    // Not the default (it costs EKFAC 0.006 test accuracy on fashion-mlp): the option's cost, for comparison.
    name: "ekfac, scalings every 10 steps",
    flops: null,
    make: () => optim.ekfac({ learningRate: 1e-3, scalingUpdateEvery: 10 }),
  },
  UNDELAYED_KFAC,
  {
    name: "ekfac, refresh at once (refreshDelay 0)",
    flops: null,
    make: () => optim.ekfac({ learningRate: 1e-3, refreshDelay: 0 }),
  },
  // Options, not defaults: the Gram matrices of the gradient every 10 steps (scalable_shampoo's
  // statistics_compute_steps).
  {
    name: "shampoo, statistics every 10 steps",
    flops: null,
    make: () => optim.shampoo({ learningRate: 3e-3, statisticsUpdateEvery: 10 }),
  },
  SOAP_STATISTICS_EVERY_10,
];

/** The 2c2d rows: SGD and the methods with CNN ceilings (shampoo at its default blocks of 1024). */
const CNN_METHODS: Method[] = [METHODS[0], METHODS[2], cnnShampoo("shampoo", 1024), METHODS[5]];

/**
 * CNN rows at non-default options (OPTIM_BENCH_PREVIOUS=1). Blocks of 512: the dense layer's 1024×3136 weight in
 * 512-wide tiles halves Shampoo's and SOAP's per-step flops on it (their floor at 1024 is above their ceilings).
 */
const CNN_NON_DEFAULT_METHODS: Method[] = [
  { name: "kfac, all statistics every step", flops: null, make: METHODS[2].make, allStats: true },
  {
    name: "kfac, unblocked",
    flops: null,
    make: () => optim.kfac({ learningRate: 1e-3, maxPreconditionerDim: 100000 }),
  },
  UNDELAYED_KFAC,
  cnnShampoo("shampoo, blocks of 512", 512),
  {
    name: "soap, blocks of 512",
    flops: null,
    make: () => optim.soap({ learningRate: 3e-3, maxPreconditionerDim: 512 }),
  },
  cnnShampoo("shampoo, statistics every 10 steps", 1024, 10),
  SOAP_STATISTICS_EVERY_10,
];

/** One optimizer training the network: `run(k)` takes k whole training steps and returns their ms. */
/** The clock of the step times, in ms (OPTIM_BENCH_CLOCK). */
const CLOCK = process.env.OPTIM_BENCH_CLOCK ?? "wall";
const now: () => number = (() => {
  const clock = CLOCK;
  if (clock === "wall") return () => performance.now();
  if (clock === "cpu")
    return () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
  throw new RangeError(`bench: OPTIM_BENCH_CLOCK must be "wall" or "cpu", got ${clock}`);
})();

/** The rows OPTIM_BENCH_ONLY keeps (all when it is unset), SGD's always. */
function selected(methods: readonly Method[]): Method[] {
  const raw = process.env.OPTIM_BENCH_ONLY;
  if (raw === undefined || raw.trim() === "") return [...methods];
  const names = raw.split(";").map((n) => n.trim());
  const known = new Set(
    [...METHODS, ...MLP_NON_DEFAULT_METHODS, ...CNN_METHODS, ...CNN_NON_DEFAULT_METHODS].map((m) => m.name),
  );
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new RangeError(
      `bench: OPTIM_BENCH_ONLY names unknown rows ${unknown.join(", ")}; rows: ${[...known].join(", ")}`,
    );
  }
  return methods.filter((m) => m.name === "sgd" || names.includes(m.name));
}

function trainer(net: Network, method: Omit<Method, "name" | "flops">, batch: number, inputs: number) {
  const { make, allStats = false, curvature = false } = method;
  const rng = new Rng(1);
  const batches = [0, 1, 2, 3].map(() => ({
    x: gaussianMatrix(rng, batch, inputs),
    y: Int32Array.from({ length: batch }, () => rng.int(CLASSES)),
  }));
  const params = net.init(0);
  const opt = make();
  let state = opt.init(params);
  let s = 0;
  return (k: number): number => {
    const t0 = now();
    for (let i = 0; i < k; i++, s++) {
      const b = batches[s % batches.length];
      const stats = allStats || optim.statsRequest(opt, state);
      const pass = net.lossAndGrad(params, b.x, b.y, softmaxCrossEntropy, { stats, curvature });
      const r = opt.update(pass.grads, state, params, {
        stats: pass.stats,
        loss: pass.loss,
        curvature: pass.curvature,
        donate: true,
      });
      state = r.state;
      optim.applyUpdatesInPlace(params, r.updates);
    }
    return now() - t0;
  };
}

/**
 * Mean ms per step of each method over `steps` steps after `warmup` untimed ones, timed in ROUNDS interleaved
 * rounds (every method runs steps/ROUNDS steps in turn), so that a load that drifts during the run (a shared
 * machine) weighs on every method alike instead of on whichever ran at the wrong moment.
 */
function meanStepMs(
  net: Network,
  methods: readonly Method[],
  batch: number,
  inputs: number,
  warmup: number,
  steps: number,
): number[] {
  const runs = methods.map((m) => trainer(net, m, batch, inputs));
  for (const run of runs) run(warmup);
  const total = runs.map(() => 0);
  const per = Math.ceil(steps / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) runs.forEach((run, i) => (total[i] += run(per)));
  return total.map((ms) => ms / (per * ROUNDS));
}

/**
 * The extra ms of one Shampoo root refresh on the CNN: a Shampoo that refreshes every step against one that does
 * not, over the same `steps` steps after one untimed step (both precondition from step 1).
 */
function cnnShampooRefreshMs(net: Network, batch: number, steps: number, blocks: number): number {
  const make = (every: number) => () =>
    optim.shampoo({
      learningRate: 3e-3,
      startPreconditioningStep: 1,
      preconditionEvery: every,
      maxPreconditionerDim: blocks,
    });
  const [each, none] = [make(1), make(100000)].map((m) => trainer(net, { make: m }, batch, CNN_INPUTS));
  each(1);
  none(1);
  return (each(steps) - none(steps)) / steps;
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

/** KFAC's damped inverse of an n×n SPD factor: ms by float64 solves and by the float32 Gram form, best of 3. */
function inverseTimes(n: number): { float64: number; float32: number } {
  const rng = new Rng(3);
  const X = gram(gaussianMatrix(rng, 2 * n, n));
  for (let i = 0; i < n; i++) X.data[i * n + i] += 1;
  const best = (precision: "float64" | "float32"): number => {
    let ms = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      spdInverse(precision, X);
      ms = Math.min(ms, performance.now() - t0);
    }
    return ms;
  };
  return { float64: best("float64"), float32: best("float32") };
}

function mlpTables(threads: number, previous: boolean): void {
  const batchSizes = listFromEnv("OPTIM_BENCH_BATCHES", "128,1024");
  const [steps] = listFromEnv("OPTIM_BENCH_STEPS", "100");
  const [warmup] = listFromEnv("OPTIM_BENCH_WARMUP", "100");
  const net = mlp(WIDTHS[0], WIDTHS.slice(1, -1), WIDTHS[WIDTHS.length - 1], "float32");
  const methods = selected(previous ? [...METHODS, ...MLP_NON_DEFAULT_METHODS] : METHODS);
  for (const batch of batchSizes) {
    const times = meanStepMs(net, methods, batch, WIDTHS[0], warmup, steps);
    // Measured right after the rows, so that a machine whose load changes compares like with like.
    const rate = gemmRates();
    const sgdMs = times[0];
    const rows = methods.map((m, i) => {
      const ms = times[i];
      const flops = m.flops === null ? NaN : stepFlops(m.flops, WIDTHS, batch);
      const gflops = flops / ms / 1e6;
      return {
        optimizer: m.name,
        "GFLOP/step": m.flops === null ? "–" : flops / 1e9,
        "ms/step": ms,
        "GFLOP/s": m.flops === null ? "–" : gflops,
        "% of sgemm": m.flops === null ? "–" : `${((100 * gflops) / rate.f32).toFixed(0)}%`,
        "× sgd step": ms / sgdMs,
      };
    });
    printTable(
      `whole training step, MLP 784-256-256-10 float32, batch ${batch}, ${threads} thread${threads > 1 ? "s" : ""}, ` +
        `constructor defaults (mean of ${steps} steps after ${warmup}, ${CLOCK} time); our GEMM 512³: ` +
        `sgemm ${rate.f32.toFixed(1)} GFLOP/s, dgemm ${rate.f64.toFixed(1)} GFLOP/s`,
      rows,
    );
  }
}

function cnnTable(threads: number, previous: boolean): void {
  const [steps] = listFromEnv("OPTIM_BENCH_CNN_STEPS", "20");
  const [warmup] = listFromEnv("OPTIM_BENCH_CNN_WARMUP", "10");
  const net = twoConvTwoDense({ dtype: "float32" });
  const methods = selected(previous ? [...CNN_METHODS, ...CNN_NON_DEFAULT_METHODS] : CNN_METHODS);
  const times = meanStepMs(net, methods, CNN_BATCH, CNN_INPUTS, warmup, steps);
  const refreshes = new Map<number, number>();
  for (const m of methods) {
    if (m.shampooBlocks) refreshes.set(m.shampooBlocks, cnnShampooRefreshMs(net, CNN_BATCH, 2, m.shampooBlocks));
  }
  const rows = methods.map((m, i) => {
    const ms = m.shampooBlocks ? times[i] + refreshes.get(m.shampooBlocks)! / SHAMPOO_EVERY : times[i];
    return { optimizer: m.name, "ms/step": ms, "× sgd step": ms / times[0] };
  });
  const refreshNote = [...refreshes].map(([blocks, ms]) => `${ms.toFixed(0)} ms at blocks of ${blocks}`).join(", ");
  printTable(
    `whole training step, 2c2d CNN float32, batch ${CNN_BATCH}, ${threads} thread${threads > 1 ? "s" : ""}, ` +
      `constructor defaults (mean of ${steps} steps after ${warmup}, ${CLOCK} time; shampoo: steady step + one root refresh ` +
      `(${refreshNote}) / ${SHAMPOO_EVERY})`,
    rows,
  );
}

export default function main(): void {
  const threadCounts = listFromEnv("OPTIM_BENCH_THREADS", "1");
  const [mlpOn] = listFromEnv("OPTIM_BENCH_MLP", "1", 0);
  const [cnn] = listFromEnv("OPTIM_BENCH_CNN", "1", 0);
  const [previous] = listFromEnv("OPTIM_BENCH_PREVIOUS", "0", 0);
  for (const threads of threadCounts) {
    setThreads(threads);
    startThreads();
    if (mlpOn === 1) mlpTables(threads, previous === 1);
    if (cnn === 1) cnnTable(threads, previous === 1);
    if (previous === 1) {
      const rows = [257, 785, 1024].map((n) => {
        const t = inverseTimes(n);
        return { n, "float64 solves ms": t.float64, "float32 Gram ms": t.float32, ratio: t.float64 / t.float32 };
      });
      printTable(`KFAC's damped inverse of an n×n factor, ${threads} thread${threads > 1 ? "s" : ""}, best of 3`, rows);
    }
  }
  setThreads(1);
}
