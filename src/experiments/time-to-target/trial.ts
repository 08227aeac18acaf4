/**
 * One `time-to-target` trial: trial k of one optimizer's random search on one workload, at one seed replicate,
 * trained for the workload's example budget. Records the validation metric against steps and training seconds,
 * and the final test metric. The target is not known here (it depends on every first-order trial), so steps and
 * seconds to target are computed by the summary from these series.
 */
import type { TrialContext } from "../types.js";
import type { TimeToTargetPoint } from "./schema.js";
import { inStudy, makeTrialOptimizer, trialSetting, warmupCosine, type TrialSetting } from "./search.js";
import { trainForBudget } from "./train.js";
import { WORKLOAD_TABLE, workloadData } from "./workloads.js";

/** Steps of a trial: the example budget (epochs × training examples) over the batch size, rounded up. */
export function budgetSteps(epochs: number, trainExamples: number, batchSize: number): number {
  return Math.max(1, Math.ceil((epochs * trainExamples) / batchSize));
}

/** The setting of a trial as the trial info stores it. */
export interface TrialInfo extends TrialSetting {
  steps: number;
  metric: string;
  higherIsBetter: boolean;
}

/**
 * Whether the point is a trial of its optimizer's study on its workload (`inStudy`). The sweep is a cartesian
 * product; a workload's study may be shorter than the swept trial list, and kfac-auto has nothing to tune, so its
 * study is trial 0 alone. The sweep leaves the other points out (`Experiment.includes`).
 */
export function isStudyTrial(point: TimeToTargetPoint): boolean {
  return inStudy(point.optimizer, point.trial, point.settings[point.workload].trials);
}

export async function runTimeToTargetTrial(point: TimeToTargetPoint, ctx: TrialContext): Promise<void> {
  const settings = point.settings[point.workload];
  if (!isStudyTrial(point)) {
    // Only a point run on its own (runTrial) gets here: it says why it did not train.
    ctx.info(
      "skipped",
      point.optimizer === "kfac-auto"
        ? "kfac-auto's tuning study is a single trial (trial 0)"
        : `${point.workload}'s studies have ${settings.trials} trials (0…${settings.trials - 1})`,
    );
    ctx.scalar("skipped", 1);
    return;
  }
  const workload = WORKLOAD_TABLE[point.workload];
  const data = await workloadData(point);
  const setting = trialSetting(point.optimizer, point.trial, point.searchSeed, settings.batchSizes);
  const steps = budgetSteps(settings.epochs, data.train.y.length, setting.batchSize);
  const warmup = Math.round(point.warmupFraction * steps);
  const info: TrialInfo = {
    ...setting,
    steps,
    metric: workload.metric,
    higherIsBetter: workload.higherIsBetter,
  };
  ctx.info("setting", info);
  ctx.info("dataset", data.dataset);
  if (workload.baseline) {
    const { name, metric } = workload.baseline;
    ctx.info("baseline", {
      name,
      validation: metric(data.train, data.validation),
      test: metric(data.train, data.test),
    });
  }
  const network = workload.build(data, point.dtype);
  const run = await trainForBudget({
    workload,
    network,
    optimizer: makeTrialOptimizer(setting, (peak) => warmupCosine(peak, steps, warmup)),
    layerStats: point.optimizer === "kfac" || point.optimizer === "ekfac" || point.optimizer === "kfac-auto",
    curvature: point.optimizer === "kfac-auto",
    train: data.train,
    validation: data.validation,
    steps,
    batchSize: setting.batchSize,
    evaluations: settings.evaluations,
    seed: ctx.seed,
    onProgress: (f) => ctx.progress(f),
  });
  ctx.series("validation", run.evalSteps, run.validation);
  ctx.series("seconds", run.evalSteps, run.seconds);
  ctx.series("trainLoss", run.evalSteps, run.trainLoss);
  if (run.failure) ctx.info("failure", run.failure);
  const test = run.diverged ? null : workload.evaluate(network, run.params, run.state, data.test);
  ctx.scalar("skipped", 0);
  ctx.scalar("diverged", run.diverged ? 1 : 0);
  ctx.scalar("testMetric", test !== null && Number.isFinite(test) ? test : null);
  ctx.scalar("steps", steps);
  ctx.scalar("seconds", run.seconds.at(-1) ?? 0);
}
