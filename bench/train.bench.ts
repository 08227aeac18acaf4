/**
 * `npm run bench -- train`: seconds per training epoch of fashion-mlp (784-256-256-10, ReLU, batch 128, one worker)
 * with sgd against the same network and step in numpy (bench/peer/train.py), timed in the same run: in float64
 * and in float32 (our dtype "float32": float32 products, the rest float64; numpy: every array float32) with
 * OpenBLAS pinned to one thread, then float32 against numpy on two threads (ours with the kernels' default
 * threading); then kfac, shampoo, soap and muon per epoch relative to sgd (the experiments' default dtype).
 * Data: Fashion-MNIST when installed, else the MNIST digits (timing does not depend on the pixel values; numpy
 * then trains on random pixels of the same shape). Sizes: TRAIN_BENCH_SIZE examples per epoch (default 60000,
 * capped by the dataset) for sgd vs numpy, and TRAIN_BENCH_OPT_SIZE (default 10000) for the optimizer ratios,
 * where sgd is timed again on the same examples; TRAIN_BENCH_EPOCHS (default 2) epochs per configuration.
 */
import { fashionMnistDir } from "../src/data/fashion-mnist.js";
import { loadTrialData, resolveDataset } from "../src/experiments/fashion/data.js";
import { MLP_DEFAULTS } from "../src/experiments/fashion/mlp.js";
import { mlp } from "../src/experiments/fashion/networks.js";
import { makeOptimizer, needsLayerStats, type OptimizerName } from "../src/experiments/fashion/optimizers.js";
import { trainClassifier } from "../src/experiments/fashion/train.js";
import type { Dtype } from "../src/nn/dtype.js";
import { printTable, runNumpy } from "./numpy.js";

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

/** Median seconds per epoch over EPOCHS epochs of the MLP with `optimizer` at its tuned defaults, products in `dtype`. */
async function ourSecondsPerEpoch(optimizer: OptimizerName, trainSize: number, dtype: Dtype): Promise<number> {
  const dataset = resolveDataset({ dataset: "auto" });
  const data = await loadTrialData({ dataset, trainSize, testSize: 1000, dataSeed: 0 });
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
  const perEpoch = result.epochs.map((e, i) => e.seconds - (i > 0 ? result.epochs[i - 1].seconds : 0));
  return perEpoch.sort((a, b) => a - b)[Math.floor(perEpoch.length / 2)];
}

export default async function bench(): Promise<void> {
  const dataset = resolveDataset({ dataset: "auto" });
  const cap = dataset === "fashion-mnist" ? 60_000 : 8000;
  const size = Math.min(cap, sizeFromEnv("TRAIN_BENCH_SIZE", 60_000));
  const optSize = Math.min(cap, sizeFromEnv("TRAIN_BENCH_OPT_SIZE", 10_000));
  const sgd = MLP_DEFAULTS.sgd;
  const numpySecondsPerEpoch = (dtype: Dtype, threads: number): number => {
    const peer = runNumpy<{ secondsPerEpoch: number[] }>(
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
    return [...peer.secondsPerEpoch].sort((a, b) => a - b)[Math.floor(peer.secondsPerEpoch.length / 2)];
  };
  const title = (what: string) =>
    `fashion-mlp epoch, sgd, ${size} examples of ${dataset}, batch 128, ${what} (median of ${EPOCHS} epochs)`;
  for (const dtype of ["float64", "float32"] as const) {
    const numpySeconds = numpySecondsPerEpoch(dtype, 1);
    const ours = await ourSecondsPerEpoch("sgd", size, dtype);
    printTable(title(`${dtype}, 1 thread`), [
      { implementation: "layerwise (one worker)", secondsPerEpoch: ours, ratio: ours / numpySeconds },
      { implementation: `numpy ${dtype} (OpenBLAS, 1 thread)`, secondsPerEpoch: numpySeconds, ratio: 1 },
    ]);
  }
  const numpyTwo = numpySecondsPerEpoch("float32", 2);
  const oursDefault = await ourSecondsPerEpoch("sgd", size, "float32");
  printTable(title("float32, 2 threads"), [
    {
      implementation: "layerwise (one worker, kernels' default threads)",
      secondsPerEpoch: oursDefault,
      ratio: oursDefault / numpyTwo,
    },
    { implementation: "numpy float32 (OpenBLAS, 2 threads)", secondsPerEpoch: numpyTwo, ratio: 1 },
  ]);
  const base = await ourSecondsPerEpoch("sgd", optSize, "float32");
  const rows: Record<string, string | number>[] = [{ optimizer: "sgd", secondsPerEpoch: base, relativeToSgd: 1 }];
  for (const optimizer of ["kfac", "shampoo", "soap", "muon"] as const) {
    const s = await ourSecondsPerEpoch(optimizer, optSize, "float32");
    rows.push({ optimizer, secondsPerEpoch: s, relativeToSgd: s / base });
  }
  printTable(
    `fashion-mlp epoch by optimizer, ${optSize} examples, float32 (tuned defaults; refreshes every 10 steps)`,
    rows,
  );
}
