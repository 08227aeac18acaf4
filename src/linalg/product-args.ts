/**
 * Argument checks shared by the float64 and float32 products (src/linalg/blas.ts, src/linalg/blas32.ts): option
 * flags and scalars, and the shape of op(A)·op(B).
 */
import { ShapeError } from "./errors.js";

/** What the shape check needs of a matrix (Matrix and Matrix32 both qualify). */
export interface Shaped {
  readonly rows: number;
  readonly cols: number;
  shape(): string;
}

/** A matrix with its storage (Matrix and Matrix32 both qualify), for the in-place products' aliasing check. */
export interface Stored extends Shaped {
  readonly data: ArrayLike<number>;
}

/** Reads a boolean option, refusing anything but true/false/undefined (a JavaScript caller may pass 1 or "yes"). */
export function flag(op: string, field: string, value: unknown): boolean {
  if (value === undefined || typeof value === "boolean") return value === true;
  throw new TypeError(`${op}: options.${field} must be true or false, got ${JSON.stringify(value)}`);
}

/** Checks op(A)·op(B) is defined; returns its shape m×n, the inner dimension k and the transpose flags. */
export function productShape(op: string, A: Shaped, B: Shaped, options: { transA?: boolean; transB?: boolean }) {
  const transA = flag(op, "transA", options.transA);
  const transB = flag(op, "transB", options.transB);
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const kB = transB ? B.cols : B.rows;
  const n = transB ? B.rows : B.cols;
  if (k !== kB) {
    throw new ShapeError(
      `${op}: inner dimensions differ: op(A) is ${m}×${k} (A ${A.shape()}${transA ? ", transposed" : ""}) ` +
        `but op(B) is ${kB}×${n} (B ${B.shape()}${transB ? ", transposed" : ""})`,
    );
  }
  return { m, n, k, transA, transB };
}

/** Reads a finite number option (default when undefined). */
export function scalar(op: string, field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new TypeError(`${op}: options.${field} must be a finite number, got ${JSON.stringify(value)}`);
}

/**
 * The checks of an in-place product C ← α·op(A)·op(B) + β·C: op(A)·op(B) is defined, α and β are finite, C is m×n
 * and does not share its data with A or B (the product would read entries it has overwritten). Returns the shape,
 * the transpose flags and the scalars.
 */
export function productIntoArgs(
  op: string,
  C: Stored,
  A: Stored,
  B: Stored,
  options: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number },
) {
  const shape = productShape(op, A, B, options);
  const alpha = scalar(op, "alpha", options.alpha, 1);
  const beta = scalar(op, "beta", options.beta, 0);
  if (C.rows !== shape.m || C.cols !== shape.n) {
    throw new ShapeError(`${op}: C is ${C.shape()} but op(A)·op(B) is ${shape.m}×${shape.n}`);
  }
  if (C.data === A.data || C.data === B.data) {
    throw new RangeError(`${op}: C must not be A or B (the product would read entries it has overwritten)`);
  }
  return { ...shape, alpha, beta };
}
