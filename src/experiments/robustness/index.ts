/**
 * `robustness`: how sensitive is each optimizer to its hyperparameters on real images? For each optimizer and
 * architecture (mlp, cnn: the DeepOBS 2c2d layout) a grid of learning rate × its second hyperparameter (damping for
 * kfac/ekfac, ε for adam/shampoo/soap, momentum for sgd/muon) is trained for a small budget, every cell × seed one
 * trial; kfac-auto (adaptive KFAC, nothing to tune) trains one cell. The summary counts the cells within one accuracy
 * point of the optimizer's best (robustness = good cells / cells) and the diverged ones, the heat maps show the
 * whole grid, and the claims compare KFAC with SGD and kfac-auto with KFAC's best cell.
 */
import type { z } from "zod";
import type { Experiment } from "../types.js";
import { ROBUSTNESS_ALIASES, robustnessSchema, type RobustnessConfig, type RobustnessPoint } from "./schema.js";
import { robustnessPlots, robustnessRows } from "./summary.js";
import { runRobustnessTrial, trainsAt } from "./trial.js";
import { preflightData } from "../fashion/data.js";
import { robustnessClaims } from "./claims.js";

export const robustness: Experiment<RobustnessConfig, RobustnessPoint> = {
  name: "robustness",
  paperOrder: "4.4",
  description:
    "Hyperparameter robustness on real images: test accuracy over learning rate × damping/ε/momentum grids, each optimizer (and untuned kfac-auto), MLP and 2c2d CNN",
  schema: robustnessSchema as unknown as z.ZodType<RobustnessConfig>,
  sweepable: ["optimizer", "architecture", "learningRateFactor", "secondIndex"],
  includes: trainsAt,
  aliases: ROBUSTNESS_ALIASES,
  quick: {
    dataset: "auto",
    optimizer: ["sgd", "kfac", "kfac-auto"],
    architecture: ["mlp", "cnn"],
    learningRateFactor: [0.1, 1, 10],
    secondIndex: [0, 2, 4],
    trainSize: 2000,
    testSize: 500,
    batchSize: 64,
    epochs: 1,
  },
  quickSeeds: 1,
  preflight: preflightData,
  run: runRobustnessTrial,
  summarize: robustnessRows,
  plots: robustnessPlots,
  claims: robustnessClaims,
};
