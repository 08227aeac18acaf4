/**
 * `fashion-cnn`: a small CNN (conv 32 → pool → conv 64 → pool → dense 128 → 10, batch-norm after each
 * convolution) trained on Fashion-MNIST (or the MNIST digits) with each optimizer, each at its own tuned
 * hyperparameters.
 */
import { z } from "zod";
import type { Experiment } from "../types.js";
import type { Hyperparameters, OptimizerName } from "./optimizers.js";
import { checkFashionConfig, fashionFields, type FashionSharedConfig, type FashionSharedPoint } from "./schema.js";
import { fashionPlots, fashionRows } from "./summary.js";
import { runFashionTrial, type Architecture } from "./trial.js";
import { cnn } from "./networks.js";

/** Tuned defaults, found as for the MLP (see `MLP_DEFAULTS`) with `layerwise run fashion-cnn --set tune=true`. */
export const CNN_DEFAULTS: Record<OptimizerName, Hyperparameters> = {
  sgd: { learningRate: 0.05, second: 0.9 },
  adam: { learningRate: 1e-3, second: 1e-8 },
  kfac: { learningRate: 0.1, second: 0.01 },
  ekfac: { learningRate: 0.1, second: 0.01 },
  shampoo: { learningRate: 1e-3, second: 1e-12 },
  soap: { learningRate: 3e-3, second: 1e-8 },
  muon: { learningRate: 0.02, second: 0.95 },
};

const schema = z
  .strictObject({
    ...fashionFields({ epochs: 5, targetAccuracy: 0.88 }),
    channels: z
      .array(z.int().min(1).max(1024))
      .min(1)
      .max(4)
      .default([32, 64])
      .describe("output channels of the conv 3×3 → batch-norm → ReLU → max-pool 2×2 stages"),
    denseWidth: z.int().min(1).max(8192).default(128).describe("width of the dense layer before the classifier"),
  })
  .superRefine((c, ctx) => checkFashionConfig(c as FashionSharedConfig, ctx));

type Config = FashionSharedConfig & { channels: number[]; denseWidth: number };
type Point = FashionSharedPoint & { channels: number[]; denseWidth: number };

export const fashionCnn: Experiment<Config, Point> = {
  name: "fashion-cnn",
  description: "Fashion-MNIST CNN (2 conv + batch-norm): test accuracy, loss and time per epoch of every optimizer",
  schema: schema as unknown as z.ZodType<Config>,
  sweepable: ["optimizer"],
  quick: { dataset: "auto", trainSize: 3000, testSize: 1000, epochs: 1 },
  quickSeeds: 1,
  async run(point, ctx) {
    const arch: Architecture = {
      name: "cnn",
      build: (splits) => cnn(splits.imageShape, point.channels, point.denseWidth, splits.train.classes),
      defaults: CNN_DEFAULTS,
    };
    await runFashionTrial(point, ctx, arch);
  },
  summarize: fashionRows,
  plots: (trials, config) => fashionPlots("fashion-cnn", trials, config),
};
