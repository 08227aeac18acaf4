import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import { accuracy, mse, sigmoidCrossEntropy, softmaxCrossEntropy } from "../../src/nn/index.js";
import { centralDifference, maxRelativeError } from "./gradcheck.js";

/** −log softmax(z)_y straight from the definition (fine for moderate logits). */
function naiveCrossEntropy(z: Matrix, y: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < z.rows; i++) {
    let sum = 0;
    for (let j = 0; j < z.cols; j++) sum += Math.exp(z.get(i, j));
    total += -Math.log(Math.exp(z.get(i, y[i])) / sum);
  }
  return total / z.rows;
}

describe("softmaxCrossEntropy", () => {
  const rng = new Rng(21);
  const z = gaussianMatrix(rng, 6, 4, 3);
  const y = Int32Array.from([0, 3, 1, 1, 2, 0]);

  it("equals the naive mean of −log softmax(z)_y", () => {
    expect(softmaxCrossEntropy(z, y)).toBeCloseTo(naiveCrossEntropy(z, y), 13);
    expect(softmaxCrossEntropy(z, [0, 3, 1, 1, 2, 0])).toBe(softmaxCrossEntropy(z, y));
  });

  it("is stable for huge logits (shift invariance) where the naive form overflows", () => {
    const shifted = new Matrix(
      z.rows,
      z.cols,
      z.data.map((v) => v + 1000),
    );
    expect(Number.isFinite(naiveCrossEntropy(shifted, y))).toBe(false);
    expect(softmaxCrossEntropy(shifted, y)).toBeCloseTo(softmaxCrossEntropy(z, y), 10);
    const { g } = softmaxCrossEntropy.valueAndGrad(shifted, y);
    expect(g.data.every(Number.isFinite)).toBe(true);
  });

  it("per-example gradients are softmax − onehot, n times the gradient of the mean loss", () => {
    const { g } = softmaxCrossEntropy.valueAndGrad(z, y);
    const fd = z.data.map((_, k) => centralDifference(z.data, k, () => softmaxCrossEntropy(z, y)) * z.rows);
    expect(maxRelativeError(g.data, fd)).toBeLessThan(1e-8);
    for (let i = 0; i < z.rows; i++) expect(g.row(i).reduce((a, b) => a + b, 0)).toBeCloseTo(0, 14);
  });

  it("samples classes with the softmax probabilities", () => {
    const logits = Matrix.fromRows(Array.from({ length: 20000 }, () => [0, 1, -1]));
    const draws = Array.from(softmaxCrossEntropy.sampleTargets(logits, new Rng(4)));
    const p = [1, Math.E, 1 / Math.E].map((v) => v / (1 + Math.E + 1 / Math.E));
    for (let c = 0; c < 3; c++) {
      const freq = draws.filter((d) => d === c).length / draws.length;
      expect(Math.abs(freq - p[c])).toBeLessThan(4 * Math.sqrt((p[c] * (1 - p[c])) / draws.length));
    }
  });
});

describe("mse (½ convention)", () => {
  const rng = new Rng(22);
  const out = gaussianMatrix(rng, 5, 3);
  const t = gaussianMatrix(rng, 5, 3);

  it("is the batch mean of ½‖ŷ − y‖², with per-example gradients ŷ − y", () => {
    let s = 0;
    for (let k = 0; k < out.data.length; k++) s += (out.data[k] - t.data[k]) ** 2;
    expect(mse(out, t)).toBeCloseTo(s / 2 / 5, 14);
    const { g } = mse.valueAndGrad(out, t);
    const fd = out.data.map((_, k) => centralDifference(out.data, k, () => mse(out, t)) * out.rows);
    expect(maxRelativeError(g.data, fd)).toBeLessThan(1e-8);
    expect(() => mse(out, new Matrix(5, 2))).toThrow(/targets are 5×2 but the outputs are 5×3/);
  });

  it("samples targets from N(ŷ, I)", () => {
    const mean = Matrix.fromRows(Array.from({ length: 20000 }, () => [2, -1]));
    const y = mse.sampleTargets(mean, new Rng(5));
    for (let j = 0; j < 2; j++) {
      const col = y.col(j);
      const m = col.reduce((a, b) => a + b, 0) / col.length;
      const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
      expect(Math.abs(m - mean.get(0, j))).toBeLessThan(0.03);
      expect(Math.abs(v - 1)).toBeLessThan(0.05);
    }
  });
});

describe("accuracy", () => {
  it("counts rows whose arg-max is the target", () => {
    const z = Matrix.fromRows([
      [0, 2, 1],
      [3, 1, 0],
      [0, 0, 5],
      [1, 1, 0],
    ]);
    expect(accuracy(z, Int32Array.from([1, 0, 1, 0]))).toBe(0.75);
  });
});

describe("sigmoidCrossEntropy (binary cross-entropy on logits)", () => {
  const rng = new Rng(23);
  const z = gaussianMatrix(rng, 5, 4, 2);
  const y = new Matrix(
    5,
    4,
    Float64Array.from({ length: 20 }, (_, k) => (k % 3 === 0 ? 1 : (k % 7) / 7)),
  );

  /** −Σ_j [y log σ(z) + (1 − y) log(1 − σ(z))] per example, averaged: the textbook form. */
  function naiveBce(logits: Matrix, targets: Matrix): number {
    let total = 0;
    for (let k = 0; k < logits.data.length; k++) {
      const p = 1 / (1 + Math.exp(-logits.data[k]));
      total -= targets.data[k] * Math.log(p) + (1 - targets.data[k]) * Math.log(1 - p);
    }
    return total / logits.rows;
  }

  it("equals the textbook −y log σ − (1 − y) log(1 − σ), summed per example and averaged", () => {
    expect(sigmoidCrossEntropy(z, y)).toBeCloseTo(naiveBce(z, y), 12);
  });

  it("stays finite for logits of ±800, where the textbook form overflows", () => {
    const big = new Matrix(1, 2, Float64Array.from([800, -800]));
    const t = new Matrix(1, 2, Float64Array.from([0, 1]));
    expect(Number.isFinite(naiveBce(big, t))).toBe(false);
    expect(sigmoidCrossEntropy(big, t)).toBeCloseTo(1600, 9);
  });

  it("per-example gradients are σ(z) − y, n times the finite-difference gradient of the mean loss", () => {
    const { g } = sigmoidCrossEntropy.valueAndGrad(z, y);
    const fd = z.data.map((_, k) => centralDifference(z.data, k, () => sigmoidCrossEntropy(z, y)) * z.rows);
    expect(maxRelativeError(g.data, fd)).toBeLessThan(1e-8);
  });

  it("its output Hessian product is the finite difference of the per-example gradients", () => {
    const u = gaussianMatrix(new Rng(24), 5, 4, 1);
    const hu = sigmoidCrossEntropy.outputHessianProduct!(z, u);
    const h = 1e-6;
    const shifted = (s: number) =>
      sigmoidCrossEntropy.valueAndGrad(
        new Matrix(
          5,
          4,
          z.data.map((v, k) => v + s * h * u.data[k]),
        ),
        y,
      ).g;
    const up = shifted(1);
    const down = shifted(-1);
    const fd = up.data.map((v, k) => (v - down.data[k]) / (2 * h));
    expect(maxRelativeError(hu.data, fd)).toBeLessThan(1e-8);
  });

  it("refuses targets outside [0, 1], naming the value", () => {
    const bad = new Matrix(
      5,
      4,
      y.data.map((v, k) => (k === 3 ? 1.5 : v)),
    );
    expect(() => sigmoidCrossEntropy(z, bad)).toThrow(/\[0, 1\], got 1\.5 at entry 3/);
  });

  it("samples Bernoulli(σ(z)) targets", () => {
    const logits = new Matrix(20000, 1, new Float64Array(20000).fill(1));
    const draws = sigmoidCrossEntropy.sampleTargets(logits, new Rng(5)).data;
    const p = 1 / (1 + Math.exp(-1));
    const freq = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(Math.abs(freq - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws.length));
  });
});
