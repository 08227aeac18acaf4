/**
 * The config of `anisotropy` (zod, with defaults and a description on every key) and its cross-field checks: the
 * data fields and their checks are the fashion experiments' (same datasets, subsets and fallback), plus the
 * re-conditioning (κ, pcaDims, rotation), the MLP, the training budget, the target loss and the step-size search.
 */
import { z } from "zod";
import type { KeyAlias } from "../../config/aliases.js";
import {
  checkFashionConfig,
  dtypeSchema,
  fashionFields,
  perOptimizer,
  type FashionSharedConfig,
} from "../fashion/schema.js";
import type { Dtype } from "../../nn/dtype.js";
import { OPTIMIZERS, SECOND_HYPERPARAMETER, checkSecondValues, type OptimizerName } from "../fashion/optimizers.js";
import { DATASET_SIZES, type DatasetChoice } from "../fashion/data.js";

/** Pixels of one example of either dataset: the largest pcaDims can be. */
export const INPUT_DIM = 28 * 28;

/** Where the step size of each optimizer is searched: at κ = 1 (then held fixed for every κ), or at each κ. */
export const TUNE_AT = ["kappa1", "each"] as const;

const count = (min: number, max: number) =>
  z
    .int({ error: "must be an integer" })
    .min(min, { error: (issue) => `must be ≥ ${min}, got ${String(issue.input)}` })
    .max(max, { error: (issue) => `must be ≤ ${max}, got ${String(issue.input)}` });
const positive = z.number().positive({ error: (issue) => `must be > 0, got ${String(issue.input)}` });
/** A condition number: finite and ≥ 1 (1 = whitened inputs). */
export const kappaSchema = z
  .number({ error: "must be a number ≥ 1" })
  .min(1, { error: (issue) => `condition number must be ≥ 1, got ${String(issue.input)}` })
  .max(1e8, { error: (issue) => `condition number must be ≤ 1e8, got ${String(issue.input)}` });

/** Keys renamed to the library's vocabulary, still accepted until the next release (src/config/aliases.ts). */
export const ANISOTROPY_ALIASES: readonly KeyAlias[] = [
  { from: "lr", to: "learningRate" },
  { from: "lrFactors", to: "learningRateFactors" },
];

const data = fashionFields({ epochs: 1, targetAccuracy: 0.5 });

export const anisotropySchema = z
  .strictObject({
    optimizer: z
      .array(z.enum(OPTIMIZERS))
      .min(1, { error: "needs at least one optimizer" })
      .default(["sgd", "adam", "kfac", "shampoo", "muon"])
      .describe(`optimizers to compare (sweepable): any of ${OPTIMIZERS.join(", ")}`),
    kappa: z
      .array(kappaSchema)
      .min(1, { error: "needs at least one condition number" })
      .default([1, 10, 100, 1000])
      .describe("condition numbers κ of the re-conditioned training covariance (sweepable)"),
    dataset: data.dataset,
    dataDir: data.dataDir,
    trainSize: count(2, 60_000)
      .default(10_000)
      .describe("training examples (a seeded random subset); the PCA and the map are fitted on them"),
    testSize: count(1, 10_000).default(2000).describe("test examples (a seeded random subset) for the test accuracy"),
    dataSeed: data.dataSeed,
    pcaDims: count(1, INPUT_DIM)
      .default(64)
      .describe("principal components kept (inputs of the MLP); at most the input dimension and trainSize − 1"),
    rotate: z
      .boolean()
      .default(false)
      .describe(
        "rotate the re-scaled principal axes by a fixed Haar-random rotation (so they are not coordinate axes)",
      ),
    rotationSeed: z.int().min(0).default(0).describe("seed of that rotation (the same for every κ and optimizer)"),
    normalize: z
      .enum(["none", "trace"])
      .default("none")
      .describe(
        "none: the spectrum runs from κ down to 1 (the mean input variance grows with κ); trace: scaled to mean variance 1 at every κ",
      ),
    hidden: z
      .array(count(1, 8192))
      .min(1, { error: "needs at least one hidden layer" })
      .default([256])
      .describe("widths of the MLP's hidden layers (ReLU after each)"),
    dtype: dtypeSchema,
    epochs: count(1, 1000).default(10).describe("training budget in passes over the training subset"),
    batchSize: count(1, 60_000).default(128).describe("examples per step"),
    evalEvery: count(1, 1_000_000)
      .default(10)
      .describe("steps between evaluations of the training loss (on trainEvalSize training examples)"),
    trainEvalSize: count(1, 60_000)
      .default(2000)
      .describe("training examples (a fixed subset) on which the training loss is evaluated"),
    targetLoss: positive
      .default(0.3)
      .describe("stepsToTarget counts the steps until the evaluated training loss first falls below this"),
    tuneAt: z
      .enum(TUNE_AT)
      .default("kappa1")
      .describe("search each optimizer's step size at κ = 1 and hold it fixed (kappa1), or search at each κ (each)"),
    learningRateFactors: z
      .array(positive)
      .min(1, { error: "needs at least one factor" })
      .default([0.01, 0.03, 0.1, 0.3, 1, 3, 10])
      .describe("step sizes tried by the search: multiples of the optimizer's tuned fashion-mlp default"),
    tuneEpochs: count(1, 1000).default(2).describe("budget of each run of the step-size search, in epochs"),
    learningRate: perOptimizer(positive, (o) => `fixed step size of ${o} (unset: searched)`)
      .default({})
      .describe("fixed step size by optimizer, e.g. learningRate.sgd=0.05 (skips the search for that optimizer)"),
    second: perOptimizer(
      z.number().min(0, { error: (issue) => `must be ≥ 0, got ${String(issue.input)}` }),
      (o) => `${SECOND_HYPERPARAMETER[o]} of ${o} (unset: its fashion-mlp default)`,
    )
      .superRefine(checkSecondValues)
      .default({})
      .describe(
        "second hyperparameter by optimizer: momentum (sgd, muon), eps (adam, shampoo, soap), damping (kfac, ekfac); unset: the fashion-mlp default",
      ),
  })
  .superRefine((c, ctx) => checkAnisotropyConfig(c as AnisotropyConfig, ctx));

/** The resolved config (sweepable `optimizer` and `kappa` as lists). */
export interface AnisotropyConfig {
  optimizer: OptimizerName[];
  kappa: number[];
  dataset: DatasetChoice;
  dataDir?: string;
  trainSize: number;
  testSize: number;
  dataSeed: number;
  pcaDims: number;
  rotate: boolean;
  rotationSeed: number;
  normalize: "none" | "trace";
  hidden: number[];
  dtype: Dtype;
  epochs: number;
  batchSize: number;
  evalEvery: number;
  trainEvalSize: number;
  targetLoss: number;
  tuneAt: (typeof TUNE_AT)[number];
  learningRateFactors: number[];
  tuneEpochs: number;
  learningRate: Partial<Record<OptimizerName, number>>;
  second: Partial<Record<OptimizerName, number>>;
}

/** One point: one optimizer at one κ. */
export type AnisotropyPoint = Omit<AnisotropyConfig, "optimizer" | "kappa"> & {
  optimizer: OptimizerName;
  kappa: number;
};

/**
 * Cross-field checks: the data checks of the fashion experiments (dataset present, subsets and batch within their
 * splits), pcaDims within the input dimension and below the number of training examples, and the training-loss
 * subset within the training subset.
 */
function checkAnisotropyConfig(c: AnisotropyConfig, ctx: z.RefinementCtx): void {
  const shared: FashionSharedConfig = {
    ...c,
    optimizer: c.optimizer,
    targetAccuracy: 1,
    tune: false,
    tuning: { validationSize: 1, trainSize: 1, epochs: 1 },
    logEvery: 1,
  };
  checkFashionConfig(shared, ctx);
  const available = Math.min(c.trainSize, DATASET_SIZES[c.dataset === "mnist" ? "mnist" : "fashion-mnist"].train);
  if (c.pcaDims > available - 1) {
    ctx.addIssue({
      code: "custom",
      path: ["pcaDims"],
      message: `pcaDims ${c.pcaDims} needs more than ${c.pcaDims} training examples; trainSize is ${c.trainSize}, so allowed 1…${available - 1}`,
    });
  }
  if (c.trainEvalSize > c.trainSize) {
    ctx.addIssue({
      code: "custom",
      path: ["trainEvalSize"],
      message: `trainEvalSize ${c.trainEvalSize} exceeds trainSize ${c.trainSize}; allowed 1…${c.trainSize}`,
    });
  }
}
