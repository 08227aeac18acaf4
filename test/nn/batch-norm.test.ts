import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import {
  RunningStats,
  batchNormBackward,
  batchNormForward,
  initBatchNorm,
  type BatchNormParams,
} from "../../src/nn/batch-norm.js";

/** A scalar loss of the batch-norm output with a non-trivial gradient: L = Σ R⊙out + ½ Σ out³/3. */
function lossOf(H: Matrix, p: BatchNormParams, R: Matrix): number {
  const { out } = batchNormForward(H, p);
  let s = 0;
  for (let k = 0; k < out.data.length; k++) s += R.data[k] * out.data[k] + out.data[k] ** 3 / 6;
  return s;
}

function dLossDOut(H: Matrix, p: BatchNormParams, R: Matrix): Matrix {
  const { out } = batchNormForward(H, p);
  const g = new Matrix(out.rows, out.cols);
  for (let k = 0; k < out.data.length; k++) g.data[k] = R.data[k] + out.data[k] ** 2 / 2;
  return g;
}

/** Central finite difference of f with respect to arr[k]. */
function fd(arr: Float64Array, k: number, f: () => number, h = 1e-6): number {
  const saved = arr[k];
  arr[k] = saved + h;
  const up = f();
  arr[k] = saved - h;
  const down = f();
  arr[k] = saved;
  return (up - down) / (2 * h);
}

describe("batch norm", () => {
  const rng = new Rng(7);
  const n = 9;
  const m = 4;
  const H = gaussianMatrix(rng, n, m, 2);
  for (let i = 0; i < n; i++) H.data[i * m + 1] += 5; // a column with a large offset
  const R = gaussianMatrix(rng, n, m);
  const p: BatchNormParams = {
    gamma: Float64Array.from([1.5, -0.7, 0.3, 2]),
    beta: Float64Array.from([0.1, -1, 0.5, 0]),
    eps: 1e-3,
  };

  it("normalises each column to mean β and standard deviation |γ|·√(v/(v+ε))", () => {
    const { out, mean, variance } = batchNormForward(H, p);
    for (let j = 0; j < m; j++) {
      const col = out.col(j);
      const mu = col.reduce((a, b) => a + b, 0) / n;
      const v = col.reduce((a, b) => a + (b - mu) ** 2, 0) / n;
      expect(mu).toBeCloseTo(p.beta[j], 12);
      expect(v).toBeCloseTo((p.gamma[j] ** 2 * variance[j]) / (variance[j] + p.eps), 10);
      const h = H.col(j);
      expect(mean[j]).toBeCloseTo(h.reduce((a, b) => a + b, 0) / n, 12);
    }
  });

  it("backward matches central finite differences for the input, γ and β", () => {
    const { cache } = batchNormForward(H, p);
    const { dH, dGamma, dBeta } = batchNormBackward(dLossDOut(H, p, R), cache);
    const f = () => lossOf(H, p, R);
    for (let k = 0; k < H.data.length; k++) {
      expect(Math.abs(dH.data[k] - fd(H.data, k, f))).toBeLessThan(1e-6 * (1 + Math.abs(dH.data[k])));
    }
    for (let j = 0; j < m; j++) {
      expect(Math.abs(dGamma[j] - fd(p.gamma, j, f))).toBeLessThan(1e-6 * (1 + Math.abs(dGamma[j])));
      expect(Math.abs(dBeta[j] - fd(p.beta, j, f))).toBeLessThan(1e-6 * (1 + Math.abs(dBeta[j])));
    }
  });

  it("input gradient sums to zero per column (the output is invariant to shifting a column)", () => {
    const { cache } = batchNormForward(H, p);
    const { dH } = batchNormBackward(dLossDOut(H, p, R), cache);
    for (let j = 0; j < m; j++) expect(Math.abs(dH.col(j).reduce((a, b) => a + b, 0))).toBeLessThan(1e-10);
  });

  it("running statistics follow the moving average and reproduce training mode once converged", () => {
    const stats = new RunningStats(m, 0.25);
    const { out, mean, variance } = batchNormForward(H, p);
    stats.update(mean, variance);
    for (let j = 0; j < m; j++) {
      expect(stats.mean[j]).toBeCloseTo(0.25 * mean[j], 14);
      expect(stats.variance[j]).toBeCloseTo(0.75 + 0.25 * variance[j], 14);
    }
    for (let t = 0; t < 200; t++) stats.update(mean, variance);
    const evalOut = stats.normalize(H, p);
    for (let k = 0; k < out.data.length; k++) expect(evalOut.data[k]).toBeCloseTo(out.data[k], 10);
  });

  it("refuses mismatched shapes and bad settings", () => {
    expect(() => batchNormForward(H, initBatchNorm(m + 1))).toThrow(/gamma and beta need 4/);
    expect(() => new RunningStats(m, 0)).toThrow(/momentum/);
    const { cache } = batchNormForward(H, p);
    expect(() => batchNormBackward(new Matrix(n, m + 1), cache)).toThrow(/dOut/);
  });
});
