import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/random/index.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { Matrix } from "../../../src/linalg/matrix.js";
import { ridge } from "../../../src/paper/metrics/regression.js";
import { ridgeReadout } from "../../../src/experiments/single-index/readout.js";

/** y = 2 + Φw + 0.3ε with Φ's columns offset by 1 (so the intercept matters). */
function data(rng: Rng, n: number, p: number, w: Float64Array) {
  const X = gaussianMatrix(rng, n, p);
  for (let k = 0; k < X.data.length; k++) X.data[k] += 1;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 2;
    for (let j = 0; j < p; j++) s += X.get(i, j) * w[j];
    y[i] = s + 0.3 * rng.normal();
  }
  return { X, y };
}

describe("ridge readout", () => {
  const p = 12;
  const rng = new Rng(21);
  const w = Float64Array.from({ length: p }, () => rng.normal());
  const train = data(rng, 80, p, w);
  const test = data(rng, 500, p, w);
  const options = { lambdaGrid: [1e-6, 1e-2, 1, 100], validationFraction: 0.25 };

  it("matches paper/metrics/regression.ridge on centred data with the chosen λ, intercept included", () => {
    const r = ridgeReadout(train.X, train.y, test, options);
    expect(options.lambdaGrid).toContain(r.lambda);
    // Reference: centre with the training means, ridge with λ = ρ tr(ΦᵀΦ)/p, predict with the intercept ȳ.
    const n = train.X.rows;
    const mean = new Float64Array(p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += train.X.get(i, j) / n;
    const yMean = train.y.reduce((s, v) => s + v, 0) / n;
    const C = new Matrix(n, p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) C.set(i, j, train.X.get(i, j) - mean[j]);
    let tr = 0;
    for (let k = 0; k < C.data.length; k++) tr += C.data[k] ** 2;
    const W = ridge(C, Matrix.column(train.y.map((v) => v - yMean)), (r.lambda * tr) / p);
    let mse = 0;
    for (let i = 0; i < test.X.rows; i++) {
      let pred = yMean;
      for (let j = 0; j < p; j++) pred += (test.X.get(i, j) - mean[j]) * W.get(j, 0);
      mse += (test.y[i] - pred) ** 2 / test.X.rows;
    }
    expect(r.testMSE).toBeCloseTo(mse, 10);
    // A well-posed linear problem: near the noise floor 0.09, and the tiny penalty wins over the huge one.
    expect(r.testMSE!).toBeLessThan(0.13);
    expect(r.lambda).toBeLessThan(100);
  });

  it("stops after choosing λ when no test rows are given", () => {
    const full = ridgeReadout(train.X, train.y, test, options);
    const validationOnly = ridgeReadout(train.X, train.y, null, options);
    expect(validationOnly.testMSE).toBeNull();
    expect(validationOnly.lambda).toBe(full.lambda);
    expect(validationOnly.validationMSE).toBe(full.validationMSE);
  });
});
