/**
 * The config fields shared by the single-index experiments, with their defaults (PAPER.md §3: d = 256,
 * N = 1024, σ = σ★ = tanh, σ_ε = 0.1, a = ±1/√N, log-spaced Haar-rotated spectrum). Each experiment adds its
 * sweepable lists (algorithm, κ, n/d) on top of `baseShape`.
 */
import { z } from "zod";
import { ACTIVATION_NAMES } from "../../nn/activations.js";

const positive = (what: string) => z.number().positive({ message: `${what} must be > 0` });

/** Link names: the activations plus "hermite" (coefficients in `linkHermite`). */
export const LINK_NAMES = [...ACTIVATION_NAMES, "hermite"] as const;

export const baseShape = {
  /**
   * Seed of the task (Σ, β★): at one κ every algorithm, n/d and repeat sees the same task, so curves compare
   * like with like; the trial seed draws the samples and the network's initialisation.
   */
  problemSeed: z.int().min(0).default(0),
  /** Input dimension. */
  d: z.int().min(1).default(256),
  /** Hidden width (number of neurons). */
  N: z.int().min(1).default(1024),
  /** Student activation σ. */
  activation: z.enum(ACTIVATION_NAMES).default("tanh"),
  /** Teacher link σ★; "hermite" takes its orthonormal-Hermite coefficients from `linkHermite`. */
  link: z.enum(LINK_NAMES).default("tanh"),
  /** Coefficients c_k of σ★ = Σ_k c_k h_k when link = "hermite". */
  linkHermite: z.array(z.number()).default([]),
  /** Label noise σ_ε. */
  noise: z.number().min(0).default(0.1),
  spectrum: z.enum(["logspaced", "spiked", "powerlaw"]).default("logspaced"),
  /** Spiked spectrum: number of top eigenvalues. */
  spikes: z.int().min(0).default(1),
  /** Power-law spectrum: decay exponent. */
  exponent: positive("exponent").default(1),
  /** Haar-random eigenbasis (true) or axis-aligned (false). */
  rotate: z.boolean().default(true),
  /** "trace": tr Σ = d (pre-activations of unit variance at every κ); "none": smallest eigenvalue 1. */
  normalize: z.enum(["trace", "none"]).default("trace"),
  /** Direction of β★ before normalisation. */
  teacher: z.enum(["random", "top", "bottom", "mixture"]).default("random"),
  /** Second-layer initialisation: ±1/√N, N(0, 1/N), or symmetric pairs (zero initial output). */
  init: z.enum(["sign", "gaussian", "symmetric"]).default("sign"),
  /** Number of full-batch steps on W. */
  steps: z.int().min(1).default(1),
  /** Step size η; null: tuned on a separate seed over `etaGrid` (see tuning.ts). */
  eta: positive("eta").nullable().default(null),
  /** Multipliers of each rule's natural step-size unit tried when η is tuned. */
  etaGrid: z.array(positive("etaGrid entries")).min(1).default([0.25, 0.5, 1, 2, 4, 8, 16, 32]),
  /** KFAC input-factor damping, relative: λ = damping · tr(Σ̂)/d. */
  damping: z.number().min(0).default(1e-3),
  /** Use KFAC's left (output-gradient) factor too. */
  leftFactor: z.boolean().default(false),
  /** Damping of the (unit-mean-eigenvalue) left factor. */
  leftDamping: positive("leftDamping").default(1e-3),
  adamBeta1: z.number().min(0).lt(1).default(0.9),
  adamBeta2: z.number().min(0).lt(1).default(0.999),
  adamEps: positive("adamEps").default(1e-8),
  /** Readout training samples (fresh) as a multiple of d; null: the same n as the step. */
  readoutOverD: positive("readoutOverD").nullable().default(null),
  /** Fresh test samples for the readout's MSE. */
  testSamples: z.int().min(1).default(4096),
  /** Fraction of the readout's training samples held out to choose its ridge penalty. */
  validationFraction: z.number().gt(0).lt(1).default(0.2),
  /** Relative ridge penalties tried by the readout (λ = ρ · tr(ΦᵀΦ)/p). */
  lambdaGrid: z.array(positive("lambdaGrid entries")).min(1).default([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]),
};

/** Cross-field rules: a Hermite link needs coefficients, symmetric pairs need an even N. */
export function checkBase(
  cfg: { link: string; linkHermite: number[]; init: string; N: number },
  ctx: z.RefinementCtx,
): void {
  if (cfg.link === "hermite" && cfg.linkHermite.length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["linkHermite"],
      message: 'link "hermite" needs its coefficients in linkHermite, e.g. [0, 1, 0.5]',
    });
  }
  if (cfg.init === "symmetric" && cfg.N % 2 !== 0) {
    ctx.addIssue({ code: "custom", path: ["N"], message: `init "symmetric" needs an even N, got ${cfg.N}` });
  }
}

/** κ values: condition numbers ≥ 1. */
export const kappaList = (defaults: number[]) =>
  z
    .array(z.number().min(1, { message: "kappa must be ≥ 1" }))
    .min(1)
    .default(defaults);

/** n/d values: positive sample ratios. */
export const nOverDList = (defaults: number[]) => z.array(positive("nOverD")).min(1).default(defaults);

/** The fields every point carries (the base fields with their resolved values). */
export type BaseFields = { [K in keyof typeof baseShape]: z.output<(typeof baseShape)[K]> };
