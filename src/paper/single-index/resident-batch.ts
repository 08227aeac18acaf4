/**
 * Full-batch passes of the two-layer network f(x) = (1/√N) aᵀ σ(W x) (src/paper/single-index/two-layer.ts) for the single-index
 * updates, with the batch X and the n×N activations kept in WebAssembly memory from one step to the next.
 *
 * `lossAndGradient` and `loss` of src/paper/single-index/two-layer.ts copy X and the n×N activations into WebAssembly memory and
 * back for every product and elementwise pass (five 8192×1024 transfers per step at the alignment trial's size);
 * here X is copied in once, only W (N×d) goes in and the gradient (N×d) comes out per pass, and the backward step
 * ∂L̂/∂Z = (r aᵀ) ∘ σ′ runs over the stored activations in place (asm/two-layer.ts). The kernels and every
 * floating-point operation are those of the two-layer module, in the same order, so the numbers are the same bits
 * (test/paper/single-index/resident-batch.test.ts).
 *
 * Applies to networks with a kernel activation and no batch-norm, on batches large enough for the WebAssembly
 * GEMM (`residentBatchApplies`); the caller falls back to the two-layer module otherwise.
 */
import { Matrix } from "../../linalg/matrix.js";
import { WASM_MIN_FLOPS } from "../../linalg/blas.js";
import { ShapeError } from "../../linalg/errors.js";
import { ELEMENTWISE_KINDS } from "../../linalg/elementwise.js";
import { gemm } from "../../linalg/parallel.js";
import { alloc, copyIn, copyOut, heap, kernels, mark, release } from "../../linalg/wasm.js";
import type { TwoLayerNet } from "./two-layer.js";

/**
 * Whether `ResidentBatch` serves (net, X): a SIMD-kernel activation, no batch-norm, and n·N·d at least
 * `WASM_MIN_FLOPS`, so that `matmul` would also have used the WebAssembly GEMM for every product.
 */
export function residentBatchApplies(net: TwoLayerNet, X: Matrix): boolean {
  return net.act.kernel !== undefined && net.batchNorm === null && X.rows * net.W.rows * X.cols >= WASM_MIN_FLOPS;
}

/** What one pass gives: L̂ = (1/2n) Σ (f(x_i) − y_i)², ∇_W L̂ (N×d) and, when asked for, ∂L̂/∂H (n×N). */
export interface ResidentGradient {
  loss: number;
  gradW: Matrix;
  dH: Matrix | null;
}

/**
 * X (n×d), a and the activation buffer (n×N) held in WebAssembly memory for passes at the network's current W.
 * Allocated from the bridge's bump allocator: call `release()` when done (try/finally), after any allocation
 * made since has been released.
 */
export class ResidentBatch {
  private readonly top: number;
  private readonly n: number;
  private readonly N: number;
  private readonly d: number;
  private readonly code: number;
  private readonly pX: number;
  private readonly pW: number;
  private readonly pF: number;
  private readonly pa: number;
  private readonly pr: number;
  private readonly pRow: number;
  private readonly pGrad: number;

  constructor(
    private readonly net: TwoLayerNet,
    X: Matrix,
    private readonly y: ArrayLike<number>,
  ) {
    if (!residentBatchApplies(net, X)) {
      throw new RangeError("ResidentBatch: needs a kernel activation, no batch-norm and a GEMM-sized batch");
    }
    if (X.cols !== net.W.cols) throw new ShapeError(`ResidentBatch: X is ${X.shape()} but W is ${net.W.shape()}`);
    if (y.length !== X.rows) throw new ShapeError(`ResidentBatch: X has ${X.rows} rows but y has ${y.length} entries`);
    this.n = X.rows;
    this.N = net.W.rows;
    this.d = X.cols;
    this.code = ELEMENTWISE_KINDS[net.act.kernel!];
    this.top = mark();
    this.pX = copyIn(X.data);
    this.pW = alloc(this.N * this.d);
    this.pF = alloc(this.n * this.N);
    this.pa = copyIn(net.a);
    this.pr = alloc(this.n);
    this.pRow = alloc(this.N);
    this.pGrad = alloc(this.N * this.d);
  }

  /** Frees the buffers (everything allocated since construction). */
  release(): void {
    release(this.top);
  }

  /**
   * F = σ(X Wᵀ) into the activation buffer and the outputs f(x_i) = (1/√N) Σ_j F_ij a_j, summed in j order as
   * `matvec` does (in the kernel that applies σ, while the row is in cache), then scaled.
   */
  private forward(): Float64Array {
    const { n, N, d, pX, pW, pF, pr } = this;
    heap().set(this.net.W.data, pW >>> 3);
    gemm("f64", 0, 1, n, N, d, 1, pX, d, pW, d, 0, pF, N);
    kernels.activateRowsDot(this.code, n, N, pF, this.pa, pr);
    const out = copyOut(pr, n);
    const inv = 1 / Math.sqrt(N);
    for (let i = 0; i < n; i++) out[i] *= inv;
    return out;
  }

  /** The loss L̂ alone at the current W. */
  loss(): number {
    const out = this.forward();
    let s = 0;
    for (let i = 0; i < out.length; i++) s += (out[i] - this.y[i]) ** 2;
    return s / (2 * out.length);
  }

  /**
   * Loss and ∇_W L̂ = (∂L̂/∂Z)ᵀ X at the current W, with ∂L̂/∂Z = (r aᵀ) ∘ σ′(Z), r_i = (f(x_i) − y_i)/(n√N);
   * `withDH` also copies ∂L̂/∂H = ∂L̂/∂Z out (KFAC's output-gradient factor needs it).
   */
  lossAndGradient(withDH: boolean): ResidentGradient {
    const { n, N, d, pF, pX, pr, pGrad } = this;
    const out = this.forward();
    const scale = 1 / (n * Math.sqrt(N));
    let loss = 0;
    const h = heap();
    for (let i = 0; i < n; i++) {
      const r = out[i] - this.y[i];
      loss += r * r;
      h[(pr >>> 3) + i] = r * scale;
    }
    kernels.outerActivationBackward(this.code, n, N, pr, this.pa, pF, this.pRow);
    gemm("f64", 1, 0, N, d, n, 1, pF, N, pX, d, 0, pGrad, d);
    return {
      loss: loss / (2 * n),
      gradW: new Matrix(N, d, copyOut(pGrad, N * d)),
      dH: withDH ? new Matrix(n, N, copyOut(pF, n * N)) : null,
    };
  }
}
