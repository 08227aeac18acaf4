/** Triangular solves (LAPACK dtrsm, left side): X with op(T) X = B for triangular T. */
import { Matrix } from "./matrix.js";
import { SingularMatrixError } from "./errors.js";
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
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), §3.1.
 */
export function solveTriangular(T: Matrix, B: Matrix, options: TriangularOptions): Matrix {
  const op = "solveTriangular";
  requireSquare(op, "T", T);
  requireSameRows(op, T, B);
  requireFinite(op, "T", T);
  requireFinite(op, "B", B);
  const X = B.clone();
  substitute(op, T.data, T.rows, X.data, X.cols, options);
  return X;
}

/**
 * In-place substitution on row-major arrays: x (n×k) ← op(T)⁻¹ x. op(T) is lower triangular when
 * `lower !== trans`; entry (i, j) of op(T) is t[i·n + j] or, transposed, t[j·n + i]. Rows of x are contiguous, so
 * each update is an axpy on a row.
 */
export function substitute(
  op: string,
  t: Float64Array,
  n: number,
  x: Float64Array,
  k: number,
  { lower, trans = false, unitDiagonal = false }: TriangularOptions,
): void {
  const forward = lower !== trans;
  for (let s = 0; s < n; s++) {
    const i = forward ? s : n - 1 - s;
    const xi = i * k;
    const from = forward ? 0 : i + 1;
    const to = forward ? i : n;
    for (let j = from; j < to; j++) {
      const tij = trans ? t[j * n + i] : t[i * n + j];
      if (tij === 0) continue;
      const xj = j * k;
      for (let c = 0; c < k; c++) x[xi + c] -= tij * x[xj + c];
    }
    if (!unitDiagonal) {
      const tii = t[i * n + i];
      if (tii === 0) throw new SingularMatrixError(`${op}: the triangular matrix has a zero diagonal entry at ${i}`);
      const r = 1 / tii;
      for (let c = 0; c < k; c++) x[xi + c] *= r;
    }
  }
}
