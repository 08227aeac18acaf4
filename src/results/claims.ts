/**
 * Claims: what an experiment reproduces, checked on its own stored results. Each experiment declares its claims
 * (a statement, the paper's section, the figure that shows it, and a check); `layerwise reproduce` and the report
 * evaluate every claim on the trials of the run and show a verdict table. The claim tests call the same checks
 * on runs of the real code, so a threshold lives in one place only.
 *
 * A check returns null when the run does not contain what the claim needs (for example a κ it compares was not
 * swept): the verdict is then "not run", not a failure.
 */
import type { TrialRecord } from "./records.js";

/** The outcome of a check: pass or fail, with the measured numbers it was decided on, in words. */
export interface ClaimResult {
  pass: boolean;
  /** The measured numbers, e.g. "24 → 260 steps (10.8×)". */
  measured: string;
}

/** A claim an experiment tests. */
export interface Claim<Config = Record<string, unknown>, Point = Record<string, unknown>> {
  /** Short identifier, unique within the experiment (e.g. "sgd-grows"). */
  id: string;
  /** What is claimed, with the threshold the check applies. */
  statement: string;
  /** Where the paper makes the claim (section title). */
  section: string;
  /** The name of the experiment's figure that shows it (`PlotSpec.name`), if any. */
  figure?: string;
  /** The verdict on a run's trials; null when the run lacks what the claim needs. */
  check(trials: TrialRecord<Point>[], config: Config): ClaimResult | null;
}

/** A claim's verdict on one run. */
export interface Verdict {
  experiment: string;
  claim: string;
  statement: string;
  section: string;
  figure: string | null;
  status: "pass" | "fail" | "not run";
  measured: string;
}

/** Anything with a name and claims (an experiment). */
interface Claimant<C, P> {
  name: string;
  claims?: readonly Claim<C, P>[];
}

/** Evaluates every claim of `experiment` on a run; a check that throws counts as a failure with its message. */
export function evaluateClaims<C, P>(experiment: Claimant<C, P>, trials: TrialRecord<P>[], config: C): Verdict[] {
  return (experiment.claims ?? []).map((claim) => {
    let result: ClaimResult | null;
    try {
      result = claim.check(trials, config);
    } catch (e) {
      result = { pass: false, measured: `check failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    return {
      experiment: experiment.name,
      claim: claim.id,
      statement: claim.statement,
      section: claim.section,
      figure: claim.figure ?? null,
      status: result === null ? "not run" : result.pass ? "pass" : "fail",
      measured: result?.measured ?? "(the run lacks the settings this claim compares)",
    };
  });
}

/** Verdicts "not run" for an experiment that did not run (or failed before its results could be read). */
export function notRun<C, P>(experiment: Claimant<C, P>, why: string): Verdict[] {
  return (experiment.claims ?? []).map((claim) => ({
    experiment: experiment.name,
    claim: claim.id,
    statement: claim.statement,
    section: claim.section,
    figure: claim.figure ?? null,
    status: "not run",
    measured: why,
  }));
}

/** The symbol of a verdict in tables: ✓, ✗ or "not run". */
export function verdictMark(status: Verdict["status"]): string {
  return status === "pass" ? "✓" : status === "fail" ? "✗" : "not run";
}

/** Formats a number for a verdict: up to 3 significant digits, integers as they are. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "not reached";
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(3)));
}
