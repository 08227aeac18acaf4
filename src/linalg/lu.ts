/** LU factorisation with partial pivoting, and the general solve and inverse built on it. */
import { Matrix } from "./matrix.js";
import { SingularMatrixError } from "./errors.js";
import { lapack, withScratch } from "./lapack-kernels.js";
import { trsm } from "./triangular.js";
import { alloc, copyIn, copyOut, heap } from "./wasm.js";
import { requireFinite, requireSameRows, requireSquare } from "./validate.js";

/**
 * Solves A X = B (B n×k, already in linear memory at pX, overwritten by X) through P A = L U. A pivot with
 * |u_kk| ≤ n·ε·max_i|A[i,k]| means A is singular to working precision and throws `SingularMatrixError`. The
 * threshold is per column, so scaling a column of A (which a solve handles exactly) never trips it.
 * Blocked right-looking LU in WebAssembly (LAPACK dgetrf + dgetrs).
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), Alg. 3.4.1 and §3.4.7.
 */
function luSolveInPlace(op: string, A: Matrix, pX: number, k: number): void {
  const n = A.rows;
  const a = A.data;
  const tiny = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) tiny[j] = Math.max(tiny[j], Math.abs(a[i * n + j]));
  for (let j = 0; j < n; j++) tiny[j] *= n * Number.EPSILON;
  const pA = copyIn(a);
  const pTiny = copyIn(tiny);
  const pPiv = alloc(Math.ceil(n / 2));
  const bad = lapack.dgetrf(n, pA, pPiv, pTiny);
  if (bad >= 0) {
    const pivot = heap()[(pA >>> 3) + bad * n + bad];
    throw new SingularMatrixError(
      `${op}: A is singular to working precision: pivot ${bad} is ${pivot.toExponential(3)} ≤ ` +
        `n·ε·max|A[:,${bad}]| = ${tiny[bad].toExponential(3)}`,
    );
  }
  lapack.dlaswp(n, k, pX, pPiv);
  trsm(op, pA, n, pX, k, { lower: true, unitDiagonal: true });
  trsm(op, pA, n, pX, k, { lower: false });
}

/**
 * Solves A X = B for square A by LU with partial pivoting (P A = L U; L Y = P B; U X = Y). B is n×k (a vector as
 * n×1). Throws `SingularMatrixError` if A is singular to working precision.
 */
export function solve(A: Matrix, B: Matrix): Matrix {
  const op = "solve";
  requireSquare(op, "A", A);
  requireSameRows(op, A, B);
  requireFinite(op, "A", A);
  requireFinite(op, "B", B);
  return withScratch(() => {
    const pX = copyIn(B.data);
    luSolveInPlace(op, A, pX, B.cols);
    return new Matrix(B.rows, B.cols, copyOut(pX, B.data.length));
  });
}

/** The inverse A⁻¹ of square A, by LU with partial pivoting (solves A X = I). Throws `SingularMatrixError`. */
export function inv(A: Matrix): Matrix {
  const op = "inv";
  requireSquare(op, "A", A);
  requireFinite(op, "A", A);
  const n = A.rows;
  return withScratch(() => {
    const pX = copyIn(Matrix.identity(n).data);
    luSolveInPlace(op, A, pX, n);
    return new Matrix(n, n, copyOut(pX, n * n));
  });
}
