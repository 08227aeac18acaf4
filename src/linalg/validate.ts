/**
 * Input checks shared by the decompositions (one place, so every operation words its errors the same way).
 * Each check throws a `LinalgError` subclass whose message names the operation, the argument and the problem.
 */
import type { Matrix } from "./matrix.js";
import { lapack, withScratch } from "./lapack-kernels.js";
import { alloc, copyIn, copyOut } from "./wasm.js";
import { LinalgError, NonFiniteError, NotSquareError, ShapeError, shapeOf } from "./errors.js";

/**
 * A matrix that must be symmetric is not: some |A[i,j] − A[j,i]| exceeds `SYMMETRY_TOLERANCE`·max|A|.
 * (Subclass of `LinalgError`; `cholesky`/`solveSPD` report asymmetry as `NotPositiveDefiniteError` instead.)
 */
export class NotSymmetricError extends LinalgError {}

/**
 * Relative tolerance of the symmetry check: |A[i,j] − A[j,i]| ≤ SYMMETRY_TOLERANCE · max|A|. Loose enough for
 * matrices assembled by floating-point products (XᵀX, S G Sᵀ: asymmetry ~1e-16 relative), tight enough to reject
 * a matrix that is genuinely not symmetric.
 */
export const SYMMETRY_TOLERANCE = 1e-8;

/**
 * Throws `NonFiniteError` if `A` holds NaN or ±Infinity, naming the operation, argument and first bad entry.
 * `at`: a copy of A's data already in linear memory (byte offset), to scan instead of copying again.
 */
export function requireFinite(op: string, name: string, A: Matrix, at?: number): void {
  const idx = withScratch(() => lapack.nonFiniteIndex(A.data.length, at ?? copyIn(A.data)));
  if (idx >= 0) {
    const i = Math.floor(idx / A.cols);
    const j = idx - i * A.cols;
    throw new NonFiniteError(
      `${op}: ${name} has a non-finite entry ${A.data[idx]} at (${i}, ${j}); inputs must be finite`,
    );
  }
}

/** Throws `NotSquareError` unless `A` is square. */
export function requireSquare(op: string, name: string, A: Matrix): void {
  if (A.rows !== A.cols) {
    throw new NotSquareError(`${op}: ${name} must be square, got ${shapeOf(A)}`);
  }
}

/** Throws `ShapeError` unless `B` has as many rows as `A` (for A X = B). */
export function requireSameRows(op: string, A: Matrix, B: Matrix): void {
  if (A.rows !== B.rows) {
    throw new ShapeError(
      `${op}: A is ${shapeOf(A)} but B is ${shapeOf(B)}; B needs ${A.rows} rows (A X = B, one column per right-hand side)`,
    );
  }
}

/** The largest |A[i,j] − A[j,i]| and where it occurs, with the largest |A[i,j]| (A square). */
function asymmetry(A: Matrix, at?: number): { gap: number; i: number; j: number; maxAbs: number } {
  const [gap, i, j, maxAbs] = withScratch(() => {
    const pA = at ?? copyIn(A.data);
    const pOut = alloc(4);
    lapack.symmetryGap(A.rows, pA, pOut);
    return copyOut(pOut, 4);
  });
  return { gap, i, j, maxAbs };
}

/**
 * Throws (an instance of `errorClass`, default `NotSymmetricError`) unless the square matrix `A` is symmetric to
 * `SYMMETRY_TOLERANCE` relative to its largest entry. `at`: as for `requireFinite`.
 */
export function requireSymmetric(
  op: string,
  name: string,
  A: Matrix,
  errorClass: new (message: string) => LinalgError = NotSymmetricError,
  at?: number,
): void {
  const { gap, i, j, maxAbs } = asymmetry(A, at);
  if (gap > SYMMETRY_TOLERANCE * maxAbs) {
    throw new errorClass(
      `${op}: ${name} must be symmetric, but |A[${i},${j}] − A[${j},${i}]| = ${gap.toExponential(3)} exceeds ` +
        `${SYMMETRY_TOLERANCE}·max|A| = ${(SYMMETRY_TOLERANCE * maxAbs).toExponential(3)}`,
    );
  }
}
