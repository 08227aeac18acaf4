import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/random/index.js";
import { activation } from "../../../src/nn/activations.js";
import { makeSingleIndexProblem } from "../../../src/paper/single-index/problem.js";
import {
  effectiveRegularization,
  gdAlignment,
  gdAlignmentLimit,
  kfacAlignment,
  linkMoments,
  spectralCoordinates,
} from "../../../src/paper/single-index/theory.js";

function spectral(kappa: number, d: number, seed = 1) {
  const p = makeSingleIndexProblem(new Rng(seed), {
    d,
    kappa,
    spectrum: "logspaced",
    rotate: true,
    normalize: "trace",
    teacher: "random",
    link: "tanh",
    noise: 0.1,
  });
  return { p, sp: { eigenvalues: p.cov.eigenvalues, betaCoords: spectralCoordinates(p.cov.basis, p.beta) } };
}

describe("single-index theory", () => {
  it("link moments: closed forms for the linear link", () => {
    const m = linkMoments(activation("linear"), 0.3);
    expect(m.c1).toBeCloseTo(1, 10);
    expect(m.m2).toBeCloseTo(1 + 0.09, 10);
    expect(m.m22).toBeCloseTo(3 + 0.09, 10);
  });

  it("GD's finite-n prediction tends to cos(β★, Σβ★); at κ = 1 the limit is 1", () => {
    const { sp } = spectral(10, 50);
    const m = linkMoments(activation("tanh"), 0.1);
    expect(gdAlignment(sp, m, 1e12)).toBeCloseTo(gdAlignmentLimit(sp), 8);
    expect(gdAlignment(sp, m, 100)).toBeLessThan(gdAlignment(sp, m, 1000));
    expect(gdAlignmentLimit(spectral(1, 50).sp)).toBeCloseTo(1, 12);
  });

  it("the effective regularisation solves its fixed-point equation (also below the interpolation threshold)", () => {
    const s = spectral(30, 80).sp.eigenvalues;
    for (const [n, lambda] of [
      [40, 1e-6],
      [200, 1e-3],
      [200, 0.5],
    ]) {
      const k = effectiveRegularization(s, n, lambda);
      let t = 0;
      for (let i = 0; i < s.length; i++) t += s[i] / (s[i] + k);
      expect(k).toBeCloseTo(lambda + (k * t) / n, 10);
    }
  });

  it("KFAC's ridge prediction with λ → 0 matches the least-squares formula for n > d", () => {
    const { sp } = spectral(100, 60);
    const m = linkMoments(activation("tanh"), 0.1);
    for (const n of [240, 1000]) {
      // n − d versus n − d − 1 in the error term is the only difference.
      expect(kfacAlignment(sp, m, n, 1e-10)).toBeCloseTo(kfacAlignment(sp, m, n, 0), 3);
    }
    expect(kfacAlignment(sp, m, 1e9, 0)).toBeCloseTo(1, 6);
  });

  it("the noise model of v = Xᵀy/n (the basis of both predictions) matches Monte Carlo", () => {
    // E‖v‖² = c₁²‖u‖² + (1/n)[m₂(tr Σ − ‖u‖²) + (m₂₂ − c₁²)‖u‖²], E⟨v, β★⟩ = c₁ (u = Σβ★).
    const d = 20;
    const n = 50;
    const { p, sp } = spectral(10, d, 3);
    const m = linkMoments(p.link, 0.1);
    let u2 = 0;
    let tr = 0;
    for (let i = 0; i < d; i++) {
      u2 += (sp.eigenvalues[i] * sp.betaCoords[i]) ** 2;
      tr += sp.eigenvalues[i];
    }
    const predicted = m.c1 ** 2 * u2 + (m.m2 * (tr - u2) + (m.m22 - m.c1 ** 2) * u2) / n;
    const reps = 3000;
    const rng = new Rng(4);
    let v2 = 0;
    let vb = 0;
    for (let r = 0; r < reps; r++) {
      const { X, y } = p.sample(rng, n);
      const v = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[j] += (X.get(i, j) * y[i]) / n;
      v2 += v.reduce((s, x) => s + x * x, 0) / reps;
      vb += v.reduce((s, x, j) => s + x * p.beta[j], 0) / reps;
    }
    expect(Math.abs(v2 / predicted - 1)).toBeLessThan(0.02);
    expect(vb).toBeCloseTo(m.c1, 2);
  });
});
