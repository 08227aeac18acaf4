/**
 * Layer statistics on demand (`needsStats` / `optim.statsRequest`): a loop that asks the pass only for what the
 * optimizer reads takes the same steps, bit for bit, as one that computes every statistic at every step; the
 * wrappers ask for what their parts ask for; the training loops pass the request on; and a step that lacks what it
 * asked for is refused.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import * as nn from "../../src/nn/index.js";
import type { Network } from "../../src/nn/sequential.js";
import type { LayerStats, Params, StatsRequest } from "../../src/nn/types.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import * as optim from "../../src/optim/index.js";
import { trainClassifier } from "../../src/experiments/fashion/train.js";
import { bitEqual } from "./fixtures.js";

const CLASSES = 3;

function tinyMlp(): Network {
  return nn.sequential([nn.dense(6, 5), nn.relu(), nn.dense(5, CLASSES)], { inputShape: [6] });
}

function tinyCnn(): Network {
  return nn.sequential(
    [
      nn.conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1 }),
      nn.relu(),
      nn.maxPool2d(2),
      nn.batchNorm(3),
      nn.conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }),
      nn.relu(),
      nn.flatten(),
      nn.dense(16, CLASSES),
    ],
    { inputShape: [2, 6, 6] },
  );
}

function batches(net: Network, size: number, count: number, seed: number) {
  const rng = new Rng(seed);
  const inputs = net.inputShape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => ({
    x: gaussianMatrix(rng, size, inputs),
    y: Int32Array.from({ length: size }, () => rng.int(CLASSES)),
  }));
}

/**
 * Trains `net` with `t` over `data`; `ask`: the statistics the loop asks the pass for at each step. Returns the
 * final parameters and, per step, the kinds of the statistics the optimizer was given.
 */
function train(
  net: Network,
  t: optim.GradientTransformation<unknown>,
  data: ReturnType<typeof batches>,
  ask: (state: unknown) => StatsRequest,
): { params: Params; given: string[][] } {
  const params = net.init(3);
  let netState = net.initState();
  let state = t.init(params);
  const given: string[][] = [];
  for (const b of data) {
    const pass = net.lossAndGrad(params, b.x, b.y, nn.softmaxCrossEntropy, { state: netState, stats: ask(state) });
    given.push(pass.stats.map((s) => s.kind));
    const r = t.update(pass.grads, state, params, { stats: pass.stats, loss: pass.loss });
    state = r.state;
    optim.applyUpdatesInPlace(params, r.updates);
    netState = pass.state;
  }
  return { params, given };
}

const cases = [
  // batch 3 < the layers' widths: KFAC's low-rank (factored) apply for the dense layers, between folds too.
  { net: "mlp", make: tinyMlp, batch: 3 },
  { net: "conv net with batch-norm", make: tinyCnn, batch: 2 },
] as const;

const optimizers = {
  kfac: () => optim.kfac({ learningRate: 0.05, damping: 0.1, factorUpdateEvery: 3, inverseEvery: 2 }),
  // The default periods (factors and inverses every 10 steps); the damping keeps batch-2 factors invertible.
  "kfac, default periods": () => optim.kfac({ learningRate: 0.05, damping: 0.1 }),
  ekfac: () =>
    optim.ekfac({ learningRate: 0.05, damping: 0.1, factorUpdateEvery: 3, inverseEvery: 2, scalingUpdateEvery: 4 }),
  "kfac, no low-rank apply": () =>
    optim.kfac({ learningRate: 0.05, damping: 0.1, factorUpdateEvery: 3, lowRankApply: false }),
};

describe("statistics on demand", () => {
  for (const c of cases) {
    for (const [name, make] of Object.entries(optimizers)) {
      it(`${name} on the ${c.net}: the same steps, bit for bit, as with every statistic at every step`, () => {
        const net = c.make();
        const data = batches(net, c.batch, 13, 7);
        const every = train(net, make(), data, () => true);
        const opt = make();
        const onDemand = train(net, opt, data, (state) => optim.statsRequest(opt, state));
        expect(bitEqual(onDemand.params, every.params)).toBe(true);
        // The conv layers' statistics came only at the steps that fold them (EKFAC: or re-estimate the scalings).
        const o = opt.options as { factorUpdateEvery?: number; scalingUpdateEvery?: number };
        const due = data.map(
          (_, k) =>
            k % (o.factorUpdateEvery ?? 10) === 0 ||
            (name.startsWith("ekfac") && k % (o.scalingUpdateEvery ?? 1) === 0),
        );
        const convSteps = onDemand.given.map((kinds) => kinds.includes("conv2d"));
        if (c.net === "mlp") expect(convSteps.every((x) => !x)).toBe(true);
        else expect(convSteps).toEqual(due);
        // Dense statistics between folds only when the low-rank apply may use them; batch-norm's every step.
        const lowRank = !name.includes("no low-rank");
        onDemand.given.forEach((kinds, k) => {
          expect(kinds.includes("dense")).toBe(due[k] || lowRank);
          if (c.net !== "mlp") expect(kinds.includes("batchNorm")).toBe(true);
        });
        expect(due.filter((x) => !x).length).toBeGreaterThan(0);
      });
    }
  }
});

describe("needsStats of the other transforms and of the wrappers", () => {
  const params: Params = { w: new Matrix(3, 2), b: new Matrix(1, 3) };
  const kfac = () => optim.kfac({ learningRate: 0.1, factorUpdateEvery: 2 });
  /** A KFAC state after one step (the next step folds nothing), with the layer's keys seen. */
  function afterOneStep(t: optim.GradientTransformation<unknown>): unknown {
    const rng = new Rng(4);
    const a = gaussianMatrix(rng, 4, 3);
    for (let i = 0; i < 4; i++) a.data[i * 3 + 2] = 1;
    const g = gaussianMatrix(rng, 4, 3);
    const grads: Params = { w: new Matrix(3, 2), b: new Matrix(1, 3) };
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let x = 0;
        for (let r = 0; r < 4; r++) x += (g.data[r * 3 + i] * a.data[r * 3 + j]) / 4;
        if (j < 2) grads.w.data[i * 2 + j] = x;
        else grads.b.data[i] = x;
      }
    const stats: LayerStats[] = [{ kind: "dense", weight: "w", bias: "b", a, g, batchSize: 4, positions: 1 }];
    return t.update(grads, t.init(params), params, { stats }).state;
  }

  it("SGD, Adam, AdamW, Shampoo, SOAP, Muon and clipping never ask", () => {
    const never = [
      optim.sgd({ learningRate: 0.1 }),
      optim.adam({ learningRate: 0.1 }),
      optim.adamw({ learningRate: 0.1 }),
      optim.shampoo({ learningRate: 0.1 }),
      optim.soap({ learningRate: 0.1 }),
      optim.muon({ learningRate: 0.1 }),
      optim.clipByGlobalNorm(1),
    ] as optim.GradientTransformation<unknown>[];
    for (const t of never) expect(optim.statsRequest(t, t.init(params))).toBe(false);
  });

  it("KFAC asks for all at a fold step, dense and batch-norm between; a transform without the hook for all", () => {
    const t = kfac() as optim.GradientTransformation<unknown>;
    expect(optim.statsRequest(t, t.init(params))).toBe(true);
    expect(optim.statsRequest(t, afterOneStep(t))).toEqual(["dense", "batchNorm"]);
    const bare: optim.GradientTransformation<unknown> = {
      init: () => ({}),
      update: (g, s) => ({ updates: g, state: s }),
    };
    expect(optim.statsRequest(bare, {})).toBe(true);
  });

  it("KFAC with a loaded state asks for all until it has seen every layer's keys", () => {
    const t = kfac() as optim.GradientTransformation<unknown>;
    const state = afterOneStep(t);
    const fresh = kfac() as optim.GradientTransformation<unknown>;
    const loaded = optim.loadState(optim.saveState(state), fresh, params);
    expect(optim.statsRequest(fresh, loaded)).toBe(true);
  });

  it("chain, partition, graft and adaptive KFAC ask for what their parts ask for", () => {
    const k = kfac() as optim.GradientTransformation<unknown>;
    const between = afterOneStep(k);
    const chained = optim.chain(optim.clipByGlobalNorm(1), k);
    expect(optim.statsRequest(chained, [{}, between])).toEqual(["dense", "batchNorm"]);
    expect(optim.statsRequest(chained, chained.init(params))).toBe(true);
    expect(optim.statsRequest(optim.chain(optim.clipByGlobalNorm(1), optim.sgd({ learningRate: 1 })), [{}, {}])).toBe(
      false,
    );
    const adam = optim.adam({ learningRate: 0.1 }) as optim.GradientTransformation<unknown>;
    const parts = optim.partition({ k, adam }, { w: "k", b: "k" });
    expect(optim.statsRequest(parts, { k: between, adam: adam.init({}) })).toEqual(["dense", "batchNorm"]);
    expect(optim.statsRequest(parts, parts.init(params))).toBe(true);
    const grafted = optim.graft(adam, k);
    expect(optim.statsRequest(grafted, { magnitude: adam.init(params), direction: between })).toEqual([
      "dense",
      "batchNorm",
    ]);
    const auto = optim.kfac({ adaptive: true }) as optim.GradientTransformation<unknown>;
    expect(optim.statsRequest(auto, auto.init(params))).toBe(true);
  });

  it("unionStats: all wins, lists merge in a fixed order, none is false", () => {
    expect(optim.unionStats([false, ["batchNorm"], ["dense"]])).toEqual(["dense", "batchNorm"]);
    expect(optim.unionStats([["conv2d"], true])).toBe(true);
    expect(optim.unionStats([false, []])).toBe(false);
    expect(optim.unionStats([["dense", "batchNorm"], ["conv2d"]])).toBe(true);
  });
});

describe("a step without what it asked for is refused", () => {
  const net = tinyCnn();
  const [b] = batches(net, 2, 1, 9);

  it("at a fold step, with no statistics or without a conv layer's", () => {
    const t = optim.kfac({ learningRate: 0.1 });
    const params = net.init(1);
    const state = t.init(params);
    const pass = net.lossAndGrad(params, b.x, b.y, nn.softmaxCrossEntropy, { state: net.initState(), stats: false });
    expect(() => t.update(pass.grads, state, params, {})).toThrow(/needs ctx\.stats .* at step 1, which folds/);
    const first = net.lossAndGrad(params, b.x, b.y, nn.softmaxCrossEntropy, { state: net.initState() });
    let s = t.update(first.grads, state, params, { stats: first.stats }).state;
    // Steps 2–10 do not fold; step 11 does and gets no conv statistics.
    const partial = net.lossAndGrad(params, b.x, b.y, nn.softmaxCrossEntropy, {
      state: net.initState(),
      stats: ["dense", "batchNorm"],
    });
    for (let k = 2; k <= 10; k++) s = t.update(partial.grads, s, params, { stats: partial.stats }).state;
    expect(() => t.update(partial.grads, s, params, { stats: partial.stats })).toThrow(
      /layer "0.weight" has no statistics at step 11, which folds/,
    );
  });

  it("without batch-norm's statistics, which it reads every step", () => {
    const t = optim.kfac({ learningRate: 0.1 });
    const params = net.init(1);
    const all = net.lossAndGrad(params, b.x, b.y, nn.softmaxCrossEntropy, { state: net.initState() });
    const s = t.update(all.grads, t.init(params), params, { stats: all.stats }).state;
    const dense = net.lossAndGrad(params, b.x, b.y, nn.softmaxCrossEntropy, {
      state: net.initState(),
      stats: ["dense"],
    });
    expect(() => t.update(dense.grads, s, params, { stats: dense.stats })).toThrow(
      /batch-norm parameter "3.weight" has no statistics at step 2/,
    );
  });
});

describe("lossAndGrad's stats option", () => {
  const net = tinyCnn();
  const [b] = batches(net, 2, 1, 11);
  const params = net.init(2);
  const kinds = (stats: StatsRequest) =>
    net
      .lossAndGrad(params, b.x, b.y, nn.softmaxCrossEntropy, { state: net.initState(), stats })
      .stats.map((s) => s.kind);

  it("returns the layers of the kinds listed, in order, and the same statistics as asking for all", () => {
    expect(kinds(true)).toEqual(["conv2d", "batchNorm", "conv2d", "dense"]);
    expect(kinds(["dense", "batchNorm"])).toEqual(["batchNorm", "dense"]);
    expect(kinds([])).toEqual([]);
    expect(kinds(false)).toEqual([]);
  });

  it("refuses anything else, naming the field and the kinds allowed", () => {
    expect(() => kinds(["conv"] as unknown as StatsRequest)).toThrow(
      /lossAndGrad: stats must be true, false or a list of layer kinds \("dense", "conv2d", "batchNorm"\), got/,
    );
  });
});

describe("the training loops ask the pass for what the optimizer asks for", () => {
  it("fashion's trainClassifier: statistics only at the steps a spy transform asks for them", async () => {
    const net = tinyCnn();
    const rng = new Rng(12);
    const n = 16;
    const train = {
      x: gaussianMatrix(rng, n, 72),
      y: Int32Array.from({ length: n }, () => rng.int(CLASSES)),
      classes: CLASSES,
    };
    const given: (string[] | null)[] = [];
    // Asks for all statistics every third step and for none otherwise.
    const spy: optim.GradientTransformation<{ count: number }> = {
      init: () => ({ count: 0 }),
      needsStats: (state) => state.count % 3 === 0,
      update(grads, state, _params, ctx) {
        given.push(ctx?.stats ? ctx.stats.map((s) => s.kind) : null);
        const updates: Params = {};
        for (const [k, g] of Object.entries(grads)) updates[k] = new Matrix(g.rows, g.cols);
        return { updates, state: { count: state.count + 1 } };
      },
    };
    await trainClassifier({
      network: net,
      optimizer: spy as optim.GradientTransformation<unknown>,
      layerStats: true,
      train,
      evaluation: train,
      epochs: 2,
      batchSize: 4,
      seed: 0,
    });
    expect(given.length).toBe(8);
    given.forEach((kinds, k) =>
      expect(kinds, `step ${k + 1}`).toEqual(k % 3 === 0 ? ["conv2d", "batchNorm", "conv2d", "dense"] : []),
    );
  });
});
