/**
 * `anisotropy`: does input conditioning slow an optimizer on real images? Fashion-MNIST (or the MNIST digits) is
 * standardised, projected onto its top `pcaDims` principal components, whitened and re-scaled to a log-spaced
 * spectrum with condition number κ (optionally Haar-rotated): an invertible map, so the best achievable loss is
 * the same at every κ. An MLP is trained with each optimizer at each κ, its step size searched at κ = 1 and held
 * fixed (or searched at each κ); the figure of merit is the number of steps until the training loss first falls
 * below a target. The layer-wise preconditioners' input-side factor undoes the map, so they should be flat in κ,
 * while SGD slows down (or diverges at the κ = 1 step size).
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
    "Real images re-conditioned to condition number κ (PCA, whiten, log-spaced spectrum): MLP steps to a target training loss vs κ, each optimizer",
  schema: anisotropySchema as unknown as z.ZodType<AnisotropyConfig>,
  sweepable: ["optimizer", "kappa"],
  aliases: ANISOTROPY_ALIASES,
  quick: {
    dataset: "auto",
    trainSize: 2000,
    testSize: 500,
    trainEvalSize: 1000,
    kappa: [1, 1000],
    optimizer: ["sgd", "kfac"],
    epochs: 4,
    tuneEpochs: 2,
    learningRateFactors: [0.3, 1, 3],
  },
  quickSeeds: 1,
  preflight: preflightData,
  run: runAnisotropyTrial,
  summarize: anisotropyRows,
  plots: anisotropyPlots,
  claims: anisotropyClaims,
};
