/**
 * The data of the fashion experiments: which dataset a config names, whether its files are there (checked while
 * the config is validated, so a missing directory is an input error), and the prepared splits a trial trains on.
 */
import type { Dataset, DatasetSplits } from "../../data/dataset.js";
import { randomSubset } from "../../data/batches.js";
import { FASHION_MNIST_FILES, fashionMnistDir, loadFashionMnist } from "../../data/fashion-mnist.js";
import { loadMnistDigits } from "../../data/mnist-digits.js";
import { preprocess, standardization } from "../../data/standardize.js";

/** The values of the `dataset` key. "auto": Fashion-MNIST when its files are found, else the MNIST digits. */
export const DATASET_CHOICES = ["fashion-mnist", "mnist", "auto"] as const;
export type DatasetChoice = (typeof DATASET_CHOICES)[number];

/** Training/test split sizes of each dataset (for checking batch sizes while the config is validated). */
export const DATASET_SIZES = {
  "fashion-mnist": { train: 60_000, test: 10_000 },
  mnist: { train: 8_000, test: 2_000 },
} as const;

/** The config fields that decide a trial's data. */
export interface DataConfig {
  dataset: DatasetChoice;
  dataDir?: string;
  /** Train on a random subset of this many training examples (all when absent). */
  trainSize?: number;
  /** Evaluate on a random subset of this many test examples (all when absent). */
  testSize?: number;
  /** Seed of those subsets (shared by every trial, so every optimizer sees the same data). */
  dataSeed: number;
}

/** The file checks below use node:fs when it exists (Node), fetched lazily so the module also loads in a browser. */
function existsSyncOrUndefined(): ((path: string) => boolean) | undefined {
  const fs =
    typeof process !== "undefined" && typeof process.getBuiltinModule === "function"
      ? process.getBuiltinModule("node:fs")
      : undefined;
  return fs?.existsSync;
}

/**
 * Whether the four Fashion-MNIST files are present in the directory `dataDir` resolves to (synchronously, for the
 * schema's checks); `undefined` when that cannot be checked here (no file system).
 */
export function fashionMnistPresent(dataDir: string | undefined): boolean | undefined {
  const exists = existsSyncOrUndefined();
  if (!exists) return undefined;
  const dir = fashionMnistDir(dataDir);
  return Object.values(FASHION_MNIST_FILES).every((name) => exists(`${dir}/${name}.gz`) || exists(`${dir}/${name}`));
}

/**
 * The dataset a trial actually uses: "auto" becomes Fashion-MNIST when its files are found, else MNIST (also
 * where there is no file system to look in).
 */
export function resolveDataset(config: Pick<DataConfig, "dataset" | "dataDir">): "fashion-mnist" | "mnist" {
  if (config.dataset !== "auto") return config.dataset;
  return fashionMnistPresent(config.dataDir) === true ? "fashion-mnist" : "mnist";
}
const prepared = new Map<string, Promise<DatasetSplits>>();

/**
 * The standardised splits (per-pixel mean and global std of the training subset) a trial trains and evaluates on.
 * Memoised per process: every trial of a worker with the same data fields shares one copy.
 */
export function loadTrialData(config: DataConfig): Promise<DatasetSplits> {
  const key = JSON.stringify([config.dataset, config.dataDir, config.trainSize, config.testSize, config.dataSeed]);
  let splits = prepared.get(key);
  if (!splits) {
    splits = prepare(config);
    prepared.set(key, splits);
    splits.catch(() => prepared.delete(key));
  }
  return splits;
}

async function prepare(config: DataConfig): Promise<DatasetSplits> {
  const name = resolveDataset(config);
  const raw = name === "mnist" ? await loadMnistDigits() : await loadFashionMnist({ dataDir: config.dataDir });
  const limit = (data: Dataset, size: number | undefined, seed: number) =>
    size === undefined || size >= data.y.length ? data : randomSubset(data, size, seed);
  return preprocess(
    {
      ...raw,
      train: limit(raw.train, config.trainSize, config.dataSeed),
      test: limit(raw.test, config.testSize, config.dataSeed + 1),
    },
    standardization,
  );
}
