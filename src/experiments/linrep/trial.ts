/**
 * One linrep trial, shared by `linrep-curves` and `linrep-kappa`: choose the step sizes (tuning.ts), train on
 * the trial's own problem instance and data stream, and record the series, the final metrics, the measured and
 * predicted rates and the chosen step sizes.
 */
import { deriveSeed, Rng } from "../../random/index.js";
import type { Matrix } from "../../linalg/matrix.js";
import { makeLinrepProblem, type LinrepProblem } from "../../paper/linrep/problem.js";
import { predictedStepsToTarget } from "../../paper/linrep/theory.js";
import type { TrialContext } from "../types.js";
import { trainLinrep, type TrainLog } from "./train.js";
import { problemConfig, type LinrepSharedPoint } from "./schema.js";
import { chooseStepSizes, PROBLEM_STREAM, TRAIN_STREAM, trainOptions } from "./tuning.js";
import { svd } from "../../linalg/index.js";
import {
  fitRate,
  LINEAR_PHASE_START,
  linearisedCurve,
  linearPhaseRate,
  NOISE_FLOOR_MARGIN,
  noiseFloorScale,
  problemGeometry,
  theoryKindOf,
  theoryRate,
} from "./rates.js";

export interface TrialOptions {
  /** Stop at the target distance (linrep-kappa) or run the whole budget (linrep-curves). */
  stopAtTarget: boolean;
  /** Transfer loss every this many steps (default: only at the end). */
  transferEvery?: number;
}

/** A logged point of the run from the start of the linear phase on. */
interface PhasePoint {
  step: number;
  G: Matrix;
  F: Matrix;
}

/** The points one per step from the first logged one on, each unlogged step taking the last logged point before it. */
function everyStep(phase: readonly PhasePoint[]): PhasePoint[] {
  const out: PhasePoint[] = [];
  phase.forEach((p, i) => {
    const next = phase[i + 1]?.step ?? p.step + 1;
    for (let t = p.step; t < next; t++) out.push(p);
  });
  return out;
}

/** Runs one trial of `point` and records everything on `ctx`; returns the training log. */
export function runLinrepTrial(point: LinrepSharedPoint, ctx: TrialContext, options: TrialOptions): TrainLog {
  const chosen = chooseStepSizes(point, ctx.seed);
  ctx.info("lr", chosen.lr);
  ctx.info("damping", chosen.damping);
  ctx.info("tuned", chosen.tuned);
  if (chosen.tuned) ctx.info("grid", chosen.tried);
  ctx.progress(0.5);

  const problem = makeLinrepProblem(new Rng(deriveSeed(ctx.seed, PROBLEM_STREAM)), problemConfig(point));
  // The points reached from the step the distance first enters the linear phase on: the theory starts there.
  const phase: PhasePoint[] = [];
  const trainOpts = {
    ...trainOptions(point, chosen),
    target: options.stopAtTarget ? point.target : undefined,
    transferEvery: options.transferEvery,
    onRecord: (step: number, params: { G: Matrix; F: Matrix }, distance: number) => {
      if (phase.length > 0 || distance <= LINEAR_PHASE_START) {
        phase.push({ step, G: params.G.clone(), F: params.F.clone() });
      }
    },
  };
  const log = trainLinrep(problem, trainOpts, new Rng(deriveSeed(ctx.seed, TRAIN_STREAM)), (f) =>
    ctx.progress(0.5 + 0.5 * f),
  );

  ctx.series("loss", log.steps, log.loss);
  ctx.series("subspace", log.steps, log.subspace);
  ctx.series("subspaceFrobenius", log.steps, log.subspaceFrobenius);
  if (log.transferSteps.length > 0) ctx.series("transferExcess", log.transferSteps, log.transferExcess);
  const last = (xs: number[]) => (xs.length > 0 && Number.isFinite(xs[xs.length - 1]) ? xs[xs.length - 1] : null);
  ctx.scalar("finalLoss", last(log.loss));
  ctx.scalar("finalSubspaceDistance", last(log.subspace));
  ctx.scalar("finalTransferExcess", last(log.transferExcess));
  ctx.scalar("initialDistance", log.subspace[0] ?? null);
  ctx.scalar("stepsToTarget", stepsToTarget(log, point.target));
  ctx.scalar("diverged", log.diverged ? 1 : 0);

  recordRates(point, problem, chosen, log, phase, ctx);
  return log;
}

/** The log's steps-to-target, or (when training did not stop at the target) the first logged step at or below it. */
function stepsToTarget(log: TrainLog, target: number): number | null {
  if (log.stepsToTarget !== null) return log.stepsToTarget;
  const i = log.subspace.findIndex((d) => d <= target);
  return i >= 0 ? log.steps[i] : null;
}

/**
 * The measured linear-phase rate and the theory's, evaluated at the point reached at the start of the linear
 * phase (docs/linrep.md, "Theory against measurement"):
 * - `measuredRate`: the rate fitted over the linear phase (≥ 3 logged points from distance 0.5 down to twice the
 *   noise floor's scale), null when there is no such phase;
 * - `theoryRate`: exact theories (amd, one-sided, kfac with the least-squares head): the rate of the linearised
 *   theory's own curve (`linearisedCurve`, every mode from the phase start) fitted over the same steps, so that
 *   the two are comparable; null without a phase. Lower bounds (sgd, ngd): the bound (see `asymptoticRate`);
 * - `asymptoticRate`: the slowest mode ρ at the head reached at the phase's start (exact theories), or the bound
 *   at the head reached at its end (lower bounds, which are local to where the iterates settle);
 * - `predictedSteps`: the phase's start step plus the linearised curve's steps to the target (exact theories),
 *   or plus ⌈log(target/d(t_a))/log ρ⌉ (bounds); null when not reached within the budget;
 * - the series `theorySubspace`: the linearised curve, for the figures.
 */
function recordRates(
  point: LinrepSharedPoint,
  problem: LinrepProblem,
  chosen: { lr: number; damping: number },
  log: TrainLog,
  phase: readonly PhasePoint[],
  ctx: TrialContext,
): void {
  const fStar = svd(problem.Fstar).S;
  const samples = point.mode === "offline" ? (point.nTrain ?? 4 * point.batch) : point.batch;
  const floorScale = noiseFloorScale(point.noise, point.dX, samples, fStar[fStar.length - 1]);
  const measured = linearPhaseRate(log.steps, log.subspace, Math.max(NOISE_FLOOR_MARGIN * floorScale, 1e-6));
  ctx.scalar("measuredRate", measured.rate);
  ctx.scalar("phasePoints", Math.max(0, measured.to - measured.from + 1));
  ctx.scalar("phaseStartStep", measured.startStep);
  ctx.scalar("phaseStartDistance", measured.startDistance);

  const start = phase.length > 0 ? phase[0] : null;
  // Exact theories start from the phase's first point and follow the head along; the lower bounds are local to
  // the point the iterates settle at, so they take the head at the phase's last point.
  const end = phase.find((p) => p.step === log.steps[measured.to]) ?? phase[phase.length - 1] ?? null;
  const step = { ...chosen, lrF: point.headLearningRate };
  const exact = theoryRate(point.algorithm, problemGeometry(problem, fStar), step)?.kind === "exact";
  const headPoint = exact ? start : end;
  const head = headPoint ? svd(headPoint.F).S : fStar;
  ctx.info("theoryHead", headPoint ? Array.from(head) : null);
  const asymptotic = theoryRate(point.algorithm, problemGeometry(problem, head), step);
  ctx.scalar("asymptoticRate", asymptotic?.rate ?? null);
  const budget = measured.startStep === null ? 0 : point.steps - measured.startStep + 1;
  const curve = start && budget > 0 ? linearisedCurve(point.algorithm, problem, everyStep(phase), step, budget) : null;
  let rate: number | null = null;
  let predicted: number | null = null;
  if (curve && measured.startStep !== null) {
    const t0 = measured.startStep;
    const curveSteps = Array.from(curve, (_, i) => t0 + i);
    ctx.series("theorySubspace", curveSteps, curve);
    const reached = curve.findIndex((d) => d <= point.target);
    predicted = reached >= 0 ? t0 + reached : null;
    if (measured.rate !== null) {
      const at = log.steps.slice(measured.from, measured.to + 1);
      rate = fitRate(
        at,
        at.map((t) => curve[t - t0]),
      );
    }
  } else if (asymptotic && asymptotic.kind === "lower-bound") {
    rate = asymptotic.rate;
    const t0 = measured.startStep;
    const linear =
      t0 !== null && measured.startDistance !== null
        ? predictedStepsToTarget(rate, measured.startDistance, point.target)
        : null;
    predicted = t0 === null || linear === null || t0 + linear > point.steps ? null : t0 + linear;
  }
  ctx.scalar("theoryRate", rate);
  ctx.info("theoryKind", theoryKindOf(asymptotic, measured.rate));
  ctx.scalar("predictedSteps", predicted);
}
