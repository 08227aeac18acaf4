/**
 * Batch normalisation (Ioffe & Szegedy 2015) on activations with one sample per row: per column of an n×m hidden
 * layer, or per channel of NCHW images flattened per row (`spatial` = H·W entries per channel).
 *
 * Training mode normalises each channel by the batch's own mean and biased variance; evaluation mode uses given
 * statistics (`batchNormWithStatistics`, `RunningStats`). The backward pass differentiates through whichever
 * statistics the forward pass used. The `nn.batchNorm` layer is built on these kernels.
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
  /** 1/√(v + ε) per channel. */
  invStd: Float64Array;
  /** γ at forward time. */
  gamma: Float64Array;
  /** Entries per channel in a row (see `batchNormForward`). */
  spatial: number;
  /** true when μ and v were the batch's own (training mode), false for running statistics (evaluation mode). */
  batchStatistics: boolean;
}

/** Default ε (PyTorch's). */
export const BATCHNORM_EPS = 1e-5;

/** Fresh parameters for m units: γ = 1, β = 0. */
export function initBatchNorm(m: number, eps = BATCHNORM_EPS): BatchNormParams {
  return { gamma: new Float64Array(m).fill(1), beta: new Float64Array(m), eps };
}

/** The number of channels of rows with `cols` entries, `spatial` per channel; throws when it does not divide. */
function channelCount(where: string, cols: number, spatial: number): number {
  if (!Number.isInteger(spatial) || spatial < 1) {
    throw new RangeError(`${where}: spatial must be a positive integer, got ${spatial}`);
  }
  if (cols % spatial !== 0) {
    throw new ShapeError(`${where}: rows have ${cols} entries, not a multiple of spatial = ${spatial}`);
  }
  return cols / spatial;
}

function checkParams(where: string, m: number, p: BatchNormParams): void {
  if (p.gamma.length !== m || p.beta.length !== m) {
    throw new ShapeError(
      `${where}: gamma and beta need ${m} entries (one per channel), got ${p.gamma.length} and ${p.beta.length}`,
    );
  }
  if (!(p.eps >= 0)) throw new RangeError(`${where}: eps must be ≥ 0, got ${p.eps}`);
}

/**
 * Training-mode forward pass. Each row holds C channels of `spatial` consecutive entries (spatial = 1: an n×C
 * hidden layer; spatial = H·W: an NCHW image flattened per row, as after a convolution). For each channel c, over
 * the M = n·spatial entries H_ic· of that channel: μ_c = (1/M) Σ H, v_c = (1/M) Σ (H − μ_c)² (biased),
 * x̂ = (H − μ_c)/√(v_c + ε), out = γ_c x̂ + β_c (Ioffe & Szegedy 2015, Alg. 1; PyTorch's BatchNorm1d/2d).
 */
export function batchNormForward(
  H: Matrix,
  p: BatchNormParams,
  spatial = 1,
): { out: Matrix; cache: BatchNormCache; mean: Float64Array; variance: Float64Array } {
  const { rows: n, cols } = H;
  const m = channelCount("batchNormForward", cols, spatial);
  checkParams("batchNormForward", m, p);
  if (n < 1) throw new ShapeError(`batchNormForward: need at least one row, got ${H.shape()}`);
  const count = n * spatial;
  const h = H.data;
  const mean = new Float64Array(m);
  const variance = new Float64Array(m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) for (let s = 0, k = i * cols + j * spatial; s < spatial; s++) mean[j] += h[k + s];
  for (let j = 0; j < m; j++) mean[j] /= count;
  // Two-pass variance: subtract the mean first so large offsets do not cancel catastrophically.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      for (let s = 0, k = i * cols + j * spatial; s < spatial; s++) {
        const c = h[k + s] - mean[j];
        variance[j] += c * c;
      }
    }
  }
  const invStd = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    variance[j] /= count;
    invStd[j] = 1 / Math.sqrt(variance[j] + p.eps);
  }
  const { out, cache } = normalizeWith(H, p, mean, invStd, spatial, true);
  return { out, cache, mean, variance };
}

/**
 * Evaluation-mode forward pass: the same normalisation with given (running) statistics,
 * out = γ_c (H − mean_c)/√(variance_c + ε) + β_c; channels laid out as in `batchNormForward`.
 */
export function batchNormWithStatistics(
  H: Matrix,
  p: BatchNormParams,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  spatial = 1,
): { out: Matrix; cache: BatchNormCache } {
  const m = channelCount("batchNormWithStatistics", H.cols, spatial);
  checkParams("batchNormWithStatistics", m, p);
  if (mean.length !== m || variance.length !== m) {
    throw new ShapeError(
      `batchNormWithStatistics: need ${m} means and variances (one per channel), got ${mean.length} and ${variance.length}`,
    );
  }
  const invStd = new Float64Array(m);
  for (let j = 0; j < m; j++) invStd[j] = 1 / Math.sqrt(variance[j] + p.eps);
  return normalizeWith(H, p, mean, invStd, spatial, false);
}

function normalizeWith(
  H: Matrix,
  p: BatchNormParams,
  mean: ArrayLike<number>,
  invStd: Float64Array,
  spatial: number,
  batchStatistics: boolean,
): { out: Matrix; cache: BatchNormCache } {
  const { rows: n, cols } = H;
  const m = invStd.length;
  const normalized = new Matrix(n, cols);
  const out = new Matrix(n, cols);
  const h = H.data;
  const xh = normalized.data;
  const o = out.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const [mu, is, ga, be] = [mean[j], invStd[j], p.gamma[j], p.beta[j]];
      for (let s = 0, k = i * cols + j * spatial; s < spatial; s++, k++) {
        xh[k] = (h[k] - mu) * is;
        o[k] = ga * xh[k] + be;
      }
    }
  }
  return { out, cache: { normalized, invStd, gamma: p.gamma.slice(), spatial, batchStatistics } };
}

/** What `batchNormBackward` returns; the per-example parts only when asked for. */
export interface BatchNormGradients {
  dH: Matrix;
  dGamma: Float64Array;
  dBeta: Float64Array;
  /** Row i's contribution to dGamma (n×C): Σ over its spatial entries of g ⊙ x̂. */
  perExampleGamma?: Matrix;
  /** Row i's contribution to dBeta (n×C): Σ over its spatial entries of g. */
  perExampleBeta?: Matrix;
}

/**
 * Backward pass of `batchNormForward` / `batchNormWithStatistics`: with g = ∂L/∂out and sums over the M entries
 * of channel c, ∂L/∂β_c = Σ g, ∂L/∂γ_c = Σ g x̂, and the input gradient through the batch statistics
 * ∂L/∂H = (γ_c /(M √(v_c + ε))) · (M g − Σ g − x̂ Σ g x̂) (Ioffe & Szegedy 2015, §3), or, with fixed running
 * statistics, ∂L/∂H = γ_c g /√(v_c + ε). `perExample: true` also returns each row's share of ∂L/∂γ and ∂L/∂β.
 */
export function batchNormBackward(
  dOut: Matrix,
  cache: BatchNormCache,
  options: { perExample?: boolean } = {},
): BatchNormGradients {
  const { normalized, invStd, gamma, spatial, batchStatistics } = cache;
  const { rows: n, cols } = normalized;
  const m = invStd.length;
  if (dOut.rows !== n || dOut.cols !== cols) {
    throw new ShapeError(`batchNormBackward: dOut is ${dOut.shape()} but the forward output was ${normalized.shape()}`);
  }
  const g = dOut.data;
  const xh = normalized.data;
  const dGamma = new Float64Array(m);
  const dBeta = new Float64Array(m);
  const perGamma = options.perExample ? new Matrix(n, m) : undefined;
  const perBeta = options.perExample ? new Matrix(n, m) : undefined;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let rowBeta = 0;
      let rowGamma = 0;
      for (let s = 0, k = i * cols + j * spatial; s < spatial; s++, k++) {
        rowBeta += g[k];
        rowGamma += g[k] * xh[k];
      }
      dBeta[j] += rowBeta;
      dGamma[j] += rowGamma;
      if (perGamma && perBeta) {
        perGamma.data[i * m + j] = rowGamma;
        perBeta.data[i * m + j] = rowBeta;
      }
    }
  }
  const dH = new Matrix(n, cols);
  const dh = dH.data;
  const count = n * spatial;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const k0 = i * cols + j * spatial;
      if (batchStatistics) {
        const c = (gamma[j] * invStd[j]) / count;
        for (let k = k0; k < k0 + spatial; k++) dh[k] = c * (count * g[k] - dBeta[j] - xh[k] * dGamma[j]);
      } else {
        const c = gamma[j] * invStd[j];
        for (let k = k0; k < k0 + spatial; k++) dh[k] = c * g[k];
      }
    }
  }
  return { dH, dGamma, dBeta, perExampleGamma: perGamma, perExampleBeta: perBeta };
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
    if (H.cols !== this.mean.length) {
      throw new ShapeError(`RunningStats.normalize: H has ${H.cols} columns, the statistics track ${this.mean.length}`);
    }
    return batchNormWithStatistics(H, p, this.mean, this.variance).out;
  }
}
