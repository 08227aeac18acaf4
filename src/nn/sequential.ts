/**
 * A feed-forward network as a list of layers (PyTorch's nn.Sequential), with seeded initialisation, a forward
 * pass, and a training pass returning the loss, the gradients and the per-layer curvature statistics.
 */
import { show } from "../config/errors.js";
import { ShapeError } from "../linalg/errors.js";
import { Matrix } from "../linalg/matrix.js";
import { Rng, deriveSeed } from "../random/rng.js";
import { DTYPES, type Dtype } from "./dtype.js";
import { INIT_SCHEMES, initParam, type InitScheme } from "./init.js";
import { booleanOption, checkKeys, choiceOption, integerOption, numberOption } from "./options.js";
import {
  formatShape,
  shapeSize,
  type BackwardResult,
  type BuiltLayer,
  type ForwardContext,
  type Layer,
  type NetworkState,
  type ParamSpec,
  type Shape,
} from "./layer.js";
import type { Loss } from "./losses.js";
import { batchCurvature } from "./curvature.js";
import {
  checkShardTargets,
  combineShards,
  lossName,
  shardBounds,
  shardGroups,
  shardRunner,
  sliceTargets,
  type NetworkDescription,
  type ShardPass,
  type ShardTargets,
} from "./data-parallel.js";
import { withoutTeam } from "../linalg/parallel.js";
import {
  STATS_KINDS,
  type BatchCurvature,
  type LayerStats,
  type Params,
  type StatsKind,
  type StatsRequest,
} from "./types.js";

/** Networks built so far in this thread (ids of their descriptions for replicas). */
let networkCount = 0;

/** Options of `sequential`. */
export interface SequentialOptions {
  /** The shape of one example: [features] or [channels, height, width]. */
  inputShape: readonly number[];
  /** How `init` draws weights (see init.ts); default "pytorch". */
  init?: InitScheme;
  /**
   * The precision of the dense and conv2d products, "float32" or "float64" (default). With "float32" those
   * products (forward, weight gradient, input gradient) round their operands to float32 and accumulate in float32;
   * parameters, biases, activations, batch-norm, the loss, bias gradients and the curvature statistics stay float64
   * (mixed precision by design: see src/nn/dtype.ts and docs/models.md).
   */
  dtype?: Dtype;
}

/** Options of `forward`. */
export interface ForwardOptions {
  /** Training mode: batch-norm uses batch statistics (and `forward` leaves running statistics alone). Default false. */
  train?: boolean;
  /** Batch-norm running statistics; required in evaluation mode when the network has batch-norm layers. */
  state?: NetworkState;
}

/** Options of `lossAndGrad`. */
export interface LossAndGradOptions {
  /** Training mode (default true): batch-norm normalises by batch statistics and updates its running statistics. */
  train?: boolean;
  /** Batch-norm running statistics; required when the network has batch-norm layers. */
  state?: NetworkState;
  /**
   * The per-layer curvature statistics to return (default true: all): false none, or a list of layer kinds
   * ("dense", "conv2d", "batchNorm") for those layers only. A training loop passes what its optimizer asks for
   * (`optim.statsRequest(optimizer, state)`), so that a conv2d layer's patches are computed only at the steps that use them.
   */
  stats?: StatsRequest;
  /** When set, also back-propagate targets sampled from the model with this seed and fill gSampled. */
  sampledFisherSeed?: number;
  /** Also return the batch's exact curvature (GGN products, loss at other parameters); default false. */
  curvature?: boolean;
  /**
   * Write the gradients into matrices the network owns and returns from every call with `reuseGrads` (PyTorch's
   * persistent `.grad` buffers), so a training loop does not allocate them each step (fresh multi-megabyte arrays
   * cost page faults and garbage collection: docs/throughput.md). They are overwritten by the next such call, so
   * the caller must be done with them by then (as after an optimizer update with `donate: true`) and must not keep
   * them anywhere that outlives the step, such as an optimizer state. Default false: new matrices every call.
   */
  reuseGrads?: boolean;
  /**
   * Data parallelism: cut the batch into this many shards of consecutive examples (sizes ⌊n/S⌋ or ⌈n/S⌉), run
   * each shard's forward and backward pass on some thread (replicas of the network in worker threads, as many as
   * `setThreads` / LAYERWISE_THREADS allow), and combine the shards in shard order: loss and gradients as the
   * nₛ/n-weighted sums of the shards' ones, outputs and statistics rows stacked (src/nn/data-parallel.ts). The
   * numbers depend on the shard count, never on the thread count: one thread computes the same shards one after
   * the other and gives the same bits. Default 1 (no sharding): sharded sums round differently from the one-batch
   * sums, so a run keeps the numbers of earlier versions unless it asks for shards. Networks with batch-norm
   * layers (batch statistics are over the whole batch) and passes with `curvature: true` run as one shard; so does
   * a batch of one example. With a sampledFisherSeed, shard s draws its targets with the seed deriveSeed(seed, s).
   */
  shards?: number;
}

/** What `lossAndGrad` returns. */
export interface LossAndGradResult {
  /** The mean loss over the batch. */
  loss: number;
  /** ∇L for every parameter, same keys and shapes as the parameters. */
  grads: Params;
  /** One entry per layer with parameters whose statistics were asked for (`stats`), in order. */
  stats: LayerStats[];
  /** The network's output (logits) for the batch. */
  output: Matrix;
  /** The running statistics after this pass (new arrays in training mode; the input state otherwise). */
  state: NetworkState;
  /** The batch's exact curvature at these parameters (src/nn/curvature.ts), when asked for with `curvature: true`. */
  curvature?: BatchCurvature;
}

/** A built network. */
export interface Network {
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** The precision of its products (`SequentialOptions.dtype`). */
  readonly dtype: Dtype;
  /** Each layer's kind and shapes, in order. */
  readonly layers: readonly { kind: string; inputShape: Shape; outputShape: Shape }[];
  /** Every trainable parameter: key, shape and role. */
  readonly paramSpecs: readonly ParamSpec[];
  /** Seeded fresh parameters. */
  init(seed: number): Params;
  /** Fresh non-trainable buffers (running mean 0, running variance 1). */
  initState(): NetworkState;
  /** The output for a batch x (n × size(inputShape)). */
  forward(params: Params, x: Matrix, options?: ForwardOptions): Matrix;
  /** Loss, gradients and curvature statistics for a batch. */
  lossAndGrad<T>(params: Params, x: Matrix, targets: T, loss: Loss<T>, options?: LossAndGradOptions): LossAndGradResult;
}

function parseShape(value: unknown): Shape {
  const ok =
    Array.isArray(value) &&
    (value.length === 1 || value.length === 3) &&
    value.every((v) => typeof v === "number" && Number.isInteger(v) && v >= 1);
  if (!ok) {
    throw new RangeError(
      `sequential: inputShape must be [features] or [channels, height, width] of positive integers, got ${show(value)}`,
    );
  }
  return value.slice() as unknown as Shape;
}

/**
 * Builds a network from `layers`, applied in order to inputs of shape `inputShape` (rows of a Matrix are examples;
 * images are NCHW flattened per row). Shapes are inferred layer by layer and checked; parameters and buffers are
 * named PyTorch-style by the layer's index in the list ("0.weight", "0.bias", "2.running_mean", ...).
 *
 * `lossAndGrad` runs the forward pass, the loss L = (1/n) Σᵢ ℓᵢ, and backpropagation (Rumelhart et al. 1986),
 * and returns per layer the Kronecker-factor statistics a and g of Martens & Grosse 2015 (dense) and Grosse &
 * Martens 2016 (conv2d), or per-example gradients for batch-norm's diagonal block. With `sampledFisherSeed` a second
 * backward pass starts from targets drawn from the model's predictive distribution (categorical for softmax
 * cross-entropy, N(output, I) for mse), giving the Monte-Carlo Fisher statistics gSampled (Martens & Grosse 2015,
 * §5), whose expectation over the draws is the true Fisher rather than the empirical one. With `curvature: true` it
 * also returns the batch's exact curvature (generalised Gauss–Newton products, loss at other parameters; see
 * curvature.ts) for optimizers that choose their step from a quadratic model.
 *
 * A dense layer followed by relu or tanh computes both in one GEMM call (the activation in the product's
 * epilogue); the activation layer then caches the activated output, exactly as if it had run on its own.
 */
export function sequential(layers: readonly Layer[], options: SequentialOptions): Network {
  checkKeys("sequential", options, ["inputShape", "init", "dtype"]);
  const inputShape = parseShape(options.inputShape);
  const scheme = choiceOption("sequential", "init", options.init ?? "pytorch", INIT_SCHEMES);
  const dtype = choiceOption("sequential", "dtype", options.dtype ?? "float64", DTYPES);
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new RangeError(`sequential: layers must be a non-empty list of layers, got ${show(layers)}`);
  }
  const built: BuiltLayer[] = [];
  let shape = inputShape;
  layers.forEach((layer, index) => {
    if (!layer || typeof (layer as Partial<Layer>).build !== "function") {
      throw new TypeError(
        `sequential: layers[${index}] is not a layer (dense(), conv2d(), relu(), ...), got ${show(layer)}`,
      );
    }
    const b = layer.build(shape, index, { dtype });
    built.push(b);
    shape = b.outputShape;
  });
  const paramSpecs = built.flatMap((b) => b.params);
  const stateSpecs = built.flatMap((b) => b.state);
  const firstTrainable = built.findIndex((b) => b.params.length > 0);
  const inputSize = shapeSize(inputShape);

  const checkParams = (where: string, params: Params): void => {
    if (params === null || typeof params !== "object")
      throw new TypeError(`${where}: params must be an object of matrices`);
    for (const spec of paramSpecs) {
      const p = params[spec.key];
      if (!(p instanceof Matrix)) {
        throw new TypeError(
          `${where}: params["${spec.key}"] must be a ${spec.rows}×${spec.cols} Matrix, got ${show(p)}`,
        );
      }
      if (p.rows !== spec.rows || p.cols !== spec.cols) {
        throw new ShapeError(`${where}: params["${spec.key}"] is ${p.shape()}, expected ${spec.rows}×${spec.cols}`);
      }
    }
    const known = new Set(paramSpecs.map((s) => s.key));
    for (const key of Object.keys(params)) {
      if (!known.has(key)) {
        throw new RangeError(
          `${where}: params has an unknown key "${key}"; this network has ${[...known].join(", ") || "none"}`,
        );
      }
    }
  };

  const checkInput = (where: string, x: Matrix): void => {
    if (!(x instanceof Matrix)) throw new TypeError(`${where}: x must be a Matrix, got ${show(x)}`);
    if (x.cols !== inputSize || x.rows < 1) {
      throw new ShapeError(
        `${where}: x is ${x.shape()} but inputShape ${formatShape(inputShape)} needs at least one row of ${inputSize} entries`,
      );
    }
  };

  const checkState = (where: string, state: unknown): NetworkState => {
    if (state === null || typeof state !== "object") {
      throw new TypeError(
        `${where}: options.state is required by the batch-norm layers (start from network.initState()), got ${show(state)}`,
      );
    }
    for (const spec of stateSpecs) {
      const v = (state as NetworkState)[spec.key];
      if (!Array.isArray(v) || v.length !== spec.length || !v.every((e) => typeof e === "number")) {
        throw new ShapeError(
          `${where}: state["${spec.key}"] must be an array of ${spec.length} numbers, got ${show(v)}`,
        );
      }
    }
    return state as NetworkState;
  };

  /**
   * The layers each layer computes in its own forward call: itself alone, itself and the activation after it
   * (`appliesActivation`), or itself, that activation and the max pooling after that (`appliesMaxPool`).
   */
  const fusedSpan: number[] = built.map((b, l) => {
    if (!b.appliesActivation || built[l + 1]?.fusedActivation === undefined) return 1;
    return b.appliesMaxPool && built[l + 2]?.maxPool ? 3 : 2;
  });
  for (let l = 0; l < built.length; l += fusedSpan[l]) for (let k = 1; k < fusedSpan[l]; k++) fusedSpan[l + k] = 0;

  // `net` is `built` or its float64 twin (the curvature's finite differences): the same layers, so the same spans.
  const runForward = (
    params: Params,
    x: Matrix,
    ctx: ForwardContext,
    net: readonly BuiltLayer[] = built,
  ): { output: Matrix; caches: unknown[] } => {
    const caches: unknown[] = [];
    let h = x;
    for (let l = 0; l < net.length; l += fusedSpan[l]) {
      const span = fusedSpan[l];
      const activation = span > 1 ? net[l + 1].fusedActivation : undefined;
      const { out, cache } = net[l].forward(params, h, ctx, activation, span > 2 ? net[l + 2].maxPool : undefined);
      caches.push(cache);
      // The activation layer's cache is its output; after a fused pooling both run inside the first layer.
      if (span === 2) caches.push(out);
      if (span === 3) caches.push(null, null);
      h = out;
    }
    return { output: h, caches };
  };

  // The same layers with float64 products, for the finite differences of the curvature (built when first needed).
  let built64: readonly BuiltLayer[] | undefined = dtype === "float64" ? built : undefined;
  const float64Layers = (): readonly BuiltLayer[] =>
    (built64 ??= layers.map((layer, index) => layer.build(built[index].inputShape, index, { dtype: "float64" })));

  /** Back-propagates per-example output gradients down to the first layer with parameters. */
  const runBackward = (
    params: Params,
    caches: unknown[],
    dOutput: Matrix,
    grads: boolean,
    gradsInto?: Params,
  ): BackwardResult[] => {
    const results: BackwardResult[] = [];
    let d = dOutput;
    for (let l = built.length - 1; l >= Math.max(firstTrainable, 0); l--) {
      if (fusedSpan[l] === 0 && fusedSpan[l - 1] !== 2) continue; // inside a pooled group: its first layer runs it
      const r = built[l].backward(d, caches[l], params, { grads, inputGrad: l > firstTrainable, gradsInto });
      results[l] = r;
      if (r.dIn) d = r.dIn;
    }
    return results;
  };

  /** The gradient matrices of `reuseGrads` (made on its first use). */
  let ownedGrads: Params | undefined;
  const zeroParams = (): Params =>
    Object.fromEntries(paramSpecs.map((spec) => [spec.key, new Matrix(spec.rows, spec.cols)]));

  /** Forward pass, loss, backward pass and the statistics asked for, on one batch (or shard). */
  const pass = <T>(
    params: Params,
    x: Matrix,
    targets: T,
    loss: Loss<T>,
    ctx: ForwardContext,
    wantStats: ReadonlySet<StatsKind>,
    seed: number | undefined,
    gradsInto: Params | undefined,
  ): ShardPass & { caches: unknown[] } => {
    const { output, caches } = runForward(params, x, ctx);
    const { loss: value, g } = loss.valueAndGrad(output, targets);
    const results = runBackward(params, caches, g, true, gradsInto);
    const grads: Params = {};
    for (const r of results) if (r?.grads) Object.assign(grads, r.grads);

    let sampled: BackwardResult[] | undefined;
    if (seed !== undefined) {
      const sampledTargets = loss.sampleTargets(output, new Rng(seed));
      sampled = runBackward(params, caches, loss.valueAndGrad(output, sampledTargets).g, false);
    }
    const stats: LayerStats[] = [];
    built.forEach((layer, l) => {
      if (layer.params.length > 0 && layer.stats && wantStats.has(layer.kind as StatsKind))
        stats.push(layer.stats(caches[l], results[l], sampled?.[l]));
    });
    return { rows: x.rows, loss: value, grads, output, stats, caches };
  };

  /** The network as data for replicas in other threads, when every layer has a spec. */
  const description: NetworkDescription | undefined = layers.every((layer) => layer.spec)
    ? { id: ++networkCount, layers: layers.map((layer) => layer.spec!), inputShape, dtype, init: scheme }
    : undefined;
  /** Per shard computed on this thread, its gradient matrices under `reuseGrads`. */
  const shardGrads: Params[] = [];

  /**
   * `lossAndGrad` with `shards` (./data-parallel.ts): shards grouped over the threads the shard runner offers
   * (this thread computes the first group, replicas the others, at the same time), combined in shard order.
   */
  const dataParallel = <T>(
    params: Params,
    x: Matrix,
    targets: ShardTargets,
    loss: Loss<T>,
    ctx: ForwardContext,
    wantStats: ReadonlySet<StatsKind>,
    seed: number | undefined,
    shards: number,
    gradsInto: Params | undefined,
  ) => {
    const bounds = shardBounds(x.rows, shards);
    const shardSeed = (s: number): number | undefined => (seed === undefined ? undefined : deriveSeed(seed, s));
    const local = (s: number): ShardPass => {
      const [start, end] = [bounds[s], bounds[s + 1]];
      const rows = new Matrix(end - start, x.cols, x.data.subarray(start * x.cols, end * x.cols));
      const shardTargets = sliceTargets(targets, start, end) as T;
      const into = gradsInto && (shardGrads[s] ??= zeroParams());
      return pass(params, rows, shardTargets, loss, ctx, wantStats, shardSeed(s), into);
    };
    const runner = shardRunner();
    const name = lossName(loss);
    const threads = runner && description && name ? runner.threads() : 1;
    const groups = shardGroups(bounds.length - 1, threads);
    if (groups.length === 1) return combineShards(groups[0].map(local), paramSpecs, gradsInto);
    const wait = runner!.start({
      network: description!,
      paramSpecs,
      params,
      x,
      targets,
      loss: name!,
      stats: [...wantStats],
      jobs: groups
        .slice(1)
        .map((group) => group.map((s) => ({ start: bounds[s], end: bounds[s + 1], sampledFisherSeed: shardSeed(s) }))),
    });
    let mine: ShardPass[] = [];
    try {
      mine = withoutTeam(() => groups[0].map(local));
    } finally {
      // The replicas' passes are waited for even when this thread's failed, so the next call starts clean.
      mine = [...mine, ...wait()];
    }
    return combineShards(mine, paramSpecs, gradsInto);
  };

  return {
    inputShape,
    outputShape: shape,
    dtype,
    layers: built.map((b) => ({ kind: b.kind, inputShape: b.inputShape, outputShape: b.outputShape })),
    paramSpecs,

    init(seed) {
      numberOption("init", "seed", seed, () => true, "a finite number");
      const params: Params = {};
      // One stream per parameter, so changing one layer leaves the others' draws unchanged.
      paramSpecs.forEach((spec, k) => (params[spec.key] = initParam(spec, scheme, new Rng(deriveSeed(seed, k)))));
      return params;
    },

    initState() {
      const state: NetworkState = {};
      for (const spec of stateSpecs) state[spec.key] = new Array<number>(spec.length).fill(spec.initial);
      return state;
    },

    forward(params, x, opts = {}) {
      checkKeys("forward", opts, ["train", "state"]);
      const train = booleanOption("forward", "train", opts.train, false);
      checkParams("forward", params);
      checkInput("forward", x);
      const state = !train && stateSpecs.length > 0 ? checkState("forward", opts.state) : opts.state;
      return runForward(params, x, { train, state }).output;
    },

    lossAndGrad(params, x, targets, loss, opts = {}) {
      const where = "lossAndGrad";
      checkKeys(where, opts, ["train", "state", "stats", "sampledFisherSeed", "curvature", "reuseGrads", "shards"]);
      const train = booleanOption(where, "train", opts.train, true);
      const reuseGrads = booleanOption(where, "reuseGrads", opts.reuseGrads, false);
      const wantStats = statsKinds(where, opts.stats);
      const wantCurvature = booleanOption(where, "curvature", opts.curvature, false);
      const seed = opts.sampledFisherSeed;
      if (seed !== undefined) {
        numberOption(where, "sampledFisherSeed", seed, () => true, "a finite number");
        if (wantStats.size === 0)
          throw new RangeError(`${where}: sampledFisherSeed needs stats: true (it fills the statistics)`);
      }
      if (typeof loss !== "function" || typeof loss.valueAndGrad !== "function") {
        throw new TypeError(
          `${where}: loss must be a loss such as nn.softmaxCrossEntropy or nn.mse, got ${show(loss)}`,
        );
      }
      checkParams(where, params);
      checkInput(where, x);
      const shards = opts.shards === undefined ? 1 : integerOption(where, "shards", opts.shards);
      const state = stateSpecs.length > 0 ? checkState(where, opts.state) : (opts.state ?? {});
      const nextState: NetworkState | undefined = train ? { ...state } : undefined;
      const gradsInto = reuseGrads ? (ownedGrads ??= zeroParams()) : undefined;
      if (shards > 1 && x.rows > 1 && stateSpecs.length === 0 && !wantCurvature) {
        const shardTargets = checkShardTargets(where, targets, x.rows);
        const combined = dataParallel(
          params,
          x,
          shardTargets,
          loss,
          { train, state },
          wantStats,
          seed,
          shards,
          gradsInto,
        );
        return { ...combined, state: nextState ?? state };
      }

      const {
        output,
        caches,
        loss: value,
        grads,
        stats,
      } = pass(params, x, targets, loss, { train, state, nextState }, wantStats, seed, gradsInto);
      const curvature = wantCurvature
        ? batchCurvature({
            params,
            output,
            loss: value,
            lossFunction: loss,
            targets,
            forward: (p) => runForward(p, x, { train, state }).output,
            exactForward: (p) => runForward(p, x, { train, state }, float64Layers()).output,
            backward: (d) => {
              const back: Params = {};
              for (const r of runBackward(params, caches, d, true)) if (r?.grads) Object.assign(back, r.grads);
              return back;
            },
          })
        : undefined;
      return { loss: value, grads, stats, output, state: nextState ?? state, ...(curvature && { curvature }) };
    },
  };
}

/** The layer kinds whose statistics the `stats` option asks for (undefined: all). */
function statsKinds(where: string, value: unknown): ReadonlySet<StatsKind> {
  if (value === undefined || value === true) return new Set(STATS_KINDS);
  if (value === false) return new Set();
  if (Array.isArray(value) && value.every((k) => STATS_KINDS.includes(k as StatsKind)))
    return new Set(value as StatsKind[]);
  throw new TypeError(
    `${where}: stats must be true, false or a list of layer kinds (${STATS_KINDS.map((k) => `"${k}"`).join(", ")}), got ${show(value)}`,
  );
}
