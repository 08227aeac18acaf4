/**
 * The data of the fashion experiments: which dataset a config names, the pre-flight that resolves and checks it
 * once before a run's trials (a missing or corrupt file is an input error, exit code 2), and the prepared splits
 * a trial trains on.
 */
import type { Dataset, DatasetSplits } from "../../data/dataset.js";
import { randomSubset } from "../../data/batches.js";
import {
  DATA_DIR_ENV,
  DatasetNotFoundError,
  FASHION_MNIST_INSTALL,
  checkFashionMnist,
  fashionMnistDir,
  hasFashionMnist,
  loadFashionMnist,
} from "../../data/fashion-mnist.js";
import { loadMnistDigits } from "../../data/mnist-digits.js";
import { preprocess, standardization } from "../../data/standardize.js";
import { memoizeAsync } from "../memo.js";

/** The values of the `dataset` key. "auto": Fashion-MNIST when its files are found, else the MNIST digits. */
export const DATASET_CHOICES = ["fashion-mnist", "mnist", "auto"] as const;
export type DatasetChoice = (typeof DATASET_CHOICES)[number];

/**
 * Training/test split sizes of each dataset, for the schemas' size checks (dataset=auto is checked against
 * Fashion-MNIST's, the larger, and again against the dataset it resolves to by the pre-flight).
 */
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

/** Whether this runtime has a file system to look for Fashion-MNIST in (Node, not a browser). */
function hasFileSystem(): boolean {
  return typeof process !== "undefined" && typeof process.versions?.node === "string";
}

/**
 * The dataset a run uses: "auto" becomes Fashion-MNIST when its four files are found, else MNIST (also where there
 * is no file system to look in). Reads the disk, so it runs at a run's start (`preflightData`) or in a trial, never
 * while a config is parsed.
 */
export async function resolveDataset(
  config: Pick<DataConfig, "dataset" | "dataDir">,
): Promise<"fashion-mnist" | "mnist"> {
  if (config.dataset !== "auto") return config.dataset;
  return hasFileSystem() && (await hasFashionMnist(config.dataDir)) ? "fashion-mnist" : "mnist";
}

/**
 * The pre-flight of the experiments on these datasets, run once before any trial: resolves dataset=auto
 * (`resolveDataset`) and checks every Fashion-MNIST file the run will read (`checkFashionMnist`), so a missing or
 * corrupt file stops the run at its start with an `InputError` (exit 2) naming the file, the problem and the fix,
 * instead of failing each trial. Returns the config with the dataset it resolved to; `notify` hears when auto
 * fell back to the MNIST digits.
 */
export async function preflightData<C extends DataConfig>(config: C, notify: (note: string) => void): Promise<C> {
  const dataset = await resolveDataset(config);
  if (dataset === "fashion-mnist" && hasFileSystem()) {
    try {
      await checkFashionMnist(config.dataDir);
    } catch (e) {
      if (e instanceof DatasetNotFoundError) {
        throw new DatasetNotFoundError(`${e.message}; or train on the embedded MNIST digits with dataset=mnist`);
      }
      throw e;
    }
  }
  if (config.dataset === "auto" && dataset === "mnist") {
    notify(
      `Fashion-MNIST not found in ${fashionMnistDir(config.dataDir)}, so dataset=auto uses the MNIST digits ` +
        `embedded in the package; for Fashion-MNIST run \`${FASHION_MNIST_INSTALL}\` or set $${DATA_DIR_ENV}`,
    );
  }
  return { ...config, dataset };
}

/**
 * The standardised splits (per-pixel mean and global std of the training subset) a trial trains and evaluates on.
 * Memoised per process: every trial of a worker with the same data fields shares one copy.
 */
export const loadTrialData: (config: DataConfig) => Promise<DatasetSplits> = memoizeAsync(
  (config: DataConfig) =>
    JSON.stringify([config.dataset, config.dataDir, config.trainSize, config.testSize, config.dataSeed]),
  prepare,
);

async function prepare(config: DataConfig): Promise<DatasetSplits> {
  const name = await resolveDataset(config);
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
