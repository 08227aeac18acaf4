/**
 * The config fields shared by the single-index experiments, with their defaults (docs/single-index.md: d = 256,
 * N = 1024, σ = σ★ = tanh, σ_ε = 0.1, a = ±1/√N, log-spaced Haar-rotated spectrum). Each experiment adds its
 * sweepable lists (algorithm, κ, n/d) on top of `baseShape`.
 */
import { z } from "zod";
import type { KeyAlias } from "../../config/aliases.js";
import { described } from "../../config/help.js";
import { ACTIVATION_NAMES } from "../../nn/activations.js";

/**
 * Keys renamed to say what they are (the library's `damping` is absolute; these are relative to tr(Σ̂ₓ)/d and to
 * the left factor's mean eigenvalue), still accepted until the next release (src/config/aliases.ts).
 */
export const SINGLE_INDEX_ALIASES: readonly KeyAlias[] = [
  { from: "damping", to: "relativeDamping" },
  { from: "leftDamping", to: "leftRelativeDamping" },
];

/** Number of samples for a ratio r = n/d (at least 2). */
export function samplesFor(ratio: number, d: number): number {
  return Math.max(2, Math.round(ratio * d));
}

const positive = (what: string) => z.number().positive({ message: `${what} must be > 0` });

/** Link names: the activations plus "hermite" (coefficients in `linkHermite`). */
export const LINK_NAMES = [...ACTIVATION_NAMES, "hermite"] as const;

/** The fields shared by both experiments, each with its one-line meaning (shown by `run <experiment> --help`). */
export const baseShape = described(
  {
    problemSeed: z.int().min(0).default(0),
    d: z.int().min(1).default(256),
    N: z.int().min(1).default(1024),
    activation: z.enum(ACTIVATION_NAMES).default("tanh"),
    link: z.enum(LINK_NAMES).default("tanh"),
    linkHermite: z.array(z.number()).default([]),
    noise: z.number().min(0).default(0.1),
    spectrum: z.enum(["logspaced", "spiked", "powerlaw"]).default("logspaced"),
    spikes: z.int().min(0).default(1),
    exponent: positive("exponent").default(1),
    rotate: z.boolean().default(true),
    normalize: z.enum(["trace", "none"]).default("trace"),
    teacher: z.enum(["random", "top", "bottom", "mixture"]).default("random"),
    init: z.enum(["sign", "gaussian", "symmetric"]).default("sign"),
    steps: z.int().min(1).default(1),
    eta: positive("eta").nullable().default(null),
    etaGrid: z.array(positive("etaGrid entries")).min(1).default([0.25, 0.5, 1, 2, 4, 8, 16, 32]),
    relativeDamping: z.number().min(0).default(1e-3),
    leftFactor: z.boolean().default(false),
    leftRelativeDamping: positive("leftRelativeDamping").default(1e-3),
    adamBeta1: z.number().min(0).lt(1).default(0.9),
    adamBeta2: z.number().min(0).lt(1).default(0.999),
    adamEps: positive("adamEps").default(1e-8),
    readoutOverD: positive("readoutOverD").nullable().default(null),
    testSamples: z.int().min(1).default(4096),
    validationFraction: z.number().gt(0).lt(1).default(0.2),
    lambdaGrid: z.array(positive("lambdaGrid entries")).min(1).default([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]),
  },
  {
    problemSeed: "seed of the task (Σ, β★): at one κ every algorithm, n/d and repeat sees the same task",
    d: "input dimension d",
    N: "hidden width N (number of neurons)",
    activation: "student activation σ",
    link: "teacher link σ★ (hermite: coefficients from linkHermite)",
    linkHermite: "coefficients c_k of σ★ = Σ_k c_k h_k (orthonormal Hermite) when link = hermite",
    noise: "label noise σ_ε",
    spectrum: "how Σ's eigenvalues spread between 1 and κ",
    spikes: "spiked spectrum: number of eigenvalues at κ",
    exponent: "power-law spectrum: decay exponent",
    rotate: "Haar-rotated eigenbasis of Σ (false: axis-aligned)",
    normalize: "trace: tr Σ = d (unit-variance pre-activations at every κ); none: smallest eigenvalue 1",
    teacher: "direction of β★ before normalising ⟨β★, Σβ★⟩ = 1",
    init: "second-layer initialisation: ±1/√N, N(0, 1/N), or symmetric pairs (zero initial output)",
    steps: "full-batch steps on W (1: the one large step of the theory)",
    eta: "step size η of W₁ = W₀ − η√N∇L̂ (adam: W₁ = W₀ − η·m̂/(√v̂ + ε)); null: tuned over etaGrid on a separate seed",
    etaGrid: "step sizes tried when η is tuned, as multiples of the rule's natural unit (√N; adam: 1/√d)",
    relativeDamping: "relative damping of kfac's input factor: λ = damping · tr(Σ̂ₓ)/d is added to Σ̂ₓ",
    leftFactor:
      "kfac also preconditions on the left by the empirical Fisher of the hidden-layer gradients (false, as in the figures: input factor only)",
    leftRelativeDamping: "relative damping of the left factor: added after rescaling it to unit mean eigenvalue",
    adamBeta1: "Adam's β₁",
    adamBeta2: "Adam's β₂",
    adamEps: "Adam's ε",
    readoutOverD: "fresh readout training samples as a multiple of d; null: as many as the step used",
    testSamples: "fresh test samples for the readout's MSE",
    validationFraction: "fraction of the readout's samples held out to choose its ridge penalty",
    lambdaGrid: "relative ridge penalties tried by the readout (λ = ρ · tr(ΦᵀΦ)/p)",
  },
);

/**
 * Cross-field rules: a Hermite link needs coefficients, symmetric pairs need an even N, and undamped kfac needs
 * more samples than dimensions (its input factor Σ̂ₓ = XᵀX/n has rank ≤ n).
 */
export function checkBase(
  cfg: {
    link: string;
    linkHermite: number[];
    init: string;
    N: number;
    d: number;
    relativeDamping: number;
    algorithm: readonly string[];
    nOverD: readonly number[];
  },
  ctx: z.RefinementCtx,
): void {
  if (cfg.relativeDamping === 0 && cfg.algorithm.includes("kfac")) {
    const tooFew = cfg.nOverD.filter((r) => samplesFor(r, cfg.d) <= cfg.d);
    if (tooFew.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["relativeDamping"],
        message:
          `kfac with relativeDamping 0 needs n > d samples (Σ̂ₓ is singular otherwise), but nOverD ${tooFew.join(", ")} ` +
          `gives n ≤ d = ${cfg.d}; use relativeDamping > 0 or nOverD > 1`,
      });
    }
  }
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
    .default(defaults)
    .describe("condition numbers κ of the input covariance Σ");

/** n/d values: positive sample ratios. */
export const nOverDList = (defaults: number[]) =>
  z.array(positive("nOverD")).min(1).default(defaults).describe("sample ratios n/d of the step's batch");

/** The fields every point carries (the base fields with their resolved values). */
export type BaseFields = { [K in keyof typeof baseShape]: z.output<(typeof baseShape)[K]> };
