/**
 * The summary of `time-to-target` (AlgoPerf's rules, docs/time-to-target.md):
 *
 * - A study trial (one workload, optimizer and random-search draw) has one run per seed replicate. Its score is
 *   the median over its runs of the best validation metric reached within the budget.
 * - The target of a workload is the best score of a first-order (sgd, adam, adamw) study trial.
 * - A run's steps (seconds) to target are those of the first evaluation whose metric reaches the target; a study
 *   trial's are the median over its runs, a missed run counting as ∞ (a median of ∞ is "missed").
 * - An optimizer's best trial is the one with the fewest median seconds to target (ties: fewest steps, then the
 *   best score); when no trial reaches the target, the best score.
 */
import { lineChart, meanStd } from "../../report/charts.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../../results/records.js";
import type { TimeToTargetConfig, TimeToTargetPoint, WorkloadName } from "./schema.js";
import { FIRST_ORDER, type TttOptimizer } from "./search.js";
import type { TrialInfo } from "./trial.js";

type Trials = readonly TrialRecord<TimeToTargetPoint>[];

/** The layer-wise methods whose best is compared with the best first-order method. */
export const LAYER_WISE: ReadonlySet<TttOptimizer> = new Set(["kfac", "ekfac", "shampoo", "soap", "muon", "kfac-auto"]);

/** One seed run of a study trial. */
export interface SeedRun {
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
  seconds: ArrayLike<number>;
  test: number | null;
}

/** One trial of an optimizer's study on a workload, over its seed runs. */
export interface StudyTrial {
  workload: WorkloadName;
  optimizer: TttOptimizer;
  trial: number;
  setting: TrialInfo;
  runs: SeedRun[];
}

/** The finished, not skipped trials grouped into study trials (first-seen order). */
export function studyTrials(trials: Trials): StudyTrial[] {
  const groups = new Map<string, StudyTrial>();
  for (const t of trials) {
    if (t.status !== "done" || t.scalars.skipped === 1 || !t.series.validation) continue;
    const key = JSON.stringify([t.point.workload, t.point.optimizer, t.point.trial]);
    let g = groups.get(key);
    if (!g) {
      g = {
        workload: t.point.workload,
        optimizer: t.point.optimizer,
        trial: t.point.trial,
        setting: t.info.setting as TrialInfo,
        runs: [],
      };
      groups.set(key, g);
    }
    g.runs.push({
      steps: t.series.validation.steps,
      values: t.series.validation.values,
      seconds: t.series.seconds.values,
      test: t.scalars.testMetric ?? null,
    });
  }
  return [...groups.values()];
}

/** Whether metric value `a` is at least as good as `b`. */
const atLeast = (a: number, b: number, higher: boolean) => (higher ? a >= b : a <= b);

/** The median (mean of the middle two for an even count); ∞ counts as a value. NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The best finite validation value of a run (−∞ / +∞ when it has none). */
export function bestReached(run: SeedRun, higher: boolean): number {
  let best = higher ? -Infinity : Infinity;
  for (let i = 0; i < run.values.length; i++) {
    const v = run.values[i];
    if (Number.isFinite(v) && atLeast(v, best, higher)) best = v;
  }
  return best;
}

/** A study trial's score: the median over runs of the best validation metric reached. */
export function score(trial: StudyTrial): number {
  const higher = trial.setting.higherIsBetter;
  return median(trial.runs.map((r) => bestReached(r, higher)));
}

/** The target of each workload: the best score of a first-order study trial (absent when none ran). */
export function targets(trials: readonly StudyTrial[]): Map<WorkloadName, number> {
  const out = new Map<WorkloadName, number>();
  for (const t of trials) {
    if (!FIRST_ORDER.has(t.optimizer)) continue;
    const s = score(t);
    if (!Number.isFinite(s)) continue;
    const current = out.get(t.workload);
    if (current === undefined || !atLeast(current, s, t.setting.higherIsBetter)) out.set(t.workload, s);
  }
  return out;
}

/** Step and seconds of a run's first evaluation that reaches `target`, or null (missed). */
export function firstReach(run: SeedRun, target: number, higher: boolean): { step: number; seconds: number } | null {
  for (let i = 0; i < run.values.length; i++) {
    if (Number.isFinite(run.values[i]) && atLeast(run.values[i], target, higher)) {
      return { step: run.steps[i], seconds: run.seconds[i] };
    }
  }
  return null;
}

/** A study trial measured against its workload's target. */
export interface TrialOutcome {
  trial: StudyTrial;
  score: number;
  /** Per run: steps and seconds to target (∞: missed). */
  steps: number[];
  seconds: number[];
  medianSteps: number;
  medianSeconds: number;
  reached: number;
  medianTest: number | null;
}

export function outcome(trial: StudyTrial, target: number): TrialOutcome {
  const higher = trial.setting.higherIsBetter;
  const reaches = trial.runs.map((r) => firstReach(r, target, higher));
  const steps = reaches.map((r) => r?.step ?? Infinity);
  const seconds = reaches.map((r) => r?.seconds ?? Infinity);
  const tests = trial.runs.map((r) => r.test).filter((v): v is number => v !== null);
  return {
    trial,
    score: score(trial),
    steps,
    seconds,
    medianSteps: median(steps),
    medianSeconds: median(seconds),
    reached: reaches.filter((r) => r !== null).length,
    medianTest: tests.length > 0 ? median(tests) : null,
  };
}

/** Whether outcome `a` ranks before `b`: fewer median seconds, then fewer steps, then the better score. */
function ranksBefore(a: TrialOutcome, b: TrialOutcome): boolean {
  if (a.medianSeconds !== b.medianSeconds) return a.medianSeconds < b.medianSeconds;
  if (a.medianSteps !== b.medianSteps) return a.medianSteps < b.medianSteps;
  const higher = a.trial.setting.higherIsBetter;
  return a.score !== b.score && atLeast(a.score, b.score, higher);
}

/** The best trial of each (workload, optimizer), in first-seen order, with the workload's target. */
export function bestTrials(trials: Trials): { target: number; best: TrialOutcome; trials: number }[] {
  const study = studyTrials(trials);
  const goals = targets(study);
  const byPair = new Map<string, { target: number; best: TrialOutcome; trials: number }>();
  for (const t of study) {
    const target = goals.get(t.workload);
    if (target === undefined) continue;
    const o = outcome(t, target);
    const key = JSON.stringify([t.workload, t.optimizer]);
    const entry = byPair.get(key);
    if (!entry) byPair.set(key, { target, best: o, trials: 1 });
    else {
      entry.trials++;
      if (ranksBefore(o, entry.best)) entry.best = o;
    }
  }
  return [...byPair.values()];
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** "min–max" of the finite values (one number when they agree), with "k missed" when some runs missed. */
function spread(values: readonly number[], digits: number): string {
  const hit = values.filter(Number.isFinite);
  const missed = values.length - hit.length;
  const [lo, hi] = [Math.min(...hit).toFixed(digits), Math.max(...hit).toFixed(digits)];
  const range = hit.length === 0 ? "" : lo === hi ? lo : `${lo}–${hi}`;
  return [range, missed > 0 ? `${missed} missed` : ""].filter(Boolean).join(", ");
}

/**
 * One row per (workload, optimizer): the target, its best trial's setting, the median steps and seconds to target
 * over the seed runs with their spread (none = missed), and the median final test metric (`testAccuracy` holds
 * the test metric whatever it is; `metric` says which).
 */
export function timeToTargetRows(trials: Trials): SummaryRow[] {
  const rows = bestTrials(trials).map(({ target, best, trials: count }): SummaryRow => {
    const s = best.trial.setting;
    return {
      workload: best.trial.workload,
      optimizer: best.trial.optimizer,
      metric: s.metric,
      target,
      stepsToTarget: finite(best.medianSteps),
      stepsSpread: spread(best.steps, 0),
      secondsToTarget: finite(best.medianSeconds),
      secondsSpread: spread(best.seconds, 1),
      reached: `${best.reached}/${best.trial.runs.length}`,
      testAccuracy: best.medianTest,
      bestValidation: finite(best.score),
      trials: count,
      bestTrial: best.trial.trial,
      learningRate: s.learningRate,
      secondName: s.secondName,
      second: s.second,
      weightDecay: s.weightDecay,
      batchSize: s.batchSize,
      steps: s.steps,
    };
  });
  return [...rows, ...baselineRows(trials, rows)];
}

/** What a trial of a workload with a reference predictor records of it (trial.ts). */
interface BaselineInfo {
  name: string;
  validation: number;
  test: number;
}

/**
 * One row per workload that has a reference predictor (the autoencoder's mean training image), after its
 * optimizers: its validation metric as `bestValidation` and its test metric as `testAccuracy`. It trains nothing,
 * so it has no steps or seconds, and the claims ignore it (it is neither first-order nor layer-wise).
 */
function baselineRows(trials: Trials, rows: readonly SummaryRow[]): SummaryRow[] {
  const seen = new Map<WorkloadName, { baseline: BaselineInfo; metric: string }>();
  for (const t of trials) {
    const b = t.info.baseline as BaselineInfo | undefined;
    if (t.status !== "done" || !b || seen.has(t.point.workload)) continue;
    seen.set(t.point.workload, { baseline: b, metric: (t.info.setting as TrialInfo).metric });
  }
  return [...seen].map(([workload, { baseline: b, metric }]) => {
    const target = rows.find((r) => r.workload === workload)?.target;
    return {
      workload,
      optimizer: `baseline: ${b.name}`,
      metric,
      target: typeof target === "number" ? target : null,
      stepsToTarget: null,
      stepsSpread: "",
      secondsToTarget: null,
      secondsSpread: "",
      reached: "",
      testAccuracy: b.test,
      bestValidation: b.validation,
    };
  });
}

/** Rows of validation-metric bands of each best trial: x = step or mean seconds at each evaluation. */
function curveRows(trials: Trials, x: "step" | "seconds"): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  for (const { best } of bestTrials(trials)) {
    const { runs, workload, optimizer } = best.trial;
    const points = Math.min(...runs.map((r) => r.values.length));
    for (let i = 0; i < points; i++) {
      const v = meanStd(runs.map((r) => r.values[i]));
      if (v.n === 0) continue;
      const at = x === "step" ? runs[0].steps[i] : meanStd(runs.map((r) => r.seconds[i])).mean;
      rows.push({ workload, optimizer, [x]: at, mean: v.mean, lo: v.mean - v.std, hi: v.mean + v.std });
    }
  }
  return rows;
}

/** Dashed target lines across each workload's x range. */
function targetRows(trials: Trials, rows: readonly Record<string, string | number>[], x: string) {
  return bestTrials(trials)
    .filter((e, i, all) => all.findIndex((o) => o.best.trial.workload === e.best.trial.workload) === i)
    .flatMap(({ target, best }) => {
      const xs = rows.filter((r) => r.workload === best.trial.workload).map((r) => Number(r[x]));
      if (xs.length === 0) return [];
      return [Math.min(...xs), Math.max(...xs)].map((v) => ({
        workload: best.trial.workload,
        [x]: v,
        y: target,
        label: "target",
      }));
    });
}

/**
 * The figures: the validation metric of each optimizer's best trial against steps and against training seconds
 * (mean ± std over the seed runs), one panel per workload, the target dashed.
 */
export function timeToTargetPlots(trials: Trials, config: Pick<TimeToTargetConfig, "workload">): PlotSpec[] {
  if (bestTrials(trials).length === 0) return [];
  const plots: PlotSpec[] = [];
  for (const x of ["step", "seconds"] as const) {
    const rows = curveRows(trials, x);
    const spec = lineChart({
      title: `Validation metric of each optimizer's best trial against ${x === "step" ? "steps" : "training seconds"}`,
      rows,
      x,
      y: "mean",
      color: "optimizer",
      band: { lo: "lo", hi: "hi" },
      facet: { column: "workload" },
      xTitle: x === "step" ? "step" : "training seconds (evaluation excluded)",
      yTitle: ["validation metric", "(accuracy ↑, reconstruction error ↓)"],
      theoryRows: targetRows(trials, rows, x),
      independent: { x: true, y: true },
      width: 300,
    });
    plots.push({
      name: x === "step" ? "validation-vs-steps" : "validation-vs-seconds",
      title: `time-to-target: validation metric vs ${x === "step" ? "steps" : "seconds"} (${config.workload.join(", ")})`,
      caption:
        "Where each optimizer's best trial crosses the dashed target (the best first-order validation metric); bands: ± one standard deviation over seeds.",
      spec,
    });
  }
  return plots;
}
