/**
 * One `robustness` trial: one cell (learning rate × second hyperparameter) of one optimizer's grid on one
 * architecture, trained for the (small) budget; records the test accuracy and whether the run diverged.
 */
import type { DatasetSplits } from "../../data/dataset.js";
import type { Network } from "../../nn/sequential.js";
import { CurvatureFailureError } from "../../optim/curvature/failures.js";
import { NonFiniteStepError } from "../../optim/faults.js";
import type { TrialContext } from "../types.js";
import { CNN_DEFAULTS } from "../fashion/cnn.js";
import { MLP_DEFAULTS } from "../fashion/mlp.js";
import { loadTrialData } from "../fashion/data.js";
import { cnn, mlp } from "../fashion/networks.js";
import { makeOptimizer, needsLayerStats, SECOND_HYPERPARAMETER } from "../fashion/optimizers.js";
import { trainClassifier } from "../fashion/train.js";
import type { RobustnessPoint } from "./schema.js";

/** A cell of the grid as the trial info stores it (one per trial; a cell's seeds share all but the outcome). */
export interface CellRecord {
  optimizer: string;
  architecture: string;
  lrFactor: number;
  learningRate: number;
  secondIndex: number;
  /** momentum, eps or damping. */
  secondName: string;
  second: number;
  testAccuracy: number | null;
  /** Mean training loss of the first batch (before any update) and of the last epoch. */
  initialLoss: number | null;
  finalLoss: number | null;
  diverged: boolean;
}

/** The learning rate and second hyperparameter of a point: learningRateFactor × the tuned default, secondValues[i]. */
export function cellHyperparameters(point: RobustnessPoint): { learningRate: number; second: number } {
  const defaults = point.architecture === "cnn" ? CNN_DEFAULTS : MLP_DEFAULTS;
  return {
    learningRate: defaults[point.optimizer].learningRate * point.learningRateFactor,
    second: point.secondValues[point.optimizer][point.secondIndex],
  };
}

function network(point: RobustnessPoint, splits: DatasetSplits): Network {
  return point.architecture === "cnn"
    ? cnn(splits.imageShape, point.channels, point.denseWidth, splits.train.classes, point.dtype)
    : mlp(splits.train.x.cols, point.hidden, splits.train.classes, point.dtype);
}

/**
 * Trains the cell and classifies the outcome: diverged when the loss became non-finite, the optimizer gave up on a
 * curvature factor, or the last epoch's mean training loss is above the loss at initialisation (first batch).
 */
export async function runRobustnessTrial(point: RobustnessPoint, ctx: TrialContext): Promise<void> {
  const splits = await loadTrialData(point);
  const hp = cellHyperparameters(point);
  let initialLoss: number | null = null;
  let finalLoss: number | null = null;
  let testAccuracy: number | null = null;
  let diverged = false;
  const losses: number[] = [];
  const steps: number[] = [];
  try {
    const result = await trainClassifier({
      network: network(point, splits),
      optimizer: makeOptimizer(point.optimizer, hp),
      layerStats: needsLayerStats(point.optimizer),
      train: splits.train,
      evaluation: splits.test,
      epochs: point.epochs,
      batchSize: point.batchSize,
      seed: ctx.seed,
      onStep(step, loss) {
        if (step === 1) initialLoss = loss;
        steps.push(step);
        losses.push(Number.isFinite(loss) ? loss : NaN);
      },
      onEpoch(report) {
        ctx.progress(report.epoch / point.epochs);
      },
    });
    const last = result.epochs.at(-1);
    finalLoss = last && Number.isFinite(last.trainLoss) ? last.trainLoss : null;
    testAccuracy = last && Number.isFinite(last.evaluation.accuracy) ? last.evaluation.accuracy : null;
    diverged = result.diverged || finalLoss === null || initialLoss === null || finalLoss > initialLoss;
  } catch (e) {
    if (!(e instanceof CurvatureFailureError || e instanceof NonFiniteStepError)) throw e;
    diverged = true;
    ctx.info("failure", e.message);
  }
  const cell: CellRecord = {
    optimizer: point.optimizer,
    architecture: point.architecture,
    lrFactor: point.learningRateFactor,
    learningRate: hp.learningRate,
    secondIndex: point.secondIndex,
    secondName: SECOND_HYPERPARAMETER[point.optimizer],
    second: hp.second,
    testAccuracy,
    initialLoss,
    finalLoss,
    diverged,
  };
  ctx.info("cell", cell);
  ctx.info("dataset", splits.name);
  ctx.series("trainLoss", steps, losses);
  ctx.scalar("testAccuracy", testAccuracy);
  ctx.scalar("finalLoss", finalLoss);
  ctx.scalar("diverged", diverged ? 1 : 0);
}
