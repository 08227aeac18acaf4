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

/**
 * The examples at `indices` (in that order), copied; into `into` when given (a dataset with `indices.length` rows
 * of the same width, reused by a training loop so that each batch does not allocate). Throws when an index is out
 * of range or `into` has the wrong shape.
 */
export function selectRows(data: Dataset, indices: ArrayLike<number>, into?: Dataset): Dataset {
  const { x, y } = data;
  const d = x.cols;
  if (into && (into.x.rows !== indices.length || into.x.cols !== d || into.y.length !== indices.length)) {
    throw new RangeError(
      `selectRows: into must hold ${indices.length} rows of ${d} values, got ${into.x.shape()} with ${into.y.length} labels`,
    );
  }
  const out = into?.x ?? new Matrix(indices.length, d);
  const labels = into?.y ?? new Int32Array(indices.length);
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
