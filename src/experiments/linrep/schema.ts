/**
 * The config fields shared by the linear-representation experiments (`linrep-curves`, `linrep-kappa`,
 * `linrep-stability`), as zod schemas with defaults, and the cross-field rules (k ≤ d_X, …). Every refusal
 * names the field, the value and what is allowed; the platform turns these issues into exit code 2.
 */
import { z } from "zod";
import type { KeyAlias } from "../../config/aliases.js";
import { described } from "../../config/help.js";
import { LINREP_ALGORITHMS, type LinrepAlgorithm } from "./train.js";
import type { LinrepProblemConfig } from "../../paper/linrep/problem.js";

const algorithmNames = LINREP_ALGORITHMS as unknown as [LinrepAlgorithm, ...LinrepAlgorithm[]];

/** One of the algorithms `trainLinrep` knows. */
export const algorithmSchema = z.enum(algorithmNames, {
  error: (issue) => `unknown algorithm ${JSON.stringify(issue.input)}; allowed: ${LINREP_ALGORITHMS.join(", ")}`,
});

/** A condition number: a finite number ≥ 1. */
export const kappaSchema = z
  .number({ error: "must be a number ≥ 1" })
  .min(1, { error: (issue) => `condition number must be ≥ 1, got ${String(issue.input)}` })
  .max(1e8, { error: "condition number must be ≤ 1e8" });

const positive = z.number().positive({ error: (issue) => `must be > 0, got ${String(issue.input)}` });
const nonNegative = z.number().min(0, { error: (issue) => `must be ≥ 0, got ${String(issue.input)}` });
const count = (min: number, max: number) =>
  z
    .int({ error: "must be an integer" })
    .min(min, { error: `must be ≥ ${min}` })
    .max(max, { error: `must be ≤ ${max}` });

/** Per-algorithm values (step sizes or damping), each optional: given ones skip the grid search. */
const perAlgorithm = (value: z.ZodType<number>, texts: Record<LinrepAlgorithm, string>) =>
  z.strictObject(
    described(
      Object.fromEntries(LINREP_ALGORITHMS.map((a) => [a, value.optional()])) as Record<
        LinrepAlgorithm,
        z.ZodOptional<z.ZodType<number>>
      >,
      texts,
    ),
  );

/** The grid search for fair step sizes (see tuning.ts): multiples of each algorithm's natural scale. */
export const tuningSchema = z.strictObject(
  described(
    {
      steps: count(1, 100_000).default(300),
      learningRateFactors: z.array(positive).min(1).default([0.25, 0.5, 1, 1.5]),
      dampingFactors: z.array(nonNegative).min(1).default([0, 0.01]),
      ngdDampingFactors: z.array(positive).min(1).default([1e-4, 1e-3, 1e-2, 1e-1]),
    },
    {
      steps: "budget of each grid-search run (it stops early at the target)",
      learningRateFactors: "step sizes tried, as multiples of each algorithm's natural step scale (docs/algorithms.md)",
      dampingFactors: "damping tried for one-sided and kfac, as multiples of the mean eigenvalue of Σₓ (0 = undamped)",
      ngdDampingFactors: "damping tried for ngd, as multiples of its largest curvature σ_max(F★)²λ_max(Σₓ) (> 0)",
    },
  ),
);

/** Keys renamed to the library's vocabulary, still accepted until the next release (src/config/aliases.ts). */
export const LINREP_ALIASES: readonly KeyAlias[] = [
  { from: "lr", to: "learningRate" },
  { from: "lrF", to: "headLearningRate" },
  { from: "tuning.lrFactors", to: "tuning.learningRateFactors" },
];

/** The algorithms that take a damping (a damped curvature factor); the others have none. */
const DAMPED_ALGORITHMS: readonly LinrepAlgorithm[] = ["one-sided", "kfac", "ngd"];

/** Per-algorithm meanings of the `learningRate` and `damping` groups. */
const perAlgorithmTexts = (what: (a: LinrepAlgorithm) => string) =>
  Object.fromEntries(LINREP_ALGORITHMS.map((a) => [a, what(a)])) as Record<LinrepAlgorithm, string>;

/** Fields of the problem, the training loop and the tuning, shared by every linrep experiment. */
export function linrepFields(defaults: { steps: number; logEvery: number; kappaX: number[]; kappaF: number[] }) {
  return described(
    {
      algorithm: z
        .array(algorithmSchema)
        .min(1)
        .default([...LINREP_ALGORITHMS]),
      kappaX: z.array(kappaSchema).min(1).default(defaults.kappaX),
      kappaF: z.array(kappaSchema).min(1).default(defaults.kappaF),
      dX: count(1, 2000).default(50),
      dY: count(1, 2000).default(10),
      k: count(1, 2000).default(4),
      spectrum: z.enum(["logspaced", "spiked", "powerlaw"]).default("logspaced"),
      rotate: z.boolean().default(true),
      inputs: z.enum(["rademacher", "gaussian"]).default("rademacher"),
      noise: nonNegative.default(0.1),
      transfer: z
        .strictObject(
          described(
            {
              kappaX: kappaSchema.default(10),
              kappaF: kappaSchema.default(1),
              noise: nonNegative.default(0.1),
              rotate: z.boolean().default(true),
            },
            {
              kappaX: "condition number of the transfer task's input covariance",
              kappaF: "condition number of the transfer task's head",
              noise: "label noise σ_ε of the transfer task",
              rotate: "Haar-rotated eigenbasis of the transfer covariance (false: axis-aligned)",
            },
          ),
        )
        .default({ kappaX: 10, kappaF: 1, noise: 0.1, rotate: true }),
      steps: count(1, 1_000_000).default(defaults.steps),
      batch: count(1, 1_000_000).default(1024),
      mode: z.enum(["online", "offline"]).default("online"),
      nTrain: count(1, 10_000_000).optional(),
      target: z
        .number()
        .gt(0, { error: "target subspace distance must be in (0, 1)" })
        .lt(1, { error: "target subspace distance must be in (0, 1)" })
        .default(0.05),
      logEvery: count(1, 1_000_000).default(defaults.logEvery),
      nTransfer: count(1, 10_000_000).default(200),
      nTest: count(1, 10_000_000).default(2000),
      headLearningRate: positive.default(1),
      sampleSplitting: z.boolean().default(false),
      orthonormalize: z.boolean().default(false),
      learningRate: perAlgorithm(
        positive,
        perAlgorithmTexts((a) => `step size η_G of ${a}; unset: chosen by the grid search`),
      ).default({}),
      damping: perAlgorithm(
        nonNegative,
        perAlgorithmTexts((a) =>
          a === "one-sided" || a === "kfac"
            ? `absolute damping λ_G added to Σ̂ₓ in ${a}'s input factor; unset: grid search`
            : a === "ngd"
              ? "absolute damping λ added to the Gauss–Newton matrix (> 0); unset: grid search"
              : `refused (${a} has no damping)`,
        ),
      ).default({}),
      tuning: tuningSchema.default({
        steps: 300,
        learningRateFactors: [0.25, 0.5, 1, 1.5],
        dampingFactors: [0, 0.01],
        ngdDampingFactors: [1e-4, 1e-3, 1e-2, 1e-1],
      }),
    },
    {
      algorithm: "algorithms to run (docs/algorithms.md)",
      kappaX: "condition number κₓ of the input covariance Σₓ",
      kappaF: "condition number κ_F of the true head F★ (singular values log-spaced from 1 to κ_F)",
      dX: "input dimension d_X",
      dY: "output dimension d_Y (≥ k)",
      k: "rank k of the shared representation G★ (and hidden width)",
      spectrum: "how Σₓ's eigenvalues spread between 1 and κₓ",
      rotate: "Haar-rotated eigenbasis of Σₓ (false: axis-aligned, which Adam's diagonal rescaling can undo)",
      inputs: "distribution of ξ in x = Σₓ^{1/2}ξ",
      noise: "label noise σ_ε",
      transfer: "the transfer task that shares G★ (for the transfer excess)",
      steps: "training steps (budget)",
      batch: "samples per step (online: fresh each step)",
      mode: "online: fresh batches; offline: minibatches from one fixed training set of nTrain samples",
      nTrain: "offline training-set size (unset: 4 × batch)",
      target: "subspace distance that counts as learned (steps to target)",
      logEvery: "log the metrics every this many steps",
      nTransfer: "samples the transfer head is fitted on",
      nTest: "evaluation samples (loss, transfer test error)",
      headLearningRate: "head step η_F of amd/one-sided/kfac (1 = the least-squares head, which the theory assumes)",
      sampleSplitting: "alternating methods take their G and head steps on independent batches",
      orthonormalize: "amd re-orthonormalises G's rows after every step (QR)",
      learningRate: "step sizes η_G by algorithm",
      damping: "damping by algorithm (absolute; the grid search's are relative, see tuning)",
      tuning: "the grid search for each algorithm's step size and damping",
    },
  );
}

/** The shape of a resolved config's shared fields (sweepable ones as lists). */
export interface LinrepSharedConfig {
  algorithm: LinrepAlgorithm[];
  kappaX: number[];
  kappaF: number[];
  dX: number;
  dY: number;
  k: number;
  spectrum: "logspaced" | "spiked" | "powerlaw";
  rotate: boolean;
  inputs: "rademacher" | "gaussian";
  noise: number;
  transfer: { kappaX: number; kappaF: number; noise: number; rotate: boolean };
  steps: number;
  batch: number;
  mode: "online" | "offline";
  nTrain?: number;
  target: number;
  logEvery: number;
  nTransfer: number;
  nTest: number;
  headLearningRate: number;
  sampleSplitting: boolean;
  orthonormalize: boolean;
  learningRate: Partial<Record<LinrepAlgorithm, number>>;
  damping: Partial<Record<LinrepAlgorithm, number>>;
  tuning: z.infer<typeof tuningSchema>;
}

/** One point of a sweep: the shared fields with the sweepable lists replaced by single values. */
export type LinrepSharedPoint = Omit<LinrepSharedConfig, "algorithm" | "kappaX" | "kappaF"> & {
  algorithm: LinrepAlgorithm;
  kappaX: number;
  kappaF: number;
};

/** Cross-field rules, added to each experiment's schema with `superRefine`. */
export function checkLinrepConfig(config: LinrepSharedConfig, ctx: z.RefinementCtx): void {
  if (config.k > config.dX) {
    ctx.addIssue({ code: "custom", path: ["k"], message: `k (${config.k}) must be ≤ dX (${config.dX})` });
  }
  if (config.k > config.dY) {
    ctx.addIssue({
      code: "custom",
      path: ["k"],
      message: `k (${config.k}) must be ≤ dY (${config.dY}) so that F★ has full column rank`,
    });
  }
  if (config.mode === "offline" && config.nTrain !== undefined && config.nTrain < config.batch) {
    ctx.addIssue({
      code: "custom",
      path: ["nTrain"],
      message: `nTrain (${config.nTrain}) must be ≥ batch (${config.batch}) in offline mode`,
    });
  }
  // An undamped input factor Σ̂ₓ is singular unless a step sees at least d_X samples.
  const perStep = config.mode === "offline" ? Math.min(config.batch, config.nTrain ?? 4 * config.batch) : config.batch;
  if (perStep < config.dX) {
    for (const a of config.algorithm.filter((x) => x === "one-sided" || x === "kfac")) {
      const fixed = config.damping[a];
      if (fixed === 0 || (fixed === undefined && config.tuning.dampingFactors.includes(0))) {
        ctx.addIssue({
          code: "custom",
          path: fixed === 0 ? ["damping", a] : ["tuning", "dampingFactors"],
          message:
            `${a} without damping needs at least dX = ${config.dX} samples per step (its input factor Σ̂ₓ is ` +
            `singular otherwise), but a step sees ${perStep}; give damping.${a} > 0, drop 0 from ` +
            `tuning.dampingFactors, or raise batch`,
        });
      }
    }
  }
  // Damping exists only in the algorithms with a damped curvature factor; elsewhere a value would be shown in the
  // summary while changing nothing.
  for (const [a, v] of Object.entries(config.damping)) {
    if (v !== undefined && !DAMPED_ALGORITHMS.includes(a as LinrepAlgorithm)) {
      ctx.addIssue({
        code: "custom",
        path: ["damping", a],
        input: v,
        message: `${a} has no damping; damping applies to ${DAMPED_ALGORITHMS.join(", ")} only`,
      });
    }
  }
  if (config.damping.ngd === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["damping", "ngd"],
      message: "ngd needs damping > 0: its Gauss–Newton matrix is singular along the (FA, A⁻¹G) symmetry",
    });
  }
}

/** The problem config of one point. */
export function problemConfig(point: LinrepSharedPoint): LinrepProblemConfig {
  return {
    dX: point.dX,
    dY: point.dY,
    k: point.k,
    kappaX: point.kappaX,
    kappaF: point.kappaF,
    spectrum: point.spectrum,
    rotate: point.rotate,
    inputs: point.inputs,
    noise: point.noise,
    transfer: point.transfer,
  };
}
