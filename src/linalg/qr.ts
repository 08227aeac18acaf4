/** Thin QR factorisation by Householder reflections. */
import { Matrix } from "./matrix.js";
import { lapack, withScratch } from "./lapack-kernels.js";
import { alloc, copyIn, copyOut, heap } from "./wasm.js";
import { powerOfTwoScale } from "./exponent-scale.js";
import { requireFinite } from "./validate.js";

export interface QRResult {
  /** m×r with orthonormal columns, r = min(m, n). */
  Q: Matrix;
  /** r×n upper triangular (upper trapezoidal when n > m). */
  R: Matrix;
}

/**
 * Thin QR: A = Q R with Q m×r orthonormal columns and R r×n upper triangular, r = min(m, n), computed with
 * Householder reflections H_k = I − τ_k v_k v_kᵀ (the diagonal of R may be negative). Blocked in WebAssembly
 * (LAPACK dgeqrf + dorgqr): panels of reflectors are applied to the rest of the matrix in compact WY form with GEMM.
 * References: Golub & Van Loan, Matrix Computations (4th ed.), Alg. 5.2.1 and §5.2.3; Schreiber & Van Loan,
 * "A storage-efficient WY representation for products of Householder transformations", SISC 10 (1989).
 */
export function qr(A: Matrix): QRResult {
  requireFinite("qr", "A", A);
  const m = A.rows;
  const n = A.cols;
  const r = Math.min(m, n);
  if (r === 0) return { Q: new Matrix(m, 0), R: new Matrix(0, n) };
  return withScratch(() => {
    // The kernels work on Aᵀ (row-major), so each column of A is a contiguous row, scaled by 2^−k so that
    // max|entry| ≈ 1 (exact): the kernel's underflow guard is absolute.
    const scale = powerOfTwoScale(A.data);
    const at0 = A.transpose().data;
    if (scale !== 1) for (let i = 0; i < at0.length; i++) at0[i] /= scale;
    const pAt = copyIn(at0);
    const pTau = alloc(n);
    const pQt = alloc(r * m);
    const pWork = alloc(Math.ceil(lapack.dgeqrfWorkBytes(m, n) / 8));
    lapack.dgeqrf(m, n, pAt, pTau, pWork);
    lapack.dorgqr(m, n, pAt, pTau, pQt, pWork);
    const at = heap().subarray(pAt >>> 3, (pAt >>> 3) + n * m);
    const R = new Matrix(r, n);
    for (let i = 0; i < r; i++) for (let j = i; j < n; j++) R.data[i * n + j] = at[j * m + i] * scale;
    return { Q: new Matrix(r, m, copyOut(pQt, r * m)).transpose(), R };
  });
}
