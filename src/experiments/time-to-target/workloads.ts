/**
 * The three workloads of `time-to-target`: their data (a validation split held out of the training split; the
 * test split kept for the final report), their network, their training loss and their validation metric.
 *
 * - fashion-mlp: 784-256-256-10 ReLU, softmax cross-entropy, metric accuracy.
 * - fashion-cnn: DeepOBS's fmnist_2c2d (src/nn/networks.ts), softmax cross-entropy, metric accuracy.
 * - mnist-autoencoder: Hinton & Salakhutdinov's (2006) deep autoencoder as Martens & Grosse (2015, §13) train
 *   it: encoder 784-1000-500-250-30 with logistic units and a linear 30-unit code, mirrored decoder, trained with
 *   binary cross-entropy on the logistic outputs (pixels in [0, 1] as targets), sparse initialisation; metric:
 *   the squared reconstruction error per image, Σ_j (σ(z_j) − x_j)², lower is better.
 */
import { randomSubset, splitValidation } from "../../data/batches.js";
import type { Dataset } from "../../data/dataset.js";
import { loadFashionMnist } from "../../data/fashion-mnist.js";
import { loadMnistDigits } from "../../data/mnist-digits.js";
import { fitStandardizer, mapInputs } from "../../data/standardize.js";
import { logistic } from "../../nn/activations.js";
import { sigmoid } from "../../nn/activation-layers.js";
import { dense } from "../../nn/dense.js";
import type { Dtype } from "../../nn/dtype.js";
import type { NetworkState } from "../../nn/layer.js";
import { accuracy, sigmoidCrossEntropy, softmaxCrossEntropy, type Loss } from "../../nn/losses.js";
import { twoConvTwoDense } from "../../nn/networks.js";
import { sequential, type Network } from "../../nn/sequential.js";
import type { Params } from "../../nn/types.js";
import { Matrix } from "../../linalg/matrix.js";
import { resolveDataset } from "../fashion/data.js";
import { memoizeAsync } from "../memo.js";
import { mlp } from "../fashion/networks.js";
import type { TimeToTargetPoint, WorkloadName } from "./schema.js";

/** A workload's three splits, prepared for training. */
export interface WorkloadData {
  /** "fashion-mnist" or "mnist". */
  dataset: string;
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  imageShape: [number, number, number];
}

/** What the training loop needs from a workload. */
export interface Workload {
  name: WorkloadName;
  /** The metric's name, and whether larger is better. */
  metric: "accuracy" | "reconstruction error";
  higherIsBetter: boolean;
  build(data: WorkloadData, dtype: Dtype): Network;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- class indices or a target matrix
  loss: Loss<any>;
  /** The targets of a batch for `loss` (its labels, or its own inputs for the autoencoder). */
  targets(batch: Dataset): unknown;
  /** The metric of `params` on `data`, in evaluation mode. */
  evaluate(network: Network, params: Params, state: NetworkState, data: Dataset): number;
  /** A fixed predictor fitted to the training data, the reference the report reads the optimizers against. */
  baseline?: { name: string; metric(train: Dataset, data: Dataset): number };
}

/** Examples per forward pass when evaluating (bounds the memory of a conv network's activations). */
const EVAL_CHUNK = 1000;

/** Σ over chunks of `perChunk(outputs, chunk)`, divided by the number of examples. */
function chunkedMean(
  network: Network,
  params: Params,
  state: NetworkState,
  data: Dataset,
  perChunk: (out: Matrix, x: Matrix, y: Int32Array) => number,
): number {
  let total = 0;
  const n = data.y.length;
  for (let start = 0; start < n; start += EVAL_CHUNK) {
    const end = Math.min(n, start + EVAL_CHUNK);
    const x = new Matrix(end - start, data.x.cols, data.x.data.subarray(start * data.x.cols, end * data.x.cols));
    const out = network.forward(params, x, { train: false, state });
    total += perChunk(out, x, data.y.subarray(start, end));
  }
  return total / n;
}

/** Classification accuracy. */
function classifierAccuracy(network: Network, params: Params, state: NetworkState, data: Dataset): number {
  return chunkedMean(network, params, state, data, (logits, _x, y) => accuracy(logits, y) * y.length);
}

/** Mean over images of the squared reconstruction error Σ_j (σ(z_j) − x_j)². */
export function reconstructionError(network: Network, params: Params, state: NetworkState, data: Dataset): number {
  return chunkedMean(network, params, state, data, (logits, x) => {
    let sum = 0;
    for (let k = 0; k < logits.data.length; k++) {
      const d = logistic(logits.data[k]) - x.data[k];
      sum += d * d;
    }
    return sum;
  });
}

/**
 * The reconstruction error of predicting every image by the mean training image μ: mean over images of
 * Σ_j (μ_j − x_j)². A network whose code carries nothing learns μ first (its output biases), so this is the
 * plateau an autoencoder must leave.
 */
export function meanImageError(train: Dataset, data: Dataset): number {
  const d = train.x.cols;
  const mean = new Float64Array(d);
  for (let k = 0; k < train.x.data.length; k++) mean[k % d] += train.x.data[k];
  for (let j = 0; j < d; j++) mean[j] /= train.x.rows;
  let sum = 0;
  for (let k = 0; k < data.x.data.length; k++) sum += (mean[k % d] - data.x.data[k]) ** 2;
  return sum / data.x.rows;
}

/**
 * The deep autoencoder: logistic units everywhere but the linear code layer and the output logits, with Martens'
 * sparse initialisation as Martens & Grosse (2015, §13) train it (from PyTorch's dense initialisation every
 * optimizer sits for hundreds of steps on the plateau of the mean image).
 */
export function deepAutoencoder(dtype: Dtype, widths: readonly number[] = [784, 1000, 500, 250, 30]): Network {
  const layers = [];
  const mirrored = [...widths, ...widths.slice(0, -1).reverse()];
  const code = widths.length - 1;
  for (let l = 0; l + 1 < mirrored.length; l++) {
    layers.push(dense(mirrored[l], mirrored[l + 1]));
    if (l + 1 !== code && l + 2 < mirrored.length) layers.push(sigmoid());
  }
  return sequential(layers, { inputShape: [widths[0]], dtype, init: "sparse" });
}

export const WORKLOAD_TABLE: Record<WorkloadName, Workload> = {
  "fashion-mlp": {
    name: "fashion-mlp",
    metric: "accuracy",
    higherIsBetter: true,
    build: (data, dtype) => mlp(data.train.x.cols, [256, 256], data.train.classes, dtype),
    loss: softmaxCrossEntropy,
    targets: (batch) => batch.y,
    evaluate: classifierAccuracy,
  },
  "fashion-cnn": {
    name: "fashion-cnn",
    metric: "accuracy",
    higherIsBetter: true,
    build: (data, dtype) => twoConvTwoDense({ inputShape: data.imageShape, classes: data.train.classes, dtype }),
    loss: softmaxCrossEntropy,
    targets: (batch) => batch.y,
    evaluate: classifierAccuracy,
  },
  "mnist-autoencoder": {
    name: "mnist-autoencoder",
    metric: "reconstruction error",
    higherIsBetter: false,
    build: (_data, dtype) => deepAutoencoder(dtype),
    loss: sigmoidCrossEntropy,
    targets: (batch) => batch.x,
    evaluate: reconstructionError,
    baseline: { name: "mean training image", metric: meanImageError },
  },
};

/**
 * The splits of `point.workload`, memoised per worker: validation held out of the training split
 * (`splitValidation`, seeded by dataSeed), the training subset drawn from the rest, the test subset from the test
 * split. The fashion workloads standardise the pixels with statistics of the training subset only; the
 * autoencoder keeps them in [0, 1] (they are its targets).
 */
export const workloadData: (point: TimeToTargetPoint) => Promise<WorkloadData> = memoizeAsync(
  (point: TimeToTargetPoint) =>
    JSON.stringify([point.workload, point.dataset, point.dataDir, point.dataSeed, point.settings[point.workload]]),
  prepare,
);

async function prepare(point: TimeToTargetPoint): Promise<WorkloadData> {
  const s = point.settings[point.workload];
  const autoencoder = point.workload === "mnist-autoencoder";
  const name = autoencoder ? "mnist" : await resolveDataset(point);
  const raw = name === "mnist" ? await loadMnistDigits() : await loadFashionMnist({ dataDir: point.dataDir });
  const { train: rest, validation } = splitValidation(raw.train, s.validationSize, point.dataSeed);
  const subset = (data: Dataset, size: number, seed: number) =>
    size >= data.y.length ? data : randomSubset(data, size, seed);
  const train = subset(rest, s.trainSize, point.dataSeed + 1);
  const test = subset(raw.test, s.testSize, point.dataSeed + 2);
  if (autoencoder) return { dataset: name, train, validation, test, imageShape: raw.imageShape };
  const standardize = fitStandardizer(train.x);
  return {
    dataset: name,
    train: mapInputs(train, standardize),
    validation: mapInputs(validation, standardize),
    test: mapInputs(test, standardize),
    imageShape: raw.imageShape,
  };
}
