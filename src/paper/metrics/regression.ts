/**
 * Ridge regression readouts (least squares when λ = 0), used for the least-squares head of alternating
 * minimisation, the transfer-task head and the single-index readout.
 */
import { Matrix } from "../../linalg/matrix.js";
import { ShapeError, SingularMatrixError } from "../../linalg/errors.js";
import { gram, matmul } from "../../linalg/blas.js";
import { solveSPD } from "../../linalg/cholesky.js";

/**
 * The ridge solution W (d×q) minimising ‖Y − X W‖_F² + λ‖W‖_F² for X n×d (rows = samples) and Y n×q:
 * W = (XᵀX + λI)⁻¹ XᵀY (Hoerl & Kennard 1970), solved through the Cholesky factor of the d×d normal matrix.
 * With λ = 0 this is ordinary least squares and needs X to have full column rank: it throws
 * `SingularMatrixError` when n < d and `NotPositiveDefiniteError` when XᵀX is otherwise singular.
 */
export function ridge(X: Matrix, Y: Matrix, lambda: number): Matrix {
  if (X.rows !== Y.rows) throw new ShapeError(`ridge: X is ${X.shape()} and Y is ${Y.shape()}; they need equal rows`);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) {
    throw new RangeError(`ridge: lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  const { rows: n, cols: d } = X;
  if (lambda === 0 && n < d) {
    throw new SingularMatrixError(
      `ridge: least squares (lambda = 0) needs at least as many samples as features, got ${n} samples and ${d} features; use lambda > 0`,
    );
  }
  const A = gram(X);
  for (let i = 0; i < d; i++) A.data[i * d + i] += lambda;
  return solveSPD(A, matmul(X, Y, { transA: true }));
}
