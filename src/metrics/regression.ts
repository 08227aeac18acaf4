/**
 * Ridge regression readouts (least squares when λ = 0), used for the least-squares head of alternating
 * minimisation, the transfer-task head and the single-index readout.
 */
import { Matrix } from "../linalg/matrix.js";
import { NotPositiveDefiniteError, ShapeError } from "../linalg/errors.js";

/**
 * The ridge solution W (d×q) minimising ‖Y − X W‖_F² + λ‖W‖_F² for X n×d (rows = samples) and Y n×q:
 * W = (XᵀX + λI)⁻¹ XᵀY (Hoerl & Kennard 1970), solved through the Cholesky factor of the d×d normal matrix.
 * With λ = 0 this is ordinary least squares and needs X to have full column rank (n ≥ d); otherwise it throws
 * NotPositiveDefiniteError.
 */
export function ridge(X: Matrix, Y: Matrix, lambda: number): Matrix {
  if (X.rows !== Y.rows) throw new ShapeError(`ridge: X is ${X.shape()} and Y is ${Y.shape()}; they need equal rows`);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) {
    throw new RangeError(`ridge: lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  const { rows: n, cols: d } = X;
  const q = Y.cols;
  const x = X.data;
  const y = Y.data;
  // Normal matrix A = XᵀX + λI (upper triangle, then mirrored) and right-hand side B = XᵀY, both by
  // accumulating one sample (row) at a time so the reads stream through X and Y once.
  const A = new Float64Array(d * d);
  const B = new Float64Array(d * q);
  for (let s = 0; s < n; s++) {
    const xs = s * d;
    const ys = s * q;
    for (let i = 0; i < d; i++) {
      const xi = x[xs + i];
      if (xi === 0) continue;
      const ai = i * d;
      for (let j = i; j < d; j++) A[ai + j] += xi * x[xs + j];
      const bi = i * q;
      for (let j = 0; j < q; j++) B[bi + j] += xi * y[ys + j];
    }
  }
  for (let i = 0; i < d; i++) {
    A[i * d + i] += lambda;
    for (let j = 0; j < i; j++) A[i * d + j] = A[j * d + i];
  }
  return new Matrix(d, q, choleskySolveInPlace(A, B, d, q));
}

// TODO(lead): replace with linalg.solveSPD once the numerical core lands (kept private and minimal until then).
/** Solves A W = B for symmetric positive-definite A (d×d, row-major, overwritten by its Cholesky factor). */
function choleskySolveInPlace(A: Float64Array, B: Float64Array, d: number, q: number): Float64Array {
  // Relative tolerance: a pivot this small compared with the diagonal means A is numerically singular.
  let maxDiag = 0;
  for (let i = 0; i < d; i++) maxDiag = Math.max(maxDiag, Math.abs(A[i * d + i]));
  const tol = maxDiag * d * Number.EPSILON;
  for (let j = 0; j < d; j++) {
    let s = A[j * d + j];
    for (let k = 0; k < j; k++) s -= A[j * d + k] * A[j * d + k];
    if (!(s > tol)) {
      throw new NotPositiveDefiniteError(
        `ridge: the normal matrix XᵀX + λI is not positive definite (pivot ${s} at column ${j}); ` +
          `use lambda > 0 or more samples than features`,
      );
    }
    const l = Math.sqrt(s);
    A[j * d + j] = l;
    for (let i = j + 1; i < d; i++) {
      let t = A[i * d + j];
      for (let k = 0; k < j; k++) t -= A[i * d + k] * A[j * d + k];
      A[i * d + j] = t / l;
    }
  }
  // Forward (L Z = B) then backward (Lᵀ W = Z) substitution, all q right-hand sides at once.
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < i; k++) {
      const l = A[i * d + k];
      for (let c = 0; c < q; c++) B[i * q + c] -= l * B[k * q + c];
    }
    const inv = 1 / A[i * d + i];
    for (let c = 0; c < q; c++) B[i * q + c] *= inv;
  }
  for (let i = d - 1; i >= 0; i--) {
    for (let k = i + 1; k < d; k++) {
      const l = A[k * d + i];
      for (let c = 0; c < q; c++) B[i * q + c] -= l * B[k * q + c];
    }
    const inv = 1 / A[i * d + i];
    for (let c = 0; c < q; c++) B[i * q + c] *= inv;
  }
  return B;
}
