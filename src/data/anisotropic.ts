/**
 * Re-conditioning of real inputs: a fixed invertible linear map that gives the training inputs a chosen covariance
 * spectrum, so the effect of input conditioning on an optimizer can be measured on real images while the best
 * achievable accuracy stays the same (any classifier that is affine in the inputs can undo the map exactly).
 */
import { gram, matmul } from "../linalg/blas.js";
import { eigh } from "../linalg/eigh.js";
import { Matrix } from "../linalg/matrix.js";
import { spectrum } from "../random/covariance.js";
import { haarOrthogonal } from "../random/matrices.js";
import { Rng } from "../random/rng.js";
import { fitStandardizer, requireInputDim, type InputMap, type InputMapFitter } from "./standardize.js";

/** Options of `anisotropic`. */
export interface AnisotropicOptions {
  /** How many top principal components to keep (1 ≤ pcaDims ≤ min(d, n − 1)). Default 64. */
  pcaDims?: number;
  /** Rotate the re-scaled axes by a fixed Haar-random rotation (so they are not the principal axes). Default false. */
  rotate?: boolean;
  /** Seed of that rotation. Default 0. */
  seed?: number;
}

/** The fitted map z = x·A + b (A is d×pcaDims) and what it was built from. */
export interface AnisotropicMap extends InputMap {
  /** The linear part A (d×pcaDims): z = x·A + b. */
  readonly weight: Matrix;
  /** The offset b = −μᵀA, so that z = (x − μ)·A and the training inputs map to mean zero. */
  readonly bias: Float64Array;
  /** The variances of the kept principal components of the standardised training data, descending. */
  readonly pcaVariances: Float64Array;
  /** The target spectrum (descending, log-spaced from κ to 1): the eigenvalues of the output's training covariance. */
  readonly spectrum: Float64Array;
  /** V_k (d×pcaDims): the kept principal axes of the standardised training data, orthonormal columns. */
  readonly basis: Matrix;
  /** R (pcaDims×pcaDims): the Haar rotation applied after re-scaling, or the identity without `rotate`. */
  readonly rotation: Matrix;
}

/** Principal components with variance below this fraction of the largest are treated as absent. */
const RANK_TOLERANCE = 1e-10;

/**
 * The re-conditioning fitter with condition number κ. Fitted on training inputs X (n×d) it builds
 *
 *   z = ((x − μ)/σ) · V_k · diag(√(s_i / λ_i)) · R
 *
 * where μ, σ are the training standardisation statistics (per-feature mean, global std), λ_1 ≥ … ≥ λ_k and V_k the
 * top k = pcaDims eigenpairs of the standardised training covariance C = ZᵀZ/n (PCA via `linalg.eigh`), s the
 * log-spaced spectrum s_i = κ^{(k−i)/(k−1)} from κ down to 1 (`random/covariance.spectrum`), and R a fixed
 * Haar-random k×k rotation (`rotate`) or the identity. Then the output training covariance is
 * Rᵀ·diag(s)·R, with condition number exactly κ: projection onto the top components, whitening (÷√λ), and
 * re-scaling (×√s). Restricted to the span of V_k the map is invertible, so a classifier on z can represent
 * exactly the affine functions of the k-dimensional PCA projection, at every κ.
 * References: Jolliffe, Principal Component Analysis (2nd ed., 2002), §3.1; whitening: Kessy, Lewin & Strimmer,
 * "Optimal whitening and decorrelation", The American Statistician 72 (2018); Haar rotation: Mezzadri (2007).
 */
export function anisotropic(kappa: number, options: AnisotropicOptions = {}): InputMapFitter {
  const pcaDims = options.pcaDims ?? 64;
  const rotate = options.rotate ?? false;
  const seed = options.seed ?? 0;
  if (!Number.isFinite(kappa) || kappa < 1)
    throw new RangeError(`anisotropic: kappa must be a finite number ≥ 1, got ${kappa}`);
  if (!Number.isInteger(pcaDims) || pcaDims < 1) {
    throw new RangeError(`anisotropic: pcaDims must be a positive integer, got ${pcaDims}`);
  }
  if (typeof rotate !== "boolean")
    throw new TypeError(`anisotropic: rotate must be true or false, got ${String(rotate)}`);
  if (!Number.isFinite(seed)) throw new RangeError(`anisotropic: seed must be a finite number, got ${seed}`);
  return { fit: (train) => fitAnisotropic(train, kappa, pcaDims, rotate, seed) };
}

function fitAnisotropic(train: Matrix, kappa: number, k: number, rotate: boolean, seed: number): AnisotropicMap {
  const { rows: n, cols: d } = train;
  if (k > d || k > n - 1) {
    throw new RangeError(
      `anisotropic: pcaDims = ${k} exceeds what ${n} training examples of dimension ${d} allow (at most ${Math.min(d, n - 1)})`,
    );
  }
  const standardizer = fitStandardizer(train);
  const z = standardizer.apply(train);
  const covariance = gram(z);
  for (let i = 0; i < covariance.data.length; i++) covariance.data[i] /= n;
  const { values, vectors } = eigh(covariance);
  const top = new Float64Array(k);
  for (let i = 0; i < k; i++) top[i] = values[d - 1 - i];
  if (!(top[k - 1] > RANK_TOLERANCE * top[0])) {
    const rank = top.filter((v) => v > RANK_TOLERANCE * top[0]).length;
    throw new RangeError(
      `anisotropic: pcaDims = ${k} but the training data varies in only ${rank} directions; choose pcaDims ≤ ${rank}`,
    );
  }
  const target = spectrum(k, { kind: "logspaced", kappa });
  const basis = new Matrix(d, k);
  for (let i = 0; i < k; i++) for (let r = 0; r < d; r++) basis.data[r * k + i] = vectors.data[r * d + (d - 1 - i)];
  // Column i of the linear part: v_i · √(s_i/λ_i) / σ (the standardisation's scale folded in).
  let weight = new Matrix(d, k);
  for (let i = 0; i < k; i++) {
    const scale = Math.sqrt(target[i] / top[i]) / standardizer.std;
    for (let r = 0; r < d; r++) weight.data[r * k + i] = basis.data[r * k + i] * scale;
  }
  const rotation = rotate ? haarOrthogonal(new Rng(seed), k) : Matrix.identity(k);
  if (rotate) weight = matmul(weight, rotation);
  // b = −μᵀA, so that x·A + b = (x − μ)·A.
  const bias = new Float64Array(k);
  const mean = standardizer.mean;
  for (let r = 0; r < d; r++) for (let i = 0; i < k; i++) bias[i] -= mean[r] * weight.data[r * k + i];
  return {
    inputDim: d,
    outputDim: k,
    weight,
    bias,
    pcaVariances: top,
    spectrum: target,
    basis,
    rotation,
    apply(x: Matrix): Matrix {
      requireInputDim("anisotropic", d, x);
      const out = matmul(x, weight);
      for (let i = 0; i < out.rows; i++) for (let j = 0; j < k; j++) out.data[i * k + j] += bias[j];
      return out;
    },
  };
}
