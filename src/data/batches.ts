/**
 * Seeded orderings of a dataset: permutations, mini-batches that visit every example exactly once per epoch,
 * random subsets and a held-out validation split. All take an explicit `Rng`/seed, so runs are reproducible.
 */
import { Rng } from "../random/rng.js";
import { selectRows, type Dataset } from "./dataset.js";

/**
 * A uniformly random permutation of 0…n−1 (Fisher–Yates/Durstenfeld shuffle, Knuth TAOCP vol. 2, Algorithm P):
 * for i = n−1 down to 1, swap entry i with a uniform entry j ∈ {0, …, i}.
 */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`shuffledIndices: n must be a non-negative integer, got ${n}`);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * One epoch of mini-batches over n examples: a fresh random permutation cut into consecutive pieces of
 * `batchSize` (the last one holds the n mod batchSize remainder when it is not zero). Every index 0…n−1 appears in
 * exactly one batch, exactly once.
 */
export function epochBatches(n: number, batchSize: number, rng: Rng): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > n) {
    throw new RangeError(
      `epochBatches: batchSize must be an integer in 1…${n} (the number of examples), got ${batchSize}`,
    );
  }
  const order = shuffledIndices(n, rng);
  const batches: Int32Array[] = [];
  for (let start = 0; start < n; start += batchSize)
    batches.push(order.subarray(start, Math.min(n, start + batchSize)));
  return batches;
}

/** `size` distinct examples of `data` drawn uniformly at random (seeded), in random order. */
export function randomSubset(data: Dataset, size: number, seed: number): Dataset {
  const n = data.y.length;
  if (!Number.isInteger(size) || size < 1 || size > n) {
    throw new RangeError(`randomSubset: size must be an integer in 1…${n}, got ${size}`);
  }
  return selectRows(data, shuffledIndices(n, new Rng(seed)).subarray(0, size));
}

/**
 * Holds out `validationSize` examples chosen at random (seeded) as a validation split; the rest stay for
 * training. The two are disjoint and together hold every example once.
 */
export function splitValidation(
  data: Dataset,
  validationSize: number,
  seed: number,
): { train: Dataset; validation: Dataset } {
  const n = data.y.length;
  if (!Number.isInteger(validationSize) || validationSize < 1 || validationSize >= n) {
    throw new RangeError(`splitValidation: validationSize must be an integer in 1…${n - 1}, got ${validationSize}`);
  }
  const order = shuffledIndices(n, new Rng(seed));
  return {
    train: selectRows(data, order.subarray(validationSize)),
    validation: selectRows(data, order.subarray(0, validationSize)),
  };
}
