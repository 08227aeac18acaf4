/**
 * The claims of the single-index experiments (docs/single-index.md, "Claims"), checked on a run's own trials.
 * test/experiments/single-index/claims.test.ts runs the real trials at a small size and asserts these same checks.
 */
import type { Claim } from "../../results/claims.js";
import { num } from "../../results/claims.js";
import type { TrialRecord } from "../../results/records.js";
import { groupBy, scalarStats } from "./summary.js";
import type { SingleIndexPoint } from "./trial.js";

const SECTION = "Single-index learning";

/** GD's spike must be within this of its population limit cos(β★, Σβ★) at the largest n/d (every seed). */
export const GD_LIMIT_TOLERANCE = 0.03;
/** KFAC's spike alignment at the largest n/d (every seed). */
export const KFAC_ALIGNMENT = 0.97;
/** The finite-n/d prediction's tolerance against the mean over seeds, for n/d ≥ THEORY_MIN_RATIO. */
export const THEORY_TOLERANCE = 0.05;
export const THEORY_MIN_RATIO = 4;
/** The limit claims need a large sample ratio and an anisotropic Σ. */
const LIMIT_MIN_RATIO = 16;
const ANISOTROPIC = 10;

type Trials = TrialRecord<SingleIndexPoint>[];
const key = (t: TrialRecord<SingleIndexPoint>) => ({
  algorithm: t.point.algorithm,
  kappa: t.point.kappa,
  nOverD: t.point.nOverD,
});
const done = (trials: Trials) => trials.filter((t) => t.status === "done");

/** Trials of `algorithm` at the largest n/d (if ≥ LIMIT_MIN_RATIO) and κ ≥ ANISOTROPIC, grouped by κ. */
function atLargestRatio(trials: Trials, algorithm: string) {
  const mine = done(trials).filter((t) => t.point.algorithm === algorithm);
  const top = Math.max(...mine.map((t) => t.point.nOverD));
  if (!(top >= LIMIT_MIN_RATIO)) return [];
  return groupBy(
    mine.filter((t) => t.point.nOverD === top && t.point.kappa >= ANISOTROPIC),
    key,
  );
}

const alignments = (members: Trials) => members.map((t) => t.scalars.alignment as number);

export const alignmentClaims: readonly Claim<Record<string, unknown>, SingleIndexPoint>[] = [
  {
    id: "gd-limit",
    statement: `GD's spike stops at cos(β★, Σβ★) < 0.9: within ${GD_LIMIT_TOLERANCE} of it at the largest n/d (≥ ${LIMIT_MIN_RATIO}) for κ ≥ ${ANISOTROPIC}`,
    section: SECTION,
    figure: "alignment",
    check: (trials) => {
      const groups = atLargestRatio(trials, "gd");
      if (groups.length === 0) return null;
      let pass = true;
      const parts = groups.map(({ key: k, members }) => {
        const limit = scalarStats(members, "theoryLimit").mean as number;
        const a = alignments(members);
        pass &&= limit < 0.9 && a.every((x) => Math.abs(x - limit) < GD_LIMIT_TOLERANCE);
        return `κ = ${k.kappa}: ${a.map(num).join(", ")} vs limit ${num(limit)}`;
      });
      return { pass, measured: parts.join("; ") };
    },
  },
  {
    id: "kfac-aligned",
    statement: `KFAC's spike aligns with β★: alignment ≥ ${KFAC_ALIGNMENT} at the largest n/d (≥ ${LIMIT_MIN_RATIO}) for κ ≥ ${ANISOTROPIC}`,
    section: SECTION,
    figure: "alignment",
    check: (trials) => {
      const groups = atLargestRatio(trials, "kfac");
      if (groups.length === 0) return null;
      const lowest = groups.map(({ key: k, members }) => ({ kappa: k.kappa, a: Math.min(...alignments(members)) }));
      return {
        pass: lowest.every((g) => g.a >= KFAC_ALIGNMENT),
        measured: lowest.map((g) => `κ = ${g.kappa}: ≥ ${num(g.a)}`).join("; "),
      };
    },
  },
  {
    id: "finite-theory",
    statement: `The finite-n/d predictions are within ${THEORY_TOLERANCE} of the simulated alignment (mean over seeds) of GD and KFAC for every n/d ≥ ${THEORY_MIN_RATIO}`,
    section: SECTION,
    figure: "alignment",
    check: (trials) => {
      const groups = groupBy(
        done(trials).filter((t) => ["gd", "kfac"].includes(t.point.algorithm) && t.point.nOverD >= THEORY_MIN_RATIO),
        key,
      );
      const gaps = groups
        .map(({ members }) => {
          const mean = scalarStats(members, "alignment").mean;
          const theory = scalarStats(members, "theory").mean;
          return mean === null || theory === null ? null : Math.abs(mean - theory);
        })
        .filter((g): g is number => g !== null);
      if (gaps.length === 0) return null;
      const worst = Math.max(...gaps);
      return { pass: worst < THEORY_TOLERANCE, measured: `${gaps.length} settings, largest gap ${num(worst)}` };
    },
  },
];

/** Mean test MSE by (algorithm, κ) at one n/d. */
function meanMSE(trials: Trials, algorithm: string, kappa: number): number | null {
  const members = done(trials).filter((t) => t.point.algorithm === algorithm && t.point.kappa === kappa);
  return scalarStats(members, "testMSE").mean;
}

/** The κ ≥ ANISOTROPIC values of a run. */
const anisotropicKappas = (trials: Trials) =>
  [...new Set(done(trials).map((t) => t.point.kappa))].filter((k) => k >= ANISOTROPIC).sort((a, b) => a - b);

/** A claim that `better` has a lower mean test MSE than `worse` at every κ ≥ ANISOTROPIC. */
function lowerRisk(
  id: string,
  better: string,
  worse: string,
  statement: string,
): Claim<Record<string, unknown>, SingleIndexPoint> {
  return {
    id,
    statement,
    section: SECTION,
    figure: "risk",
    check: (trials) => {
      const pairs = anisotropicKappas(trials)
        .map((kappa) => ({ kappa, b: meanMSE(trials, better, kappa), w: meanMSE(trials, worse, kappa) }))
        .filter((p) => p.b !== null && p.w !== null);
      if (pairs.length === 0) return null;
      return {
        pass: pairs.every((p) => p.b! < p.w!),
        measured: pairs.map((p) => `κ = ${p.kappa}: ${better} ${num(p.b)} vs ${worse} ${num(p.w)}`).join("; "),
      };
    },
  };
}

export const riskClaims: readonly Claim<Record<string, unknown>, SingleIndexPoint>[] = [
  lowerRisk("kfac-beats-gd", "kfac", "gd", `KFAC's readout test MSE is below GD's for every κ ≥ ${ANISOTROPIC}`),
  lowerRisk(
    "gd-learns",
    "gd",
    "random-features",
    `GD still learns a feature: its test MSE is below the untrained random features' for every κ ≥ ${ANISOTROPIC}`,
  ),
];
