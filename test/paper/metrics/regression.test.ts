import { describe, expect, it } from "vitest";
import { Matrix } from "../../../src/linalg/matrix.js";
import { Rng } from "../../../src/random/rng.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { ridge } from "../../../src/paper/metrics/regression.js";

/** Naive (i, j) loop product, kept here as an independent reference. */
function mul(A: Matrix, B: Matrix, transA = false): Matrix {
  const r = transA ? A.cols : A.rows;
  const inner = transA ? A.rows : A.cols;
  const C = new Matrix(r, B.cols);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < B.cols; j++) {
      let s = 0;
      for (let k = 0; k < inner; k++) s += (transA ? A.get(k, i) : A.get(i, k)) * B.get(k, j);
      C.set(i, j, s);
    }
  return C;
}

describe("ridge", () => {
  const rng = new Rng(3);
  const X = gaussianMatrix(rng, 40, 6);
  const Y = gaussianMatrix(rng, 40, 3);

  it("satisfies the normal equations Xᵀ(XW − Y) + λW = 0", () => {
    for (const lambda of [0, 0.5, 30]) {
      const W = ridge(X, Y, lambda);
      expect(W.rows).toBe(6);
      expect(W.cols).toBe(3);
      const XW = mul(X, W);
      const resid = new Matrix(40, 3);
      for (let k = 0; k < resid.data.length; k++) resid.data[k] = XW.data[k] - Y.data[k];
      const g = mul(X, resid, true);
      for (let k = 0; k < g.data.length; k++) expect(Math.abs(g.data[k] + lambda * W.data[k])).toBeLessThan(1e-10);
    }
  });

  it("recovers the true coefficients exactly when Y = X W★ and λ = 0", () => {
    const Wstar = gaussianMatrix(rng, 6, 3);
    const W = ridge(X, mul(X, Wstar), 0);
    for (let k = 0; k < W.data.length; k++) expect(W.data[k]).toBeCloseTo(Wstar.data[k], 10);
  });

  it("shrinks towards zero as λ grows (‖W‖ ≈ ‖XᵀY‖/λ for large λ)", () => {
    const W = ridge(X, Y, 1e8);
    const XtY = mul(X, Y, true);
    for (let k = 0; k < W.data.length; k++) expect(W.data[k] * 1e8).toBeCloseTo(XtY.data[k], 4);
  });

  it("refuses underdetermined least squares and bad inputs with clear messages", () => {
    const wide = gaussianMatrix(rng, 3, 6);
    expect(() => ridge(wide, gaussianMatrix(rng, 3, 1), 0)).toThrow(
      /at least as many samples as features, got 3 samples and 6/,
    );
    expect(() => ridge(wide, gaussianMatrix(rng, 3, 1), 1e-3)).not.toThrow();
    expect(() => ridge(X, gaussianMatrix(rng, 5, 1), 0)).toThrow(/equal rows/);
    expect(() => ridge(X, Y, -1)).toThrow(/lambda must be/);
  });
});
