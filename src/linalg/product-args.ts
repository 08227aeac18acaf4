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
