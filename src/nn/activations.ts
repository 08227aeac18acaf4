/**
 * Scalar activations σ with their derivatives, and Gaussian/Hermite helpers used by the single-index model and
 * its theory (docs/single-index.md): the Hermite coefficients μ_k = E[σ(z) h_k(z)], z ~ N(0, 1), decide which directions a
 * gradient step can pick up (μ₁ = E[σ′(z)] drives the rank-one spike).
 *
 * Hermite convention: probabilists' polynomials He_k (He₀ = 1, He₁ = z, He_{k+1} = z He_k − k He_{k−1}) and their
 * orthonormal versions h_k = He_k/√(k!), so E[h_j(z) h_k(z)] = δ_jk.
 */
import { exp, tanh } from "../linalg/elementary.js";
import type { BackwardKind } from "../linalg/elementwise.js";

/** A differentiable scalar function applied entry-wise. */
export interface Activation {
  /** A name for messages and stored configs. */
  name: string;
  f(t: number): number;
  /** The derivative σ′(t) (for relu, 0 at t = 0). */
  df(t: number): number;
  /**
   * σ′ as a function of the output σ(t), for activations where it is one (tanh: 1 − σ²): lets a backward pass
   * reuse the forward values instead of evaluating σ again.
   */
  dfFromOutput?(f: number): number;
  /**
   * The SIMD kernel (src/linalg/elementwise.ts) that computes the same σ over a whole array, and σ′ through the
   * output in a backward pass, when there is one. Its values may differ from `f` in the last bits (the kernel's
   * documented ulp bound), but are the same on every machine.
   */
  kernel?: BackwardKind;
}

const SQRT_2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * The error function to about 1e-15: the Maclaurin series for |x| < 2.5 and, beyond, the continued fraction
 * erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) evaluated bottom-up (Abramowitz & Stegun
 * 7.1.5 and 7.1.14). GELU needs this accuracy because its derivative is checked against finite differences.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let k = 1; k < 100; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let t = ax;
    for (let k = 80; k >= 1; k--) t = ax + k / 2 / t;
    r = 1 - exp(-ax * ax) / (Math.sqrt(Math.PI) * t);
  }
  return x < 0 ? -r : r;
}

/** The logistic function 1/(1 + e⁻ᵗ), written so that neither branch overflows: e^t/(1 + e^t) for t < 0. */
export function logistic(t: number): number {
  if (t >= 0) return 1 / (1 + exp(-t));
  const e = exp(t);
  return e / (1 + e);
}

/** Standard normal density φ(t). */
export function normalPdf(t: number): number {
  return INV_SQRT_2PI * exp(-0.5 * t * t);
}

/** Standard normal distribution function Φ(t). */
export function normalCdf(t: number): number {
  return 0.5 * (1 + erf(t / SQRT_2));
}

/** He_k(z), probabilists' Hermite polynomial, by the three-term recurrence. */
export function hermite(k: number, z: number): number {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`hermite: degree must be an integer ≥ 0, got ${k}`);
  let prev = 1;
  if (k === 0) return prev;
  let cur = z;
  for (let j = 1; j < k; j++) {
    const next = z * cur - j * prev;
    prev = cur;
    cur = next;
  }
  return cur;
}

/** h_k(z) = He_k(z)/√(k!), orthonormal under N(0, 1). */
export function hermiteNormalized(k: number, z: number): number {
  let fact = 1;
  for (let j = 2; j <= k; j++) fact *= j;
  return hermite(k, z) / Math.sqrt(fact);
}

/**
 * A polynomial link Σ_k c_k h_k(z) given by its coefficients in the orthonormal Hermite basis; its derivative
 * uses h_k′ = √k h_{k−1}.
 */
export function hermitePolynomial(coefficients: readonly number[], name = "hermite"): Activation {
  if (coefficients.length === 0 || !coefficients.every(Number.isFinite)) {
    throw new RangeError(`hermitePolynomial: coefficients must be a non-empty list of finite numbers`);
  }
  const c = coefficients.slice();
  return {
    name,
    f: (t) => {
      let s = 0;
      for (let k = 0; k < c.length; k++) if (c[k] !== 0) s += c[k] * hermiteNormalized(k, t);
      return s;
    },
    df: (t) => {
      let s = 0;
      for (let k = 1; k < c.length; k++) if (c[k] !== 0) s += c[k] * Math.sqrt(k) * hermiteNormalized(k - 1, t);
      return s;
    },
  };
}

/** The activations known by name (configs refer to them by these names). */
export const ACTIVATIONS = {
  tanh: {
    name: "tanh",
    f: tanh,
    df: (t: number) => {
      const th = tanh(t);
      return 1 - th * th;
    },
    dfFromOutput: (f: number) => 1 - f * f,
    kernel: "tanh",
  },
  relu: { name: "relu", f: (t: number) => (t > 0 ? t : 0), df: (t: number) => (t > 0 ? 1 : 0), kernel: "relu" },
  /** GELU, t Φ(t) (Hendrycks & Gimpel 2016), exact form; derivative Φ(t) + t φ(t). */
  gelu: { name: "gelu", f: (t: number) => t * normalCdf(t), df: (t: number) => normalCdf(t) + t * normalPdf(t) },
  linear: { name: "linear", f: (t: number) => t, df: () => 1 },
  /** The logistic sigmoid 1/(1 + e⁻ᵗ), σ′ = σ(1 − σ) (the units of Hinton & Salakhutdinov's 2006 autoencoder). */
  sigmoid: {
    name: "sigmoid",
    f: logistic,
    df: (t: number) => {
      const s = logistic(t);
      return s * (1 - s);
    },
    dfFromOutput: (f: number) => f * (1 - f),
    kernel: "sigmoid",
  },
  /** h₁ + h₂ = z + (z² − 1)/√2: a link with both a linear and a quadratic Hermite component. */
  "he1+he2": hermitePolynomial([0, 1, 1], "he1+he2"),
} as const satisfies Record<string, Activation>;

export type ActivationName = keyof typeof ACTIVATIONS;
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationName[];

/** The activation called `name`; throws naming the allowed names otherwise. */
export function activation(name: string): Activation {
  const a = (ACTIVATIONS as Record<string, Activation>)[name];
  if (!a) throw new RangeError(`activation: unknown name "${name}"; allowed: ${ACTIVATION_NAMES.join(", ")}`);
  return a;
}

/** Half-width of the integration range in standard deviations (the Gaussian tail beyond 12 is below 1e-32). */
const GAUSS_RANGE = 12;
/** Simpson intervals (even, so z = 0, where relu has its kink, falls on a panel boundary). */
const GAUSS_INTERVALS = 4800;

/**
 * E[g(z)] for z ~ N(0, 1), by composite Simpson's rule on [−12, 12] with 4800 intervals. Gauss–Hermite
 * quadrature would be cheaper for smooth g but converges slowly for kinked ones (relu); with the kink at a panel
 * boundary Simpson's rule keeps its O(h⁴) error for piecewise-smooth integrands (about 1e-12 here).
 */
export function gaussianExpectation(g: (z: number) => number): number {
  const h = (2 * GAUSS_RANGE) / GAUSS_INTERVALS;
  let sum = 0;
  for (let i = 0; i <= GAUSS_INTERVALS; i++) {
    const z = -GAUSS_RANGE + i * h;
    const w = i === 0 || i === GAUSS_INTERVALS ? 1 : i % 2 === 1 ? 4 : 2;
    sum += w * g(z) * normalPdf(z);
  }
  return (sum * h) / 3;
}

/** The first `count` Hermite coefficients μ_k = E[σ(z) h_k(z)] of an activation. */
export function hermiteCoefficients(act: Activation, count: number): Float64Array {
  const mu = new Float64Array(count);
  for (let k = 0; k < count; k++) mu[k] = gaussianExpectation((z) => act.f(z) * hermiteNormalized(k, z));
  return mu;
}
