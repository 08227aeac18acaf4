import { ShapeError } from "./errors.js";
import { Matrix } from "./matrix.js";

/**
 * A dense float32 matrix stored row-major (entry (i, j) at `data[i * cols + j]`): the storage of a float32
 * training path, where products run in single precision like numpy/PyTorch float32. The float64 `Matrix`
 * stays the package's main type; convert at the boundary with `Matrix32.fromMatrix` / `toMatrix`.
 */
export class Matrix32 {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;

  /** A rows×cols matrix over `data` (not copied), or zeros when `data` is omitted. */
  constructor(rows: number, cols: number, data?: Float32Array) {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new ShapeError(`Matrix32: rows and cols must be non-negative integers, got ${rows}×${cols}`);
    }
    if (data !== undefined && data.length !== rows * cols) {
      throw new ShapeError(
        `Matrix32: data has length ${data.length} but a ${rows}×${cols} matrix needs ${rows * cols}`,
      );
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float32Array(rows * cols);
  }

  /** The float32 rounding of a float64 matrix (round to nearest, as `Math.fround`). */
  static fromMatrix(M: Matrix): Matrix32 {
    return new Matrix32(M.rows, M.cols, Float32Array.from(M.data));
  }

  /** The same values as a float64 `Matrix` (exact: every float32 is a float64). */
  toMatrix(): Matrix {
    return new Matrix(this.rows, this.cols, Float64Array.from(this.data));
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  /** The shape as `rows×cols` (for messages). */
  shape(): string {
    return `${this.rows}×${this.cols}`;
  }
}
