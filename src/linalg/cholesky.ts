/** Cholesky factorisation A = L Lᵀ and the SPD solve built on it. */
import { Matrix } from "./matrix.js";
import { NotPositiveDefiniteError } from "./errors.js";
import { substitute } from "./triangular.js";
import { requireFinite, requireSameRows, requireSquare, requireSymmetric } from "./validate.js";

/** Factors the lower triangle of A in place into L (row-major n×n); the strict upper triangle is zeroed. */
function factorInPlace(op: string, a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= a[rj + k] * a[rj + k];
    if (!(s > 0)) {
      throw new NotPositiveDefiniteError(
        `${op}: A is not positive definite: pivot ${j} is ${s} (must be > 0) after eliminating the first ${j} columns`,
      );
    }
    const ljj = Math.sqrt(s);
    a[rj + j] = ljj;
    const r = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let t = a[ri + j];
      for (let k = 0; k < j; k++) t -= a[ri + k] * a[rj + k];
      a[ri + j] = t * r;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
}

/** Checks A and returns its Cholesky factor's data (row-major). */
function factor(op: string, A: Matrix): Float64Array {
  requireSquare(op, "A", A);
  requireFinite(op, "A", A);
  requireSymmetric(op, "A", A, NotPositiveDefiniteError);
  const a = A.data.slice();
  factorInPlace(op, a, A.rows);
  return a;
}

/**
 * Cholesky factorisation: the lower-triangular L with positive diagonal such that A = L Lᵀ, for symmetric positive
 * definite A (only the lower triangle is used after a symmetry check). Throws `NotPositiveDefiniteError` naming the
 * first pivot that is not positive. Reference: Golub & Van Loan, Matrix Computations (4th ed.), Alg. 4.2.1.
 */
export function cholesky(A: Matrix): Matrix {
  return new Matrix(A.rows, A.cols, factor("cholesky", A));
}

/**
 * Solves A X = B for symmetric positive definite A via A = L Lᵀ: L Y = B, then Lᵀ X = Y. B is n×k (a vector as
 * n×1). Throws `NotPositiveDefiniteError` if A is not SPD.
 */
export function solveSPD(A: Matrix, B: Matrix): Matrix {
  const op = "solveSPD";
  requireSquare(op, "A", A);
  requireSameRows(op, A, B);
  requireFinite(op, "B", B);
  const l = factor(op, A);
  const X = B.clone();
  const n = A.rows;
  substitute(op, l, n, X.data, X.cols, { lower: true });
  substitute(op, l, n, X.data, X.cols, { lower: true, trans: true });
  return X;
}
