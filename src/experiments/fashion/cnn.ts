/**
 * `fashion-cnn`: DeepOBS's fmnist_2c2d CNN (conv 5×5 32 → ReLU → pool → conv 5×5 64 → ReLU → pool → dense 1024 →
 * 10; batch-norm after each convolution as an option) trained on Fashion-MNIST (or the MNIST digits) with each
 * optimizer, each at its own tuned hyperparameters.
 */
import { z } from "zod";
import type { Experiment } from "../types.js";
import type { Hyperparameters, OptimizerName } from "./optimizers.js";
import { MLP_DEFAULTS } from "./mlp.js";
import {
  FASHION_ALIASES,
  checkFashionConfig,
  fashionFields,
  type FashionSharedConfig,
  type FashionSharedPoint,
} from "./schema.js";
import { fashionPlots, fashionRows } from "./summary.js";
import { runFashionTrial, type Architecture } from "./trial.js";
import { preflightData } from "./data.js";
import { twoConvTwoDense } from "../../nn/networks.js";
import type { Network } from "../../nn/sequential.js";
import type { Dtype } from "../../nn/dtype.js";
import type { DatasetSplits } from "../../data/dataset.js";

/** The 2c2d network of a config's `channels`, `denseWidth`, `batchNorm` and `dtype`, for the images of `splits`. */
export function cnnFor(
  point: { channels: readonly [number, number]; denseWidth: number; batchNorm: boolean; dtype: Dtype },
  splits: DatasetSplits,
): Network {
  return twoConvTwoDense({
    inputShape: splits.imageShape,
    channels: point.channels,
    denseWidth: point.denseWidth,
    classes: splits.train.classes,
    batchNorm: point.batchNorm,
    dtype: point.dtype,
  });
}

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
      .length(2)
      .default([32, 64])
      .describe("output channels of the two conv 5×5 → ReLU → max-pool 2×2 stages (DeepOBS 2c2d: 32,64)"),
    denseWidth: z
      .int()
      .min(1)
      .max(8192)
      .default(1024)
      .describe("width of the dense layer before the classifier (DeepOBS 2c2d: 1024)"),
    batchNorm: z
      .boolean()
      .default(false)
      .describe("batch normalisation after each convolution, before its ReLU (not in DeepOBS's 2c2d)"),
  })
  .superRefine((c, ctx) => checkFashionConfig(c as FashionSharedConfig, ctx));

type Architecture2c2d = { channels: [number, number]; denseWidth: number; batchNorm: boolean };
type Config = FashionSharedConfig & Architecture2c2d;
type Point = FashionSharedPoint & Architecture2c2d;

export const fashionCnn: Experiment<Config, Point> = {
  name: "fashion-cnn",
  paperOrder: "4.2",
  description: "Fashion-MNIST CNN (DeepOBS 2c2d): test accuracy, loss and time per epoch of every optimizer",
  schema: schema as unknown as z.ZodType<Config>,
  sweepable: ["optimizer"],
  aliases: FASHION_ALIASES,
  // Quick: 8 and 16 channels keep the dense layer's input factor at 16·7·7 = 784 (KFAC inverts it every 10 steps).
  quick: { dataset: "auto", trainSize: 2000, testSize: 1000, epochs: 1, channels: [8, 16], denseWidth: 64 },
  quickSeeds: 1,
  preflight: preflightData,
  async run(point, ctx) {
    const arch: Architecture = { name: "cnn", build: (splits) => cnnFor(point, splits), defaults: CNN_DEFAULTS };
    await runFashionTrial(point, ctx, arch);
  },
  summarize: fashionRows,
  plots: (trials, config) => fashionPlots("fashion-cnn", trials, config),
};
