/** Triangular solves (LAPACK dtrsm, left side): X with op(T) X = B for triangular T. */
import { Matrix } from "./matrix.js";
import { SingularMatrixError } from "./errors.js";
import { lapack, withScratch } from "./lapack-kernels.js";
import { copyIn, copyOut } from "./wasm.js";
import { requireFinite, requireSameRows, requireSquare } from "./validate.js";

export interface TriangularOptions {
  /** T is lower triangular (entries above the diagonal are ignored); otherwise upper (below ignored). */
  lower: boolean;
  /** Solve Tᵀ X = B instead of T X = B. Default false. */
  trans?: boolean;
  /** Treat the diagonal of T as ones (it is not read). Default false. */
  unitDiagonal?: boolean;
}

/**
 * Solves op(T) X = B by forward or back substitution, op(T) = T or Tᵀ, T triangular n×n, B n×k.
 * Only the triangle named by `lower` is read. Throws `SingularMatrixError` on a zero diagonal entry.
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), §3.1 (blocked: §3.1.6).
 */
export function solveTriangular(T: Matrix, B: Matrix, options: TriangularOptions): Matrix {
  const op = "solveTriangular";
  requireSquare(op, "T", T);
  requireSameRows(op, T, B);
  requireFinite(op, "T", T);
  requireFinite(op, "B", B);
  return withScratch(() => {
    const pT = copyIn(T.data);
    const pX = copyIn(B.data);
    trsm(op, pT, T.rows, pX, B.cols, options);
    return new Matrix(B.rows, B.cols, copyOut(pX, B.data.length));
  });
}

/** In-place op(T)⁻¹ X on linear memory (T n×n at pT, X n×k at pX); throws on a zero diagonal entry. */
export function trsm(
  op: string,
  pT: number,
  n: number,
  pX: number,
  k: number,
  { lower, trans = false, unitDiagonal = false }: TriangularOptions,
): void {
  const bad = lapack.dtrsm(lower ? 1 : 0, trans ? 1 : 0, unitDiagonal ? 1 : 0, n, k, pT, pX);
  if (bad >= 0) throw new SingularMatrixError(`${op}: the triangular matrix has a zero diagonal entry at ${bad}`);
}
