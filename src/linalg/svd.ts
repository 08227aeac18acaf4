/** Singular value decomposition: Householder bidiagonalisation, then Golub–Kahan implicit-shift QR. */
import { Matrix } from "./matrix.js";
import { ConvergenceError } from "./errors.js";
import { powerOfTwoScale } from "./exponent-scale.js";
import { lapack, withScratch } from "./lapack-kernels.js";
import { alloc, copyIn, copyOut, heap } from "./wasm.js";
import { matmul } from "./blas.js";
import { qr } from "./qr.js";
import { requireFinite } from "./validate.js";

export interface SVDResult {
  /** m×r, orthonormal columns (left singular vectors), r = min(m, n). */
  U: Matrix;
  /** The r singular values, descending, ≥ 0. */
  S: Float64Array;
  /** n×r, orthonormal columns (right singular vectors). */
  V: Matrix;
}

/** QR sweeps allowed per singular value (the kernel's MAX_ITER_PER_VALUE; for the error message). */
const MAX_ITER_PER_VALUE = 75;

/** Tall matrices (m ≥ this·n) are first reduced by QR, as LAPACK dgesvd does beyond its crossover (≈ 1.6). */
const QR_FIRST_RATIO = 1.6;

/** Upper bound on recorded rotations per list between two applications (24 bytes each: 12 MiB). */
const ROTATION_CAPACITY = 1 << 19;

/**
 * Thin SVD A = U diag(S) Vᵀ, S descending. Golub–Kahan: Householder reduction to upper bidiagonal form, then the
 * implicit-shift QR iteration on the bidiagonal (LINPACK dsvdc, as in JAMA), working directly on A — never on AᵀA —
 * so every singular value carries an absolute error O(ε·σ_max), small ones included.
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), §8.6; Golub & Kahan, SIAM J. Numer. Anal. 2 (1965).
 */
export function svd(A: Matrix): SVDResult {
  requireFinite("svd", "A", A);
  const m = A.rows;
  const n = A.cols;
  // The iteration needs rows ≥ cols; for a wide A decompose Aᵀ = V S Uᵀ and swap.
  if (m < n) {
    const { U, S, V } = svd(A.transpose());
    return { U: V, S, V: U };
  }
  if (m >= QR_FIRST_RATIO * n && n > 0) {
    // A = Q R, R = U_R S Vᵀ ⇒ A = (Q U_R) S Vᵀ: the iteration then rotates n-long rather than m-long vectors.
    const { Q, R } = qr(A);
    const { U, S, V } = svd(R);
    return { U: matmul(Q, U), S, V };
  }
  const { s, ut, vt } = svdTall("svd", A.transpose().data, m, n, true);
  return { U: new Matrix(n, m, ut).transpose(), S: s, V: new Matrix(n, n, vt).transpose() };
}

/** The largest singular value σ_max(A) = ‖A‖₂ (computed from the singular values alone; 0 for an empty matrix). */
export function spectralNorm(A: Matrix): number {
  requireFinite("spectralNorm", "A", A);
  if (A.rows === 0 || A.cols === 0) return 0;
  const wide = A.rows < A.cols;
  const { s } = svdTall(
    "spectralNorm",
    wide ? A.data.slice() : A.transpose().data,
    wide ? A.cols : A.rows,
    wide ? A.rows : A.cols,
    false,
  );
  return s[0];
}

/**
 * SVD of a tall m×n matrix (m ≥ n) given column-major in `a`. Returns the n singular values (descending) and, when
 * `vectors`, the left vectors as rows of `ut` (n×m) and the right ones as rows of `vt` (n×n). The kernel
 * (asm/lapack-svd.ts) bidiagonalises with Householder reflections, runs the Golub–Kahan iteration and applies its
 * recorded rotations to U and V in cache-sized strips.
 */
function svdTall(
  op: string,
  a: Float64Array,
  m: number,
  n: number,
  vectors: boolean,
): { s: Float64Array; ut: Float64Array; vt: Float64Array } {
  if (n === 0) return { s: new Float64Array(0), ut: new Float64Array(0), vt: new Float64Array(0) };
  return withScratch(() => {
    const capacity = Math.min(n * n + 64, ROTATION_CAPACITY);
    // Work on A / 2^k with max|A / 2^k| ≈ 1, so the recurrences neither underflow nor overflow.
    const scale = powerOfTwoScale(a);
    const pA = copyIn(a);
    if (scale !== 1) {
      const h = heap();
      const base = pA >>> 3;
      for (let i = 0; i < a.length; i++) h[base + i] /= scale;
    }
    const pS = alloc(n);
    const pUt = vectors ? alloc(n * m) : 0;
    const pVt = vectors ? alloc(n * n) : 0;
    const pWork = alloc(Math.ceil(lapack.dgesvdWorkBytes(m, n, capacity) / 8));
    const bad = lapack.dgesvd(m, n, pA, pS, pUt, pVt, vectors ? 1 : 0, pWork, capacity);
    if (bad >= 0) {
      throw new ConvergenceError(
        `${op}: the bidiagonal QR iteration did not converge for singular value ${bad} within ${MAX_ITER_PER_VALUE} sweeps`,
      );
    }
    const s = copyOut(pS, n);
    for (let i = 0; i < n; i++) s[i] *= scale;
    return {
      s,
      ut: vectors ? copyOut(pUt, n * m) : new Float64Array(0),
      vt: vectors ? copyOut(pVt, n * n) : new Float64Array(0),
    };
  });
}
