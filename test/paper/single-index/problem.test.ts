import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/random/index.js";
import { matmul } from "../../../src/linalg/blas.js";
import { Matrix } from "../../../src/linalg/matrix.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { makeSingleIndexProblem, type SingleIndexConfig } from "../../../src/paper/single-index/problem.js";
import { alignment } from "../../../src/paper/metrics/alignment.js";

const base: SingleIndexConfig = {
  d: 40,
  kappa: 10,
  spectrum: "logspaced",
  rotate: true,
  normalize: "trace",
  teacher: "random",
  link: "tanh",
  noise: 0.1,
};

describe("single-index problem", () => {
  it("normalises ⟨β★, Σβ★⟩ = 1 and tr Σ = d, so z = ⟨β★, x⟩ is standard normal", () => {
    const p = makeSingleIndexProblem(new Rng(1), base);
    const sb = matmul(p.cov.sigma, Matrix.column(p.beta)).data;
    expect(p.beta.reduce((s, b, i) => s + b * sb[i], 0)).toBeCloseTo(1, 12);
    let tr = 0;
    for (let i = 0; i < base.d; i++) tr += p.cov.sigma.get(i, i);
    expect(tr).toBeCloseTo(base.d, 9);
    const { z, y } = p.sample(new Rng(2), 20000);
    const varZ = z.reduce((s, v) => s + v * v, 0) / z.length;
    expect(varZ).toBeGreaterThan(0.97);
    expect(varZ).toBeLessThan(1.03);
    // y − tanh(z) is the noise: variance σ_ε².
    const noiseVar = y.reduce((s, v, i) => s + (v - Math.tanh(z[i])) ** 2, 0) / y.length;
    expect(noiseVar).toBeCloseTo(0.01, 3);
  });

  it("places β★ along the top, bottom, or both eigenvectors as asked", () => {
    for (const teacher of ["top", "bottom", "mixture"] as const) {
      const p = makeSingleIndexProblem(new Rng(3), { ...base, teacher });
      const top = alignment(p.beta, p.cov.basis.col(0));
      const bottom = alignment(p.beta, p.cov.basis.col(base.d - 1));
      const expected = { top: [1, 0], bottom: [0, 1], mixture: [Math.SQRT1_2, Math.SQRT1_2] }[teacher];
      expect(top).toBeCloseTo(expected[0], 10);
      expect(bottom).toBeCloseTo(expected[1], 10);
    }
  });

  it("samples exactly X = Ξ Σ^{1/2}, z = Xβ★, y = σ★(z) + σ_ε·(one normal() per row), on both product paths", () => {
    // d = 4, n = 20 stays in matmul's TypeScript path; d = 40, n = 300 draws and multiplies in WebAssembly memory.
    for (const [d, n] of [
      [4, 20],
      [40, 300],
    ]) {
      const p = makeSingleIndexProblem(new Rng(2), { ...base, d });
      const { X, y, z } = p.sample(new Rng(8), n);
      const rng = new Rng(8);
      const Xref = matmul(gaussianMatrix(rng, n, d), p.cov.sqrt);
      const zref = matmul(Xref, Matrix.column(p.beta)).data;
      const yref = Array.from(zref, (zi) => p.link.f(zi) + base.noise * rng.normal());
      expect(Array.from(X.data)).toEqual(Array.from(Xref.data));
      expect(Array.from(z)).toEqual(Array.from(zref));
      expect(Array.from(y)).toEqual(yref);
    }
  });

  it("is reproducible from its seed and refuses bad input naming the field", () => {
    const a = makeSingleIndexProblem(new Rng(9), base);
    const b = makeSingleIndexProblem(new Rng(9), base);
    expect(Array.from(a.beta)).toEqual(Array.from(b.beta));
    expect(() => makeSingleIndexProblem(new Rng(1), { ...base, d: 0 })).toThrow(/d must be a positive integer/);
    expect(() => makeSingleIndexProblem(new Rng(1), { ...base, kappa: 0.5 })).toThrow(/kappa must be ≥ 1/);
    expect(() => makeSingleIndexProblem(new Rng(1), { ...base, link: "cosh" })).toThrow(/unknown name "cosh"/);
  });
});
