/**
 * Mini-batch training of a classifier with softmax cross-entropy, any `src/optim` transform, and per-epoch
 * evaluation: the loop shared by the fashion experiments and their hyperparameter search.
 */
import { epochBatches } from "../../data/batches.js";
import { selectRows, type Dataset } from "../../data/dataset.js";
import { Matrix } from "../../linalg/matrix.js";
import type { Network } from "../../nn/sequential.js";
import type { NetworkState } from "../../nn/layer.js";
import { accuracy, softmaxCrossEntropy } from "../../nn/losses.js";
import type { Params } from "../../nn/types.js";
import type { GradientTransformation } from "../../optim/transform.js";
import { Rng } from "../../random/rng.js";
import { trainingStep, type TrainingState } from "../training-step.js";

/** Examples per forward pass when evaluating (bounds the memory of a conv network's activations). */
const EVAL_CHUNK = 1000;
/**
 * Longest stretch of training (ms) between yields to the event loop, so a worker thread keeps answering the
 * platform's messages (progress, cancellation) during a long epoch.
 */
const YIELD_EVERY_MS = 500;

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Test accuracy and mean softmax cross-entropy of `params` on `data` (evaluation mode: running statistics). */
export function evaluate(
  network: Network,
  params: Params,
  state: NetworkState,
  data: Dataset,
): { accuracy: number; loss: number } {
  let correct = 0;
  let loss = 0;
  const n = data.y.length;
  for (let start = 0; start < n; start += EVAL_CHUNK) {
    const end = Math.min(n, start + EVAL_CHUNK);
    const x = new Matrix(end - start, data.x.cols, data.x.data.subarray(start * data.x.cols, end * data.x.cols));
    const y = data.y.subarray(start, end);
    const logits = network.forward(params, x, { train: false, state });
    correct += accuracy(logits, y) * (end - start);
    loss += softmaxCrossEntropy(logits, y) * (end - start);
  }
  return { accuracy: correct / n, loss: loss / n };
}

/** What happens at the end of an epoch (1-based), with the cumulative training seconds (evaluation excluded). */
export interface EpochReport {
  epoch: number;
  step: number;
  seconds: number;
  /** Mean training loss over the epoch's batches. */
  trainLoss: number;
  evaluation: { accuracy: number; loss: number };
}

export interface TrainOptions {
  network: Network;
  optimizer: GradientTransformation;
  /**
   * Compute the per-layer curvature statistics (KFAC, EKFAC), at the steps and for the layers the optimizer asks
   * for (`statsRequest`); false: never (other optimizers skip that work).
   */
  layerStats: boolean;
  /**
   * Also compute the batch's exact curvature (GGN products and the loss at other parameters, src/nn/curvature.ts)
   * and pass it in the update context: what adaptive KFAC's quadratic model needs. Default false (it costs extra
   * forward passes).
   */
  curvature?: boolean;
  /**
   * Batch shards of the data-parallel pass (`lossAndGrad`'s `shards`): each step's batch is cut into this many
   * shards computed on the threads that `setThreads` allows and combined in a fixed order, so the numbers depend on
   * the shard count and not on the thread count. Default 1 (the one-batch pass).
   */
  shards?: number;
  train: Dataset;
  /** Evaluated after every epoch. */
  evaluation: Dataset;
  epochs: number;
  batchSize: number;
  /** Seeds the initialisation (`seed`) and the batch order (a stream split from it). */
  seed: number;
  /**
   * Called at every step with the batch loss and the parameters and network state it was computed at (those
   * before update `step`, i.e. after step − 1 updates), so a caller can evaluate the model between steps. The
   * parameters are updated in place after the callback returns: copy them to keep them.
   */
  onStep?(step: number, loss: number, params: Params, state: NetworkState): void;
  onEpoch?(report: EpochReport): void;
}

export interface TrainResult {
  params: Params;
  state: NetworkState;
  epochs: EpochReport[];
  /** True when the loss became NaN/∞; training stopped there. */
  diverged: boolean;
}

/**
 * Trains for `epochs` passes over `train` (each example exactly once per epoch, batches from a seeded permutation):
 * per step, the loss and gradients of the mean softmax cross-entropy (with the layer statistics and the batch's
 * exact curvature when asked), the optimizer's update (given the statistics, the loss and the curvature in its
 * context), and θ ← θ + update.
 * Stops early when the loss is not finite. The seconds reported count training steps only (not evaluation, nor the
 * brief yields to the event loop).
 */
export async function trainClassifier(options: TrainOptions): Promise<TrainResult> {
  const { network, optimizer, train, epochs, batchSize } = options;
  const params = network.init(options.seed);
  const s: TrainingState = { params, state: network.initState(), optState: optimizer.init(params) };
  const setup = {
    network,
    optimizer,
    layerStats: options.layerStats,
    curvature: options.curvature ?? false,
    shards: options.shards,
  };
  const order = new Rng(options.seed).split(1);
  const reports: EpochReport[] = [];
  let step = 0;
  let seconds = 0;
  // One buffer per batch size (the last batch of an epoch may be smaller), refilled at every step.
  const buffers = new Map<number, Dataset>();
  const batchBuffer = (size: number): Dataset => {
    let b = buffers.get(size);
    if (!b) {
      b = { x: new Matrix(size, train.x.cols), y: new Int32Array(size), classes: train.classes };
      buffers.set(size, b);
    }
    return b;
  };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let started = performance.now();
    let lossSum = 0;
    const batches = epochBatches(train.y.length, batchSize, order);
    for (const indices of batches) {
      const batch = selectRows(train, indices, batchBuffer(indices.length));
      step++;
      const loss = trainingStep(setup, s, batch.x, batch.y, softmaxCrossEntropy, (loss) =>
        options.onStep?.(step, loss, s.params, s.state),
      );
      if (!Number.isFinite(loss)) {
        return { params, state: s.state, epochs: reports, diverged: true };
      }
      lossSum += loss;
      if (performance.now() - started > YIELD_EVERY_MS) {
        seconds += (performance.now() - started) / 1000;
        await yieldToEventLoop();
        started = performance.now();
      }
    }
    seconds += (performance.now() - started) / 1000;
    const report = {
      epoch,
      step,
      seconds,
      trainLoss: lossSum / batches.length,
      evaluation: evaluate(network, params, s.state, options.evaluation),
    };
    reports.push(report);
    options.onEpoch?.(report);
  }
  return { params, state: s.state, epochs: reports, diverged: false };
}
