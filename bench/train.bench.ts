/**
 * `npm run bench -- train`: seconds per training epoch of fashion-mlp (784-256-256-10, ReLU, batch 128, one worker)
 * with sgd against the same network and step in numpy (bench/peer/train.py), timed in the same run: in float64
 * and in float32 (our dtype "float32": float32 products, the rest float64; numpy: every array float32), each on
 * 1 and 2 threads (ours: `setThreads`; numpy: OPENBLAS_NUM_THREADS). Besides the wall-time ratio each row gives
 * the ratio of CPU seconds (user + system of each process), which a loaded machine disturbs much less for the
 * 1-thread rows, and the GEMM flops of the epoch's steps per CPU second as a share of our own GEMM rate at 1024³
 * (./gemm-share.ts; the CPU time includes the evaluation of 1000 test images after each epoch, under 1%). Then the
 * two ways of using the second thread, each as the ratio of its 1-thread to its 2-thread time for an epoch's steps:
 * the per-product split (shards 1) and the data-parallel pass (`lossAndGrad`'s `shards: 2`, batch halves on
 * replicas of the network; on one thread the two halves in turn), the four cases timed in interleaved rounds of 10
 * steps on the epoch's batches (./thread-speedup.ts).
 * Then kfac, shampoo, soap and muon per epoch relative to sgd (float32, 1 thread).
 * Data: Fashion-MNIST when installed, else the MNIST digits (timing does not depend on the pixel values; numpy
 * then trains on random pixels of the same shape). Sizes: TRAIN_BENCH_SIZE examples per epoch (default 60000,
 * capped by the dataset) for sgd vs numpy, and TRAIN_BENCH_OPT_SIZE (default 10000) for the optimizer ratios,
 * where sgd is timed again on the same examples; TRAIN_BENCH_EPOCHS (default 2) epochs per configuration.
 */
import { fashionMnistDir } from "../src/data/fashion-mnist.js";
import { Matrix } from "../src/linalg/matrix.js";
import { loadTrialData, resolveDataset } from "../src/experiments/fashion/data.js";
import { MLP_DEFAULTS } from "../src/experiments/fashion/mlp.js";
import { mlp } from "../src/experiments/fashion/networks.js";
import { makeOptimizer, needsLayerStats, type OptimizerName } from "../src/experiments/fashion/optimizers.js";
import { trainClassifier } from "../src/experiments/fashion/train.js";
import { setThreads, startThreads } from "../src/linalg/threads.js";
import type { Dtype } from "../src/nn/dtype.js";
import { gemmGflopsPerCpuSecond, stepGemmFlops } from "./gemm-share.js";
import { printTable, runNumpy } from "./numpy.js";
import { threadSpeedupRows } from "./thread-speedup.js";

/** Epochs timed per configuration (TRAIN_BENCH_EPOCHS, default 2); the tables report the median. */
const EPOCHS = epochsFromEnv();

function epochsFromEnv(): number {
  const raw = process.env.TRAIN_BENCH_EPOCHS;
  const n = raw === undefined ? 2 : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new RangeError(`bench: TRAIN_BENCH_EPOCHS must be an integer in 1…100, got ${raw}`);
  }
  return n;
}

function sizeFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 128) throw new RangeError(`bench: ${name} must be an integer ≥ 128, got ${raw}`);
  return n;
}

/** Seconds per epoch: the median wall time over the epochs, and the mean CPU time (every thread of the process). */
interface EpochTiming {
  wall: number;
  cpu: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * EPOCHS epochs of the MLP with `optimizer` at its tuned defaults, products in `dtype`, on `threads` threads.
 */
async function ourEpoch(
  optimizer: OptimizerName,
  trainSize: number,
  dtype: Dtype,
  threads: number,
): Promise<EpochTiming> {
  setThreads(threads);
  startThreads(); // the helpers' startup is not timed
  const dataset = await resolveDataset({ dataset: "auto" });
  const data = await loadTrialData({ dataset, trainSize, testSize: 1000, dataSeed: 0 });
  const cpuStart = process.cpuUsage();
  const result = await trainClassifier({
    network: mlp(784, [256, 256], 10, dtype),
    optimizer: makeOptimizer(optimizer, MLP_DEFAULTS[optimizer]),
    layerStats: needsLayerStats(optimizer),
    train: data.train,
    evaluation: data.test,
    epochs: EPOCHS,
    batchSize: 128,
    seed: 0,
  });
  const cpu = process.cpuUsage(cpuStart);
  return {
    wall: median(result.epochs.map((e, i) => e.seconds - (i > 0 ? result.epochs[i - 1].seconds : 0))),
    // Includes the evaluation on 1000 test images after each epoch (under 1% of an epoch's work).
    cpu: (cpu.user + cpu.system) / 1e6 / EPOCHS,
  };
}

export default async function bench(): Promise<void> {
  const dataset = await resolveDataset({ dataset: "auto" });
  const cap = dataset === "fashion-mnist" ? 60_000 : 8000;
  const size = Math.min(cap, sizeFromEnv("TRAIN_BENCH_SIZE", 60_000));
  const optSize = Math.min(cap, sizeFromEnv("TRAIN_BENCH_OPT_SIZE", 10_000));
  const sgd = MLP_DEFAULTS.sgd;
  const numpyEpoch = (dtype: Dtype, threads: number): EpochTiming => {
    const peer = runNumpy<{ secondsPerEpoch: number[]; cpuSecondsPerEpoch: number[] }>(
      "train.py",
      [
        dataset === "fashion-mnist" ? fashionMnistDir() : "random",
        String(size),
        String(EPOCHS),
        String(sgd.learningRate),
        String(sgd.second),
        dtype,
      ],
      { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
    );
    const cpu = peer.cpuSecondsPerEpoch.reduce((a, b) => a + b, 0) / peer.cpuSecondsPerEpoch.length;
    return { wall: median(peer.secondsPerEpoch), cpu };
  };
  const rows: Record<string, string | number>[] = [];
  // The epoch's GEMM flops (full batches of 128 and the last, smaller one) and our 1024³ rate, per CPU second.
  const net = mlp(784, [256, 256], 10, "float64"); // the flop count does not depend on the dtype
  const epochGemmFlops = Math.floor(size / 128) * stepGemmFlops(net, 128) + stepGemmFlops(net, size % 128);
  const gemmRate = { float64: gemmGflopsPerCpuSecond("float64"), float32: gemmGflopsPerCpuSecond("float32") };
  for (const threads of [1, 2]) {
    for (const dtype of ["float64", "float32"] as const) {
      const theirs = numpyEpoch(dtype, threads);
      const ours = await ourEpoch("sgd", size, dtype, threads);
      const gemmGflops = epochGemmFlops / ours.cpu / 1e9;
      rows.push({
        case: `${dtype}, ${threads} thread${threads > 1 ? "s" : ""}`,
        "ours s": ours.wall,
        "numpy s": theirs.wall,
        "ours/numpy": ours.wall / theirs.wall,
        "CPU-time ratio": ours.cpu / theirs.cpu,
        "step GEMM GFLOP/CPU-s": gemmGflops,
        "share of our GEMM": gemmGflops / gemmRate[dtype],
      });
    }
  }
  printTable(
    `fashion-mlp epoch, sgd, ${size} examples of ${dataset}, batch 128 (wall: median of ${EPOCHS} epochs; numpy with as many OpenBLAS threads)`,
    rows,
  );
  // The two-thread table: an epoch's steps of each case in interleaved rounds of 10 (./thread-speedup.ts).
  const data = await loadTrialData({ dataset, trainSize: size, testSize: 1000, dataSeed: 0 });
  const steps = Math.floor(size / 128);
  const batches = Array.from({ length: steps }, (_, b) => ({
    x: new Matrix(
      128,
      data.train.x.cols,
      data.train.x.data.subarray(b * 128 * data.train.x.cols, (b + 1) * 128 * data.train.x.cols),
    ),
    y: data.train.y.subarray(b * 128, (b + 1) * 128),
  }));
  for (const dtype of ["float64", "float32"] as const) {
    const rows = await threadSpeedupRows({
      network: () => mlp(784, [256, 256], 10, dtype),
      initial: mlp(784, [256, 256], 10, dtype).init(0),
      batches,
      learningRate: sgd.learningRate,
      momentum: sgd.second,
      rounds: Math.ceil(steps / 10),
      warmupRounds: 1,
      stepsPerRound: 10,
    });
    printTable(
      `fashion-mlp sgd steps, ${dtype}, batch 128, ${steps} steps per case: 1 thread / 2 threads, per-product split (shards 1) vs data-parallel (shards 2), interleaved rounds of 10 steps (target ≥ 1.6 on a quiet 2-core machine)`,
      rows,
    );
  }
  setThreads(1);
  const base = await ourEpoch("sgd", optSize, "float32", 1);
  const optimizerRows: Record<string, string | number>[] = [
    { optimizer: "sgd", secondsPerEpoch: base.wall, relativeToSgd: 1 },
  ];
  for (const optimizer of ["kfac", "shampoo", "soap", "muon"] as const) {
    const s = await ourEpoch(optimizer, optSize, "float32", 1);
    optimizerRows.push({ optimizer, secondsPerEpoch: s.wall, relativeToSgd: s.wall / base.wall });
  }
  printTable(
    `fashion-mlp epoch by optimizer, ${optSize} examples, float32, 1 thread (tuned defaults; refreshes every 10 steps)`,
    optimizerRows,
  );
}
