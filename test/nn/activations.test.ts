import { describe, expect, it } from "vitest";
import {
  ACTIVATION_NAMES,
  activation,
  erf,
  gaussianExpectation,
  hermite,
  hermiteCoefficients,
  hermitePolynomial,
} from "../../src/nn/activations.js";

describe("activations", () => {
  it("derivatives match central finite differences", () => {
    const acts = [...ACTIVATION_NAMES.map(activation), hermitePolynomial([0.3, -1, 0.5, 0.25], "poly")];
    for (const a of acts) {
      for (const t of [-2.3, -0.7, 0.31, 1.1, 2.9]) {
        const h = 1e-6;
        const fd = (a.f(t + h) - a.f(t - h)) / (2 * h);
        expect(a.df(t), `${a.name} at ${t}`).toBeCloseTo(fd, 6);
        if (a.dfFromOutput) expect(a.dfFromOutput(a.f(t)), `${a.name} from output`).toBeCloseTo(a.df(t), 14);
      }
    }
  });

  it("erf matches reference values (Abramowitz & Stegun table 7.1 / high-precision values)", () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(-2)).toBeCloseTo(-0.9953222650189527, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
  });

  it("Hermite polynomials follow the closed forms and are orthonormal after scaling", () => {
    for (const z of [-1.5, 0.2, 2]) {
      expect(hermite(2, z)).toBeCloseTo(z * z - 1, 12);
      expect(hermite(3, z)).toBeCloseTo(z ** 3 - 3 * z, 12);
      expect(hermite(4, z)).toBeCloseTo(z ** 4 - 6 * z * z + 3, 12);
    }
    expect(gaussianExpectation((z) => z ** 4)).toBeCloseTo(3, 10);
    const poly = hermitePolynomial([0, 0, 0, 1]);
    expect(gaussianExpectation((z) => poly.f(z) ** 2)).toBeCloseTo(1, 10);
  });

  it("Hermite coefficients of relu and of a Hermite polynomial match their closed forms", () => {
    // relu: μ₀ = 1/√(2π), μ₁ = 1/2, μ₂ = 1/(2√π), μ₃ = 0.
    const mu = hermiteCoefficients(activation("relu"), 4);
    expect(mu[0]).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 9);
    expect(mu[1]).toBeCloseTo(0.5, 9);
    expect(mu[2]).toBeCloseTo(1 / (2 * Math.sqrt(Math.PI)), 9);
    expect(mu[3]).toBeCloseTo(0, 9);
    const c = hermiteCoefficients(hermitePolynomial([0.2, -0.4, 0.7]), 4);
    expect(Array.from(c).map((v) => +v.toFixed(9))).toEqual([0.2, -0.4, 0.7, 0]);
  });

  it("refuses unknown names and empty polynomials", () => {
    expect(() => activation("sin")).toThrow(/unknown name "sin".*tanh/);
    expect(() => hermitePolynomial([])).toThrow(/non-empty/);
  });
});
