/**
 * The ridge readout of the single-index experiments: regress y on features Φ (σ(W₁x) for the trained networks, x
 * itself for the linear baseline), choosing the ridge penalty on a validation split, then report the test MSE.
 *
 * Procedure: centre Φ and y with the training rows' means (an unpenalised intercept); split the training rows
 * into a fit part (the first 1 − f) and a validation part (the last f); for each λ = ρ · tr(ΦᵀΦ)/p on the grid of
 * relative penalties ρ solve the ridge problem on the fit part (as `paper/metrics/regression.ridge` does, W =
 * (ΦᵀΦ + λI)⁻¹Φᵀy) and score it on the validation part; refit on all training rows with the best λ and measure the
 * MSE on the test rows. The Gram matrix ΦᵀΦ is formed once and reused across the grid, which is why the solve is
 * written here rather than calling `ridge` once per λ (that would rebuild it each time).
 */
import { Matrix } from "../../linalg/matrix.js";
import { gram, matmul } from "../../linalg/blas.js";
import { solveSPD } from "../../linalg/decompositions.js";

export interface ReadoutOptions {
  /** Relative ridge penalties ρ (λ = ρ · tr(ΦᵀΦ)/p). */
  lambdaGrid: readonly number[];
  /** Fraction of the training rows held out to choose λ, in (0, 1). */
  validationFraction: number;
}

export interface ReadoutResult {
  /** Test MSE, or null when no test rows were given. */
  testMSE: number | null;
  validationMSE: number;
  /** The chosen relative penalty ρ. */
  lambda: number;
}

/**
 * Fits the readout on (train, yTrain) and evaluates it on the test rows; with `test` null it stops once λ is
 * chosen (no refit), which is all step-size tuning needs.
 */
export function ridgeReadout(
  train: Matrix,
  yTrain: Float64Array,
  test: { X: Matrix; y: Float64Array } | null,
  options: ReadoutOptions,
): ReadoutResult {
  const { rows: n, cols: p } = train;
  const nVal = Math.max(1, Math.round(n * options.validationFraction));
  const nFit = n - nVal;
  if (nFit < 1) throw new RangeError(`readout: need at least 2 training rows, got ${n}`);
  const mean = columnMeans(train);
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += yTrain[i] / n;
  const Phi = centred(train, mean);
  const y = yTrain.map((v) => v - yMean);
  const fit = new Matrix(nFit, p, Phi.data.subarray(0, nFit * p));
  const val = new Matrix(nVal, p, Phi.data.subarray(nFit * p));
  const Kfit = gram(fit);
  const bFit = matmul(fit, Matrix.column(y.subarray(0, nFit)), { transA: true });
  const scaleFit = traceOver(Kfit);
  let best = { lambda: options.lambdaGrid[0], mse: Infinity };
  for (const rho of options.lambdaGrid) {
    const w = solveSPD(withRidge(Kfit, rho * scaleFit), bFit);
    const mse = meanSquaredError(val, w, y.subarray(nFit), 0);
    if (mse < best.mse) best = { lambda: rho, mse };
  }
  if (!test) return { testMSE: null, validationMSE: best.mse, lambda: best.lambda };
  // Refit on every training row: ΦᵀΦ = fit part + validation part.
  const K = Kfit;
  const Kval = gram(val);
  for (let k = 0; k < K.data.length; k++) K.data[k] += Kval.data[k];
  const b = matmul(Phi, Matrix.column(y), { transA: true });
  const w = solveSPD(withRidge(K, best.lambda * traceOver(K)), b);
  const testMSE = meanSquaredError(centred(test.X, mean), w, test.y, yMean);
  return { testMSE, validationMSE: best.mse, lambda: best.lambda };
}

function columnMeans(A: Matrix): Float64Array {
  const { rows: n, cols: p, data } = A;
  const m = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) m[j] += data[i * p + j];
  for (let j = 0; j < p; j++) m[j] /= n;
  return m;
}

function centred(A: Matrix, mean: Float64Array): Matrix {
  const p = A.cols;
  const out = A.clone();
  for (let k = 0; k < out.data.length; k++) out.data[k] -= mean[k % p];
  return out;
}

/** tr(K)/p, the mean eigenvalue: the scale the relative penalties refer to (1 for an all-zero K). */
function traceOver(K: Matrix): number {
  let t = 0;
  for (let i = 0; i < K.rows; i++) t += K.data[i * K.rows + i];
  return t > 0 ? t / K.rows : 1;
}

function withRidge(K: Matrix, lambda: number): Matrix {
  const A = K.clone();
  for (let i = 0; i < A.rows; i++) A.data[i * A.rows + i] += lambda;
  return A;
}

/** (1/n) Σ_i (y_i − (Φ_i w + offset))². */
function meanSquaredError(Phi: Matrix, w: Matrix, y: ArrayLike<number>, offset: number): number {
  const pred = matmul(Phi, w).data;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - pred[i] - offset) ** 2;
  return s / y.length;
}
