/**
 * The data that passes between networks (`src/nn`) and optimizers (`src/optim`): parameters as a flat record of
 * named matrices in PyTorch's layout, and the per-layer statistics that curvature blocks (KFAC, EKFAC) need.
 *
 * Conventions (Grosse & Martens 2016, "A Kronecker-factored approximate Fisher matrix for convolution layers"):
 * for a batch of n examples whose loss is the *mean* of per-example losses ℓᵢ, a dense layer s = W a + b has
 * ∇_W L = (1/n) Σᵢ gᵢ aᵢᵀ with gᵢ = ∂ℓᵢ/∂sᵢ. The statistics below hold the rows aᵢ (with a trailing 1 when the
 * layer has a bias, so [W | bᵀ] is one block) and gᵢ, *not* scaled by 1/n; KFAC's factors are then
 * A = (1/n) Σ aᵢaᵢᵀ and G = (1/n) Σ gᵢgᵢᵀ. For conv2d each example contributes T = outH·outW rows (its im2col
 * patches and the output gradients at each position), in example-major order.
 */
import type { Matrix } from "../linalg/matrix.js";

/**
 * Trainable parameters (and, with the same keys and shapes, gradients and updates): dense weight out×in and bias
 * 1×out; conv2d weight outC×(inC·kh·kw) and bias 1×outC; batchNorm scale and shift 1×C.
 */
export type Params = Record<string, Matrix>;

/** Statistics of a dense or conv2d layer: one Kronecker-factored curvature block over [W | b]. */
export interface KroneckerStats {
  kind: "dense" | "conv2d";
  /** Key of the weight in `Params`. */
  weight: string;
  /** Key of the bias in `Params`, when the layer has one (then `a` ends with a column of ones). */
  bias?: string;
  /** Layer inputs: (n·T)×(in [+1]); dense in = fan-in, conv2d in = inC·kh·kw (im2col patch rows). */
  a: Matrix;
  /** Per-example loss gradients w.r.t. the layer's outputs (pre-activations): (n·T)×out, rows as in `a`. */
  g: Matrix;
  /**
   * The same as `g` for targets sampled from the model's predictive distribution (the Monte-Carlo Fisher of
   * Martens & Grosse 2015 §5); present only when the pass was asked for it.
   */
  gSampled?: Matrix;
  /** n, the number of examples in the batch. */
  batchSize: number;
  /** T, the rows each example contributes (1 for dense, outH·outW for conv2d). */
  positions: number;
}

/** Statistics of a layer whose curvature block is diagonal (batch-norm scale and shift). */
export interface DiagonalStats {
  kind: "batchNorm";
  /** Key of the scale γ in `Params`. */
  weight: string;
  /** Key of the shift β in `Params`. */
  bias: string;
  /** Per-example gradients of the per-example loss (not scaled by 1/n), n×C for each of `weight` and `bias`. */
  perExample: Record<string, Matrix>;
  /** The same for sampled targets (Monte-Carlo Fisher), when asked for. */
  perExampleSampled?: Record<string, Matrix>;
  batchSize: number;
}

export type LayerStats = KroneckerStats | DiagonalStats;

/** The kinds of layer that return statistics. */
export type StatsKind = LayerStats["kind"];

/** The layer kinds that return statistics, in a fixed order. */
export const STATS_KINDS: readonly StatsKind[] = ["dense", "conv2d", "batchNorm"];

/**
 * Which layers' statistics a forward/backward pass computes (the `stats` option of `lossAndGrad`, and what an
 * optimizer's `needsStats` answers): true all of them, false none, or those of the layer kinds listed. The
 * distinction by kind is one of cost: a dense layer's statistics are its input and output gradient, which the pass
 * has anyway, and batch-norm's per-example gradients come out of its backward pass, while a conv2d layer's are
 * its im2col patches and per-position output gradients, (n·outH·outW) rows each, materialised for them alone.
 */
export type StatsRequest = boolean | readonly StatsKind[];

/**
 * The exact curvature of one batch's loss L(θ) = (1/n) Σᵢ ℓ(f(xᵢ; θ), yᵢ) at the parameters of the pass that made
 * it, for methods that model the loss locally by a quadratic (Martens & Grosse 2015 §6–7; Schraudolph 2002 for the
 * generalised Gauss–Newton matrix G = (1/n) Σᵢ Jᵢᵀ Hᵢ Jᵢ, Jᵢ = ∂f(xᵢ)/∂θ, Hᵢ = ∂²ℓ/∂f² at f(xᵢ)). For softmax
 * cross-entropy and mse, G equals the Fisher matrix. Directions are `Params`-shaped; a key they lack counts as zero.
 * Valid while the batch's arrays are unchanged (the pass keeps references to them).
 */
export interface BatchCurvature {
  /** n, the number of examples. */
  batchSize: number;
  /** L at the parameters of the pass. */
  loss: number;
  /** J v: the directional derivative of the network's outputs (n×k) along v. */
  outputJvp(v: Params): Matrix;
  /** (1/n) Σᵢ uᵢᵀ Hᵢ wᵢ for output tangents u, w (n×k): with u = J v, w = J v′ this is vᵀ G v′. */
  outputInner(u: Matrix, w: Matrix): number;
  /** G v = Jᵀ H J v / n, with the same keys and shapes as the parameters. */
  ggnProduct(v: Params): Params;
  /** L at other parameters on the same batch, in the same mode (batch-norm on batch statistics when training). */
  lossAt(params: Params): number;
}

/** What a curvature-based transform receives besides the gradients (`ctx` of `update`). */
export interface UpdateContext {
  /** One entry per layer with trainable parameters, in the network's order. */
  stats?: readonly LayerStats[];
  /** The batch loss at the current parameters (for transforms that adapt damping or clip by it). */
  loss?: number;
  /**
   * The batch's exact curvature (from `lossAndGrad(…, { curvature: true })`), for transforms that choose their step
   * from a quadratic model of the loss (`kfac({ adaptive: true })`).
   */
  curvature?: BatchCurvature;
  /**
   * Buffer donation (as JAX's `donate_argnums`): the caller will not read `grads` or the previous state again,
   * so a transform may write its updates into the gradients' arrays and its next state into the previous
   * state's arrays instead of allocating (a fresh multi-megabyte array per step costs page faults). Permission,
   * not obligation: transforms that ignore it stay correct. Default false.
   */
  donate?: boolean;
}
