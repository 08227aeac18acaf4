/**
 * `npm run bench -- threads`: threads inside large products (src/linalg/threads.ts) against numpy with the same
 * number of OpenBLAS threads, timed in the same run:
 *   - matmul 512×512 in float64 (`matmul`) and float32 (`matmul32`), 1 and 2 threads, against numpy
 *     (bench/peer/threads.py, OPENBLAS_NUM_THREADS = 1 and 2); the threaded product must equal the
 *     single-threaded one bit for bit;
 *   - one fashion-mlp sgd epoch (784-256-256-10, batch 128, float64) on 1 and 2 threads against the numpy
 *     peer of bench/train.bench.ts (bench/peer/train.py) on 1 and 2 OpenBLAS threads.
 * THREADS_BENCH_SIZE sets the examples per epoch (default 60000, capped by the dataset). The CPU model and the
 * load average are printed: on a machine shared with other work a second thread may find no free core.
 */
import { cpus, loadavg } from "node:os";
import { fashionMnistDir } from "../src/data/fashion-mnist.js";
import { loadTrialData, resolveDataset } from "../src/experiments/fashion/data.js";
import { MLP_DEFAULTS } from "../src/experiments/fashion/mlp.js";
import { mlp } from "../src/experiments/fashion/networks.js";
import { makeOptimizer } from "../src/experiments/fashion/optimizers.js";
import { trainClassifier } from "../src/experiments/fashion/train.js";
import { matmul } from "../src/linalg/blas.js";
import { matmul32 } from "../src/linalg/blas32.js";
import { Matrix32 } from "../src/linalg/matrix32.js";
import { setThreads, startThreads } from "../src/linalg/threads.js";
import { Rng, gaussianMatrix } from "../src/random/index.js";
import { printTable, runNumpy, timeMs } from "./numpy.js";

const N = 512;
const THREAD_COUNTS = [1, 2] as const;
const EPOCHS = 2;

interface MatmulPeer {
  threads: number;
  cases: Record<string, number>;
}

/** Uses `threads` threads from now on, with the helpers already started (their startup is not timed). */
function useThreads(threads: number): void {
  setThreads(threads);
  startThreads();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function sameBits(a: Float64Array | Float32Array, b: Float64Array | Float32Array): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function matmulRows(): Record<string, string | number>[] {
  const rng = new Rng(512);
  const A = gaussianMatrix(rng, N, N);
  const B = gaussianMatrix(rng, N, N);
  const [A32, B32] = [Matrix32.fromMatrix(A), Matrix32.fromMatrix(B)];
  const flops = 2 * N ** 3;
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, Float64Array | Float32Array> = {};
  for (const threads of THREAD_COUNTS) {
    const peer = runNumpy<MatmulPeer>("threads.py", [String(threads), String(N)]);
    useThreads(threads);
    for (const [dtype, run] of [
      ["float64", () => matmul(A, B).data],
      ["float32", () => matmul32(A32, B32).data],
    ] as const) {
      const ours = timeMs(run, 9, 2);
      const theirs = peer.cases[`${N} ${dtype}`];
      const product = run();
      if (threads > 1 && !sameBits(product, results[dtype])) {
        throw new Error(`threads bench: ${dtype} matmul on ${threads} threads differs from the 1-thread product`);
      }
      results[dtype] = product;
      rows.push({
        case: `matmul ${N}×${N} ${dtype}`,
        threads,
        "ours ms": ours,
        "numpy ms": theirs,
        "ours/numpy": ours / theirs,
        "ours GFLOP/s": flops / ours / 1e6,
        "numpy GFLOP/s": flops / theirs / 1e6,
      });
    }
  }
  return rows;
}

/** Median seconds per sgd epoch of the fashion-mlp network on `threads` threads. */
async function ourSecondsPerEpoch(trainSize: number, threads: number): Promise<number> {
  useThreads(threads);
  const data = await loadTrialData({
    dataset: resolveDataset({ dataset: "auto" }),
    trainSize,
    testSize: 1000,
    dataSeed: 0,
  });
  const result = await trainClassifier({
    network: mlp(784, [256, 256], 10),
    optimizer: makeOptimizer("sgd", MLP_DEFAULTS.sgd),
    layerStats: false,
    train: data.train,
    evaluation: data.test,
    epochs: EPOCHS,
    batchSize: 128,
    seed: 0,
  });
  return median(result.epochs.map((e, i) => e.seconds - (i > 0 ? result.epochs[i - 1].seconds : 0)));
}

async function trainRows(): Promise<{ title: string; rows: Record<string, string | number>[] }> {
  const dataset = resolveDataset({ dataset: "auto" });
  const raw = process.env.THREADS_BENCH_SIZE;
  const requested = raw === undefined ? 60_000 : Number(raw);
  if (!Number.isInteger(requested) || requested < 128) {
    throw new RangeError(`bench: THREADS_BENCH_SIZE must be an integer ≥ 128, got ${raw}`);
  }
  const size = Math.min(dataset === "fashion-mnist" ? 60_000 : 8000, requested);
  const sgd = MLP_DEFAULTS.sgd;
  const rows: Record<string, string | number>[] = [];
  for (const threads of THREAD_COUNTS) {
    const peer = runNumpy<{ secondsPerEpoch: number[] }>(
      "train.py",
      [
        dataset === "fashion-mnist" ? fashionMnistDir() : "random",
        String(size),
        String(EPOCHS),
        String(sgd.learningRate),
        String(sgd.second),
      ],
      { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
    );
    const theirs = median(peer.secondsPerEpoch);
    const ours = await ourSecondsPerEpoch(size, threads);
    rows.push({ threads, "ours s/epoch": ours, "numpy s/epoch": theirs, "ours/numpy": ours / theirs });
  }
  return {
    title: `fashion-mlp sgd epoch, ${size} examples of ${dataset}, batch 128, float64 (median of ${EPOCHS} epochs)`,
    rows,
  };
}

export default async function threadsBench(): Promise<void> {
  const load = (): string => loadavg()[0].toFixed(1);
  console.log(
    `\nthreads bench on ${cpus()[0]?.model ?? "an unknown CPU"} (${cpus().length} logical CPUs), load ${load()}`,
  );
  printTable(`matmul on 1 and 2 threads (numpy: OpenBLAS with as many threads)`, matmulRows());
  const train = await trainRows();
  printTable(train.title, train.rows);
  console.log(`(1-minute load average at the end: ${load()})`);
}
