/** Cholesky factorisation A = L Lᵀ and the SPD solve built on it. */
import { Matrix } from "./matrix.js";
import { NotPositiveDefiniteError } from "./errors.js";
import { lapack, withScratch } from "./lapack-kernels.js";
import { trsm } from "./triangular.js";
import { copyIn, copyOut, heap } from "./wasm.js";
import { requireFinite, requireSameRows, requireSquare, requireSymmetric } from "./validate.js";

/** Checks A, copies it into linear memory and factors it there; returns the pointer to L. Call in `withScratch`. */
function factor(op: string, A: Matrix): number {
  requireSquare(op, "A", A);
  const n = A.rows;
  const p = copyIn(A.data);
  requireFinite(op, "A", A, p);
  requireSymmetric(op, "A", A, NotPositiveDefiniteError, p);
  const bad = lapack.dpotrf(n, p);
  if (bad >= 0) {
    throw new NotPositiveDefiniteError(
      `${op}: A is not positive definite: pivot ${bad} is ${heap()[(p >>> 3) + bad * n + bad]} (must be > 0) after ` +
        `eliminating the first ${bad} columns`,
    );
  }
  return p;
}

/**
 * Cholesky factorisation: the lower-triangular L with positive diagonal such that A = L Lᵀ, for symmetric positive
 * definite A (only the lower triangle is used after a symmetry check). Throws `NotPositiveDefiniteError` naming the
 * first pivot that is not positive. Blocked right-looking algorithm in WebAssembly (LAPACK dpotrf).
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), Alg. 4.2.1 and §4.2.9.
 */
export function cholesky(A: Matrix): Matrix {
  return withScratch(() => new Matrix(A.rows, A.cols, copyOut(factor("cholesky", A), A.data.length)));
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
  return withScratch(() => {
    const pL = factor(op, A);
    const pX = copyIn(B.data);
    trsm(op, pL, A.rows, pX, B.cols, { lower: true });
    trsm(op, pL, A.rows, pX, B.cols, { lower: true, trans: true });
    return new Matrix(B.rows, B.cols, copyOut(pX, B.data.length));
  });
}
