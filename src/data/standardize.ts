/**
 * Input maps fitted on the training split and then applied, unchanged, to every split (so no statistic of the
 * validation or test data leaks into training), and the first of them: standardisation.
 */
import { ShapeError } from "../linalg/errors.js";
import { Matrix } from "../linalg/matrix.js";
import type { Dataset, DatasetSplits } from "./dataset.js";

/** A fixed map of input rows (d → outputDim features), fitted on training data. */
export interface InputMap {
  readonly inputDim: number;
  readonly outputDim: number;
  /** The mapped inputs (a new matrix; one example per row). Throws ShapeError when x.cols ≠ inputDim. */
  apply(x: Matrix): Matrix;
}

/** Builds an `InputMap` from training inputs (the statistics it needs come from these rows only). */
export interface InputMapFitter {
  fit(train: Matrix): InputMap;
}

/** Refuses a matrix whose column count differs from the map's input dimension. */
export function requireInputDim(op: string, expected: number, x: Matrix): void {
  if (x.cols !== expected) {
    throw new ShapeError(`${op}: the map was fitted on ${expected} features but x is ${x.shape()}`);
  }
}

/** Standardisation x ↦ (x − μ)/σ with its statistics. */
export interface Standardizer extends InputMap {
  /** Per-feature training mean μ_j = (1/n) Σ_i x_ij. */
  readonly mean: Float64Array;
  /** One global training standard deviation σ = sqrt((1/(n·d)) Σ_ij (x_ij − μ_j)²). */
  readonly std: number;
}

/**
 * Fits standardisation on `train`: per-feature (per-pixel) means and a single global standard deviation, the
 * usual choice for images (it keeps the relative contrast between pixels, which per-pixel scaling would distort
 * and would blow up near-constant border pixels). Throws when the training inputs are constant.
 */
export function fitStandardizer(train: Matrix): Standardizer {
  const { rows: n, cols: d, data } = train;
  if (n < 1 || d < 1)
    throw new RangeError(`fitStandardizer: need at least one example and feature, got ${train.shape()}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = data[i * d + j] - mean[j];
      squares += c * c;
    }
  }
  const std = Math.sqrt(squares / (n * d));
  if (!(std > 0) || !Number.isFinite(std)) {
    throw new RangeError(`fitStandardizer: the training inputs have standard deviation ${std}; cannot standardise`);
  }
  return {
    inputDim: d,
    outputDim: d,
    mean,
    std,
    apply(x: Matrix): Matrix {
      requireInputDim("standardize", d, x);
      const out = new Matrix(x.rows, d);
      for (let i = 0; i < x.rows; i++) {
        for (let j = 0; j < d; j++) out.data[i * d + j] = (x.data[i * d + j] - mean[j]) / std;
      }
      return out;
    },
  };
}

/** The standardisation fitter (for `preprocess`). */
export const standardization: InputMapFitter = { fit: fitStandardizer };

/** `data` with its inputs mapped by `map` (labels shared, not copied). */
export function mapInputs(data: Dataset, map: InputMap): Dataset {
  return { x: map.apply(data.x), y: data.y, classes: data.classes };
}

/**
 * Fits `fitter` on the training split only and applies the fitted map to every split. The image shape is kept
 * only when the map preserves the dimension; otherwise examples become flat vectors ([1, 1, outputDim]).
 */
export function preprocess(splits: DatasetSplits, fitter: InputMapFitter): DatasetSplits {
  const map = fitter.fit(splits.train.x);
  const [c, h, w] = splits.imageShape;
  return {
    name: splits.name,
    train: mapInputs(splits.train, map),
    test: mapInputs(splits.test, map),
    imageShape: map.outputDim === c * h * w ? splits.imageShape : [1, 1, map.outputDim],
  };
}
