import { describe, expect, it } from "vitest";
import { makeCovariance, spectrum } from "../../src/random/covariance.js";
import { Rng } from "../../src/random/rng.js";

function naiveProduct(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}

describe("spectrum", () => {
  it.each(["logspaced", "spiked", "powerlaw"] as const)("%s has condition number κ, smallest 1, descending", (kind) => {
    const s = spectrum(40, { kind, kappa: 250, spikes: 3, exponent: 1.5 });
    expect(s[0]).toBeCloseTo(250, 10);
    expect(s[39]).toBeCloseTo(1, 12);
    for (let i = 1; i < 40; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
  });

  it("log-spaced eigenvalues form a geometric sequence; spiked has two levels", () => {
    const s = spectrum(5, { kind: "logspaced", kappa: 16 });
    expect(Array.from(s)).toEqual([16, 8, 4, 2, 1].map((v) => expect.closeTo(v, 12)));
    const spiked = spectrum(6, { kind: "spiked", kappa: 10, spikes: 2 });
    expect(Array.from(spiked)).toEqual([10, 10, 1, 1, 1, 1]);
  });

  it("refuses bad input with the field and the value", () => {
    expect(() => spectrum(0, { kind: "logspaced", kappa: 2 })).toThrow(/d must be a positive integer, got 0/);
    expect(() => spectrum(4, { kind: "logspaced", kappa: 0.5 })).toThrow(/kappa must be ≥ 1, got 0.5/);
    expect(() => spectrum(4, { kind: "spiked", kappa: 2, spikes: 9 })).toThrow(/spikes/);
  });
});

describe("makeCovariance", () => {
  it("builds Σ with the requested eigen-pairs and Σ^{1/2} with (Σ^{1/2})² = Σ", () => {
    const d = 12;
    const s = spectrum(d, { kind: "logspaced", kappa: 100 });
    const cov = makeCovariance(new Rng(4), s, true);
    const sq = naiveProduct(cov.sqrt.data, cov.sqrt.data, d);
    for (let i = 0; i < d * d; i++) expect(sq[i]).toBeCloseTo(cov.sigma.data[i], 11);
    // Σ q_k = s_k q_k for every column q_k of the basis.
    for (let k = 0; k < d; k++) {
      for (let i = 0; i < d; i++) {
        let v = 0;
        for (let j = 0; j < d; j++) v += cov.sigma.get(i, j) * cov.basis.get(j, k);
        expect(v).toBeCloseTo(s[k] * cov.basis.get(i, k), 10);
      }
    }
  });

  it("is diagonal when axis-aligned", () => {
    const s = spectrum(4, { kind: "logspaced", kappa: 8 });
    const cov = makeCovariance(new Rng(1), s, false);
    expect(cov.sigma.toRows()).toEqual(
      [
        [8, 0, 0, 0],
        [0, 4, 0, 0],
        [0, 0, 2, 0],
        [0, 0, 0, 1],
      ].map((r) => r.map((v) => expect.closeTo(v, 12))),
    );
  });
});
