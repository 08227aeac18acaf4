/**
 * The linear representation learning problem of docs/models.md: y = F★ G★ x + ε with a k-dimensional shared
 * representation G★ (orthonormal rows), a head F★ with condition number κ_F, anisotropic inputs x = Σ^{1/2} ξ and
 * Gaussian noise ε ~ N(0, σ_ε² I); plus a transfer task that shares G★ but has its own head, covariance and noise.
 *
 * Data are stored as rows: X is n×d_X (one sample per row) and Y = X (F★G★)ᵀ + E is n×d_Y.
 */
import { Matrix } from "../../linalg/matrix.js";
import { WASM_MIN_FLOPS, matmul } from "../../linalg/blas.js";
import { gemm } from "../../linalg/parallel.js";
import { alloc, copyIn, copyOut, heap, mark, release } from "../../linalg/wasm.js";
import { Rng } from "../../random/rng.js";
import { haarOrthogonal } from "../../random/matrices.js";
import {
  makeCovariance,
  spectrum,
  whitenedRowsInKernelMemory,
  type Covariance,
  type SpectrumKind,
} from "../../random/covariance.js";

export interface LinrepProblemConfig {
  /** Input dimension d_X. */
  dX: number;
  /** Output dimension d_Y (≥ k so that F★ has full column rank). */
  dY: number;
  /** Representation dimension k ≤ min(d_X, d_Y). */
  k: number;
  /** Condition number of Σₓ (≥ 1). */
  kappaX: number;
  /** Condition number of F★ (≥ 1); its singular values are log-spaced from 1 up to κ_F. */
  kappaF: number;
  /** How Σₓ's eigenvalues are spread (see `spectrum`); the transfer covariance uses the same kind. */
  spectrum: SpectrumKind;
  /** "spiked": how many eigenvalues sit at κ (default 1). */
  spikes?: number;
  /** "powerlaw": the decay exponent (default 1). */
  exponent?: number;
  /** Σ = Q diag(s) Qᵀ with Q Haar-random (true) or the identity (false, axis-aligned). */
  rotate: boolean;
  /** Distribution of ξ in x = Σ^{1/2} ξ: i.i.d. ±1 (the paper) or standard Gaussian. */
  inputs: "rademacher" | "gaussian";
  /** Noise standard deviation σ_ε ≥ 0. */
  noise: number;
  /** The transfer task (shares G★): its covariance's and head's condition numbers, noise and rotation. */
  transfer: { kappaX: number; kappaF: number; noise: number; rotate: boolean };
}

/** A task y = F★ G★ x + ε with its own head, covariance and noise. */
export interface LinrepTask {
  /** The shared representation (k×d_X), the same matrix as the problem's G★. */
  Gstar: Matrix;
  Fstar: Matrix;
  cov: Covariance;
  noise: number;
  /** n samples as rows: X n×d_X, Y n×d_Y. */
  sample(rng: Rng, n: number): { X: Matrix; Y: Matrix };
}

export interface LinrepProblem {
  config: LinrepProblemConfig;
  /** k×d_X with orthonormal rows. */
  Gstar: Matrix;
  /** d_Y×k, singular values log-spaced 1…κ_F (smallest 1, so the noise floor does not move with κ_F). */
  Fstar: Matrix;
  cov: Covariance;
  sample(rng: Rng, n: number): { X: Matrix; Y: Matrix };
  transferTask: LinrepTask;
}

function positiveInteger(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`linrep: ${field} must be a positive integer, got ${v}`);
}

function atLeastOne(field: string, v: number): void {
  if (!(v >= 1) || !Number.isFinite(v)) throw new RangeError(`linrep: ${field} must be a finite number ≥ 1, got ${v}`);
}

function nonNegative(field: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`linrep: ${field} must be a finite number ≥ 0, got ${v}`);
}

/** Checks a config at the boundary; every message names the field, its value and what is allowed. */
export function validateLinrepConfig(config: LinrepProblemConfig): void {
  const { dX, dY, k } = config;
  positiveInteger("dX", dX);
  positiveInteger("dY", dY);
  positiveInteger("k", k);
  if (k > dX) throw new RangeError(`linrep: k must be ≤ dX (${dX}), got ${k}`);
  if (k > dY) throw new RangeError(`linrep: k must be ≤ dY (${dY}) so that F★ has full column rank, got ${k}`);
  atLeastOne("kappaX", config.kappaX);
  atLeastOne("kappaF", config.kappaF);
  nonNegative("noise", config.noise);
  if (!["logspaced", "spiked", "powerlaw"].includes(config.spectrum)) {
    throw new RangeError(
      `linrep: spectrum must be "logspaced", "spiked" or "powerlaw", got ${String(config.spectrum)}`,
    );
  }
  if (config.inputs !== "rademacher" && config.inputs !== "gaussian") {
    throw new RangeError(`linrep: inputs must be "rademacher" or "gaussian", got ${String(config.inputs)}`);
  }
  atLeastOne("transfer.kappaX", config.transfer.kappaX);
  atLeastOne("transfer.kappaF", config.transfer.kappaF);
  nonNegative("transfer.noise", config.transfer.noise);
}

/**
 * A d_Y×k head U diag(s) Vᵀ with U (d_Y×k) and V (k×k) Haar and s log-spaced from κ_F down to 1, so its
 * condition number is κ_F and its smallest singular value is 1.
 */
export function makeHead(rng: Rng, dY: number, k: number, kappaF: number): Matrix {
  const U = haarOrthogonal(rng, dY, k);
  const V = haarOrthogonal(rng, k);
  const s = spectrum(k, { kind: "logspaced", kappa: kappaF });
  const Us = U.clone();
  for (let i = 0; i < dY; i++) for (let j = 0; j < k; j++) Us.data[i * k + j] *= s[j];
  return matmul(Us, V, { transB: true });
}

/**
 * Builds a task sampler for y = F G★ x + ε: X = Ξ Σ^{1/2} (rows x_i = Σ^{1/2} ξ_i, Σ^{1/2} symmetric) and
 * Y = X (F G★)ᵀ + σ E, with Ξ Rademacher or Gaussian (one bulk fill) and E standard Gaussian (drawn as n·d_Y
 * successive `normal()` calls).
 */
function makeTask(Gstar: Matrix, Fstar: Matrix, cov: Covariance, noise: number, inputs: "rademacher" | "gaussian") {
  const M = matmul(Fstar, Gstar); // d_Y×d_X map x ↦ F★G★x
  const dX = Gstar.cols;
  const dY = M.rows;
  return {
    Gstar,
    Fstar,
    cov,
    noise,
    sample(rng: Rng, n: number): { X: Matrix; Y: Matrix } {
      positiveInteger("sample size n", n);
      // Both products large enough for the WebAssembly GEMM (as `matmul` decides): draw and multiply inside its
      // memory, copying out only X and Y. Otherwise `matmul`'s small-product path, whose sums differ in the last bits.
      if (n * dX * Math.min(dX, dY) >= WASM_MIN_FLOPS) return sampleInKernelMemory(rng, n);
      const Xi = new Matrix(n, dX);
      if (inputs === "rademacher") rng.fillRademacher(Xi.data);
      else rng.fillNormal(Xi.data);
      const X = matmul(Xi, cov.sqrt);
      const Y = matmul(X, M, { transB: true });
      if (noise > 0) addScaledNoise(rng, Y.data, noise);
      return { X, Y };
    },
  };

  /** The same draws and products as `sample`, with Ξ, X and Y kept in the kernels' memory between the steps. */
  function sampleInKernelMemory(rng: Rng, n: number): { X: Matrix; Y: Matrix } {
    const top = mark();
    try {
      const pX = whitenedRowsInKernelMemory(cov.sqrt, n, (ptr, count) =>
        inputs === "rademacher" ? rng.fillRademacherAt(ptr, count) : rng.fillNormalAt(ptr, count),
      );
      const pM = copyIn(M.data);
      const pY = alloc(n * dY);
      gemm("f64", 0, 1, n, dY, dX, 1, pX, dX, pM, dX, 0, pY, dY);
      const Y = new Matrix(n, dY, copyOut(pY, n * dY));
      if (noise > 0) {
        // The noise draws stay in kernel memory too (the same sequence as addScaledNoise's).
        const pE = alloc(n * dY);
        rng.fillNormalSequentialAt(pE, n * dY);
        const e = heap();
        const y = Y.data;
        for (let t = 0, at = pE >>> 3; t < y.length; t++, at++) y[t] += noise * e[at];
      }
      return { X: new Matrix(n, dX, copyOut(pX, n * dX)), Y };
    } finally {
      release(top);
    }
  }
}

/** y[t] ← y[t] + σ·ε_t for ε the next y.length `normal()` draws of `rng`, in order. */
function addScaledNoise(rng: Rng, y: Float64Array, sigma: number): void {
  const e = rng.fillNormalSequential(new Float64Array(y.length));
  for (let t = 0; t < y.length; t++) y[t] += sigma * e[t];
}

/**
 * Draws a problem instance. Each random component comes from its own child stream of `rng` (G★, F★, Σ, the
 * transfer head, the transfer covariance), so changing one setting (say κₓ) leaves the others' draws unchanged.
 */
export function makeLinrepProblem(rng: Rng, config: LinrepProblemConfig): LinrepProblem {
  validateLinrepConfig(config);
  const { dX, dY, k } = config;
  const Gstar = haarOrthogonal(rng.split(0), dX, k).transpose();
  const Fstar = makeHead(rng.split(1), dY, k, config.kappaF);
  const shape = { kind: config.spectrum, spikes: config.spikes, exponent: config.exponent };
  const cov = makeCovariance(rng.split(2), spectrum(dX, { ...shape, kappa: config.kappaX }), config.rotate);
  const t = config.transfer;
  const transferHead = makeHead(rng.split(3), dY, k, t.kappaF);
  const transferCov = makeCovariance(rng.split(4), spectrum(dX, { ...shape, kappa: t.kappaX }), t.rotate);
  const main = makeTask(Gstar, Fstar, cov, config.noise, config.inputs);
  return {
    config,
    Gstar,
    Fstar,
    cov,
    sample: main.sample,
    transferTask: makeTask(Gstar, transferHead, transferCov, t.noise, config.inputs),
  };
}
