/**
 * Losses of a network's output: the batch loss is the mean of per-example losses ℓᵢ, L = (1/n) Σᵢ ℓᵢ, and the
 * backward pass starts from the per-example gradients gᵢ = ∂ℓᵢ/∂outputᵢ (not divided by n; see layer.ts). Each
 * loss is the negative log-likelihood of a predictive distribution (up to a constant), from which
 * `sampleTargets` draws the targets of the Monte-Carlo Fisher (Martens & Grosse 2015, §5).
 */
import { ShapeError } from "../linalg/errors.js";
import { exp, log } from "../linalg/elementary.js";
import { Matrix } from "../linalg/matrix.js";
import type { Rng } from "../random/rng.js";
import { show } from "../config/errors.js";
import { logistic } from "./activations.js";

/**
 * A loss: callable as `loss(output, targets)` for the mean loss, with the per-example gradients and the sampler
 * the training pass uses.
 */
export interface Loss<T> {
  (output: Matrix, targets: T): number;
  /** The mean loss L and the per-example gradients g (n×k), gᵢ = ∂ℓᵢ/∂outputᵢ. */
  valueAndGrad(output: Matrix, targets: T): { loss: number; g: Matrix };
  /** Targets drawn from the model's predictive distribution at `output`. */
  sampleTargets(output: Matrix, rng: Rng): T;
  /**
   * Row by row Hᵢ uᵢ, Hᵢ = ∂²ℓᵢ/∂outputᵢ² (independent of the targets for the losses here): what the generalised
   * Gauss–Newton product needs from the loss (src/nn/curvature.ts). Optional for a custom loss.
   */
  outputHessianProduct?(output: Matrix, u: Matrix): Matrix;
}

function makeLoss<T>(parts: Pick<Loss<T>, "valueAndGrad" | "sampleTargets" | "outputHessianProduct">): Loss<T> {
  const call = (output: Matrix, targets: T): number => parts.valueAndGrad(output, targets).loss;
  return Object.assign(call, parts);
}

function checkClassTargets(where: string, output: Matrix, targets: ArrayLike<number>): void {
  if (targets === null || typeof targets !== "object" || typeof targets.length !== "number") {
    throw new TypeError(`${where}: targets must be class indices (an Int32Array or number[]), got ${show(targets)}`);
  }
  if (targets.length !== output.rows) {
    throw new ShapeError(`${where}: ${targets.length} targets for ${output.rows} outputs (logits ${output.shape()})`);
  }
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    if (!Number.isInteger(t) || t < 0 || t >= output.cols) {
      throw new RangeError(`${where}: targets[${i}] must be a class index in 0…${output.cols - 1}, got ${show(t)}`);
    }
  }
}

/**
 * Row i of `logits` as probabilities, softmax(z)_j = e^{z_j − max z} / Σ_k e^{z_k − max z}, written into `p`;
 * returns log Σ_k e^{z_k} (computed stably as max z + log Σ e^{z_k − max z}).
 */
function softmaxRow(z: Float64Array, offset: number, k: number, p: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < k; j++) if (z[offset + j] > max) max = z[offset + j];
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const e = exp(z[offset + j] - max);
    p[offset + j] = e;
    sum += e;
  }
  for (let j = 0; j < k; j++) p[offset + j] /= sum;
  return max + log(sum);
}

/**
 * Softmax cross-entropy with class-index targets (PyTorch's CrossEntropyLoss, reduction "mean"):
 * ℓᵢ = log Σ_j e^{z_ij} − z_{i,yᵢ} (log-sum-exp shifted by the row maximum, so large logits do not overflow),
 * gᵢ = softmax(zᵢ) − e_{yᵢ}. The predictive distribution is categorical with probabilities softmax(zᵢ).
 */
export const softmaxCrossEntropy: Loss<ArrayLike<number>> = makeLoss({
  valueAndGrad(logits, targets) {
    checkClassTargets("softmaxCrossEntropy", logits, targets);
    const { rows: n, cols: k } = logits;
    const g = new Matrix(n, k);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const logSumExp = softmaxRow(logits.data, i * k, k, g.data);
      total += logSumExp - logits.data[i * k + targets[i]];
      g.data[i * k + targets[i]] -= 1;
    }
    return { loss: total / n, g };
  },
  sampleTargets(logits, rng) {
    const { rows: n, cols: k } = logits;
    const p = new Float64Array(n * k);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      softmaxRow(logits.data, i * k, k, p);
      // Inverse CDF; the last class absorbs rounding so a draw always lands.
      const u = rng.uniform();
      let c = 0;
      let cdf = p[i * k];
      while (u >= cdf && c < k - 1) cdf += p[i * k + ++c];
      out[i] = c;
    }
    return out;
  },
  // H = diag(p) − p pᵀ with p = softmax(z): H u = p ⊙ u − p (pᵀu).
  outputHessianProduct(logits, u) {
    checkSameShape("softmaxCrossEntropy", logits, u);
    const { rows: n, cols: k } = logits;
    const out = new Matrix(n, k);
    const p = out.data;
    for (let i = 0; i < n; i++) {
      softmaxRow(logits.data, i * k, k, p);
      let pu = 0;
      for (let j = 0; j < k; j++) pu += p[i * k + j] * u.data[i * k + j];
      for (let j = 0; j < k; j++) p[i * k + j] *= u.data[i * k + j] - pu;
    }
    return out;
  },
});

function checkSameShape(where: string, output: Matrix, u: Matrix): void {
  if (!(u instanceof Matrix) || u.rows !== output.rows || u.cols !== output.cols) {
    throw new ShapeError(
      `${where}: the output tangent must be ${output.shape()} like the output, got ${u instanceof Matrix ? u.shape() : show(u)}`,
    );
  }
}

function checkRegressionTargets(output: Matrix, targets: Matrix): void {
  if (!(targets instanceof Matrix)) throw new TypeError(`mse: targets must be a Matrix, got ${show(targets)}`);
  if (targets.rows !== output.rows || targets.cols !== output.cols) {
    throw new ShapeError(`mse: targets are ${targets.shape()} but the outputs are ${output.shape()}`);
  }
}

/**
 * Squared error with the ½ convention: ℓᵢ = ½ ‖ŷᵢ − yᵢ‖², L = (1/n) Σᵢ ℓᵢ, gᵢ = ŷᵢ − yᵢ. This is the negative
 * log-likelihood of yᵢ ~ N(ŷᵢ, I) up to a constant, so its Fisher equals its Gauss–Newton matrix; it is k/2 times
 * PyTorch's MSELoss(reduction "mean"), which averages (ŷ − y)² over all n·k entries. Sampled targets are
 * ŷᵢ + εᵢ with εᵢ ~ N(0, I).
 */
export const mse: Loss<Matrix> = makeLoss({
  valueAndGrad(output, targets) {
    checkRegressionTargets(output, targets);
    const g = new Matrix(output.rows, output.cols);
    let total = 0;
    for (let k = 0; k < g.data.length; k++) {
      const d = output.data[k] - targets.data[k];
      g.data[k] = d;
      total += d * d;
    }
    return { loss: (0.5 * total) / output.rows, g };
  },
  sampleTargets(output, rng) {
    const noise = new Float64Array(output.data.length);
    rng.fillNormal(noise);
    for (let k = 0; k < noise.length; k++) noise[k] += output.data[k];
    return new Matrix(output.rows, output.cols, noise);
  },
  // H = I.
  outputHessianProduct(output, u) {
    checkSameShape("mse", output, u);
    return u.clone();
  },
});

function checkProbabilityTargets(output: Matrix, targets: Matrix): void {
  if (!(targets instanceof Matrix)) {
    throw new TypeError(`sigmoidCrossEntropy: targets must be a Matrix of values in [0, 1], got ${show(targets)}`);
  }
  if (targets.rows !== output.rows || targets.cols !== output.cols) {
    throw new ShapeError(`sigmoidCrossEntropy: targets are ${targets.shape()} but the logits are ${output.shape()}`);
  }
  for (let k = 0; k < targets.data.length; k++) {
    const t = targets.data[k];
    if (!(t >= 0 && t <= 1)) {
      throw new RangeError(`sigmoidCrossEntropy: targets must lie in [0, 1], got ${show(t)} at entry ${k}`);
    }
  }
}

/**
 * Binary cross-entropy on logits, summed over the k outputs of an example (independent Bernoulli outputs with
 * means σ(z), targets y ∈ [0, 1] such as pixel intensities; Hinton & Salakhutdinov 2006, Martens & Grosse 2015
 * §13): ℓᵢ = Σ_j softplus(z_ij) − y_ij z_ij, with softplus(z) = max(z, 0) + log(1 + e^{−|z|}) so large logits
 * do not overflow; gᵢ = σ(zᵢ) − yᵢ and Hᵢ = diag(σ(zᵢ)(1 − σ(zᵢ))), so the GGN equals the Fisher. PyTorch's
 * BCEWithLogitsLoss(reduction "sum") divided by n. Sampled targets are Bernoulli(σ(z)) draws, 0 or 1.
 */
export const sigmoidCrossEntropy: Loss<Matrix> = makeLoss({
  valueAndGrad(logits, targets) {
    checkProbabilityTargets(logits, targets);
    const g = new Matrix(logits.rows, logits.cols);
    let total = 0;
    for (let k = 0; k < g.data.length; k++) {
      const z = logits.data[k];
      const y = targets.data[k];
      total += Math.max(z, 0) + log(1 + exp(-Math.abs(z))) - y * z;
      g.data[k] = logistic(z) - y;
    }
    return { loss: total / logits.rows, g };
  },
  sampleTargets(logits, rng) {
    const out = new Matrix(logits.rows, logits.cols);
    for (let k = 0; k < out.data.length; k++) out.data[k] = rng.uniform() < logistic(logits.data[k]) ? 1 : 0;
    return out;
  },
  // H = diag(σ(1 − σ)).
  outputHessianProduct(logits, u) {
    checkSameShape("sigmoidCrossEntropy", logits, u);
    const out = new Matrix(logits.rows, logits.cols);
    for (let k = 0; k < out.data.length; k++) {
      const p = logistic(logits.data[k]);
      out.data[k] = p * (1 - p) * u.data[k];
    }
    return out;
  },
});

/** The fraction of rows whose largest logit is at the target class (first maximum on ties). */
export function accuracy(logits: Matrix, targets: ArrayLike<number>): number {
  checkClassTargets("accuracy", logits, targets);
  const { rows: n, cols: k } = logits;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits.data[i * k + j] > logits.data[i * k + best]) best = j;
    if (best === targets[i]) correct++;
  }
  return n === 0 ? 0 : correct / n;
}
