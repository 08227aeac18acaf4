import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { withoutTeam } from "../../src/linalg/parallel.js";
import { getThreads, setThreads } from "../../src/linalg/threads.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import { nn } from "../../src/index.js";
import { combineShards, shardBounds, shardGroups } from "../../src/nn/data-parallel.js";
import { layerFromSpec } from "../../src/nn/layer-spec.js";
import { shapeSize } from "../../src/nn/layer.js";
import { replicaCount, replicaRunner, shutdownReplicas, startReplicas } from "../../src/nn/replicas.js";
import type { Dtype } from "../../src/nn/dtype.js";
import type { Loss } from "../../src/nn/losses.js";
import type { LossAndGradOptions, LossAndGradResult, Network } from "../../src/nn/sequential.js";
import type { KroneckerStats } from "../../src/nn/types.js";
import { maxRelativeError } from "./gradcheck.js";

const { sequential, dense, conv2d, batchNorm, relu, tanh, flatten, maxPool2d, softmaxCrossEntropy, mse } = nn;

function mlp(dtype: Dtype): Network {
  return sequential([dense(12, 16), relu(), dense(16, 8), tanh(), dense(8, 3)], { inputShape: [12], dtype });
}

function smallCnn(dtype: Dtype): Network {
  return sequential(
    [
      conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1 }),
      relu(),
      maxPool2d(2),
      conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }),
      relu(),
      flatten(),
      dense(16, 3),
    ],
    { inputShape: [2, 8, 8], dtype },
  );
}

function batch(net: Network, n: number, seed: number): { x: Matrix; y: Int32Array } {
  const rng = new Rng(seed);
  const x = gaussianMatrix(rng, n, shapeSize(net.inputShape));
  return { x, y: Int32Array.from({ length: n }, () => rng.int(3)) };
}

/** Every number of a pass (loss, gradients, output, statistics) in one list, for exact comparisons. */
function numbers(r: LossAndGradResult): number[] {
  const out = [r.loss, ...r.output.data];
  for (const key of Object.keys(r.grads).sort()) out.push(...r.grads[key].data);
  for (const s of r.stats as KroneckerStats[]) out.push(...s.a.data, ...s.g.data, ...(s.gSampled?.data ?? []));
  return out;
}

describe("data-parallel shards", () => {
  const before = getThreads();
  // Started ahead (without blocking the test runner's event loop): a replica loads the library from the sources.
  beforeAll(async () => {
    setThreads(2);
    await startReplicas();
  });
  afterAll(async () => {
    setThreads(before);
    await shutdownReplicas();
  });

  it("cuts a batch at boundaries that depend on the batch size and the shard count only", () => {
    expect(shardBounds(10, 3)).toEqual([0, 3, 6, 10]);
    expect(shardBounds(2, 4)).toEqual([0, 1, 2]);
    expect(shardGroups(4, 2)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(shardGroups(3, 8)).toEqual([[0], [1], [2]]);
    expect(shardGroups(2, 1)).toEqual([[0, 1]]);
  });

  it("combines shards as the n_s/n-weighted sums and stacked rows", () => {
    const specs = [{ key: "w", rows: 1, cols: 2 }];
    const shard = (rows: number, loss: number, g: number[]) => ({
      rows,
      loss,
      grads: { w: Matrix.fromRows([g]) },
      output: new Matrix(
        rows,
        1,
        Float64Array.from({ length: rows }, () => loss),
      ),
      stats: [],
    });
    const c = combineShards([shard(1, 4, [2, 6]), shard(3, 8, [10, 2])], specs);
    expect(c.loss).toBe(7); // (1·4 + 3·8)/4
    expect([...c.grads.w.data]).toEqual([8, 3]);
    expect([...c.output.data]).toEqual([4, 8, 8, 8]);
    const three = combineShards([shard(1, 4, [2, 6]), shard(1, 0, [4, 0]), shard(2, 2, [1, 1])], specs);
    expect(three.loss).toBe(2); // (4 + 0 + 2·2)/4
    expect([...three.grads.w.data]).toEqual([2, 2]); // (2 + 4 + 2·1)/4, (6 + 0 + 2·1)/4
  });

  it("rebuilds every layer from its spec", () => {
    const net = smallCnn("float64");
    const layers = [
      conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1 }),
      relu(),
      maxPool2d(2),
      batchNorm(3, { momentum: 0.2 }),
      conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, bias: false }),
      relu(),
      flatten(),
      dense(16, 3, { bias: false }),
    ];
    const rebuilt = layers.map((l) => layerFromSpec(structuredClone(l.spec!)));
    expect(rebuilt.map((l) => l.spec)).toEqual(layers.map((l) => l.spec));
    const a = sequential(layers, { inputShape: [2, 8, 8] });
    const b = sequential(rebuilt, { inputShape: [2, 8, 8] });
    expect(b.paramSpecs).toEqual(a.paramSpecs);
    expect(net.layers.length).toBe(7);
    expect(() => layerFromSpec({ kind: "nope", args: [] })).toThrow(/unknown layer kind "nope"/);
  });

  for (const dtype of ["float64", "float32"] as const) {
    for (const [name, build] of [
      ["mlp", mlp],
      ["cnn", smallCnn],
    ] as const) {
      it(`${name}, ${dtype}: sharded equals unsharded to rounding, and to the bit on one and two threads`, () => {
        const net = build(dtype);
        const params = net.init(3);
        const { x, y } = batch(net, 11, 4);
        const opts: LossAndGradOptions = { stats: true, sampledFisherSeed: 5 };
        setThreads(1);
        const whole = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { stats: true });
        const one = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { ...opts, shards: 3 });
        setThreads(2);
        const two = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { ...opts, shards: 3 });
        expect(replicaCount()).toBeGreaterThanOrEqual(1);
        // Same shard count: the same bits whichever thread computed a shard.
        expect(numbers(two)).toEqual(numbers(one));
        // Against the one-batch pass: the per-example rows agree (to the products' rounding), the sums to rounding.
        const tolerance = dtype === "float32" ? 1e-5 : 1e-12;
        expect(Math.abs(one.loss - whole.loss)).toBeLessThan(tolerance * Math.abs(whole.loss));
        for (const key of Object.keys(params)) {
          expect(maxRelativeError(one.grads[key].data, whole.grads[key].data), key).toBeLessThan(tolerance);
        }
        expect(maxRelativeError(one.output.data, whole.output.data)).toBeLessThan(tolerance);
        const [s1, sw] = [one.stats as KroneckerStats[], whole.stats as KroneckerStats[]];
        expect(s1.map((s) => [s.kind, s.batchSize, s.a.rows, s.g.rows])).toEqual(
          sw.map((s) => [s.kind, s.batchSize, s.a.rows, s.g.rows]),
        );
        s1.forEach((s, l) => {
          expect(maxRelativeError(s.a.data, sw[l].a.data)).toBeLessThan(tolerance);
          expect(maxRelativeError(s.g.data, sw[l].g.data)).toBeLessThan(tolerance);
          expect(s.gSampled!.rows).toBe(s.g.rows);
        });
      });
    }
  }

  it("reuses gradient buffers and matrix targets (mse) the same way", () => {
    const net = sequential([dense(5, 7), relu(), dense(7, 2)], { inputShape: [5] });
    const params = net.init(1);
    const rng = new Rng(2);
    const x = gaussianMatrix(rng, 9, 5);
    const t = gaussianMatrix(rng, 9, 2);
    setThreads(1);
    const one = net.lossAndGrad(params, x, t, mse, { shards: 2, stats: false });
    setThreads(2);
    const two = net.lossAndGrad(params, x, t, mse, { shards: 2, stats: false, reuseGrads: true });
    expect(numbers(two)).toEqual(numbers(one));
    const again = net.lossAndGrad(params, x, t, mse, { shards: 2, stats: false, reuseGrads: true });
    expect(again.grads["0.weight"]).toBe(two.grads["0.weight"]);
    expect(numbers(again)).toEqual(numbers(one));
  });

  it("keeps a custom loss's shards on the calling thread, with the same bits", () => {
    const custom: Loss<Int32Array> = Object.assign(
      (o: Matrix, t: Int32Array) => softmaxCrossEntropy(o, t),
      softmaxCrossEntropy as unknown as Loss<Int32Array>,
    );
    const net = mlp("float64");
    const params = net.init(1);
    const { x, y } = batch(net, 8, 2);
    setThreads(1);
    const one = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { shards: 2, stats: false });
    setThreads(2);
    const two = net.lossAndGrad(params, x, y, custom, { shards: 2, stats: false });
    expect(numbers(two)).toEqual(numbers(one));
  });

  it("keeps every shard on the calling thread inside withoutTeam, with the same bits", () => {
    setThreads(2);
    expect(replicaRunner.threads()).toBe(2);
    expect(withoutTeam(() => replicaRunner.threads())).toBe(1);
    const net = mlp("float64");
    const params = net.init(1);
    const { x, y } = batch(net, 8, 2);
    const spied: number[] = [];
    const start = replicaRunner.start;
    replicaRunner.start = (pass) => (spied.push(pass.jobs.length), start(pass));
    try {
      const alone = withoutTeam(() => net.lossAndGrad(params, x, y, softmaxCrossEntropy, { shards: 2, stats: false }));
      expect(spied).toEqual([]);
      const beside = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { shards: 2, stats: false });
      expect(spied).toEqual([1]);
      expect(numbers(alone)).toEqual(numbers(beside));
    } finally {
      replicaRunner.start = start;
    }
  });

  it("runs networks with batch-norm and passes with curvature as one shard", () => {
    const net = sequential([dense(4, 6), batchNorm(6), relu(), dense(6, 3)], { inputShape: [4] });
    const params = net.init(1);
    const state = net.initState();
    const { x, y } = batch(net, 8, 3);
    const whole = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { state, stats: false });
    const sharded = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { state, stats: false, shards: 4 });
    expect(numbers(sharded)).toEqual(numbers(whole));
    expect(sharded.state).toEqual(whole.state);
    const m = mlp("float64");
    const p = m.init(1);
    const b = batch(m, 8, 3);
    const c1 = m.lossAndGrad(p, b.x, b.y, softmaxCrossEntropy, { curvature: true, stats: false });
    const c2 = m.lossAndGrad(p, b.x, b.y, softmaxCrossEntropy, { curvature: true, stats: false, shards: 2 });
    expect(numbers(c2)).toEqual(numbers(c1));
  });

  it("refuses bad shard counts and targets that do not match the batch", () => {
    const net = mlp("float64");
    const params = net.init(1);
    const { x, y } = batch(net, 6, 1);
    for (const bad of [0, -1, 1.5, "2", Number.NaN]) {
      expect(() => net.lossAndGrad(params, x, y, softmaxCrossEntropy, { shards: bad as number, stats: false })).toThrow(
        /lossAndGrad: shards must be an integer ≥ 1/,
      );
    }
    expect(() =>
      net.lossAndGrad(params, x, y.subarray(0, 5), softmaxCrossEntropy, { shards: 2, stats: false }),
    ).toThrow(/shards > 1 needs targets with one entry or row per example \(6\), got 5/);
  });
});
