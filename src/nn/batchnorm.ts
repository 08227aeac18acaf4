/**
 * Batch normalisation of a hidden layer (Ioffe & Szegedy 2015), on n×m activations with one sample per row.
 *
 * Training mode normalises each column (unit) by the batch's own mean and biased variance; evaluation mode uses
 * running statistics (`RunningStats`). The backward pass differentiates through the batch statistics.
 */
import { Matrix } from "../linalg/matrix.js";
import { ShapeError } from "../linalg/errors.js";

/** Learnable scale γ and shift β (one per unit) and the variance floor ε. */
export interface BatchNormParams {
  gamma: Float64Array;
  beta: Float64Array;
  eps: number;
}

/** What the backward pass needs from the forward pass. */
export interface BatchNormCache {
  /** The normalised activations x̂ = (H − μ)/√(v + ε), n×m. */
  normalized: Matrix;
  /** 1/√(v + ε) per unit. */
  invStd: Float64Array;
  /** γ at forward time. */
  gamma: Float64Array;
}

/** Default ε (PyTorch's). */
export const BATCHNORM_EPS = 1e-5;

/** Fresh parameters for m units: γ = 1, β = 0. */
export function initBatchNorm(m: number, eps = BATCHNORM_EPS): BatchNormParams {
  return { gamma: new Float64Array(m).fill(1), beta: new Float64Array(m), eps };
}

function checkParams(where: string, m: number, p: BatchNormParams): void {
  if (p.gamma.length !== m || p.beta.length !== m) {
    throw new ShapeError(
      `${where}: gamma and beta need ${m} entries (one per column), got ${p.gamma.length} and ${p.beta.length}`,
    );
  }
  if (!(p.eps >= 0)) throw new RangeError(`${where}: eps must be ≥ 0, got ${p.eps}`);
}

/**
 * Training-mode forward pass. For each column j: μ_j = (1/n) Σ_i H_ij, v_j = (1/n) Σ_i (H_ij − μ_j)²,
 * x̂_ij = (H_ij − μ_j)/√(v_j + ε), out_ij = γ_j x̂_ij + β_j.
 */
export function batchNormForward(
  H: Matrix,
  p: BatchNormParams,
): { out: Matrix; cache: BatchNormCache; mean: Float64Array; variance: Float64Array } {
  const { rows: n, cols: m } = H;
  checkParams("batchNormForward", m, p);
  if (n < 1) throw new ShapeError(`batchNormForward: need at least one row, got ${H.shape()}`);
  const h = H.data;
  const mean = new Float64Array(m);
  const variance = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mean[j] += h[i * m + j];
  for (let j = 0; j < m; j++) mean[j] /= n;
  // Two-pass variance: subtract the mean first so large offsets do not cancel catastrophically.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const c = h[i * m + j] - mean[j];
      variance[j] += c * c;
    }
  }
  const invStd = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    variance[j] /= n;
    invStd[j] = 1 / Math.sqrt(variance[j] + p.eps);
  }
  const normalized = new Matrix(n, m);
  const out = new Matrix(n, m);
  const xh = normalized.data;
  const o = out.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const k = i * m + j;
      xh[k] = (h[k] - mean[j]) * invStd[j];
      o[k] = p.gamma[j] * xh[k] + p.beta[j];
    }
  }
  return { out, cache: { normalized, invStd, gamma: p.gamma.slice() }, mean, variance };
}

/**
 * Backward pass of `batchNormForward`, through the batch statistics: with g = ∂L/∂out,
 * ∂L/∂β_j = Σ_i g_ij, ∂L/∂γ_j = Σ_i g_ij x̂_ij and
 * ∂L/∂H_ij = (γ_j /(n √(v_j + ε))) · (n g_ij − Σ_k g_kj − x̂_ij Σ_k g_kj x̂_kj).
 */
export function batchNormBackward(
  dOut: Matrix,
  cache: BatchNormCache,
): { dH: Matrix; dGamma: Float64Array; dBeta: Float64Array } {
  const { normalized, invStd, gamma } = cache;
  const { rows: n, cols: m } = normalized;
  if (dOut.rows !== n || dOut.cols !== m) {
    throw new ShapeError(`batchNormBackward: dOut is ${dOut.shape()} but the forward output was ${normalized.shape()}`);
  }
  const g = dOut.data;
  const xh = normalized.data;
  const dGamma = new Float64Array(m);
  const dBeta = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const k = i * m + j;
      dBeta[j] += g[k];
      dGamma[j] += g[k] * xh[k];
    }
  }
  const dH = new Matrix(n, m);
  const dh = dH.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const k = i * m + j;
      dh[k] = ((gamma[j] * invStd[j]) / n) * (n * g[k] - dBeta[j] - xh[k] * dGamma[j]);
    }
  }
  return { dH, dGamma, dBeta };
}

/**
 * Running estimates of each unit's mean and variance for evaluation mode, updated as exponential moving averages
 * (PyTorch's convention): r ← (1 − momentum)·r + momentum·batch, starting from mean 0 and variance 1.
 */
export class RunningStats {
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  readonly momentum: number;

  constructor(m: number, momentum = 0.1) {
    if (!Number.isInteger(m) || m < 1) throw new RangeError(`RunningStats: m must be a positive integer, got ${m}`);
    if (!(momentum > 0 && momentum <= 1)) {
      throw new RangeError(`RunningStats: momentum must be in (0, 1], got ${momentum}`);
    }
    this.mean = new Float64Array(m);
    this.variance = new Float64Array(m).fill(1);
    this.momentum = momentum;
  }

  /** Folds in one batch's statistics (as returned by `batchNormForward`). */
  update(mean: Float64Array, variance: Float64Array): void {
    const m = this.mean.length;
    if (mean.length !== m || variance.length !== m) {
      throw new ShapeError(
        `RunningStats.update: need ${m} means and variances, got ${mean.length} and ${variance.length}`,
      );
    }
    const a = this.momentum;
    for (let j = 0; j < m; j++) {
      this.mean[j] = (1 - a) * this.mean[j] + a * mean[j];
      this.variance[j] = (1 - a) * this.variance[j] + a * variance[j];
    }
  }

  /** Evaluation-mode forward: out_ij = γ_j (H_ij − r_mean_j)/√(r_var_j + ε) + β_j. */
  normalize(H: Matrix, p: BatchNormParams): Matrix {
    const { rows: n, cols: m } = H;
    if (m !== this.mean.length) {
      throw new ShapeError(`RunningStats.normalize: H has ${m} columns, the statistics track ${this.mean.length}`);
    }
    checkParams("RunningStats.normalize", m, p);
    const out = new Matrix(n, m);
    const scale = new Float64Array(m);
    for (let j = 0; j < m; j++) scale[j] = p.gamma[j] / Math.sqrt(this.variance[j] + p.eps);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const k = i * m + j;
        out.data[k] = scale[j] * (H.data[k] - this.mean[j]) + p.beta[j];
      }
    }
    return out;
  }
}
