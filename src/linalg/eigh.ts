/** Symmetric eigendecomposition: Householder tridiagonalisation, then implicit QL with Wilkinson shifts. */
import { Matrix } from "./matrix.js";
import { ConvergenceError } from "./errors.js";
import { powerOfTwoScale } from "./exponent-scale.js";
import { lapack, withScratch } from "./lapack-kernels.js";
import { alloc, copyOut, heap } from "./wasm.js";
import { requireFinite, requireSquare, requireSymmetric } from "./validate.js";

export interface EighResult {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** Orthonormal eigenvectors as columns: A · vectors[:, i] = values[i] · vectors[:, i]. */
  vectors: Matrix;
}

/** QL iterations allowed per eigenvalue (the kernel's MAX_ITER_PER_VALUE; for the error message). */
const MAX_ITER_PER_VALUE = 60;

/** Upper bound on recorded rotations between two applications (24 bytes each: 12 MiB). */
const ROTATION_CAPACITY = 1 << 19;

/**
 * Eigendecomposition A = V Λ Vᵀ of a real symmetric matrix: eigenvalues ascending, V orthogonal.
 * A must be symmetric to `SYMMETRY_TOLERANCE`·max|A| (else `NotSymmetricError`); it is symmetrised as (A + Aᵀ)/2.
 * Algorithm: Householder reduction to tridiagonal form (EISPACK tred2, the reflectors accumulated in compact-WY
 * blocks with GEMM) and the implicit QL iteration with Wilkinson's shift (EISPACK tql2), as in JAMA; backward
 * stable, ‖A V − V Λ‖ = O(n ε ‖A‖).
 * References: Golub & Van Loan, Matrix Computations (4th ed.), §8.3; Bowdler, Martin, Reinsch & Wilkinson,
 * "The QR and QL algorithms for symmetric matrices", Numer. Math. 11 (1968).
 */
export function eigh(A: Matrix): EighResult {
  const { values, vt } = eighCore("eigh", A);
  const n = A.rows;
  return { values, vectors: new Matrix(n, n, vt).transpose() };
}

/**
 * Validates A and returns its eigenvalues (ascending) and eigenvectors as the rows of `vt` (row-major Vᵀ). The
 * kernel (asm/lapack-eigen.ts) reduces to tridiagonal form with Householder reflections (EISPACK tred2), runs the
 * implicit QL iteration (tql2) and applies its recorded rotations to the eigenvector matrix in cache-sized strips.
 */
export function eighCore(op: string, A: Matrix): { values: Float64Array; vt: Float64Array } {
  requireSquare(op, "A", A);
  requireFinite(op, "A", A);
  requireSymmetric(op, "A", A);
  const n = A.rows;
  if (n === 0) return { values: new Float64Array(0), vt: new Float64Array(0) };
  return withScratch(() => {
    const capacity = Math.min(n * n + 64, ROTATION_CAPACITY);
    const pV = alloc(n * n);
    const pD = alloc(n);
    const pWork = alloc(Math.ceil(lapack.dsyevWorkBytes(n, capacity) / 8));
    // Work on (A + Aᵀ)/2 scaled by 2^−k so max|entry| ≈ 1: the recurrences then neither underflow nor overflow.
    const scale = powerOfTwoScale(A.data);
    const half = 0.5 / scale;
    const h = heap();
    const v = pV >>> 3;
    const a = A.data;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[v + i * n + j] = half * (a[i * n + j] + a[j * n + i]);
    const bad = lapack.dsyev(n, pV, pD, pWork, capacity);
    if (bad >= 0) {
      throw new ConvergenceError(
        `${op}: the tridiagonal QL iteration did not converge for eigenvalue ${bad} within ${MAX_ITER_PER_VALUE} steps`,
      );
    }
    const values = copyOut(pD, n);
    for (let i = 0; i < n; i++) values[i] *= scale;
    return { values, vt: copyOut(pV, n * n) };
  });
}
