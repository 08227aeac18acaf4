import { naiveMatmul as mul } from "../../helpers/naive.js";
import { describe, expect, it } from "vitest";
import { Matrix } from "../../../src/linalg/matrix.js";
import { matmul } from "../../../src/linalg/blas.js";
import { Rng } from "../../../src/random/rng.js";
import { makeLinrepProblem, type LinrepProblemConfig } from "../../../src/paper/linrep/problem.js";

const base: LinrepProblemConfig = {
  dX: 6,
  dY: 5,
  k: 3,
  kappaX: 20,
  kappaF: 4,
  spectrum: "logspaced",
  rotate: true,
  inputs: "rademacher",
  noise: 0.3,
  transfer: { kappaX: 5, kappaF: 2, noise: 0.2, rotate: true },
};

/** tr(A^p) for a square A. */
function tracePower(A: Matrix, p: number): number {
  let P = A;
  for (let i = 1; i < p; i++) P = mul(P, A);
  let t = 0;
  for (let i = 0; i < A.rows; i++) t += P.get(i, i);
  return t;
}

/** Σ^{-1/2} from the stored eigendecomposition. */
function invSqrt(basis: Matrix, s: Float64Array): Matrix {
  const d = s.length;
  const out = new Matrix(d, d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let a = 0;
      for (let k = 0; k < d; k++) a += (basis.get(i, k) * basis.get(j, k)) / Math.sqrt(s[k]);
      out.set(i, j, a);
    }
  return out;
}

describe("linear representation problem", () => {
  const problem = makeLinrepProblem(new Rng(11), base);

  it("G★ has orthonormal rows", () => {
    const GGt = mul(problem.Gstar, problem.Gstar, false, true);
    for (let i = 0; i < base.k; i++)
      for (let j = 0; j < base.k; j++) expect(GGt.get(i, j)).toBeCloseTo(i === j ? 1 : 0, 12);
  });

  it("F★ and the transfer head have singular values log-spaced from 1 to κ_F", () => {
    // The power sums tr((FᵀF)^p), p = 1…k, determine the k squared singular values.
    for (const [F, kappa] of [
      [problem.Fstar, base.kappaF],
      [problem.transferTask.Fstar, base.transfer.kappaF],
    ] as const) {
      const FtF = mul(F, F, true);
      const s = [0, 1, 2].map((i) => kappa ** ((2 - i) / 2));
      for (let p = 1; p <= 3; p++) {
        const expected = s.reduce((a, v) => a + v ** (2 * p), 0);
        expect(tracePower(FtF, p) / expected).toBeCloseTo(1, 10);
      }
    }
  });

  it("the empirical covariance of many samples approaches Σ and the noise has variance σ²", () => {
    const n = 40000;
    const { X, Y } = problem.sample(new Rng(5), n);
    const S = mul(X, X, true);
    const sigma = problem.cov.sigma;
    for (let i = 0; i < base.dX; i++)
      for (let j = 0; j < base.dX; j++) {
        const sd = Math.sqrt((sigma.get(i, i) * sigma.get(j, j) + sigma.get(i, j) ** 2) / n);
        expect(Math.abs(S.get(i, j) / n - sigma.get(i, j))).toBeLessThan(5 * sd + 1e-12);
      }
    const pred = mul(mul(X, problem.Gstar, false, true), problem.Fstar, false, true);
    let ss = 0;
    for (let t = 0; t < Y.data.length; t++) ss += (Y.data[t] - pred.data[t]) ** 2;
    expect(ss / Y.data.length).toBeCloseTo(base.noise ** 2, 2);
  });

  it("Rademacher inputs whiten to exact ±1 entries; Gaussian inputs whiten to kurtosis ≈ 3", () => {
    const W = invSqrt(problem.cov.basis, problem.cov.eigenvalues);
    const xiR = mul(problem.sample(new Rng(1), 50).X, W);
    for (const v of xiR.data) expect(Math.abs(v)).toBeCloseTo(1, 9);
    const gauss = makeLinrepProblem(new Rng(11), { ...base, inputs: "gaussian" });
    const xiG = mul(gauss.sample(new Rng(2), 20000).X, W);
    let m2 = 0;
    let m4 = 0;
    for (const v of xiG.data) {
      m2 += v * v;
      m4 += v ** 4;
    }
    m2 /= xiG.data.length;
    m4 /= xiG.data.length;
    expect(m2).toBeCloseTo(1, 1);
    expect(m4 / (m2 * m2)).toBeGreaterThan(2.8);
    expect(m4 / (m2 * m2)).toBeLessThan(3.2);
  });

  it("Σ has the requested condition number, axis-aligned when rotate is false", () => {
    const e = problem.cov.eigenvalues;
    expect(Math.max(...e) / Math.min(...e)).toBeCloseTo(base.kappaX, 9);
    const aligned = makeLinrepProblem(new Rng(11), { ...base, rotate: false });
    for (let i = 0; i < base.dX; i++)
      for (let j = 0; j < base.dX; j++) if (i !== j) expect(aligned.cov.sigma.get(i, j)).toBe(0);
  });

  it("passes the spectrum's shape through: two spikes at κₓ, the rest at 1", () => {
    const spiked = makeLinrepProblem(new Rng(11), { ...base, spectrum: "spiked", spikes: 2 });
    const e = Array.from(spiked.cov.eigenvalues).sort((a, b) => b - a);
    expect(e).toEqual([20, 20, 1, 1, 1, 1]);
    expect(() => makeLinrepProblem(new Rng(11), { ...base, spectrum: "spiked", spikes: 9 })).toThrow(/spikes/);
  });

  it("the transfer task shares G★ but has its own covariance and noise", () => {
    const { X, Y } = problem.transferTask.sample(new Rng(9), 4000);
    const pred = mul(mul(X, problem.Gstar, false, true), problem.transferTask.Fstar, false, true);
    let ss = 0;
    for (let t = 0; t < Y.data.length; t++) ss += (Y.data[t] - pred.data[t]) ** 2;
    expect(Math.sqrt(ss / Y.data.length)).toBeCloseTo(base.transfer.noise, 2);
    const e = problem.transferTask.cov.eigenvalues;
    expect(Math.max(...e) / Math.min(...e)).toBeCloseTo(base.transfer.kappaX, 9);
  });

  it("is reproducible from the seed", () => {
    const again = makeLinrepProblem(new Rng(11), base);
    expect(Array.from(again.Gstar.data)).toEqual(Array.from(problem.Gstar.data));
    expect(Array.from(again.sample(new Rng(3), 4).Y.data)).toEqual(Array.from(problem.sample(new Rng(3), 4).Y.data));
  });

  it("samples exactly X = Ξ Σ^{1/2}, Y = X (F★G★)ᵀ + σ·(one normal() per entry), on both product paths", () => {
    // Small sizes use matmul's TypeScript path, large ones draw and multiply inside WebAssembly memory: both must
    // give the bits of the plain recipe (stored results depend on them).
    for (const [dX, n] of [
      [6, 4],
      [40, 300],
    ]) {
      for (const inputs of ["rademacher", "gaussian"] as const) {
        const config = { ...base, dX, dY: 12, inputs };
        const p = makeLinrepProblem(new Rng(5), config);
        const { X, Y } = p.sample(new Rng(9), n);
        const rng = new Rng(9);
        const Xi = new Matrix(n, dX);
        if (inputs === "rademacher") rng.fillRademacher(Xi.data);
        else rng.fillNormal(Xi.data);
        const Xref = matmul(Xi, p.cov.sqrt);
        const Yref = matmul(Xref, matmul(p.Fstar, p.Gstar), { transB: true });
        for (let t = 0; t < Yref.data.length; t++) Yref.data[t] += config.noise * rng.normal();
        expect(Array.from(X.data)).toEqual(Array.from(Xref.data));
        expect(Array.from(Y.data)).toEqual(Array.from(Yref.data));
      }
    }
  });

  it("refuses bad configs with a message naming the field", () => {
    expect(() => makeLinrepProblem(new Rng(1), { ...base, k: 7 })).toThrow(/k must be ≤ dX \(6\), got 7/);
    expect(() => makeLinrepProblem(new Rng(1), { ...base, k: 3, dY: 2 })).toThrow(/k must be ≤ dY/);
    expect(() => makeLinrepProblem(new Rng(1), { ...base, kappaX: 0.5 })).toThrow(/kappaX must be .* ≥ 1, got 0.5/);
    expect(() => makeLinrepProblem(new Rng(1), { ...base, noise: -1 })).toThrow(/noise must be .* ≥ 0, got -1/);
    expect(() => makeLinrepProblem(new Rng(1), { ...base, dX: 2.5 })).toThrow(/dX must be a positive integer/);
    expect(() => makeLinrepProblem(new Rng(1), { ...base, transfer: { ...base.transfer, kappaF: 0 } })).toThrow(
      /transfer.kappaF/,
    );
  });
});
