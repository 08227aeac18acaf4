/**
 * A labelled dataset as the networks consume it: inputs as a `Matrix` (one example per row, float64) and labels
 * as class indices; and the train/test pair a benchmark ships as.
 */
import { Matrix } from "../linalg/matrix.js";

/** Examples (rows of `x`) with class labels `y[i]` ∈ {0, …, classes − 1}. */
export interface Dataset {
  x: Matrix;
  y: Int32Array;
  classes: number;
}

/** A benchmark's splits and the shape of one example. */
export interface DatasetSplits {
  /** e.g. "fashion-mnist" or "mnist". */
  name: string;
  train: Dataset;
  test: Dataset;
  /** [channels, height, width] of one example (rows of `x` hold it flattened, channel-major). */
  imageShape: [number, number, number];
}

/** The examples at `indices` (in that order), copied. Throws when an index is out of range. */
export function selectRows(data: Dataset, indices: ArrayLike<number>): Dataset {
  const { x, y } = data;
  const d = x.cols;
  const out = new Matrix(indices.length, d);
  const labels = new Int32Array(indices.length);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0 || i >= x.rows) {
      throw new RangeError(`selectRows: index ${i} is outside 0…${x.rows - 1}`);
    }
    out.data.set(x.data.subarray(i * d, (i + 1) * d), r * d);
    labels[r] = y[i];
  }
  return { x: out, y: labels, classes: data.classes };
}
