/**
 * One linrep trial, shared by `linrep-curves` and `linrep-kappa`: choose the step sizes (tuning.ts), train on
 * the trial's own problem instance and data stream, and record the series, the final metrics, the measured and
 * predicted rates and the chosen step sizes.
 */
import { deriveSeed, Rng } from "../../random/index.js";
import { makeLinrepProblem } from "../../problems/linrep.js";
import { predictedStepsToTarget } from "../../theory/linrep.js";
import type { TrialContext } from "../types.js";
import { trainLinrep, type TrainLog } from "./train.js";
import { problemConfig, type LinrepSharedPoint } from "./schema.js";
import { chooseStepSizes, PROBLEM_STREAM, TRAIN_STREAM, trainOptions } from "./tuning.js";
import { linearPhaseRate, problemGeometry, theoryRate } from "./rates.js";

export interface TrialOptions {
  /** Stop at the target distance (linrep-kappa) or run the whole budget (linrep-curves). */
  stopAtTarget: boolean;
  /** Transfer loss every this many steps (default: only at the end). */
  transferEvery?: number;
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
  const trainOpts = {
    ...trainOptions(point, chosen),
    target: options.stopAtTarget ? point.target : undefined,
    transferEvery: options.transferEvery,
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

  const measured = linearPhaseRate(log.steps, log.subspace, point.target);
  ctx.scalar("measuredRate", measured.rate);
  ctx.scalar("phaseStartStep", measured.startStep);
  ctx.scalar("phaseStartDistance", measured.startDistance);
  const theory = theoryRate(point.algorithm, problemGeometry(problem), { ...chosen, lrF: point.lrF });
  ctx.scalar("theoryRate", theory?.rate ?? null);
  ctx.info("theoryKind", theory?.kind ?? "none");
  ctx.scalar("predictedSteps", theory ? predictedStepsToTarget(theory.rate, log.subspace[0] ?? 1, point.target) : null);
  return log;
}

/** The log's steps-to-target, or (when training did not stop at the target) the first logged step at or below it. */
function stepsToTarget(log: TrainLog, target: number): number | null {
  if (log.stepsToTarget !== null) return log.stepsToTarget;
  const i = log.subspace.findIndex((d) => d <= target);
  return i >= 0 ? log.steps[i] : null;
}
