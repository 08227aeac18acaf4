/**
 * Anisotropic input covariances Σ = Q diag(s) Qᵀ, shared by the linear-representation and single-index problems
 * (docs/models.md). A rotated spectrum (Q Haar-random) matters: Adam's diagonal rescaling can undo an axis-aligned
 * one but not a rotated one.
 */
import { Matrix } from "../linalg/matrix.js";
import { Rng } from "./rng.js";
import { haarOrthogonal } from "./matrices.js";
import { log, pow } from "../linalg/elementary.js";
import { gemm } from "../linalg/parallel.js";
import { alloc, copyIn } from "../linalg/wasm.js";

/** How the eigenvalues of Σ are spread. All kinds are scaled so the largest eigenvalue over the smallest is κ. */
export type SpectrumKind = "logspaced" | "spiked" | "powerlaw";

export interface SpectrumOptions {
  kind: SpectrumKind;
  /** Condition number κ = s_max / s_min ≥ 1. */
  kappa: number;
  /** For "spiked": how many eigenvalues sit at the top level κ (the rest at 1). Default 1. */
  spikes?: number;
  /** For "powerlaw": decay exponent α in s_i ∝ i^(−α) before rescaling to condition number κ. Default 1. */
  exponent?: number;
}

/**
 * Eigenvalues (descending) of length d with condition number κ and smallest eigenvalue 1:
 * - logspaced: s_i = κ^{(d−1−i)/(d−1)}, geometric from κ down to 1;
 * - spiked: `spikes` eigenvalues equal to κ, the rest equal to 1 (a two-level spectrum);
 * - powerlaw: s_i = κ^{log((i+1)^(−α)) / log(d^(−α))} mapped so s_0 = κ and s_{d−1} = 1, i.e. a power law i^(−α)
 *   with its range rescaled (in log space) to [1, κ].
 */
export function spectrum(d: number, options: SpectrumOptions): Float64Array {
  const { kind, kappa } = options;
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`spectrum: d must be a positive integer, got ${d}`);
  if (!(kappa >= 1) || !Number.isFinite(kappa)) throw new RangeError(`spectrum: kappa must be ≥ 1, got ${kappa}`);
  const s = new Float64Array(d);
  if (d === 1) {
    s[0] = 1;
    return s;
  }
  switch (kind) {
    case "logspaced":
      for (let i = 0; i < d; i++) s[i] = pow(kappa, (d - 1 - i) / (d - 1));
      return s;
    case "spiked": {
      const spikes = options.spikes ?? 1;
      if (!Number.isInteger(spikes) || spikes < 0 || spikes > d) {
        throw new RangeError(`spectrum: spikes must be an integer in 0…${d}, got ${spikes}`);
      }
      for (let i = 0; i < d; i++) s[i] = i < spikes ? kappa : 1;
      return s;
    }
    case "powerlaw": {
      const alpha = options.exponent ?? 1;
      if (!(alpha > 0)) throw new RangeError(`spectrum: exponent must be > 0, got ${alpha}`);
      // log s_i is affine in log(i+1): s_i = κ^{1 − log(i+1)/log d}.
      for (let i = 0; i < d; i++) s[i] = pow(kappa, 1 - log(i + 1) / log(d));
      return s;
    }
  }
}

/** A covariance with its eigendecomposition and square root, so samples x = Σ^{1/2} ξ cost one product. */
export interface Covariance {
  /** Σ = Q diag(s) Qᵀ (d×d). */
  sigma: Matrix;
  /** Σ^{1/2} = Q diag(√s) Qᵀ (symmetric). */
  sqrt: Matrix;
  /** Eigenvectors (columns), d×d; the identity when axis-aligned. */
  basis: Matrix;
  /** Eigenvalues, in the order of `basis`'s columns. */
  eigenvalues: Float64Array;
}

/**
 * Σ = Q diag(s) Qᵀ with Q Haar-random (`rotate` true) or the identity (axis-aligned), computed entrywise:
 * Σ_ij = Σ_k Q_ik s_k Q_jk and likewise for Σ^{1/2} with √s_k.
 */
export function makeCovariance(rng: Rng, eigenvalues: Float64Array, rotate: boolean): Covariance {
  const d = eigenvalues.length;
  const basis = rotate ? haarOrthogonal(rng, d) : Matrix.identity(d);
  const sigma = new Matrix(d, d);
  const sqrt = new Matrix(d, d);
  const q = basis.data;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let a = 0;
      let b = 0;
      for (let k = 0; k < d; k++) {
        const qq = q[i * d + k] * q[j * d + k];
        a += qq * eigenvalues[k];
        b += qq * Math.sqrt(eigenvalues[k]);
      }
      sigma.data[i * d + j] = sigma.data[j * d + i] = a;
      sqrt.data[i * d + j] = sqrt.data[j * d + i] = b;
    }
  }
  return { sigma, sqrt, basis, eigenvalues: eigenvalues.slice() };
}

/**
 * Samples x_i = Σ^{1/2} ξ_i as the rows of X = Ξ Σ^{1/2} (n×d, Σ^{1/2} symmetric), computed inside WebAssembly
 * memory: `fillXi(ptr, count)` writes Ξ's n·d entries there (a bulk `Rng` fill), then the GEMM kernel forms X with
 * the call `matmul(Ξ, sqrt)` makes, so X has its bits. Returns X's byte offset; the caller brackets the call with
 * `mark()` / `release()` and runs its further products on X before copying out what it keeps.
 */
export function whitenedRowsInKernelMemory(
  sqrt: Matrix,
  n: number,
  fillXi: (ptr: number, count: number) => void,
): number {
  const d = sqrt.rows;
  const pXi = alloc(n * d);
  fillXi(pXi, n * d);
  const pSqrt = copyIn(sqrt.data);
  const pX = alloc(n * d);
  gemm("f64", 0, 0, n, d, d, 1, pXi, d, pSqrt, d, 0, pX, d);
  return pX;
}
