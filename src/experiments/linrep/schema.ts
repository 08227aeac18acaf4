/**
 * The config fields shared by the linear-representation experiments (`linrep-curves`, `linrep-kappa`,
 * `linrep-stability`), as zod schemas with defaults, and the cross-field rules (k ≤ d_X, …). Every refusal
 * names the field, the value and what is allowed; the platform turns these issues into exit code 2.
 */
import { z } from "zod";
import { LINREP_ALGORITHMS, type LinrepAlgorithm } from "./train.js";
import type { LinrepProblemConfig } from "../../problems/linrep.js";

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
const perAlgorithm = (value: z.ZodType<number>) =>
  z.strictObject(
    Object.fromEntries(LINREP_ALGORITHMS.map((a) => [a, value.optional()])) as Record<
      LinrepAlgorithm,
      z.ZodOptional<z.ZodType<number>>
    >,
  );

/** The grid search for fair step sizes (see tuning.ts): multiples of each algorithm's natural scale. */
export const tuningSchema = z.strictObject({
  /** Budget of each grid-search run (it stops early at the target). */
  steps: count(1, 100_000).default(300),
  /** Step sizes tried: multiples of the natural step scale (tuning.ts, `stepScale`); 2 would sit on the stability edge. */
  lrFactors: z.array(positive).min(1).default([0.25, 0.5, 1, 1.5]),
  /** Damping tried for one-sided and kfac: multiples of the mean eigenvalue of Σ̂ₓ (0 = undamped). */
  dampingFactors: z.array(nonNegative).min(1).default([0, 0.01]),
  /** Damping tried for ngd: multiples of its largest curvature σ_max(F★)²λ_max(Σₓ) (must be > 0). */
  ngdDampingFactors: z.array(positive).min(1).default([1e-4, 1e-3, 1e-2, 1e-1]),
});

/** Fields of the problem, the training loop and the tuning, shared by every linrep experiment. */
export function linrepFields(defaults: { steps: number; logEvery: number; kappaX: number[]; kappaF: number[] }) {
  return {
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
      .strictObject({
        kappaX: kappaSchema.default(10),
        kappaF: kappaSchema.default(1),
        noise: nonNegative.default(0.1),
        rotate: z.boolean().default(true),
      })
      .default({ kappaX: 10, kappaF: 1, noise: 0.1, rotate: true }),
    steps: count(1, 1_000_000).default(defaults.steps),
    batch: count(1, 1_000_000).default(1024),
    mode: z.enum(["online", "offline"]).default("online"),
    /** Offline mode: size of the one fixed training set (default 4 × batch). */
    nTrain: count(1, 10_000_000).optional(),
    target: z
      .number()
      .gt(0, { error: "target subspace distance must be in (0, 1)" })
      .lt(1, { error: "target subspace distance must be in (0, 1)" })
      .default(0.05),
    logEvery: count(1, 1_000_000).default(defaults.logEvery),
    nTransfer: count(1, 10_000_000).default(200),
    nTest: count(1, 10_000_000).default(2000),
    /** η_F of amd/one-sided/kfac (1 = the least-squares head, which the theory assumes). */
    lrF: positive.default(1),
    sampleSplitting: z.boolean().default(false),
    orthonormalize: z.boolean().default(false),
    /** Step sizes η_G by algorithm; unset ones are chosen by the grid search. */
    lr: perAlgorithm(positive).default({}),
    /** Damping by algorithm (one-sided, kfac: λ_G; ngd: λ); unset ones are chosen by the grid search. */
    damping: perAlgorithm(nonNegative).default({}),
    tuning: tuningSchema.default({
      steps: 300,
      lrFactors: [0.25, 0.5, 1, 1.5],
      dampingFactors: [0, 0.01],
      ngdDampingFactors: [1e-4, 1e-3, 1e-2, 1e-1],
    }),
  };
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
  lrF: number;
  sampleSplitting: boolean;
  orthonormalize: boolean;
  lr: Partial<Record<LinrepAlgorithm, number>>;
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
