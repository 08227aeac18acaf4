/**
 * `fashion-cnn`: a small CNN (conv 32 → pool → conv 64 → pool → dense 128 → 10, batch-norm after each
 * convolution) trained on Fashion-MNIST (or the MNIST digits) with each optimizer, each at its own tuned
 * hyperparameters.
 */
import { z } from "zod";
import type { Experiment } from "../types.js";
import type { Hyperparameters, OptimizerName } from "./optimizers.js";
import { MLP_DEFAULTS } from "./mlp.js";
import { checkFashionConfig, fashionFields, type FashionSharedConfig, type FashionSharedPoint } from "./schema.js";
import { fashionPlots, fashionRows } from "./summary.js";
import { runFashionTrial, type Architecture } from "./trial.js";
import { cnn } from "./networks.js";
import { preflightData } from "./data.js";

/**
 * Defaults: the MLP's searched values (`MLP_DEFAULTS`). A separate search for the CNN did not fit our compute
 * budget (README, "fashion-cnn"); `--set tune=true` runs it.
 */
export const CNN_DEFAULTS: Record<OptimizerName, Hyperparameters> = MLP_DEFAULTS;

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
  paperOrder: "4.2",
  description: "Fashion-MNIST CNN (2 conv + batch-norm): test accuracy, loss and time per epoch of every optimizer",
  schema: schema as unknown as z.ZodType<Config>,
  sweepable: ["optimizer"],
  // Quick: 8 and 16 channels keep the dense layer's input factor at 16·7·7 = 784 (KFAC inverts it every 10 steps).
  quick: { dataset: "auto", trainSize: 2000, testSize: 1000, epochs: 1, channels: [8, 16], denseWidth: 64 },
  quickSeeds: 1,
  preflight: preflightData,
  async run(point, ctx) {
    const arch: Architecture = {
      name: "cnn",
      build: (splits) => cnn(splits.imageShape, point.channels, point.denseWidth, splits.train.classes, point.dtype),
      defaults: CNN_DEFAULTS,
    };
    await runFashionTrial(point, ctx, arch);
  },
  summarize: fashionRows,
  plots: (trials, config) => fashionPlots("fashion-cnn", trials, config),
};
