/**
 * The training loop of `time-to-target`: a fixed number of steps (the example budget over the batch size) of
 * mini-batches from seeded permutations of the training set, the validation metric at equally spaced steps
 * (and at step 0), and the wall-clock of the training steps alone (evaluation excluded, as in AlgoPerf).
 */
import { epochBatches } from "../../data/batches.js";
import { selectRows, type Dataset } from "../../data/dataset.js";
import { Matrix } from "../../linalg/matrix.js";
import type { Network, NetworkState } from "../../nn/index.js";
import type { Params } from "../../nn/types.js";
import { CurvatureFailureError } from "../../optim/curvature/failures.js";
import { NonFiniteStepError } from "../../optim/faults.js";
import type { GradientTransformation } from "../../optim/transform.js";
import { Rng } from "../../random/rng.js";
import { trainingStep, type TrainingState } from "../training-step.js";
import type { Workload } from "./workloads.js";

/** Longest stretch of training (ms) between yields, so a worker thread keeps answering the platform. */
const YIELD_EVERY_MS = 500;
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export interface BudgetOptions {
  workload: Workload;
  network: Network;
  optimizer: GradientTransformation;
  /** The optimizer reads the per-layer curvature statistics (KFAC, EKFAC). */
  layerStats: boolean;
  /** The optimizer reads the batch's exact curvature (kfac-auto). */
  curvature: boolean;
  /**
   * Batch shards of the data-parallel pass (`lossAndGrad`'s `shards`; the numbers depend on it, not on the thread
   * count). Default 1.
   */
  shards?: number;
  train: Dataset;
  validation: Dataset;
  steps: number;
  batchSize: number;
  /** Evaluations of the validation metric over the steps (plus one at step 0). */
  evaluations: number;
  /** Seeds the initialisation and (a stream split from it) the batch order. */
  seed: number;
  onProgress?(fraction: number): void;
}

export interface BudgetRun {
  params: Params;
  state: NetworkState;
  /** Steps at which the validation metric was measured, its values, and the training seconds before each. */
  evalSteps: number[];
  validation: number[];
  seconds: number[];
  /** Mean training loss over the steps since the previous evaluation (NaN at step 0). */
  trainLoss: number[];
  /** The loss became non-finite, or the optimizer gave up (its message in `failure`); training stopped there. */
  diverged: boolean;
  failure: string | null;
}

/** The steps after which the metric is measured: 0 and round(k·steps/evaluations), k = 1…evaluations. */
export function evaluationSteps(steps: number, evaluations: number): number[] {
  const at = new Set<number>([0]);
  for (let k = 1; k <= evaluations; k++) at.add(Math.max(1, Math.round((k * steps) / evaluations)));
  return [...at].sort((a, b) => a - b);
}

/**
 * Trains `network` for `steps` steps: per step, the batch's loss and gradients (with the layer statistics or the
 * exact curvature when the optimizer reads them), the optimizer's update, θ ← θ + update; the validation metric
 * after the steps of `evaluationSteps`. Stops at a non-finite loss or an optimizer's failure (diverged).
 */
export async function trainForBudget(o: BudgetOptions): Promise<BudgetRun> {
  const { network, optimizer, workload, train } = o;
  const params = network.init(o.seed);
  const s: TrainingState = { params, state: network.initState(), optState: optimizer.init(params) };
  const order = new Rng(o.seed).split(1);
  const checkpoints = evaluationSteps(o.steps, o.evaluations);
  const run: BudgetRun = {
    params,
    state: s.state,
    evalSteps: [],
    validation: [],
    seconds: [],
    trainLoss: [],
    diverged: false,
    failure: null,
  };
  const record = (step: number, seconds: number, loss: number) => {
    run.evalSteps.push(step);
    run.validation.push(workload.evaluate(network, params, s.state, o.validation));
    run.seconds.push(seconds);
    run.trainLoss.push(loss);
  };
  record(0, 0, NaN);
  const buffers = new Map<number, Dataset>();
  const batchBuffer = (size: number): Dataset => {
    let b = buffers.get(size);
    if (!b)
      buffers.set(size, (b = { x: new Matrix(size, train.x.cols), y: new Int32Array(size), classes: train.classes }));
    return b;
  };
  let step = 0;
  let seconds = 0;
  let lossSum = 0;
  let lossCount = 0;
  let next = 1;
  let started = performance.now();
  try {
    while (step < o.steps) {
      for (const indices of epochBatches(train.y.length, o.batchSize, order)) {
        if (step >= o.steps) break;
        const batch = selectRows(train, indices, batchBuffer(indices.length));
        step++;
        const loss = trainingStep(o, s, batch.x, workload.targets(batch), workload.loss);
        if (!Number.isFinite(loss)) {
          run.diverged = true;
          run.failure = `loss ${loss} at step ${step}`;
          return run;
        }
        lossSum += loss;
        lossCount++;
        run.state = s.state;
        if (step === checkpoints[next]) {
          seconds += (performance.now() - started) / 1000;
          record(step, seconds, lossSum / lossCount);
          lossSum = 0;
          lossCount = 0;
          next++;
          o.onProgress?.(step / o.steps);
          await yieldToEventLoop();
          started = performance.now();
        } else if (performance.now() - started > YIELD_EVERY_MS) {
          seconds += (performance.now() - started) / 1000;
          await yieldToEventLoop();
          started = performance.now();
        }
      }
    }
  } catch (e) {
    if (!(e instanceof CurvatureFailureError || e instanceof NonFiniteStepError)) throw e;
    run.diverged = true;
    run.failure = e.message;
  }
  return run;
}
