/**
 * The two-layer network of the single-index experiments (docs/models.md, Ba et al. 2022):
 *
 *     f(x) = (1/√N) aᵀ σ(W x)          or, with batch-norm on the hidden layer,   (1/√N) aᵀ σ(BN(W x)),
 *
 * W ∈ R^{N×d} (rows = neurons), a ∈ R^N fixed. On a batch X (n×d, rows = samples) the pre-activations are
 * H = X Wᵀ (n×N) and the loss is the squared loss L̂ = (1/2n) Σ_i (y_i − f(x_i))².
 */
import { Matrix } from "../../linalg/matrix.js";
import { matmul, matmulInto, matvec } from "../../linalg/blas.js";
import { ShapeError } from "../../linalg/errors.js";
import { activationBackward, applyElementwise } from "../../linalg/elementwise.js";
import { Rng } from "../../random/rng.js";
import { gaussianMatrix } from "../../random/matrices.js";
import type { Activation } from "../../nn/activations.js";
import {
  batchNormBackward,
  batchNormForward,
  initBatchNorm,
  type BatchNormCache,
  type BatchNormParams,
} from "../../nn/batch-norm.js";

/**
 * How the second layer a is initialised:
 * - "sign": a_j = ±1/√N with random signs (output O(1/√N) at initialisation, docs/single-index.md);
 * - "gaussian": a_j ~ N(0, 1/N);
 * - "symmetric": neurons in pairs (w, a) and (w, −a), a = ±1/√N, so the initial output is exactly zero
 *   (needs N even).
 */
export type HeadInit = "sign" | "gaussian" | "symmetric";

export interface TwoLayerNet {
  /** First layer, N×d. */
  W: Matrix;
  /** Second layer, length N (kept fixed by the single-index updates). */
  a: Float64Array;
  act: Activation;
  /** Batch-norm parameters of the hidden layer (γ = 1, β = 0), or null for none. */
  batchNorm: BatchNormParams | null;
}

/** W₀ with rows ~ N(0, I/d) and a as in `init`. */
export function initTwoLayer(
  rng: Rng,
  N: number,
  d: number,
  options: { act: Activation; init: HeadInit; batchNorm: boolean },
): TwoLayerNet {
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`twoLayer: N must be a positive integer, got ${N}`);
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`twoLayer: d must be a positive integer, got ${d}`);
  if (options.init === "symmetric" && N % 2 !== 0) {
    throw new RangeError(`twoLayer: the symmetric initialisation needs an even N, got ${N}`);
  }
  const a = new Float64Array(N);
  const inv = 1 / Math.sqrt(N);
  let W: Matrix;
  if (options.init === "symmetric") {
    const half = gaussianMatrix(rng, N / 2, d, 1 / Math.sqrt(d));
    W = new Matrix(N, d);
    W.data.set(half.data, 0);
    W.data.set(half.data, (N / 2) * d);
    for (let j = 0; j < N / 2; j++) {
      a[j] = rng.rademacher() * inv;
      a[j + N / 2] = -a[j];
    }
  } else {
    W = gaussianMatrix(rng, N, d, 1 / Math.sqrt(d));
    for (let j = 0; j < N; j++) a[j] = options.init === "sign" ? rng.rademacher() * inv : rng.normal() * inv;
  }
  return { W, a, act: options.act, batchNorm: options.batchNorm ? initBatchNorm(N) : null };
}

/**
 * The hidden-feature map x ↦ σ(W x), or x ↦ σ(BN(W x)) with the batch-norm statistics (mean, variance per
 * neuron) frozen at those of the reference batch `Xref`, so training, validation and test rows are normalised
 * alike. Returns a function from a batch (n×d) to its features (n×N).
 */
export function featureMap(net: TwoLayerNet, Xref: Matrix): (X: Matrix) => Matrix {
  const bn = net.batchNorm;
  if (!bn) return (X) => forwardPass(net, X).F;
  const { mean, variance } = batchNormForward(preActivations(net, Xref), bn);
  const N = net.a.length;
  const scale = new Float64Array(N);
  for (let j = 0; j < N; j++) scale[j] = bn.gamma[j] / Math.sqrt(variance[j] + bn.eps);
  return (X) => {
    const F = preActivations(net, X);
    const f = F.data;
    for (let k = 0; k < f.length; k++) {
      const j = k % N;
      f[k] = net.act.f(scale[j] * (f[k] - mean[j]) + bn.beta[j]);
    }
    return F;
  };
}

/** Network outputs f(x_i) for the rows of X. */
export function predict(net: TwoLayerNet, X: Matrix): Float64Array {
  return outputs(net, forwardPass(net, X).F);
}

/** The loss L̂ = (1/2n) Σ (y_i − f(x_i))² alone (a forward pass, no gradient). */
export function loss(net: TwoLayerNet, X: Matrix, y: ArrayLike<number>): number {
  const out = predict(net, X);
  if (y.length !== out.length) throw new ShapeError(`twoLayer: X has ${out.length} rows but y has ${y.length} entries`);
  let s = 0;
  for (let i = 0; i < out.length; i++) s += (out[i] - y[i]) ** 2;
  return s / (2 * out.length);
}

/** Loss, gradient and the per-layer statistics a Kronecker-factored preconditioner needs. */
export interface TwoLayerGradient {
  /** L̂ = (1/2n) Σ (y_i − f(x_i))². */
  loss: number;
  /** ∇_W L̂, N×d. */
  gradW: Matrix;
  /** ∂L̂/∂H, n×N: row i is the back-propagated gradient of sample i's pre-activations (times 1/n). */
  dH: Matrix;
}

/**
 * Forward and backward pass: with r_i = f(x_i) − y_i,
 * ∂L̂/∂F_ij = r_i a_j /(n√N), ∂L̂/∂Z = ∂L̂/∂F ∘ σ′(Z), ∂L̂/∂H = ∂L̂/∂Z (or back through batch-norm), and
 * ∇_W L̂ = (∂L̂/∂H)ᵀ X.
 */
export function lossAndGradient(net: TwoLayerNet, X: Matrix, y: ArrayLike<number>): TwoLayerGradient {
  const n = X.rows;
  if (y.length !== n) throw new ShapeError(`twoLayer: X has ${n} rows but y has ${y.length} entries`);
  const { Z, F, bnCache } = forwardPass(net, X);
  const out = outputs(net, F);
  const N = net.a.length;
  const scale = 1 / (n * Math.sqrt(N));
  let loss = 0;
  const dZ = new Matrix(n, N);
  const g = dZ.data;
  const { a, act } = net;
  const residualScaled = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = out[i] - y[i];
    loss += r * r;
    residualScaled[i] = r * scale;
  }
  if (act.kernel) {
    // ∂L̂/∂F = r aᵀ/(n√N), then the SIMD backward pass multiplies in σ′ (from the outputs).
    for (let i = 0; i < n; i++) {
      const ri = residualScaled[i];
      const row = i * N;
      for (let j = 0; j < N; j++) g[row + j] = ri * a[j];
    }
    activationBackward(act.kernel, F, dZ, dZ);
  } else {
    // σ′ from the stored outputs when the activation allows it, else from the pre-activations.
    const fromOutput = act.dfFromOutput;
    const src = fromOutput ? F.data : Z!.data; // Z is kept whenever the activation has no kernel
    const deriv = fromOutput ?? act.df;
    for (let i = 0; i < n; i++) {
      const ri = residualScaled[i];
      const row = i * N;
      for (let j = 0; j < N; j++) g[row + j] = ri * a[j] * deriv(src[row + j]);
    }
  }
  const dH = bnCache ? batchNormBackward(dZ, bnCache).dH : dZ;
  const gradW = matmul(dH, X, { transA: true });
  return { loss: loss / (2 * n), gradW, dH };
}

function checkInputs(net: TwoLayerNet, X: Matrix): void {
  if (X.cols !== net.W.cols) {
    throw new ShapeError(`twoLayer: X is ${X.shape()} but W is ${net.W.shape()}; X needs ${net.W.cols} columns`);
  }
}

/** H = X Wᵀ (n×N). */
function preActivations(net: TwoLayerNet, X: Matrix): Matrix {
  checkInputs(net, X);
  return matmul(X, net.W, { transB: true });
}

/**
 * The forward pass: pre-activations H = X Wᵀ, Z = H or BN(H), features F = σ(Z). With a kernel activation and no
 * batch-norm, σ is applied inside the product's call and Z is not kept (the backward pass takes σ′ from F).
 */
function forwardPass(net: TwoLayerNet, X: Matrix): { Z: Matrix | null; F: Matrix; bnCache: BatchNormCache | null } {
  const { kernel, f } = net.act;
  if (kernel && !net.batchNorm) {
    checkInputs(net, X);
    const F = matmulInto(new Matrix(X.rows, net.W.rows), X, net.W, { transB: true, activation: kernel });
    return { Z: null, F, bnCache: null };
  }
  const H = preActivations(net, X);
  let Z = H;
  let bnCache = null;
  if (net.batchNorm) {
    const bn = batchNormForward(H, net.batchNorm);
    Z = bn.out;
    bnCache = bn.cache;
  }
  let F: Matrix;
  if (kernel) {
    F = applyElementwise(kernel, Z);
  } else {
    F = new Matrix(Z.rows, Z.cols);
    for (let k = 0; k < F.data.length; k++) F.data[k] = f(Z.data[k]);
  }
  return { Z, F, bnCache };
}

function outputs(net: TwoLayerNet, F: Matrix): Float64Array {
  const out = matvec(F, net.a);
  const inv = 1 / Math.sqrt(F.cols);
  for (let i = 0; i < out.length; i++) out[i] *= inv;
  return out;
}
