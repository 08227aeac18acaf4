/**
 * One `robustness` trial: one cell (learning rate × second hyperparameter) of one optimizer's grid on one
 * architecture, trained for the (small) budget; records the test accuracy and whether the run diverged. kfac-auto
 * trains only at its one cell (`KFAC_AUTO_CELL`); its other points of the sweep record that and return.
 */
import type { DatasetSplits } from "../../data/dataset.js";

import type { Network } from "../../nn/sequential.js";
import { CurvatureFailureError } from "../../optim/curvature/failures.js";
import { NonFiniteStepError } from "../../optim/faults.js";
import type { GradientTransformation } from "../../optim/transform.js";
import type { TrialContext } from "../types.js";
import { CNN_DEFAULTS, cnnFor } from "../fashion/cnn.js";
import { MLP_DEFAULTS } from "../fashion/mlp.js";
import { loadTrialData } from "../fashion/data.js";
import { mlp } from "../fashion/networks.js";
import { makeOptimizer, needsLayerStats, SECOND_HYPERPARAMETER } from "../fashion/optimizers.js";
import { trainClassifier } from "../fashion/train.js";
import { KFAC_AUTO, KFAC_AUTO_CELL, isGridOptimizer, makeKfacAuto } from "./methods.js";
import type { RobustnessPoint } from "./schema.js";

/** A cell of the grid as the trial info stores it (one per trial; a cell's seeds share all but the outcome). */
export interface CellRecord {
  optimizer: string;
  architecture: string;
  lrFactor: number;
  /** The learning rate; null for kfac-auto, which chooses its step at every step. */
  learningRate: number | null;
  secondIndex: number;
  /** momentum, eps or damping; "initial damping" for kfac-auto. */
  secondName: string;
  second: number;
  testAccuracy: number | null;
  /** Mean training loss of the first batch (before any update) and of the last epoch. */
  initialLoss: number | null;
  finalLoss: number | null;
  diverged: boolean;
}

/** Info key of a kfac-auto point run on its own that did not train because it repeats the cell at `KFAC_AUTO_CELL`. */
export const REPEATS_KFAC_AUTO_CELL = "repeatsKfacAutoCell";

/**
 * The learning rate and second hyperparameter of a point: learningRateFactor × the tuned default and
 * secondValues[i]; for kfac-auto, no learning rate and its initial damping.
 */
export function cellHyperparameters(point: RobustnessPoint): { learningRate: number | null; second: number } {
  if (!isGridOptimizer(point.optimizer)) return { learningRate: null, second: point.kfacAutoDamping };
  const defaults = point.architecture === "cnn" ? CNN_DEFAULTS : MLP_DEFAULTS;
  return {
    learningRate: defaults[point.optimizer].learningRate * point.learningRateFactor,
    second: point.secondValues[point.optimizer][point.secondIndex],
  };
}

/** Whether the point trains: every grid point, and kfac-auto's one cell (the sweep leaves the others out). */
export function trainsAt(point: RobustnessPoint): boolean {
  return (
    isGridOptimizer(point.optimizer) ||
    (point.learningRateFactor === KFAC_AUTO_CELL.learningRateFactor && point.secondIndex === KFAC_AUTO_CELL.secondIndex)
  );
}

function network(point: RobustnessPoint, splits: DatasetSplits): Network {
  return point.architecture === "cnn"
    ? cnnFor(point, splits)
    : mlp(splits.train.x.cols, point.hidden, splits.train.classes, point.dtype);
}

function optimizer(
  point: RobustnessPoint,
  hp: { learningRate: number | null; second: number },
): GradientTransformation {
  return isGridOptimizer(point.optimizer)
    ? makeOptimizer(point.optimizer, { learningRate: hp.learningRate!, second: hp.second })
    : makeKfacAuto(hp.second);
}

/**
 * Whether a run diverged: its loss became non-finite, or its last epoch's mean training loss is above the loss at
 * initialisation (first batch, before any update), or either is missing. (An optimizer that gave up on a
 * curvature factor or on repeated non-finite steps also counts as diverged; the trial catches that.)
 */
export function isDiverged(nonFinite: boolean, initialLoss: number | null, finalLoss: number | null): boolean {
  return nonFinite || initialLoss === null || finalLoss === null || finalLoss > initialLoss;
}

/** Trains the cell and classifies the outcome (`isDiverged`). */
export async function runRobustnessTrial(point: RobustnessPoint, ctx: TrialContext): Promise<void> {
  if (!trainsAt(point)) {
    // Only a point run on its own (runTrial) gets here: it says why it did not train.
    ctx.info(
      REPEATS_KFAC_AUTO_CELL,
      `${KFAC_AUTO} has no grid: it trains at learningRateFactor = ${KFAC_AUTO_CELL.learningRateFactor}, secondIndex = ${KFAC_AUTO_CELL.secondIndex} only`,
    );
    ctx.progress(1);
    return;
  }
  const splits = await loadTrialData(point);
  const hp = cellHyperparameters(point);
  const auto = point.optimizer === KFAC_AUTO;
  let initialLoss: number | null = null;
  let finalLoss: number | null = null;
  let testAccuracy: number | null = null;
  let diverged = false;
  const losses: number[] = [];
  const steps: number[] = [];
  try {
    const result = await trainClassifier({
      network: network(point, splits),
      optimizer: optimizer(point, hp),
      layerStats: isGridOptimizer(point.optimizer) ? needsLayerStats(point.optimizer) : true,
      curvature: auto,
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
    diverged = isDiverged(result.diverged, initialLoss, finalLoss);
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
    secondName: isGridOptimizer(point.optimizer) ? SECOND_HYPERPARAMETER[point.optimizer] : "initial damping",
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
