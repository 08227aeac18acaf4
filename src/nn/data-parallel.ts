/**
 * Data parallelism for `lossAndGrad` (its `shards` option): the batch is cut into S fixed shards, each shard's
 * forward and backward pass is computed on some thread, and the shards' losses, gradients, outputs and curvature
 * statistics are combined on the calling thread in shard order.
 *
 * For a batch of n examples with L = (1/n) Σᵢ ℓᵢ and shards of nₛ examples with mean losses Lₛ,
 * L = Σₛ (nₛ/n) Lₛ and ∇L = Σₛ (nₛ/n) ∇Lₛ (Krizhevsky 2014, "One weird trick for parallelizing convolutional neural
 * networks", data parallelism; PyTorch's DistributedDataParallel averages the same way). The statistics rows aᵢ, gᵢ
 * are per example, so a layer's statistics are its shards' rows stacked in shard order. The shard boundaries depend
 * on n and S only and the sums run in shard order, so a pass gives the same bits on one thread (shards one after
 * the other) as on several; it differs from the unsharded pass (S = 1) by rounding only.
 *
 * This module has no platform imports: the threads that compute shards are installed by the platform
 * (./replicas.ts in Node, replicas of the network in worker threads). Without them every shard runs here.
 */
import { Matrix } from "../linalg/matrix.js";
import type { Dtype } from "./dtype.js";
import type { InitScheme } from "./init.js";
import type { LayerSpec, Shape } from "./layer.js";
import { mse, sigmoidCrossEntropy, softmaxCrossEntropy } from "./losses.js";
import type { KroneckerStats, LayerStats, Params, StatsKind } from "./types.js";

/** The losses a worker thread can rebuild by name (a custom loss keeps every shard on the calling thread). */
export const SHARDABLE_LOSSES = { softmaxCrossEntropy, sigmoidCrossEntropy, mse } as const;

/** The name of `loss` in SHARDABLE_LOSSES, or undefined. */
export function lossName(loss: unknown): string | undefined {
  return Object.entries(SHARDABLE_LOSSES).find(([, known]) => known === loss)?.[0];
}

/** A network as data, enough for another thread to build the same network (`sequential`'s arguments). */
export interface NetworkDescription {
  /** Unique per built network in this thread (replicas are kept by it). */
  id: number;
  layers: readonly LayerSpec[];
  inputShape: Shape;
  dtype: Dtype;
  init: InitScheme;
}

/** Shard s is the examples [bounds[s], bounds[s+1]). */
export function shardBounds(n: number, shards: number): number[] {
  const count = Math.min(shards, n);
  return Array.from({ length: count + 1 }, (_, s) => Math.floor((s * n) / count));
}

/** Targets with one entry (class index) or one row (a Matrix) per example, as shards can cut them. */
export type ShardTargets = Matrix | ArrayLike<number>;

/** Rows [start, end) of the targets (a view, not a copy, where the type allows). */
export function sliceTargets(targets: ShardTargets, start: number, end: number): ShardTargets {
  if (targets instanceof Matrix) {
    return new Matrix(end - start, targets.cols, targets.data.subarray(start * targets.cols, end * targets.cols));
  }
  if (ArrayBuffer.isView(targets)) return (targets as unknown as Float64Array).subarray(start, end);
  return Array.prototype.slice.call(targets, start, end) as number[];
}

/** Throws unless `targets` has one entry or row per example of a batch of n. */
export function checkShardTargets(where: string, targets: unknown, n: number): ShardTargets {
  const rows =
    targets instanceof Matrix
      ? targets.rows
      : targets !== null && typeof targets === "object" && typeof (targets as ArrayLike<number>).length === "number"
        ? (targets as ArrayLike<number>).length
        : undefined;
  if (rows !== n) {
    throw new TypeError(
      `${where}: shards > 1 needs targets with one entry or row per example (${n}), got ${rows === undefined ? typeof targets : `${rows}`}`,
    );
  }
  return targets as ShardTargets;
}

/** The result of one shard's pass. */
export interface ShardPass {
  /** Its examples. */
  rows: number;
  /** Its mean loss. */
  loss: number;
  /** The gradients of its mean loss, by parameter key. */
  grads: Params;
  /** Its output rows. */
  output: Matrix;
  /** Its layers' curvature statistics (Kronecker blocks only: networks with batch-norm are not sharded). */
  stats: LayerStats[];
}

/** One shard to compute elsewhere: its examples and the seed of its sampled-Fisher targets. */
export interface ShardJob {
  start: number;
  end: number;
  sampledFisherSeed?: number;
}

/** What the threads that compute shards are given for one pass. */
export interface ReplicaPass {
  network: NetworkDescription;
  /** Parameter keys and shapes in the network's order. */
  paramSpecs: readonly { key: string; rows: number; cols: number }[];
  params: Params;
  x: Matrix;
  targets: ShardTargets;
  loss: string;
  stats: readonly StatsKind[];
  /** Per thread 1, 2, …: the shards it computes. */
  jobs: readonly (readonly ShardJob[])[];
}

/** Threads that compute shards on replicas of a network. */
export interface ShardRunner {
  /** How many threads shards may use now, the calling thread included (≥ 1). */
  threads(): number;
  /**
   * Starts `pass.jobs[t − 1]` on thread t (t ≥ 1) and returns a function that waits for them and returns their
   * shards' passes, thread by thread and shard by shard. The passes stay valid until the next call.
   */
  start(pass: ReplicaPass): () => ShardPass[];
}

let runner: ShardRunner | undefined;

/** Installs the threads that shards are computed on (undefined: every shard on the calling thread). */
export function installShardRunner(next: ShardRunner | undefined): void {
  runner = next;
}

/** The installed shard runner, if any. */
export function shardRunner(): ShardRunner | undefined {
  return runner;
}

/**
 * Splits shards 0…S−1 over `threads` threads in contiguous groups: thread t computes shards
 * [⌊tS/T⌋, ⌊(t+1)S/T⌋) with T = min(threads, S). Which thread computes a shard does not change its result.
 */
export function shardGroups(shards: number, threads: number): number[][] {
  const T = Math.max(1, Math.min(threads, shards));
  return Array.from({ length: T }, (_, t) => {
    const group: number[] = [];
    for (let s = Math.floor((t * shards) / T); s < Math.floor(((t + 1) * shards) / T); s++) group.push(s);
    return group;
  });
}

/**
 * Combines shard passes in shard order: L = Σₛ (nₛ/n) Lₛ, ∇L = Σₛ (nₛ/n) ∇Lₛ (into `gradsInto` when given),
 * outputs and statistics rows stacked.
 */
export function combineShards(
  passes: readonly ShardPass[],
  paramSpecs: readonly { key: string; rows: number; cols: number }[],
  gradsInto?: Params,
): { loss: number; grads: Params; output: Matrix; stats: LayerStats[] } {
  const n = passes.reduce((sum, p) => sum + p.rows, 0);
  let loss = 0;
  for (const p of passes) loss += (p.rows / n) * p.loss;
  const grads: Params = {};
  for (const spec of paramSpecs) {
    const out = gradsInto?.[spec.key] ?? new Matrix(spec.rows, spec.cols);
    const o = out.data;
    // Σₛ wₛ·gₛ left to right; the first two shards in one pass over memory (4× faster than two on the MLP's
    // 270 000 gradients, the same sums), each further shard added in its own pass.
    const [g0, g1] = passes.map((p) => p.grads[spec.key].data);
    const [w0, w1] = passes.map((p) => p.rows / n);
    if (g1 === undefined) for (let k = 0; k < o.length; k++) o[k] = w0 * g0[k];
    else for (let k = 0; k < o.length; k++) o[k] = w0 * g0[k] + w1 * g1[k];
    for (const p of passes.slice(2)) {
      const w = p.rows / n;
      const g = p.grads[spec.key].data;
      for (let k = 0; k < o.length; k++) o[k] += w * g[k];
    }
    grads[spec.key] = out;
  }
  const output = stackRows(passes.map((p) => p.output));
  const stats = passes[0].stats.map((first, l): LayerStats => {
    if (first.kind === "batchNorm") throw new Error("layerwise: batch-norm statistics cannot be combined over shards");
    const layer = passes.map((p) => p.stats[l] as KroneckerStats);
    return {
      ...first,
      a: stackRows(layer.map((s) => s.a)),
      g: stackRows(layer.map((s) => s.g)),
      ...(first.gSampled && { gSampled: stackRows(layer.map((s) => s.gSampled!)) }),
      batchSize: n,
    };
  });
  return { loss, grads, output, stats };
}

/** The matrices' rows one after the other (equal column counts). */
function stackRows(parts: readonly Matrix[]): Matrix {
  const out = new Matrix(
    parts.reduce((sum, m) => sum + m.rows, 0),
    parts[0].cols,
  );
  let at = 0;
  for (const m of parts) {
    out.data.set(m.data, at);
    at += m.data.length;
  }
  return out;
}
