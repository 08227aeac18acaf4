/**
 * One trial of a fashion experiment: load the prepared data, pick the optimizer's hyperparameters (config, tuned
 * default, or a validation search), train, and record the per-step loss, the per-epoch test metrics and times, and
 * the time and steps to the target accuracy.
 */
import { randomSubset, splitValidation } from "../../data/batches.js";
import type { DatasetSplits } from "../../data/dataset.js";
import type { Network } from "../../nn/sequential.js";
import { deriveSeed } from "../../random/rng.js";
import type { TrialContext } from "../types.js";
import { loadTrialData } from "./data.js";
import {
  SECOND_HYPERPARAMETER,
  makeOptimizer,
  needsLayerStats,
  searchGrid,
  type Hyperparameters,
  type OptimizerName,
} from "./optimizers.js";
import type { FashionSharedPoint } from "./schema.js";
import { trainClassifier } from "./train.js";

/** What the two experiments supply: their network for the prepared data, and their tuned defaults. */
export interface Architecture {
  name: "mlp" | "cnn";
  build(splits: DatasetSplits): Network;
  defaults: Record<OptimizerName, Hyperparameters>;
}

/** A candidate of the validation search and its score. */
interface Candidate extends Hyperparameters {
  validationAccuracy: number | null;
}

/**
 * Trains each candidate of `searchGrid` on part of the training split and scores it on a held-out validation
 * split (`tuning` sizes; same initialisation seed for all); returns the most accurate (diverged runs score null).
 */
async function searchHyperparameters(
  point: FashionSharedPoint,
  arch: Architecture,
  splits: DatasetSplits,
  seed: number,
  progress: (fraction: number) => void,
): Promise<{ best: Hyperparameters; candidates: Candidate[] }> {
  const { validation, train } = splitValidation(splits.train, point.tuning.validationSize, point.dataSeed + 2);
  const searchTrain =
    train.y.length > point.tuning.trainSize ? randomSubset(train, point.tuning.trainSize, point.dataSeed + 3) : train;
  const grid = searchGrid(point.optimizer, arch.defaults[point.optimizer]);
  const candidates: Candidate[] = [];
  for (const [i, hp] of grid.entries()) {
    const run = await trainClassifier({
      network: arch.build(splits),
      optimizer: makeOptimizer(point.optimizer, hp),
      layerStats: needsLayerStats(point.optimizer),
      train: searchTrain,
      evaluation: validation,
      epochs: point.tuning.epochs,
      batchSize: point.batchSize,
      seed,
    });
    const last = run.epochs.at(-1);
    const score = run.diverged || !last || !Number.isFinite(last.evaluation.accuracy) ? null : last.evaluation.accuracy;
    candidates.push({ ...hp, validationAccuracy: score });
    progress((i + 1) / grid.length);
  }
  const best = candidates.reduce((a, b) => ((b.validationAccuracy ?? -1) > (a.validationAccuracy ?? -1) ? b : a));
  return { best: { learningRate: best.learningRate, second: best.second }, candidates };
}

/** Runs one trial of `arch` at `point` (one optimizer) with seed `ctx.seed`. */
export async function runFashionTrial(point: FashionSharedPoint, ctx: TrialContext, arch: Architecture): Promise<void> {
  const splits = await loadTrialData(point);
  const name = point.optimizer;
  // dataset=auto without Fashion-MNIST: say so wherever the dataset is shown (summary table, figure titles).
  const fellBack = point.dataset === "auto" && splits.name === "mnist";
  ctx.info("dataset", fellBack ? "mnist (Fashion-MNIST not installed)" : splits.name);
  ctx.info("trainExamples", splits.train.y.length);
  ctx.info("testExamples", splits.test.y.length);

  const searchShare = point.tune ? 0.3 : 0;
  let hp: Hyperparameters = {
    learningRate: point.learningRate[name] ?? arch.defaults[name].learningRate,
    second: point.second[name] ?? arch.defaults[name].second,
  };
  let source = point.learningRate[name] !== undefined || point.second[name] !== undefined ? "config" : "tuned default";
  if (point.tune) {
    const { best, candidates } = await searchHyperparameters(point, arch, splits, deriveSeed(ctx.seed, 7), (f) =>
      ctx.progress(searchShare * f),
    );
    hp = best;
    source = "validation search";
    ctx.info("search", candidates);
  }
  ctx.info("hyperparameters", {
    learningRate: hp.learningRate,
    [SECOND_HYPERPARAMETER[name]]: hp.second,
    source,
  });

  const lossSteps: number[] = [];
  const losses: number[] = [];
  const epochs: number[] = [];
  const accuracies: number[] = [];
  const testLosses: number[] = [];
  const seconds: number[] = [];
  let stepsToTarget: number | null = null;
  let secondsToTarget: number | null = null;
  const result = await trainClassifier({
    network: arch.build(splits),
    optimizer: makeOptimizer(name, hp),
    layerStats: needsLayerStats(name),
    train: splits.train,
    evaluation: splits.test,
    epochs: point.epochs,
    batchSize: point.batchSize,
    seed: ctx.seed,
    onStep(step, loss) {
      if (step % point.logEvery === 0 || !Number.isFinite(loss)) {
        lossSteps.push(step);
        losses.push(loss);
      }
    },
    onEpoch(report) {
      epochs.push(report.epoch);
      accuracies.push(report.evaluation.accuracy);
      testLosses.push(report.evaluation.loss);
      seconds.push(report.seconds);
      if (stepsToTarget === null && report.evaluation.accuracy >= point.targetAccuracy) {
        stepsToTarget = report.step;
        secondsToTarget = report.seconds;
      }
      ctx.progress(searchShare + (1 - searchShare) * (report.epoch / point.epochs));
    },
  });
  ctx.series("trainLoss", lossSteps, losses);
  ctx.series("testAccuracy", epochs, accuracies);
  ctx.series("testLoss", epochs, testLosses);
  ctx.series("seconds", epochs, seconds);
  const last = result.epochs.at(-1);
  ctx.scalar("diverged", result.diverged ? 1 : 0);
  ctx.scalar("testAccuracy", last ? last.evaluation.accuracy : null);
  ctx.scalar("testLoss", last ? last.evaluation.loss : null);
  ctx.scalar("trainLoss", last ? last.trainLoss : null);
  ctx.scalar("epochs", result.epochs.length);
  ctx.scalar("secondsPerEpoch", last ? last.seconds / result.epochs.length : null);
  ctx.scalar("stepsToTarget", stepsToTarget);
  ctx.scalar("secondsToTarget", secondsToTarget);
}
