/**
 * The config of `anisotropy` (zod, with defaults and a description on every key) and its cross-field checks: the
 * data fields and their checks are the fashion experiments' (same datasets, subsets and fallback), plus the
 * re-conditioning (κ, pcaDims, rotation, normalisation), the inputs (real or Gaussian with a linear teacher), the
 * two networks (MLP; DeepOBS 2c2d with its own, smaller budget under `cnn`), the target loss and the step-size
 * search.
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
import { SECOND_HYPERPARAMETER, checkSecondValues, type OptimizerName } from "../fashion/optimizers.js";
import { ARMS, LOW_DAMPING_ARM, LOW_DAMPING_FACTOR, baseOptimizer, type ArmName } from "./arms.js";
import { DATASET_SIZES, type DatasetChoice } from "../fashion/data.js";

/** Pixels of one example of either dataset: the largest pcaDims can be. */
export const INPUT_DIM = 28 * 28;

/** Where the step size of each optimizer is searched: at κ = 1 (then held fixed for every κ), or at each κ. */
export const TUNE_AT = ["kappa1", "each"] as const;
/** The networks: the MLP on the principal components, DeepOBS's 2c2d CNN on the re-conditioned images. */
export const ARCHITECTURES = ["mlp", "2c2d"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
/** Real images re-conditioned, or Gaussian inputs with the same covariance and linear-teacher labels. */
export const INPUTS = ["real", "gaussian"] as const;
export type Inputs = (typeof INPUTS)[number];

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

/**
 * The 2c2d CNN's network and budget. A 2c2d step costs ~100× an MLP step (KFAC also inverts the 3137×3137 input
 * factor of the dense layer every 10 steps), so it trains on a smaller subset for fewer steps, to a higher target
 * loss, at the step sizes of fashion-cnn (a one-candidate search is skipped).
 */
const cnnSchema = z.strictObject({
  channels: z
    .array(count(1, 1024))
    .length(2)
    .default([32, 64])
    .describe("output channels of the two conv 5×5 stages (DeepOBS 2c2d: 32,64)"),
  denseWidth: count(1, 8192).default(1024).describe("width of the dense layer before the classifier (2c2d: 1024)"),
  trainSize: count(2, 60_000)
    .default(1600)
    .describe("training examples of the CNN's runs (PCA and map fitted on them)"),
  epochs: count(1, 1000).default(2).describe("the CNN's training budget in passes over its training subset"),
  batchSize: count(1, 60_000).default(32).describe("examples per CNN step"),
  evalEvery: count(1, 1_000_000).default(5).describe("CNN steps between evaluations of the training loss"),
  trainEvalSize: count(1, 60_000)
    .default(250)
    .describe("training examples on which the CNN's training loss is evaluated"),
  targetLoss: positive.default(0.8).describe("the CNN's target training loss"),
  learningRateFactors: z
    .array(positive)
    .min(1, { error: "needs at least one factor" })
    .default([1])
    .describe("the CNN's step-size candidates (multiples of the fashion defaults); one candidate: no search"),
});
export type CnnSettings = z.infer<typeof cnnSchema>;

export const anisotropySchema = z
  .strictObject({
    architecture: z
      .array(z.enum(ARCHITECTURES))
      .min(1, { error: "needs at least one architecture" })
      .default(["mlp", "2c2d"])
      .describe("networks (sweepable): mlp on the principal components, 2c2d (DeepOBS CNN) on the images"),
    inputs: z
      .array(z.enum(INPUTS))
      .min(1, { error: "needs at least one kind of inputs" })
      .default(["real", "gaussian"])
      .describe(
        "inputs (sweepable): real re-conditioned images, or Gaussian inputs with the same covariance labelled by a linear teacher on the whitened inputs",
      ),
    optimizer: z
      .array(z.enum(ARMS))
      .min(1, { error: "needs at least one optimizer" })
      .default(["sgd", "kfac", LOW_DAMPING_ARM])
      .describe(
        `optimizers to compare (sweepable): any of ${ARMS.join(", ")} (${LOW_DAMPING_ARM}: KFAC with its damping × ${LOW_DAMPING_FACTOR}, a diagnosis)`,
      ),
    kappa: z
      .array(kappaSchema)
      .min(1, { error: "needs at least one condition number" })
      .default([1, 30, 1000])
      .describe("condition numbers κ of the re-conditioned training covariance (sweepable)"),
    replicate: z
      .array(z.int().min(0, { error: (issue) => `must be ≥ 0, got ${String(issue.input)}` }))
      .min(1, { error: "needs at least one replicate" })
      .default([0, 1, 2, 3, 4])
      .describe("replicates per cell (sweepable): each is a trial with its own seed; --seeds multiplies them"),
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
      .default("trace")
      .describe(
        "trace: scaled to tr Σ = d, mean input variance 1, at every κ (κ changes only the shape); none: the spectrum runs from κ down to 1 (the scale grows with κ)",
      ),
    hidden: z
      .array(count(1, 8192))
      .min(1, { error: "needs at least one hidden layer" })
      .default([256])
      .describe("widths of the MLP's hidden layers (ReLU after each)"),
    cnn: cnnSchema.prefault({}).describe("the 2c2d CNN's network and budget (the keys above are the MLP's)"),
    dtype: dtypeSchema,
    epochs: count(1, 1000).default(10).describe("the MLP's training budget in passes over the training subset"),
    batchSize: count(1, 60_000).default(128).describe("examples per MLP step"),
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
  architecture: Architecture[];
  inputs: Inputs[];
  optimizer: ArmName[];
  kappa: number[];
  replicate: number[];
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
  cnn: CnnSettings;
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

/** One point: one optimizer at one κ on one architecture and kind of inputs. */
export type AnisotropyPoint = Omit<
  AnisotropyConfig,
  "architecture" | "inputs" | "optimizer" | "kappa" | "replicate"
> & {
  architecture: Architecture;
  inputs: Inputs;
  optimizer: ArmName;
  kappa: number;
  replicate: number;
};

/** What a run of one architecture trains on and for how long. */
export interface RunSettings {
  trainSize: number;
  epochs: number;
  batchSize: number;
  evalEvery: number;
  trainEvalSize: number;
  targetLoss: number;
  learningRateFactors: number[];
}

/** The settings of `point`'s architecture: the top-level keys for the MLP, `cnn`'s for the 2c2d. */
export function runSettings(point: Pick<AnisotropyPoint, "architecture" | "cnn" | keyof RunSettings>): RunSettings {
  const from = point.architecture === "2c2d" ? point.cnn : point;
  return {
    trainSize: from.trainSize,
    epochs: from.epochs,
    batchSize: from.batchSize,
    evalEvery: from.evalEvery,
    trainEvalSize: from.trainEvalSize,
    targetLoss: from.targetLoss,
    learningRateFactors: from.learningRateFactors,
  };
}

/**
 * Cross-field checks: the data checks of the fashion experiments (dataset present, subsets and batch within their
 * splits), pcaDims within the input dimension and below the number of training examples, and the training-loss
 * subset within the training subset; the same for the CNN's own subset under `cnn`.
 */
function checkAnisotropyConfig(c: AnisotropyConfig, ctx: z.RefinementCtx): void {
  const shared: FashionSharedConfig = {
    ...c,
    optimizer: c.optimizer.map(baseOptimizer),
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
  if (!c.architecture.includes("2c2d")) return;
  const cnn = c.cnn;
  const dataset = c.dataset === "mnist" ? "mnist" : "fashion-mnist";
  const cnnAvailable = Math.min(cnn.trainSize, DATASET_SIZES[dataset].train);
  const issue = (key: string, message: string) => ctx.addIssue({ code: "custom", path: ["cnn", key], message });
  if (cnn.trainSize > DATASET_SIZES[dataset].train) {
    issue(
      "trainSize",
      `${dataset} has ${DATASET_SIZES[dataset].train} training examples; cnn.trainSize must be ≤ that`,
    );
  }
  if (c.pcaDims > cnnAvailable - 1) {
    issue(
      "trainSize",
      `pcaDims ${c.pcaDims} needs more than ${c.pcaDims} training examples; allowed cnn.trainSize > ${c.pcaDims}`,
    );
  }
  for (const [key, value] of [
    ["trainEvalSize", cnn.trainEvalSize],
    ["batchSize", cnn.batchSize],
  ] as const) {
    if (value > cnnAvailable)
      issue(key, `cnn.${key} ${value} exceeds the CNN's ${cnnAvailable} training examples; allowed 1…${cnnAvailable}`);
  }
}
