import { describe, expect, it } from "vitest";
import { Matrix } from "../../../src/linalg/matrix.js";
import { Rng } from "../../../src/random/rng.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { linearNetGradients, linearNetLoss, type LinearNetParams } from "../../../src/paper/linrep/linear-net.js";

function fd(arr: Float64Array, k: number, f: () => number, h = 1e-6): number {
  const saved = arr[k];
  arr[k] = saved + h;
  const up = f();
  arr[k] = saved - h;
  const down = f();
  arr[k] = saved;
  return (up - down) / (2 * h);
}

function expectMatchesFd(analytic: Float64Array, arr: Float64Array, f: () => number): void {
  for (let k = 0; k < arr.length; k++) {
    const num = fd(arr, k, f);
    expect(Math.abs(analytic[k] - num)).toBeLessThan(1e-6 * (1 + Math.abs(num)));
  }
}

describe("two-layer linear network", () => {
  const rng = new Rng(21);
  const n = 12;
  const [dX, dH, dY] = [5, 3, 4];
  const X = gaussianMatrix(rng, n, dX);
  const Y = gaussianMatrix(rng, n, dY);

  it("plain network: gradients match finite differences and the closed forms of docs/models.md", () => {
    const p: LinearNetParams = { G: gaussianMatrix(rng, dH, dX), F: gaussianMatrix(rng, dY, dH) };
    const g = linearNetGradients(p, X, Y);
    const f = () => linearNetLoss(p, X, Y);
    expect(g.loss).toBeCloseTo(f(), 12);
    expectMatchesFd(g.dG.data, p.G.data, f);
    expectMatchesFd(g.dF.data, p.F.data, f);
    // ∇_G = FᵀF G Σ̂ₓ − Fᵀ Σ̂_yx, ∇_F = F Σ̂_z − Σ̂_yz, written with naive loops.
    const S = (A: Matrix, B: Matrix) => {
      const C = new Matrix(A.cols, B.cols);
      for (let i = 0; i < A.cols; i++)
        for (let j = 0; j < B.cols; j++) {
          let s = 0;
          for (let t = 0; t < n; t++) s += A.get(t, i) * B.get(t, j);
          C.set(i, j, s / n);
        }
      return C;
    };
    const Sxx = S(X, X);
    const Syx = S(Y, X);
    const Z = g.Z;
    const Szz = S(Z, Z);
    const Syz = S(Y, Z);
    const { G, F } = p;
    for (let a = 0; a < dH; a++)
      for (let b = 0; b < dX; b++) {
        let v = 0;
        for (let c = 0; c < dY; c++)
          for (let e = 0; e < dH; e++)
            for (let q = 0; q < dX; q++) v += F.get(c, a) * F.get(c, e) * G.get(e, q) * Sxx.get(q, b);
        for (let c = 0; c < dY; c++) v -= F.get(c, a) * Syx.get(c, b);
        expect(g.dG.get(a, b)).toBeCloseTo(v, 10);
      }
    for (let a = 0; a < dY; a++)
      for (let b = 0; b < dH; b++) {
        let v = -Syz.get(a, b);
        for (let e = 0; e < dH; e++) v += F.get(a, e) * Szz.get(e, b);
        expect(g.dF.get(a, b)).toBeCloseTo(v, 10);
      }
  });

  it("batch-norm network: gradients of G, F, γ and β match finite differences", () => {
    const p: LinearNetParams = {
      G: gaussianMatrix(rng, dH, dX),
      F: gaussianMatrix(rng, dY, dH),
      bn: { gamma: Float64Array.from([1.2, 0.8, -0.5]), beta: Float64Array.from([0.3, -0.2, 0.1]), eps: 1e-4 },
    };
    const bn = p.bn!;
    const g = linearNetGradients(p, X, Y);
    const f = () => linearNetLoss(p, X, Y);
    expect(g.loss).toBeCloseTo(f(), 12);
    expectMatchesFd(g.dG.data, p.G.data, f);
    expectMatchesFd(g.dF.data, p.F.data, f);
    expectMatchesFd(g.dGamma!, bn.gamma, f);
    expectMatchesFd(g.dBeta!, bn.beta, f);
  });

  it("refuses mismatched shapes", () => {
    const p: LinearNetParams = { G: gaussianMatrix(rng, dH, dX + 1), F: gaussianMatrix(rng, dY, dH) };
    expect(() => linearNetLoss(p, X, Y)).toThrow(/X is 12×5 but G is 3×6/);
  });
});
