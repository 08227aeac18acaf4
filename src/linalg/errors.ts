/** Errors thrown by the numerical core. Each names the operation and the offending shape or property. */

/** Base class: every error raised by `linalg` is a `LinalgError`. */
export class LinalgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Operand shapes do not fit together (the message names both shapes). */
export class ShapeError extends LinalgError {}

/** A square matrix was required. */
export class NotSquareError extends LinalgError {}

/** `cholesky` / `solveSPD`: the matrix is not symmetric positive definite. */
export class NotPositiveDefiniteError extends LinalgError {}

/** `solve` / `inv`: the matrix is singular to working precision. */
export class SingularMatrixError extends LinalgError {}

/** A decomposition received NaN or ±Infinity. */
export class NonFiniteError extends LinalgError {}

/** An iterative decomposition (eigh, svd) did not converge. */
export class ConvergenceError extends LinalgError {}

/** Formats a shape as `rows×cols` for error messages. */
export function shapeOf(m: { rows: number; cols: number }): string {
  return `${m.rows}×${m.cols}`;
}
