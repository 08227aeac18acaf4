/** LU factorisation with partial pivoting, and the general solve and inverse built on it. */
import { Matrix } from "./matrix.js";
import { SingularMatrixError } from "./errors.js";
import { substitute } from "./triangular.js";
import { requireFinite, requireSameRows, requireSquare } from "./validate.js";

/**
 * Factors P A = L U in place (row-major n×n): U in the upper triangle, the unit-lower L below it. Returns the row
 * permutation: row i of P A is row perm[i] of A. A pivot with |u_kk| ≤ n·ε·max|A| means A is singular to working
 * precision (its condition number is beyond ~1/(n·ε)) and throws `SingularMatrixError`.
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), Alg. 3.4.1 (right-looking, row-major).
 */
function luInPlace(op: string, a: Float64Array, n: number): Int32Array {
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]));
  const tiny = n * Number.EPSILON * maxAbs;
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(a[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best <= tiny) {
      throw new SingularMatrixError(
        `${op}: A is singular to working precision: pivot ${k} is ${best.toExponential(3)} ≤ n·ε·max|A| = ${tiny.toExponential(3)}`,
      );
    }
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j];
        a[k * n + j] = a[p * n + j];
        a[p * n + j] = t;
      }
      const t = perm[k];
      perm[k] = perm[p];
      perm[p] = t;
    }
    const rk = k * n;
    const r = 1 / a[rk + k];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const l = (a[ri + k] *= r);
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) a[ri + j] -= l * a[rk + j];
    }
  }
  return perm;
}

/** Solves A X = B given B already validated; shared by `solve` and `inv`. */
function luSolve(op: string, A: Matrix, B: Matrix): Matrix {
  const n = A.rows;
  const a = A.data.slice();
  const perm = luInPlace(op, a, n);
  const k = B.cols;
  const X = new Matrix(n, k);
  for (let i = 0; i < n; i++) X.data.set(B.data.subarray(perm[i] * k, perm[i] * k + k), i * k);
  substitute(op, a, n, X.data, k, { lower: true, unitDiagonal: true });
  substitute(op, a, n, X.data, k, { lower: false });
  return X;
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
  return luSolve(op, A, B);
}

/** The inverse A⁻¹ of square A, by LU with partial pivoting (solves A X = I). Throws `SingularMatrixError`. */
export function inv(A: Matrix): Matrix {
  const op = "inv";
  requireSquare(op, "A", A);
  requireFinite(op, "A", A);
  return luSolve(op, A, Matrix.identity(A.rows));
}
