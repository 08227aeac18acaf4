import { beforeAll, describe, expect, it } from "vitest";
import { gram, matmul } from "../../src/linalg/blas.js";
import { eigh } from "../../src/linalg/eigh.js";
import { solve } from "../../src/linalg/lu.js";
import { svd } from "../../src/linalg/svd.js";
import { Matrix } from "../../src/linalg/matrix.js";
import {
  anisotropic,
  fitStandardizer,
  loadMnistDigits,
  preprocess,
  randomSubset,
  type DatasetSplits,
} from "../../src/data/index.js";

let mnist: DatasetSplits;
beforeAll(async () => {
  const full = await loadMnistDigits();
  mnist = { ...full, train: randomSubset(full.train, 2000, 1), test: randomSubset(full.test, 500, 2) };
});

/** The training covariance ZᵀZ/n of already-centred rows. */
function covariance(z: Matrix): Matrix {
  const c = gram(z);
  for (let i = 0; i < c.data.length; i++) c.data[i] /= z.rows;
  return c;
}

/**
 * Least-squares one-vs-all linear classifier with a bias: W = argmin ‖[X 1]W − Y‖² (Y one-hot), solved from the
 * normal equations; returns the argmax predictions on `test`.
 */
function leastSquaresPredictions(train: Matrix, labels: Int32Array, test: Matrix): Int32Array {
  const withBias = (x: Matrix) => {
    const out = new Matrix(x.rows, x.cols + 1);
    for (let i = 0; i < x.rows; i++) {
      out.data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), i * (x.cols + 1));
      out.data[i * (x.cols + 1) + x.cols] = 1;
    }
    return out;
  };
  const a = withBias(train);
  const y = new Matrix(train.rows, 10);
  labels.forEach((c, i) => y.set(i, c, 1));
  const w = solve(gram(a), matmul(a, y, { transA: true }));
  const scores = matmul(withBias(test), w);
  return Int32Array.from({ length: test.rows }, (_, i) => {
    const row = Array.from(scores.row(i));
    return row.indexOf(Math.max(...row));
  });
}

function accuracy(predictions: Int32Array, labels: Int32Array): number {
  return predictions.filter((p, i) => p === labels[i]).length / labels.length;
}

describe("anisotropic re-conditioning", () => {
  it("gives the training inputs a log-spaced covariance spectrum with condition number κ (within 1%)", () => {
    for (const kappa of [1, 10, 1000]) {
      for (const rotate of [false, true]) {
        const out = preprocess(mnist, anisotropic(kappa, { pcaDims: 32, rotate, seed: 3 }));
        expect(out.train.x.shape()).toBe("2000×32");
        expect(out.imageShape).toEqual([1, 1, 32]);
        const { values } = eigh(covariance(out.train.x));
        expect(values[31] / values[0]).toBeGreaterThan(kappa * 0.99);
        expect(values[31] / values[0]).toBeLessThan(kappa * 1.01);
        // The whole spectrum, not just its ends: κ^{i/31}, i = 0…31 (ascending), smallest 1.
        for (let i = 0; i < 32; i++) expect(values[i]).toBeCloseTo(kappa ** (i / 31), 6);
      }
    }
  });

  it("is axis-aligned without rotation and mixes the axes with it", () => {
    const plain = covariance(preprocess(mnist, anisotropic(100, { pcaDims: 16 })).train.x);
    const rotated = covariance(preprocess(mnist, anisotropic(100, { pcaDims: 16, rotate: true, seed: 5 })).train.x);
    let plainOff = 0;
    let rotatedOff = 0;
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) {
        if (i === j) continue;
        plainOff = Math.max(plainOff, Math.abs(plain.get(i, j)));
        rotatedOff = Math.max(rotatedOff, Math.abs(rotated.get(i, j)));
      }
    }
    expect(plainOff).toBeLessThan(1e-8);
    expect(plain.get(0, 0)).toBeCloseTo(100, 8);
    expect(rotatedOff).toBeGreaterThan(1);
    // A different seed gives a different rotation.
    const other = preprocess(mnist, anisotropic(100, { pcaDims: 16, rotate: true, seed: 6 })).train.x;
    expect(other.get(0, 0)).not.toBeCloseTo(
      preprocess(mnist, anisotropic(100, { pcaDims: 16, rotate: true, seed: 5 })).train.x.get(0, 0),
      3,
    );
  });

  it("leaves a linear classifier's predictions unchanged: the same as on the plain PCA projection, at every κ", () => {
    const k = 40;
    // Reference computed independently: standardise, then project onto the top k right singular vectors of Z.
    const st = fitStandardizer(mnist.train.x);
    const z = st.apply(mnist.train.x);
    const { V } = svd(z);
    const top = new Matrix(784, k);
    for (let r = 0; r < 784; r++) for (let i = 0; i < k; i++) top.set(r, i, V.get(r, i));
    const reference = leastSquaresPredictions(matmul(z, top), mnist.train.y, matmul(st.apply(mnist.test.x), top));
    const referenceAccuracy = accuracy(reference, mnist.test.y);
    expect(referenceAccuracy).toBeGreaterThan(0.8); // a sane classifier, so agreement means something
    for (const [kappa, rotate] of [
      [1, false],
      [1000, false],
      [1000, true],
    ] as const) {
      const out = preprocess(mnist, anisotropic(kappa, { pcaDims: k, rotate, seed: 9 }));
      const predictions = leastSquaresPredictions(out.train.x, out.train.y, out.test.x);
      expect(predictions).toEqual(reference);
      expect(accuracy(predictions, out.test.y)).toBe(referenceAccuracy);
    }
  });

  it("refuses κ < 1, bad pcaDims, rank-deficient data and inputs of the wrong width", () => {
    expect(() => anisotropic(0.5)).toThrow(/kappa must be a finite number ≥ 1, got 0.5/);
    expect(() => anisotropic(Number.NaN)).toThrow(/kappa/);
    expect(() => anisotropic(Number.POSITIVE_INFINITY)).toThrow(/kappa/);
    expect(() => anisotropic(10, { pcaDims: 0 })).toThrow(/pcaDims must be a positive integer, got 0/);
    expect(() => anisotropic(10, { pcaDims: 2.5 })).toThrow(/pcaDims must be a positive integer, got 2.5/);
    expect(() => anisotropic(10, { pcaDims: 785 }).fit(mnist.train.x)).toThrow(
      /pcaDims = 785 exceeds .*\(at most 784\)/,
    );
    expect(() => anisotropic(10, { pcaDims: 20 }).fit(new Matrix(10, 784))).toThrow(
      /pcaDims = 20 exceeds what 10 training examples/,
    );
    // MNIST's border pixels are always 0: 784 components cannot all carry variance.
    expect(() => anisotropic(10, { pcaDims: 784 }).fit(mnist.train.x)).toThrow(/varies in only \d+ directions/);
    const map = anisotropic(10, { pcaDims: 8 }).fit(mnist.train.x);
    expect(() => map.apply(new Matrix(3, 100))).toThrow(/fitted on 784 features but x is 3×100/);
  });
});
