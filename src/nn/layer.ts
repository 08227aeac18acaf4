/**
 * What every layer of a `sequential` network implements. A `Layer` is the description the caller writes
 * (`dense(784, 256)`); `sequential` builds it for the shape it receives, giving a `BuiltLayer` that knows its
 * parameter names and runs the forward and backward passes.
 *
 * Gradient convention along the chain: for a batch of n examples with loss L = (1/n) Σᵢ ℓᵢ, the backward pass
 * carries the per-example gradients ∂ℓᵢ/∂(layer output)ᵢ, i.e. n·∂L/∂out, not divided by n. That is exactly the
 * `g` a curvature block wants (src/nn/types.ts), so it needs no copy; the parameter gradients a layer returns are
 * those of the mean loss L (divided by n). Every backward pass here is linear in the incoming gradient, so for
 * batch-norm in training mode the carried quantity is n·∂L/∂out, the usual convention of KFAC implementations.
 */
import type { BackwardKind } from "../linalg/elementwise.js";
import type { Matrix } from "../linalg/matrix.js";
import type { Dtype } from "./dtype.js";
import type { ConvGeometry } from "./im2col.js";
import type { LayerStats, Params } from "./types.js";

/** The shape of one example: [features] or [channels, height, width] (NCHW, flattened row-major per row). */
export type Shape = readonly [number] | readonly [number, number, number];

/** Non-trainable buffers (batch-norm running mean and variance) by name, as plain arrays (JSON-serialisable). */
export type NetworkState = Record<string, number[]>;

/** How a parameter is initialised (see init.ts). */
export type ParamRole = "weight" | "bias" | "scale" | "shift";

/** One trainable parameter of a built layer. */
export interface ParamSpec {
  /** Its key in `Params`, PyTorch-style: "<layer index>.weight" or "<layer index>.bias". */
  key: string;
  rows: number;
  cols: number;
  role: ParamRole;
  /** Inputs feeding each output (dense: in; conv2d: inC·kh·kw). */
  fanIn: number;
  /** Outputs each input feeds (dense: out; conv2d: outC·kh·kw). */
  fanOut: number;
}

/** One non-trainable buffer: its key in `NetworkState`, its length and its initial value. */
export interface StateSpec {
  key: string;
  length: number;
  initial: number;
}

/** What a forward pass is told. */
export interface ForwardContext {
  /** Training mode (batch statistics) or evaluation mode (running statistics). */
  train: boolean;
  /** The buffers to read (evaluation mode). */
  state?: NetworkState;
  /** Where training mode writes updated buffers (new arrays; `state` is never modified). */
  nextState?: NetworkState;
}

/** What a backward pass should compute. */
export interface BackwardRequest {
  /** Parameter gradients (false for the sampled-Fisher pass, which only needs the statistics). */
  grads: boolean;
  /** The gradient with respect to the layer's input (false for the first layer that has parameters). */
  inputGrad: boolean;
  /**
   * Matrices of the parameters' shapes, by key, that the layer may write its parameter gradients into and return
   * instead of new ones (`lossAndGrad`'s `reuseGrads`); a layer that does not use them returns new matrices.
   */
  gradsInto?: Params;
}

/** What a backward pass returns. */
export interface BackwardResult {
  /** Per-example gradient with respect to the input (n·∂L/∂in). */
  dIn?: Matrix;
  /** Gradients of the mean loss for this layer's parameters. */
  grads?: Params;
  /** Per-example output gradients in the layout of the curvature statistics ((n·T)×out for dense/conv2d). */
  g?: Matrix;
  /**
   * Computes `g` on demand (conv2d: rearranging its NCHW output gradient into `g`'s layout costs a pass that
   * training without curvature statistics does not need).
   */
  statsGrad?: () => Matrix;
  /** Per-example parameter gradients by key, n×C (batch-norm). */
  perExample?: Record<string, Matrix>;
}

/** What a layer is built with besides its input shape and position. */
export interface BuildOptions {
  /** The precision of the layer's matrix products (src/nn/dtype.ts). */
  dtype: Dtype;
}

/** A layer built for a known input shape. `C` is what its forward pass keeps for the backward pass. */
export interface BuiltLayer<C = unknown> {
  /** "dense", "conv2d", "batchNorm", "relu", ... (for messages). */
  readonly kind: string;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly params: readonly ParamSpec[];
  readonly state: readonly StateSpec[];
  /**
   * For an activation layer σ that a product's epilogue can apply (src/linalg/epilogue.ts): its kernel. When the
   * layer before it `appliesActivation`, `sequential` lets that layer compute σ(its output) in the same call and
   * gives this layer the activated output as its cache, so this layer's backward pass must need only its output.
   */
  readonly fusedActivation?: BackwardKind;
  /** Whether `forward` accepts an `activation` to apply to its output (a dense layer's GEMM epilogue). */
  readonly appliesActivation?: boolean;
  /**
   * Whether `forward` also accepts a max pooling (its geometry) to apply after the activation, so the full-size
   * activations never leave the layer (conv2d → activation → maxPool2d); the layer's backward pass then takes the
   * gradient with respect to the pooled output and covers all three layers.
   */
  readonly appliesMaxPool?: boolean;
  /** For a max-pooling layer that a layer before it can apply (`appliesMaxPool`): its geometry. */
  readonly maxPool?: ConvGeometry;
  /**
   * x: n × size(inputShape) → out: n × size(outputShape); with `activation` (only when `appliesActivation`),
   * out = σ(the layer's output) and the cache is the one of the layer alone; with `pool` as well (only when
   * `appliesMaxPool`; σ is then monotone), out = maxPool(σ(the layer's output)).
   */
  forward(
    params: Params,
    x: Matrix,
    ctx: ForwardContext,
    activation?: BackwardKind,
    pool?: ConvGeometry,
  ): { out: Matrix; cache: C };
  /** dOut: per-example gradients n × size(outputShape), as produced by the layer above. */
  backward(dOut: Matrix, cache: C, params: Params, request: BackwardRequest): BackwardResult;
  /** The curvature statistics of a layer with parameters, from its cache and its backward results. */
  stats?(cache: C, result: BackwardResult, sampled?: BackwardResult): LayerStats;
}

/**
 * A layer description as data: the name of its factory (`dense`, `conv2d`, ...) and the arguments that rebuild it
 * (structured-cloneable), so that a worker thread can build a replica of a network (src/nn/data-parallel.ts).
 */
export interface LayerSpec {
  readonly kind: string;
  readonly args: readonly unknown[];
}

/** A layer description, built by `sequential` once the shape it receives is known. */
export interface Layer {
  readonly kind: string;
  /**
   * The layer as data (every layer of this package has one). A custom layer without it still trains; its network's
   * batch shards then all run on the calling thread (`lossAndGrad`'s `shards`).
   */
  readonly spec?: LayerSpec;
  /**
   * Builds the layer at position `index` of a network for inputs of shape `input` (products in float64 unless
   * `options.dtype` says otherwise); throws on a mismatch.
   */
  build(input: Shape, index: number, options?: BuildOptions): BuiltLayer;
}

/** The number of entries of one example of this shape. */
export function shapeSize(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** "[1, 28, 28]" for messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}
