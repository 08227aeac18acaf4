/**
 * Symmetric eigendecomposition: Householder tridiagonalisation, then the implicit QL iteration (small matrices) or
 * Cuppen's divide and conquer (large ones); eigenvalues alone by QL without vectors.
 */
import { Matrix } from "./matrix.js";
import { ConvergenceError } from "./errors.js";
import { powerOfTwoScale } from "./exponent-scale.js";
import { lapack, withScratch } from "./lapack-kernels.js";
import { alloc, copyOut, heap } from "./wasm.js";
import { requireFinite, requireSquare, requireSymmetric } from "./validate.js";
import { TridiagonalFailure, tridiagonalEigenDC } from "./tridiagonal-dc.js";

export interface EighResult {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** Orthonormal eigenvectors as columns: A · vectors[:, i] = values[i] · vectors[:, i]. */
  vectors: Matrix;
}

/** How the tridiagonal eigenproblem is solved: QL iteration, or divide and conquer. */
export type TridiagonalSolver = "ql" | "divide-and-conquer";

/**
 * From this order on, `eigh` uses divide and conquer. Measured (CPU time per call, interleaved, 2-core AMD EPYC):
 * QL/D&C = 0.76 at n = 48, 0.88 at 96, 0.99 at 128, 1.15 at 192, 1.42 at 320; QL keeps the small orders, where the
 * merges' bookkeeping outweighs their GEMM speed.
 */
export const DIVIDE_AND_CONQUER_MIN_ORDER = 128;

/** Time spent in each stage of one eigendecomposition, in milliseconds (for benchmarks). */
export interface EighTimings {
  /** Householder reduction to tridiagonal form (for QL: included in `solve`). */
  tridiagonalise: number;
  /** Eigenvalues and eigenvectors of the tridiagonal matrix. */
  solve: number;
  /** Eigenvectors of A from those of the tridiagonal matrix, Q z (for QL: included in `solve`). */
  backTransform: number;
}

/** QL iterations allowed per eigenvalue (the kernel's MAX_ITER_PER_VALUE; for the error message). */
const MAX_ITER_PER_VALUE = 60;

/** Upper bound on recorded rotations between two applications (24 bytes each: 12 MiB). */
const ROTATION_CAPACITY = 1 << 19;

/** Rotation list size when no vectors are wanted (the rotations are discarded, so any size works). */
const VALUES_ONLY_CAPACITY = 1024;

/**
 * Eigendecomposition A = V Λ Vᵀ of a real symmetric matrix: eigenvalues ascending, V orthogonal.
 * A must be symmetric to `SYMMETRY_TOLERANCE`·max|A| (else `NotSymmetricError`); it is symmetrised as (A + Aᵀ)/2.
 * Algorithm: Householder reduction to tridiagonal form T = Qᵀ A Q (EISPACK tred2, the reflectors accumulated in
 * compact-WY blocks with GEMM); then, for n < `DIVIDE_AND_CONQUER_MIN_ORDER`, the implicit QL iteration with
 * Wilkinson's shift (EISPACK tql2, as in JAMA), and from that order on Cuppen's divide and conquer with
 * Gu–Eisenstat's eigenvectors (LAPACK dstedc, see tridiagonal-dc.ts), whose eigenvector work is GEMM; V = Q Z.
 * Both are backward stable: ‖A V − V Λ‖ = O(n ε ‖A‖), ‖VᵀV − I‖ = O(n ε).
 * References: Golub & Van Loan, Matrix Computations (4th ed.), §8.3 and §8.4.4; Bowdler, Martin, Reinsch &
 * Wilkinson, "The QR and QL algorithms for symmetric matrices", Numer. Math. 11 (1968); Gu & Eisenstat, SIAM J.
 * Matrix Anal. Appl. 16 (1995).
 */
export function eigh(A: Matrix): EighResult {
  return eighWith(A, A.rows >= DIVIDE_AND_CONQUER_MIN_ORDER ? "divide-and-conquer" : "ql");
}

/**
 * `eigh` with the tridiagonal solver chosen by the caller (tests compare the two; benchmarks time the stages into
 * `timings` when given).
 */
export function eighWith(A: Matrix, solver: TridiagonalSolver, timings?: EighTimings): EighResult {
  const { values, vt } = eighCore("eigh", A, solver, timings);
  const n = A.rows;
  return { values, vectors: new Matrix(n, n, vt).transpose() };
}

/**
 * Eigenvalues of a real symmetric matrix, ascending, without eigenvectors (numpy's eigvalsh, LAPACK dsyevd with
 * jobz = 'N'): blocked Householder reduction to tridiagonal form without forming Q, then the QL iteration on the
 * tridiagonal matrix without accumulating rotations: about (4/3)n³ flops instead of the ≈ 5n³ of `eigh`. The same validation as `eigh`.
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), §8.3.
 */
export function eigvalsh(A: Matrix): Float64Array {
  const op = "eigvalsh";
  return prepare(op, A, new Float64Array(0), (n, pV, scale) => {
    const pD = alloc(n);
    const pE = alloc(n);
    dsytrd(n, pV, pD, pE, alloc(n));
    const pWork = alloc(Math.ceil(lapack.dstqlWorkBytes(n, VALUES_ONLY_CAPACITY, 0) / 8));
    const bad = lapack.dstql(n, pD, pE, 0, 0, 0, pWork, VALUES_ONLY_CAPACITY);
    if (bad >= 0) throw qlFailure(op, bad);
    return unscale(copyOut(pD, n), scale);
  });
}

/**
 * Validates A and returns its eigenvalues (ascending) and eigenvectors as the rows of `vt` (row-major Vᵀ), by the
 * given tridiagonal solver (default: the one `eigh` picks for this order).
 */
export function eighCore(
  op: string,
  A: Matrix,
  solver: TridiagonalSolver = A.rows >= DIVIDE_AND_CONQUER_MIN_ORDER ? "divide-and-conquer" : "ql",
  timings?: EighTimings,
): { values: Float64Array; vt: Float64Array } {
  const empty = { values: new Float64Array(0), vt: new Float64Array(0) };
  return prepare(op, A, empty, (n, pV, scale) => {
    const pD = alloc(n);
    if (solver === "ql") {
      const capacity = Math.min(n * n + 64, ROTATION_CAPACITY);
      const pWork = alloc(Math.ceil(lapack.dsyevWorkBytes(n, capacity) / 8));
      const t0 = performance.now();
      const bad = lapack.dsyev(n, pV, pD, pWork, capacity);
      if (timings) Object.assign(timings, { tridiagonalise: 0, solve: performance.now() - t0, backTransform: 0 });
      if (bad >= 0) throw qlFailure(op, bad);
      return { values: unscale(copyOut(pD, n), scale), vt: copyOut(pV, n * n) };
    }
    const pE = alloc(n);
    const pH = alloc(n);
    const t0 = performance.now();
    dsytrd(n, pV, pD, pE, pH); // pV, pH: the Householder vectors of Q
    const t1 = performance.now();
    const h = heap();
    const d = h.slice(pD >>> 3, (pD >>> 3) + n);
    const e = h.slice(pE >>> 3, (pE >>> 3) + n);
    const pZ = alloc(n * n);
    const pWork = alloc(Math.ceil(lapack.dormtrWorkBytes(n) / 8));
    try {
      tridiagonalEigenDC(n, d, e, pZ);
    } catch (err) {
      if (err instanceof TridiagonalFailure) throw new ConvergenceError(`${op}: divide and conquer: ${err.message}`);
      throw err;
    }
    const t2 = performance.now();
    lapack.dormtr(n, pV, pH, pZ, pWork); // row i of Z: eigenvector i of T → of A
    if (timings) {
      Object.assign(timings, { tridiagonalise: t1 - t0, solve: t2 - t1, backTransform: performance.now() - t2 });
    }
    return { values: unscale(d, scale), vt: copyOut(pZ, n * n) };
  });
}

/**
 * Validates A, copies (A + Aᵀ)/2 scaled by 2^−k (max|entry| ≈ 1, so the recurrences neither underflow nor
 * overflow) into linear memory and runs `body` on it inside a scratch bracket; `body` gets n, the matrix's offset
 * and the scale to undo. n = 0 returns `empty` without calling `body`.
 */
function prepare<T>(op: string, A: Matrix, empty: T, body: (n: number, pV: number, scale: number) => T): T {
  requireSquare(op, "A", A);
  requireFinite(op, "A", A);
  requireSymmetric(op, "A", A);
  const n = A.rows;
  if (n === 0) return empty;
  return withScratch(() => {
    const pV = alloc(n * n);
    const scale = powerOfTwoScale(A.data);
    const half = 0.5 / scale;
    const h = heap();
    const v = pV >>> 3;
    const a = A.data;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[v + i * n + j] = half * (a[i * n + j] + a[j * n + i]);
    return body(n, pV, scale);
  });
}

/** Blocked Householder tridiagonalisation (kernel dsytrd) with its scratch; pV and pH receive Q's reflectors. */
function dsytrd(n: number, pV: number, pD: number, pE: number, pH: number): void {
  lapack.dsytrd(n, pV, pD, pE, pH, alloc(Math.ceil(lapack.dsytrdWorkBytes(n) / 8)));
}

function unscale(values: Float64Array, scale: number): Float64Array {
  for (let i = 0; i < values.length; i++) values[i] *= scale;
  return values;
}

function qlFailure(op: string, index: number): ConvergenceError {
  return new ConvergenceError(
    `${op}: the tridiagonal QL iteration did not converge for eigenvalue ${index} within ${MAX_ITER_PER_VALUE} steps`,
  );
}
