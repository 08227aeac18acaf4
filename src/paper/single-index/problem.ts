/**
 * The single-index problem of docs/models.md: x ~ N(0, Σ) in R^d, y = σ★(⟨β★, x⟩) + ε with ε ~ N(0, σ_ε²), and β★
 * normalised so ⟨β★, Σβ★⟩ = 1 (then z = ⟨β★, x⟩ ~ N(0, 1) whatever Σ is, and the link's Hermite coefficients
 * are those of σ★ under N(0, 1)).
 *
 * Data are rows: X is n×d, y has length n.
 */
import { Matrix } from "../../linalg/matrix.js";
import { WASM_MIN_FLOPS, matmul } from "../../linalg/blas.js";
import { gemm } from "../../linalg/parallel.js";
import { alloc, copyIn, copyOut, mark, release } from "../../linalg/wasm.js";
import { Rng } from "../../random/rng.js";
import { gaussianMatrix } from "../../random/matrices.js";
import {
  makeCovariance,
  spectrum,
  whitenedRowsInKernelMemory,
  type Covariance,
  type SpectrumKind,
} from "../../random/covariance.js";
import { activation, hermitePolynomial, type Activation } from "../../nn/activations.js";

/** How β★ is drawn (before normalisation). */
export type TeacherDirection = "random" | "top" | "bottom" | "mixture";

/** A link given by name (see `ACTIVATIONS`) or as orthonormal-Hermite coefficients Σ_k c_k h_k. */
export type LinkSpec = string | { hermite: number[] };

export interface SingleIndexConfig {
  /** Input dimension d ≥ 1. */
  d: number;
  /** Condition number κ ≥ 1 of Σ. */
  kappa: number;
  spectrum: SpectrumKind;
  /** For the spiked spectrum: the number of eigenvalues at the top level. */
  spikes?: number;
  /** For the power-law spectrum: the decay exponent. */
  exponent?: number;
  /** Σ = Q diag(s) Qᵀ with Q Haar-random (true) or the identity (false). */
  rotate: boolean;
  /**
   * "trace" rescales the spectrum to tr Σ = d, so a first-layer neuron w ~ N(0, I/d) has pre-activations of unit
   * variance whatever κ is (otherwise a large κ saturates tanh and μ₁ = E[σ′] collapses); "none" keeps the
   * smallest eigenvalue at 1.
   */
  normalize: "trace" | "none";
  /**
   * β★ ∝ a uniformly random direction ("random"), the top or the bottom eigenvector of Σ, or ("mixture") the
   * equal-weight combination (q_top + q_bottom)/√2 of both.
   */
  teacher: TeacherDirection;
  link: LinkSpec;
  /** Noise standard deviation σ_ε ≥ 0. */
  noise: number;
}

export interface SingleIndexProblem {
  config: SingleIndexConfig;
  cov: Covariance;
  /** β★ with ⟨β★, Σβ★⟩ = 1. */
  beta: Float64Array;
  link: Activation;
  /** n samples: X n×d, the index z = Xβ★ and the labels y = σ★(z) + ε. */
  sample(rng: Rng, n: number): { X: Matrix; y: Float64Array; z: Float64Array };
}

/** The link σ★ described by `spec`. */
export function makeLink(spec: LinkSpec): Activation {
  return typeof spec === "string" ? activation(spec) : hermitePolynomial(spec.hermite);
}

/** Builds the problem (Σ, β★, link) from `rng`; the same seed gives the same problem. */
export function makeSingleIndexProblem(rng: Rng, config: SingleIndexConfig): SingleIndexProblem {
  const { d, kappa, noise } = config;
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`single-index: d must be a positive integer, got ${d}`);
  if (!(noise >= 0) || !Number.isFinite(noise)) {
    throw new RangeError(`single-index: noise must be a finite number ≥ 0, got ${noise}`);
  }
  const link = makeLink(config.link);
  const s = spectrum(d, { kind: config.spectrum, kappa, spikes: config.spikes, exponent: config.exponent });
  if (config.normalize === "trace") {
    let tr = 0;
    for (const v of s) tr += v;
    for (let i = 0; i < d; i++) s[i] *= d / tr;
  }
  const cov = makeCovariance(rng.split(0), s, config.rotate);
  const beta = teacherDirection(rng.split(1), cov, config.teacher);
  // Normalise so ⟨β★, Σβ★⟩ = 1.
  const sb = matmul(cov.sigma, Matrix.column(beta)).data;
  let q = 0;
  for (let i = 0; i < d; i++) q += beta[i] * sb[i];
  const scale = 1 / Math.sqrt(q);
  for (let i = 0; i < d; i++) beta[i] *= scale;

  const sampleRows = (r: Rng, n: number) => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`single-index: n must be a positive integer, got ${n}`);
    // z = Xβ★ is the smaller product (n·d multiply-adds, X's has n·d²): it decides which path both take.
    const { X, z } = n * d >= WASM_MIN_FLOPS ? indexInKernelMemory(r, n) : indexByMatmul(r, n);
    const e = noise > 0 ? r.fillNormalSequential(new Float64Array(n)) : null;
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = link.f(z[i]) + (e ? noise * e[i] : 0);
    return { X, y, z };
  };
  // X = Ξ Σ^{1/2} (rows Σ^{1/2} ξ, Σ^{1/2} symmetric) and z = Xβ★, either with both products inside WebAssembly
  // memory (X copied out once) or, when `matmul` would keep them in TypeScript, by `matmul` (its bits differ).
  const indexByMatmul = (r: Rng, n: number) => {
    const X = matmul(gaussianMatrix(r, n, d), cov.sqrt);
    return { X, z: matmul(X, Matrix.column(beta)).data };
  };
  const indexInKernelMemory = (r: Rng, n: number) => {
    const top = mark();
    try {
      const pX = whitenedRowsInKernelMemory(cov.sqrt, n, (ptr, count) => r.fillNormalAt(ptr, count));
      const pBeta = copyIn(beta);
      const pz = alloc(n);
      gemm("f64", 0, 0, n, 1, d, 1, pX, d, pBeta, 1, 0, pz, 1);
      return { X: new Matrix(n, d, copyOut(pX, n * d)), z: copyOut(pz, n) };
    } finally {
      release(top);
    }
  };
  return { config, cov, beta, link, sample: sampleRows };
}

function teacherDirection(rng: Rng, cov: Covariance, kind: TeacherDirection): Float64Array {
  const d = cov.eigenvalues.length;
  const column = (j: number) => cov.basis.col(j);
  // The covariance's eigenvalues come in descending order (spectrum()), so column 0 is the top eigenvector.
  switch (kind) {
    case "random": {
      const b = new Float64Array(d);
      rng.fillNormal(b);
      return b;
    }
    case "top":
      return Float64Array.from(column(0));
    case "bottom":
      return Float64Array.from(column(d - 1));
    case "mixture": {
      const top = column(0);
      const bottom = column(d - 1);
      const b = new Float64Array(d);
      for (let i = 0; i < d; i++) b[i] = (top[i] + bottom[i]) / Math.SQRT2;
      return b;
    }
    default:
      throw new RangeError(`single-index: unknown teacher "${String(kind)}"; allowed: random, top, bottom, mixture`);
  }
}
