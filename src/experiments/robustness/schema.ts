/**
 * The config of `robustness` (zod, with defaults and a description on every key): the grid of learning rate ×
 * second hyperparameter per optimizer and architecture, kfac-auto's initial damping, the networks, the (small)
 * training budget and the data fields of the fashion experiments, with their checks.
 */
import { z } from "zod";
import type { KeyAlias } from "../../config/aliases.js";
import { checkFashionConfig, dtypeSchema, fashionFields, type FashionSharedConfig } from "../fashion/schema.js";
import type { Dtype } from "../../nn/dtype.js";
import { OPTIMIZERS, SECOND_HYPERPARAMETER, checkSecondValues, type OptimizerName } from "../fashion/optimizers.js";
import type { DatasetChoice } from "../fashion/data.js";
import { KFAC_AUTO, KFAC_AUTO_CELL, METHODS, isGridOptimizer, type MethodName } from "./methods.js";

/** Keys renamed to the library's vocabulary, still accepted until the next release (src/config/aliases.ts). */
export const ROBUSTNESS_ALIASES: readonly KeyAlias[] = [{ from: "lrFactor", to: "learningRateFactor" }];

export const ARCHITECTURES = ["mlp", "cnn"] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

const count = (min: number, max: number) =>
  z
    .int({ error: "must be an integer" })
    .min(min, { error: (issue) => `must be ≥ ${min}, got ${String(issue.input)}` })
    .max(max, { error: (issue) => `must be ≤ ${max}, got ${String(issue.input)}` });
const positive = z.number().positive({ error: (issue) => `must be > 0, got ${String(issue.input)}` });

/**
 * The default values of each optimizer's second hyperparameter: momentum from none to 0.99 (sgd, muon), ε from
 * negligible to dominant (adam, soap: 1e-8…1; shampoo, whose ε is added to summed statistics: 1e-12…1), damping
 * over four decades around the usual 1e-2 (kfac, ekfac).
 */
export const DEFAULT_SECOND_VALUES: Record<OptimizerName, number[]> = {
  sgd: [0, 0.5, 0.9, 0.95, 0.99],
  adam: [1e-8, 1e-6, 1e-4, 1e-2, 1],
  kfac: [1e-4, 1e-3, 1e-2, 1e-1, 1],
  ekfac: [1e-4, 1e-3, 1e-2, 1e-1, 1],
  shampoo: [1e-12, 1e-9, 1e-6, 1e-3, 1],
  soap: [1e-8, 1e-6, 1e-4, 1e-2, 1],
  muon: [0, 0.5, 0.9, 0.95, 0.99],
};

const data = fashionFields({ epochs: 1, targetAccuracy: 0.5 });

/**
 * kfac-auto's initial damping λ₀ by default: from the library's default 1e-3 its first, unadapted steps diverged on
 * the CNN (docs/robustness.md); the Levenberg–Marquardt rule lowers a large start within a few adaptations.
 */
export const DEFAULT_KFAC_AUTO_DAMPING = 1;

const secondValuesSchema = z
  .strictObject(
    Object.fromEntries(
      OPTIMIZERS.map((o) => [
        o,
        z
          .array(z.number())
          .min(1, { error: `needs at least one ${SECOND_HYPERPARAMETER[o]} value` })
          .default(DEFAULT_SECOND_VALUES[o])
          .describe(`${SECOND_HYPERPARAMETER[o]} values of ${o}'s grid`),
      ]),
    ) as Record<OptimizerName, z.ZodDefault<z.ZodArray<z.ZodNumber>>>,
  )
  .superRefine(checkSecondValues)
  .default(DEFAULT_SECOND_VALUES);

export const robustnessSchema = z
  .strictObject({
    optimizer: z
      .array(z.enum(METHODS))
      .min(1, { error: "needs at least one optimizer" })
      .default([...METHODS])
      .describe(
        `optimizers (sweepable): any of ${METHODS.join(", ")}; ${KFAC_AUTO} (adaptive KFAC) has nothing to tune and trains one cell per architecture`,
      ),
    architecture: z
      .array(z.enum(ARCHITECTURES))
      .min(1, { error: "needs at least one architecture" })
      .default([...ARCHITECTURES])
      .describe(
        "networks (sweepable): mlp (784 pixels → hidden → 10) and cnn (DeepOBS 2c2d layout: conv 5×5 → ReLU → pool, twice, → dense → 10)",
      ),
    learningRateFactor: z
      .array(positive)
      .min(1, { error: "the learning-rate axis of the grid needs at least one value" })
      .default([0.1, 0.3, 1, 3, 10])
      .describe("learning rates of the grid (sweepable): multiples of the optimizer's tuned fashion default"),
    secondIndex: z
      .array(count(0, 1000))
      .min(1, { error: "the second axis of the grid needs at least one value" })
      .default([0, 1, 2, 3, 4])
      .describe("second axis of the grid (sweepable): positions in secondValues.<optimizer>"),
    secondValues: secondValuesSchema.describe(
      "each optimizer's second hyperparameter values, indexed by secondIndex: momentum (sgd, muon), eps (adam, shampoo, soap), damping (kfac, ekfac)",
    ),
    kfacAutoDamping: positive
      .default(DEFAULT_KFAC_AUTO_DAMPING)
      .describe(`${KFAC_AUTO}: the initial damping λ₀ (then adapted by the Levenberg–Marquardt rule)`),
    dataset: data.dataset,
    dataDir: data.dataDir,
    trainSize: count(1, 60_000).default(5000).describe("training examples (a seeded random subset)"),
    testSize: count(1, 10_000).default(2000).describe("test examples (a seeded random subset) for the test accuracy"),
    dataSeed: data.dataSeed,
    epochs: count(1, 1000).default(2).describe("training budget in passes over the training subset"),
    batchSize: count(1, 60_000).default(128).describe("examples per step"),
    hidden: z
      .array(count(1, 8192))
      .min(1, { error: "needs at least one hidden layer" })
      .default([128])
      .describe("mlp: widths of the hidden layers (ReLU after each)"),
    channels: z
      .array(count(1, 1024))
      .length(2, { error: "cnn: needs exactly two conv stages (2c2d)" })
      .default([8, 16])
      .describe(
        "cnn: output channels of the two conv 5×5 → ReLU → max-pool 2×2 stages (DeepOBS 2c2d: 32,64; default 8,16 to fit the time budget)",
      ),
    denseWidth: count(1, 8192)
      .default(64)
      .describe("cnn: width of the dense layer before the classifier (DeepOBS 2c2d: 1024; default 64)"),
    batchNorm: z
      .boolean()
      .default(false)
      .describe("cnn: batch normalisation after each convolution, before its ReLU (not in DeepOBS's 2c2d)"),
    dtype: dtypeSchema,
    goodMargin: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe("a cell is good when its test accuracy is within this of the optimizer's best cell (0.01 = 1 point)"),
  })
  .superRefine((c, ctx) => checkRobustnessConfig(c as RobustnessConfig, ctx));

/** The resolved config (sweepable keys as lists). */
export interface RobustnessConfig {
  optimizer: MethodName[];
  architecture: ArchitectureName[];
  learningRateFactor: number[];
  secondIndex: number[];
  secondValues: Record<OptimizerName, number[]>;
  kfacAutoDamping: number;
  dataset: DatasetChoice;
  dataDir?: string;
  trainSize: number;
  testSize: number;
  dataSeed: number;
  epochs: number;
  batchSize: number;
  hidden: number[];
  channels: [number, number];
  denseWidth: number;
  batchNorm: boolean;
  dtype: Dtype;
  goodMargin: number;
}

/** One point: one cell of one optimizer's grid on one architecture. */
export type RobustnessPoint = Omit<
  RobustnessConfig,
  "optimizer" | "architecture" | "learningRateFactor" | "secondIndex"
> & {
  optimizer: MethodName;
  architecture: ArchitectureName;
  learningRateFactor: number;
  secondIndex: number;
};

/**
 * Cross-field checks: the fashion data checks; every secondIndex names a value of every chosen grid optimizer's
 * list; momentum values in [0, 1), ε and damping > 0; with kfac-auto, the grid holds the cell it trains at.
 */
function checkRobustnessConfig(c: RobustnessConfig, ctx: z.RefinementCtx): void {
  const shared: FashionSharedConfig = {
    ...c,
    optimizer: c.optimizer.filter(isGridOptimizer),
    targetAccuracy: 1,
    learningRate: {},
    second: {},
    tune: false,
    tuning: { validationSize: 1, trainSize: 1, epochs: 1 },
    logEvery: 1,
  };
  checkFashionConfig(shared, ctx);
  const largest = Math.max(...c.secondIndex);
  if (c.optimizer.includes(KFAC_AUTO)) {
    for (const key of ["learningRateFactor", "secondIndex"] as const) {
      if (!c[key].includes(KFAC_AUTO_CELL[key])) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `${KFAC_AUTO} trains once, at the grid's cell learningRateFactor = ${KFAC_AUTO_CELL.learningRateFactor}, secondIndex = ${KFAC_AUTO_CELL.secondIndex}; ${key} [${c[key].join(", ")}] lacks ${KFAC_AUTO_CELL[key]}: add it, or leave ${KFAC_AUTO} out of optimizer`,
        });
      }
    }
  }
  for (const o of new Set(c.optimizer.filter(isGridOptimizer))) {
    const values = c.secondValues[o];
    if (largest >= values.length) {
      ctx.addIssue({
        code: "custom",
        path: ["secondIndex"],
        message: `secondIndex ${largest} is past the ${values.length} values of secondValues.${o}; allowed 0…${values.length - 1}`,
      });
    }
    const kind = SECOND_HYPERPARAMETER[o];
    values.forEach((v, i) => {
      const ok = kind === "momentum" ? v >= 0 && v < 1 : v > 0 && Number.isFinite(v);
      if (!ok) {
        ctx.addIssue({
          code: "custom",
          path: ["secondValues", o, i],
          message: `${kind} of ${o} must be ${kind === "momentum" ? "in [0, 1)" : "> 0"}, got ${v}`,
        });
      }
    });
  }
}
