/**
 * The config of `time-to-target` (zod, with defaults and a description on every key): the workloads, the
 * optimizers, the random-search trials and seed replicates (the four sweepable lists), the search seed, the
 * schedule, and each workload's data sizes and example budget. Parsing never reads the disk; the pre-flight
 * resolves the dataset of the fashion workloads (../fashion/data.ts).
 */
import { z } from "zod";
import type { Dtype } from "../../nn/dtype.js";
import { dataDirSchema, dtypeSchema } from "../fashion/schema.js";
import { DATASET_CHOICES, DATASET_SIZES, type DatasetChoice } from "../fashion/data.js";
import { TTT_OPTIMIZERS, type TttOptimizer } from "./search.js";

export const WORKLOADS = ["fashion-mlp", "fashion-cnn", "mnist-autoencoder"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

const count = (min: number, max: number) =>
  z
    .int({ error: (issue) => `must be an integer, got ${String(issue.input)}` })
    .min(min, { error: (issue) => `must be ≥ ${min}, got ${String(issue.input)}` })
    .max(max, { error: (issue) => `must be ≤ ${max}, got ${String(issue.input)}` });

/** The data sizes and budget of one workload. */
export interface WorkloadSettings {
  /** Training examples (a seeded subset of the training split, after the validation split is taken out). */
  trainSize: number;
  /** Examples held out of the training split for the validation metric (the target and every choice use it). */
  validationSize: number;
  /** Test examples (a seeded subset), touched only for the final test metric. */
  testSize: number;
  /** The example budget of every trial, in passes over the training subset. */
  epochs: number;
  /** Evaluations of the validation metric over the budget (equally spaced in examples, plus one at step 0). */
  evaluations: number;
  /** The batch sizes the random search draws from (kfac-auto uses the largest). */
  batchSizes: number[];
  /** Trials of every optimizer's study on this workload: trial indices ≥ this are outside it (skipped). */
  trials: number;
}

/**
 * Each workload's defaults, sized from timed steps to about an hour on 2 cores each (docs/time-to-target.md,
 * "Sizing"): the MLP on 50 000 Fashion-MNIST training images for 2 epochs, 5 trials; the 2c2d CNN on a 2 000-image
 * subset for 1 epoch at batch 32 or 128, 3 trials (a KFAC step of its conv layers costs about ten SGD steps);
 * the autoencoder on the 7 000 embedded MNIST digits not held out, for 3 epochs, 3 trials (2.8 M weights).
 */
export const WORKLOAD_DEFAULTS: Record<WorkloadName, WorkloadSettings> = {
  "fashion-mlp": {
    trainSize: 50_000,
    validationSize: 5000,
    testSize: 10_000,
    epochs: 2,
    evaluations: 16,
    batchSizes: [128, 1024],
    trials: 5,
  },
  "fashion-cnn": {
    trainSize: 2000,
    validationSize: 1000,
    testSize: 2000,
    epochs: 1,
    evaluations: 5,
    batchSizes: [32, 128],
    trials: 3,
  },
  "mnist-autoencoder": {
    trainSize: 7000,
    validationSize: 1000,
    testSize: 2000,
    epochs: 3,
    evaluations: 12,
    batchSizes: [128, 1024],
    trials: 3,
  },
};

function settingsSchema(name: WorkloadName) {
  const d = WORKLOAD_DEFAULTS[name];
  return z
    .strictObject({
      trainSize: count(1, 60_000)
        .default(d.trainSize)
        .describe("training examples (a subset of what the validation split leaves; all of it when larger)"),
      validationSize: count(1, 50_000).default(d.validationSize).describe("examples held out for validation"),
      testSize: count(1, 10_000)
        .default(d.testSize)
        .describe("test examples for the final test metric (a subset; the whole test split when larger)"),
      epochs: z
        .number()
        .positive({ error: (issue) => `must be > 0, got ${String(issue.input)}` })
        .max(1000, { error: (issue) => `must be ≤ 1000, got ${String(issue.input)}` })
        .default(d.epochs)
        .describe("example budget of every trial, in passes over the training examples"),
      evaluations: count(1, 1000)
        .default(d.evaluations)
        .describe("validation evaluations over the budget (equally spaced in examples)"),
      batchSizes: z
        .array(count(1, 60_000))
        .min(1, { error: "needs at least one batch size" })
        .default(d.batchSizes)
        .describe("batch sizes the random search draws from (kfac-auto uses the largest)"),
      trials: count(1, 1000)
        .default(d.trials)
        .describe("trials of every optimizer's study here: the swept trial indices below this (kfac-auto: 1)"),
    })
    .default(d)
    .describe(`data sizes and budget of ${name}`);
}

export const timeToTargetSchema = z
  .strictObject({
    workload: z
      .array(z.enum(WORKLOADS))
      .min(1, { error: "needs at least one workload" })
      .default([...WORKLOADS])
      .describe(`workloads (sweepable): ${WORKLOADS.join(", ")}`),
    optimizer: z
      .array(z.enum(TTT_OPTIMIZERS))
      .min(1, { error: "needs at least one optimizer" })
      .default([...TTT_OPTIMIZERS])
      .describe(`optimizers (sweepable): ${TTT_OPTIMIZERS.join(", ")}`),
    trial: z
      .array(count(0, 999))
      .min(1, { error: "needs at least one trial" })
      .default([0, 1, 2, 3, 4])
      .describe(
        "random-search trials of every optimizer's tuning study (sweepable): indices of the draws; kfac-auto runs trial 0 only",
      ),
    replicate: z
      .array(count(0, 999))
      .min(1, { error: "needs at least one replicate" })
      .default([0, 1, 2])
      .describe("seed replicates of every trial (sweepable); each draws its own initialisation and batch order"),
    searchSeed: z
      .int()
      .min(0)
      .default(0)
      .describe("seed of the random search: trial k of an optimizer has the same hyperparameters in every run"),
    warmupFraction: z
      .number()
      .min(0, { error: (issue) => `must be in [0, 1), got ${String(issue.input)}` })
      .lt(1, { error: (issue) => `must be in [0, 1), got ${String(issue.input)}` })
      .default(0.05)
      .describe("share of the steps of linear learning-rate warm-up, before cosine decay to 0"),
    dataset: z
      .enum(DATASET_CHOICES)
      .default("auto")
      .describe(
        "images of the fashion workloads: fashion-mnist, mnist (embedded digits) or auto (Fashion-MNIST when installed, else MNIST)",
      ),
    dataDir: dataDirSchema,
    dataSeed: z.int().min(0).default(0).describe("seed of the validation split and the subsets (shared by all trials)"),
    dtype: dtypeSchema,
    settings: z
      .strictObject({
        "fashion-mlp": settingsSchema("fashion-mlp"),
        "fashion-cnn": settingsSchema("fashion-cnn"),
        "mnist-autoencoder": settingsSchema("mnist-autoencoder"),
      })
      .default(WORKLOAD_DEFAULTS)
      .describe("per workload: trainSize, validationSize, testSize, epochs (the budget), evaluations, batchSizes"),
  })
  .superRefine((c, ctx) => checkSizes(c as TimeToTargetConfig, ctx));

/** The resolved config (sweepable keys as lists). */
export interface TimeToTargetConfig {
  workload: WorkloadName[];
  optimizer: TttOptimizer[];
  trial: number[];
  replicate: number[];
  searchSeed: number;
  warmupFraction: number;
  dataset: DatasetChoice;
  dataDir?: string;
  dataSeed: number;
  dtype: Dtype;
  settings: Record<WorkloadName, WorkloadSettings>;
}

/** One point: one trial of one optimizer's study on one workload, one seed replicate. */
export type TimeToTargetPoint = Omit<TimeToTargetConfig, "workload" | "optimizer" | "trial" | "replicate"> & {
  workload: WorkloadName;
  optimizer: TttOptimizer;
  trial: number;
  replicate: number;
};

/**
 * Split sizes of each workload's data (dataset=auto is checked against Fashion-MNIST's, the larger, and again
 * against the dataset the pre-flight resolves it to).
 */
function trainingSplit(workload: WorkloadName, dataset: DatasetChoice): { train: number; test: number } {
  if (workload === "mnist-autoencoder") return DATASET_SIZES.mnist;
  return DATASET_SIZES[dataset === "mnist" ? "mnist" : "fashion-mnist"];
}

/**
 * For each chosen workload: the validation split leaves training examples, and every batch size fits in the
 * training examples. (Train and test sizes larger than a split mean the whole split.)
 */
function checkSizes(c: TimeToTargetConfig, ctx: z.RefinementCtx): void {
  for (const w of c.workload) {
    const s = c.settings[w];
    const split = trainingSplit(w, c.dataset);
    if (s.validationSize >= split.train) {
      ctx.addIssue({
        code: "custom",
        path: ["settings", w, "validationSize"],
        message: `validationSize ${s.validationSize} leaves no training examples of the ${split.train} in ${w}'s training split; allowed 1…${split.train - 1}`,
      });
      continue;
    }
    const examples = Math.min(s.trainSize, split.train - s.validationSize);
    const largest = Math.max(...s.batchSizes);
    if (largest > examples) {
      ctx.addIssue({
        code: "custom",
        path: ["settings", w, "batchSizes"],
        message: `batch size ${largest} is more than the ${examples} training examples of ${w}; allowed 1…${examples} (or raise settings.${w}.trainSize)`,
      });
    }
  }
}
