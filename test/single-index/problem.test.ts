import { describe, expect, it } from "vitest";
import { Rng } from "../../src/random/index.js";
import { matmul } from "../../src/linalg/blas.js";
import { Matrix } from "../../src/linalg/matrix.js";
import { makeSingleIndexProblem, type SingleIndexConfig } from "../../src/problems/single-index.js";
import { alignment } from "../../src/metrics/alignment.js";

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

  it("is reproducible from its seed and refuses bad input naming the field", () => {
    const a = makeSingleIndexProblem(new Rng(9), base);
    const b = makeSingleIndexProblem(new Rng(9), base);
    expect(Array.from(a.beta)).toEqual(Array.from(b.beta));
    expect(() => makeSingleIndexProblem(new Rng(1), { ...base, d: 0 })).toThrow(/d must be a positive integer/);
    expect(() => makeSingleIndexProblem(new Rng(1), { ...base, kappa: 0.5 })).toThrow(/kappa must be ≥ 1/);
    expect(() => makeSingleIndexProblem(new Rng(1), { ...base, link: "cosh" })).toThrow(/unknown name "cosh"/);
  });
});
