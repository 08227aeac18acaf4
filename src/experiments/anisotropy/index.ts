/**
 * `anisotropy`: does input conditioning slow an optimizer on real images? Fashion-MNIST (or the MNIST digits) is
 * standardised, projected onto its top `pcaDims` principal components, whitened and re-scaled to a log-spaced
 * spectrum with condition number κ (optionally Haar-rotated) at a fixed trace: an invertible map, so the best
 * achievable loss is the same at every κ and only the covariance's shape changes. Next to it, Gaussian inputs with
 * the same covariance and linear-teacher labels (the setting the theory covers). An MLP on the components and
 * DeepOBS's 2c2d CNN on the re-embedded images are trained with each optimizer at each κ, several replicates per
 * cell, the step size searched at κ = 1 and held fixed (or searched at each κ); the figure of merit is the number
 * of steps until the training loss first falls below a target, summarised by its median and bootstrap interval.
 * The layer-wise preconditioners' input-side factor undoes the map, so they should be flat in κ, while SGD slows
 * down (or diverges at the κ = 1 step size).
 */
import type { z } from "zod";
import type { Experiment } from "../types.js";
import { ANISOTROPY_ALIASES, anisotropySchema, type AnisotropyConfig, type AnisotropyPoint } from "./schema.js";
import { anisotropyPlots, anisotropyRows } from "./summary.js";
import { runAnisotropyTrial } from "./trial.js";
import { anisotropyClaims } from "./claims.js";
import { preflightData } from "../fashion/data.js";

export const anisotropy: Experiment<AnisotropyConfig, AnisotropyPoint> = {
  name: "anisotropy",
  paperOrder: "4.3",
  description:
    "Inputs re-conditioned to condition number κ at a fixed trace (real images, or Gaussian with a linear teacher): MLP and 2c2d steps to a target training loss vs κ, median and bootstrap interval over seeds",
  schema: anisotropySchema as unknown as z.ZodType<AnisotropyConfig>,
  sweepable: ["architecture", "inputs", "optimizer", "kappa", "replicate"],
  aliases: ANISOTROPY_ALIASES,
  // Quick: both networks and both kinds of inputs at κ 1 and 1000 with 3 replicates, the CNN narrowed (8 and 16
  // channels, dense 64) and trained 40 steps, so every claim gets a verdict in a couple of minutes.
  quick: {
    dataset: "auto",
    trainSize: 2000,
    testSize: 500,
    trainEvalSize: 1000,
    kappa: [1, 1000],
    replicate: [0, 1, 2],
    epochs: 4,
    tuneEpochs: 2,
    learningRateFactors: [0.3, 1, 3],
    cnn: {
      channels: [8, 16],
      denseWidth: 64,
      trainSize: 640,
      trainEvalSize: 200,
      epochs: 2,
      evalEvery: 2,
      targetLoss: 1.5,
    },
  },
  quickSeeds: 1,
  preflight: preflightData,
  run: runAnisotropyTrial,
  summarize: anisotropyRows,
  plots: anisotropyPlots,
  claims: anisotropyClaims,
};
