import { describe, expect, it } from "vitest";
import { matmul } from "../../src/linalg/blas.js";
import { Matrix } from "../../src/linalg/matrix.js";
import { SPARSE_INCOMING } from "../../src/nn/init.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import { nn } from "../../src/index.js";
import type { KroneckerStats, DiagonalStats, Params } from "../../src/nn/types.js";
import { centralDifference, maxRelativeError } from "./gradcheck.js";

const { sequential, dense, conv2d, batchNorm, relu, tanh, gelu, flatten, maxPool2d, avgPool2d } = nn;

/** A small CNN touching every layer kind: conv → relu → maxpool → batchNorm → conv → gelu → avgpool → flatten → dense. */
function smallCnn() {
  return sequential(
    [
      conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1 }),
      relu(),
      maxPool2d(2),
      batchNorm(3),
      conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }),
      gelu(),
      avgPool2d(2, 1),
      flatten(),
      dense(4, 3),
    ],
    { inputShape: [2, 6, 6] },
  );
}

function labels(rng: Rng, n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(k));
}

describe("sequential: shapes and names", () => {
  it("infers shapes and names parameters and buffers PyTorch-style by layer index", () => {
    const net = smallCnn();
    expect(net.layers.map((l) => l.outputShape)).toEqual([
      [3, 6, 6],
      [3, 6, 6],
      [3, 3, 3],
      [3, 3, 3],
      [4, 2, 2],
      [4, 2, 2],
      [4, 1, 1],
      [4],
      [3],
    ]);
    expect(net.paramSpecs.map((p) => `${p.key} ${p.rows}×${p.cols}`)).toEqual([
      "0.weight 3×18",
      "0.bias 1×3",
      "3.weight 1×3",
      "3.bias 1×3",
      "4.weight 4×27",
      "4.bias 1×4",
      "8.weight 3×4",
      "8.bias 1×3",
    ]);
    expect(net.initState()).toEqual({ "3.running_mean": [0, 0, 0], "3.running_var": [1, 1, 1] });
  });

  it("refuses bad shapes, parameters, inputs and options with messages naming them", () => {
    expect(() => sequential([dense(3, 2)], { inputShape: [3, 4] })).toThrow(
      /inputShape must be \[features\] or \[channels, height, width\].*\[3,4\]/,
    );
    expect(() => sequential([dense(3, 2)], { inputShape: [3], init: "xavier" as never })).toThrow(
      /init must be one of "pytorch", "he", "glorot", "sparse", got "xavier"/,
    );
    expect(() => sequential([], { inputShape: [3] })).toThrow(/non-empty list/);
    expect(() => sequential([dense(3, 2), dense(3, 2)], { inputShape: [3] })).toThrow(
      /layer 1 \(dense\): inFeatures is 3 but the layer receives 2 features/,
    );
    expect(() =>
      sequential([conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3 }), dense(2, 2)], { inputShape: [1, 3, 3] }),
    ).toThrow(/put flatten\(\) before it/);
    expect(() => sequential([batchNorm(4)], { inputShape: [3, 2, 2] })).toThrow(
      /channels is 4 but the layer receives shape \[3, 2, 2\]/,
    );
    expect(() => dense(3, 2, { bais: false } as never)).toThrow(/unknown key `bais`; did you mean `bias`/);
    expect(() => dense(3, 2.5)).toThrow(/outFeatures must be an integer ≥ 1, got 2.5/);
    expect(() => batchNorm(3, { momentum: 0 })).toThrow(/momentum must be in \(0, 1\], got 0/);

    const net = sequential([dense(3, 2), batchNorm(2)], { inputShape: [3] });
    const params = net.init(1);
    const x = new Matrix(4, 3);
    expect(() => net.forward(params, new Matrix(4, 5), { train: true })).toThrow(/x is 4×5 but inputShape \[3\] needs/);
    expect(() => net.forward({ ...params, "0.weight": new Matrix(3, 3) }, x, { train: true })).toThrow(
      /params\["0.weight"\] is 3×3, expected 2×3/,
    );
    expect(() => net.forward({ ...params, "9.weight": new Matrix(1, 1) }, x, { train: true })).toThrow(
      /unknown key "9.weight"/,
    );
    const missing = { ...params };
    delete missing["0.bias"];
    expect(() => net.forward(missing, x, { train: true })).toThrow(/params\["0.bias"\] must be a 1×2 Matrix/);
    expect(() => net.forward(params, x)).toThrow(/options.state is required/);
    expect(() => net.forward(params, x, { train: "yes" as never })).toThrow(/train must be true or false, got "yes"/);
    expect(() => net.forward(params, x, { state: { "1.running_mean": [0], "1.running_var": [1, 1] } })).toThrow(
      /state\["1.running_mean"\] must be an array of 2 numbers/,
    );
    const y = Int32Array.from([0, 1, 1, 0]);
    expect(() => net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy)).toThrow(/options.state is required/);
    const state = net.initState();
    expect(() =>
      net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, { state, stats: false, sampledFisherSeed: 1 }),
    ).toThrow(/sampledFisherSeed needs stats: true/);
    expect(() => net.lossAndGrad(params, x, Int32Array.from([0, 1, 2, 0]), nn.softmaxCrossEntropy, { state })).toThrow(
      /targets\[2\] must be a class index in 0…1, got 2/,
    );
    expect(() => net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, { state, statistics: true } as never)).toThrow(
      /unknown key `statistics`/,
    );
    const bn = sequential([batchNorm(2)], { inputShape: [2] });
    expect(() =>
      bn.lossAndGrad(bn.init(0), new Matrix(1, 2), new Matrix(1, 2), nn.mse, { state: bn.initState() }),
    ).toThrow(/more than one value per channel/);
  });
});

describe("sequential: gradients", () => {
  it("lossAndGrad's gradients equal central differences of the loss (CNN, train mode, cross-entropy)", () => {
    const net = smallCnn();
    const rng = new Rng(3);
    const params = net.init(11);
    const x = gaussianMatrix(rng, 5, 72);
    const y = labels(rng, 5, 3);
    const state = net.initState();
    const { loss, grads } = net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, { state });
    const f = () => nn.softmaxCrossEntropy(net.forward(params, x, { train: true }), y);
    expect(loss).toBeCloseTo(f(), 14);
    for (const spec of net.paramSpecs) {
      const p = params[spec.key].data;
      const fd = p.map((_, k) => centralDifference(p, k, f));
      expect(maxRelativeError(grads[spec.key].data, fd), spec.key).toBeLessThan(1e-7);
    }
  });

  it("lossAndGrad's gradients equal central differences of the loss (MLP with tanh, eval-mode batchNorm, mse)", () => {
    const net = sequential([dense(4, 5), batchNorm(5), tanh(), dense(5, 2, { bias: false })], { inputShape: [4] });
    const rng = new Rng(4);
    const params = net.init(12);
    const state = { "1.running_mean": [0.1, -0.2, 0.3, 0, 0.5], "1.running_var": [1.5, 0.7, 1, 2, 0.9] };
    const x = gaussianMatrix(rng, 6, 4);
    const t = gaussianMatrix(rng, 6, 2);
    const { grads, state: after } = net.lossAndGrad(params, x, t, nn.mse, { train: false, state });
    expect(after).toBe(state);
    const f = () => nn.mse(net.forward(params, x, { state }), t);
    for (const spec of net.paramSpecs) {
      const p = params[spec.key].data;
      const fd = p.map((_, k) => centralDifference(p, k, f));
      expect(maxRelativeError(grads[spec.key].data, fd), spec.key).toBeLessThan(1e-7);
    }
  });
});

describe("sequential: curvature statistics", () => {
  const net = smallCnn();
  const rng = new Rng(5);
  const params = net.init(13);
  const x = gaussianMatrix(rng, 4, 72);
  const y = labels(rng, 4, 3);
  const { grads, stats } = net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, { state: net.initState() });

  it("has one entry per layer with parameters, in order, with the documented shapes", () => {
    expect(stats.map((s) => `${s.kind} ${s.weight}`)).toEqual([
      "conv2d 0.weight",
      "batchNorm 3.weight",
      "conv2d 4.weight",
      "dense 8.weight",
    ]);
    const [c0, , c4, d8] = stats as KroneckerStats[];
    expect([c0.a.shape(), c0.g.shape(), c0.positions, c0.batchSize]).toEqual(["144×19", "144×3", 36, 4]);
    expect([c4.a.shape(), c4.g.shape(), c4.positions, c4.batchSize]).toEqual(["16×28", "16×4", 4, 4]);
    expect([d8.a.shape(), d8.g.shape(), d8.positions, d8.batchSize]).toEqual(["4×5", "4×3", 1, 4]);
    expect(c0.gSampled).toBeUndefined();
  });

  it("gᵀa/n equals the gradient of [W | b] for every dense and conv2d layer", () => {
    for (const s of stats) {
      if (s.kind === "batchNorm") continue;
      const Wb = matmul(s.g, s.a, { transA: true });
      const W = grads[s.weight];
      const b = grads[s.bias as string];
      for (let o = 0; o < W.rows; o++) {
        for (let j = 0; j < W.cols; j++) expect(Wb.get(o, j) / s.batchSize).toBeCloseTo(W.get(o, j), 14);
        expect(Wb.get(o, W.cols) / s.batchSize).toBeCloseTo(b.get(0, o), 14);
      }
      // The ones column really is ones (the bias input).
      for (let r = 0; r < s.a.rows; r++) expect(s.a.get(r, s.a.cols - 1)).toBe(1);
    }
  });

  it("batch-norm per-example gradients average to its gradients", () => {
    const bn = stats[1] as DiagonalStats;
    for (const key of [bn.weight, bn.bias]) {
      const per = bn.perExample[key];
      expect(per.shape()).toBe("4×3");
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = 0; i < 4; i++) s += per.get(i, c);
        expect(s / 4).toBeCloseTo(grads[key].get(0, c), 14);
      }
    }
  });

  it("a layer without bias has no ones column and no bias key", () => {
    const plain = sequential([dense(3, 2, { bias: false })], { inputShape: [3] });
    const xs = gaussianMatrix(rng, 5, 3);
    const r = plain.lossAndGrad(plain.init(0), xs, Int32Array.from([0, 1, 1, 0, 1]), nn.softmaxCrossEntropy);
    const s = r.stats[0] as KroneckerStats;
    expect([s.a.shape(), s.bias]).toEqual(["5×3", undefined]);
    expect(
      maxRelativeError(
        matmul(s.g, s.a, { transA: true }).data.map((v) => v / 5),
        r.grads["0.weight"].data,
      ),
    ).toBeLessThan(1e-14);
  });

  it("stats: false skips them", () => {
    const r = net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, { state: net.initState(), stats: false });
    expect(r.stats).toEqual([]);
    expect(r.grads["0.weight"].data).toEqual(grads["0.weight"].data);
  });
});

describe("sequential: batch-norm running statistics", () => {
  /** Per-channel mean and biased variance of NCHW rows by hand. */
  function channelMoments(x: Matrix, C: number): { mean: number[]; variance: number[]; count: number } {
    const S = x.cols / C;
    const mean: number[] = [];
    const variance: number[] = [];
    for (let c = 0; c < C; c++) {
      const values: number[] = [];
      for (let i = 0; i < x.rows; i++) for (let s = 0; s < S; s++) values.push(x.get(i, c * S + s));
      const m = values.reduce((a, b) => a + b, 0) / values.length;
      mean.push(m);
      variance.push(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
    }
    return { mean, variance, count: x.rows * S };
  }

  for (const inputShape of [[3], [2, 2, 3]] as const) {
    it(`follow PyTorch's update after two steps (input ${JSON.stringify(inputShape)})`, () => {
      const C = inputShape[0];
      const net = sequential([batchNorm(C, { momentum: 0.2 })], { inputShape: [...inputShape] });
      const rng = new Rng(8);
      const params: Params = { "0.weight": gaussianMatrix(rng, 1, C), "0.bias": gaussianMatrix(rng, 1, C) };
      const size = inputShape.reduce((a: number, b: number) => a * b, 1);
      const x1 = gaussianMatrix(rng, 5, size, 2);
      const x2 = gaussianMatrix(rng, 5, size, 0.5);
      const t = new Matrix(5, size);
      const s0 = net.initState();
      const s1 = net.lossAndGrad(params, x1, t, nn.mse, { state: s0 }).state;
      const s2 = net.lossAndGrad(params, x2, t, nn.mse, { state: s1 }).state;
      expect(s0).toEqual(net.initState()); // the input state is never modified
      expect(JSON.parse(JSON.stringify(s2))).toEqual(s2); // plain data: a checkpoint restores it exactly
      const m1 = channelMoments(x1, C);
      const m2 = channelMoments(x2, C);
      for (let c = 0; c < C; c++) {
        const mean = 0.8 * (0.8 * 0 + 0.2 * m1.mean[c]) + 0.2 * m2.mean[c];
        const unbiased = (v: number, count: number) => (v * count) / (count - 1);
        const variance =
          0.8 * (0.8 * 1 + 0.2 * unbiased(m1.variance[c], m1.count)) + 0.2 * unbiased(m2.variance[c], m2.count);
        expect(s2["0.running_mean"][c]).toBeCloseTo(mean, 14);
        expect(s2["0.running_var"][c]).toBeCloseTo(variance, 14);
      }
      // Evaluation mode normalises with the running statistics.
      const out = net.forward(params, x1, { state: s2 });
      const S = size / C;
      for (let i = 0; i < 5; i++)
        for (let c = 0; c < C; c++)
          for (let s = 0; s < S; s++) {
            const k = c * S + s;
            const expected =
              (params["0.weight"].get(0, c) * (x1.get(i, k) - s2["0.running_mean"][c])) /
                Math.sqrt(s2["0.running_var"][c] + 1e-5) +
              params["0.bias"].get(0, c);
            expect(out.get(i, k)).toBeCloseTo(expected, 13);
          }
      // Training-mode forward normalises with the batch's own statistics: every channel has mean β.
      const train = net.forward(params, x1, { train: true });
      expect(channelMoments(train, C).mean[0]).toBeCloseTo(params["0.bias"].get(0, 0), 13);
    });
  }
});

describe("sequential: training", () => {
  it("plain gradient descent on lossAndGrad's gradients fits a separable task (batch-norm network)", () => {
    const rng = new Rng(9);
    const n = 40;
    const x = gaussianMatrix(rng, n, 2);
    const y = Int32Array.from({ length: n }, (_, i) => (x.get(i, 0) + 0.5 * x.get(i, 1) > 0 ? 1 : 0));
    const net = sequential([dense(2, 8), batchNorm(8), tanh(), dense(8, 2)], { inputShape: [2] });
    let params = net.init(3);
    let state = net.initState();
    const first = net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, { state }).loss;
    for (let step = 0; step < 300; step++) {
      const r = net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, { state, stats: false });
      const next: Params = {};
      for (const [key, p] of Object.entries(params)) {
        next[key] = new Matrix(
          p.rows,
          p.cols,
          p.data.map((v, k) => v - 0.5 * r.grads[key].data[k]),
        );
      }
      params = next;
      state = r.state;
    }
    const last = net.lossAndGrad(params, x, y, nn.softmaxCrossEntropy, { state }).loss;
    expect(last).toBeLessThan(0.1 * first);
    expect(nn.accuracy(net.forward(params, x, { train: true }), y)).toBe(1);
    expect(nn.accuracy(net.forward(params, x, { state }), y)).toBeGreaterThanOrEqual(0.95);
  });
});

describe("sequential: initialisation", () => {
  const net = sequential([dense(400, 300), relu(), dense(300, 50)], { inputShape: [400] });
  const maxAbs = (v: Float64Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

  it("pytorch: weights and biases uniform on ±1/√fan_in, reproducible by seed", () => {
    const p = net.init(42);
    const bound = 1 / Math.sqrt(400);
    const w = p["0.weight"].data;
    expect(maxAbs(w)).toBeLessThanOrEqual(bound);
    expect(maxAbs(w)).toBeGreaterThan(0.999 * bound);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.01 * bound);
    expect(variance / ((bound * bound) / 3)).toBeCloseTo(1, 1);
    expect(maxAbs(p["0.bias"].data)).toBeLessThanOrEqual(bound);
    expect(maxAbs(p["2.weight"].data)).toBeLessThanOrEqual(1 / Math.sqrt(300));
    expect(net.init(42)["0.weight"].data).toEqual(w);
    expect(net.init(43)["0.weight"].data).not.toEqual(w);
  });

  it("he: N(0, 2/fan_in) weights, zero biases; glorot: uniform on ±√(6/(fan_in + fan_out))", () => {
    const he = sequential([dense(400, 300)], { inputShape: [400], init: "he" }).init(1);
    const w = he["0.weight"].data;
    const variance = w.reduce((a, b) => a + b * b, 0) / w.length;
    expect(variance / (2 / 400)).toBeCloseTo(1, 1);
    expect(he["0.bias"].data.every((v) => v === 0)).toBe(true);
    const conv = sequential([conv2d({ inChannels: 8, outChannels: 16, kernelSize: 3 })], {
      inputShape: [8, 5, 5],
      init: "glorot",
    }).init(2);
    const bound = Math.sqrt(6 / (8 * 9 + 16 * 9));
    const cw = conv["0.weight"].data;
    expect(maxAbs(cw)).toBeLessThanOrEqual(bound);
    expect(maxAbs(cw)).toBeGreaterThan(0.99 * bound);
    const bn = sequential([batchNorm(3)], { inputShape: [3] }).init(3);
    expect([...bn["0.weight"].data, ...bn["0.bias"].data]).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it("sparse: 15 N(0, 1) incoming weights per unit at distinct positions (all of them below 15), zero biases", () => {
    const sparse = sequential([dense(400, 300), relu(), dense(300, 8)], {
      inputShape: [400],
      init: "sparse",
    });
    const p = sparse.init(5);
    const w = p["0.weight"];
    const nonzero: number[] = [];
    for (let r = 0; r < w.rows; r++) {
      const row = w.data.subarray(r * w.cols, (r + 1) * w.cols);
      const k = row.filter((v) => v !== 0);
      expect(k.length).toBe(SPARSE_INCOMING);
      nonzero.push(...k);
    }
    // 4 500 draws of N(0, 1): mean within 4.5 standard errors of 0, variance within 10% of 1.
    const mean = nonzero.reduce((a, b) => a + b, 0) / nonzero.length;
    const variance = nonzero.reduce((a, b) => a + (b - mean) ** 2, 0) / nonzero.length;
    expect(Math.abs(mean)).toBeLessThan(4.5 / Math.sqrt(nonzero.length));
    expect(Math.abs(variance - 1)).toBeLessThan(0.1);
    // The positions are spread over the inputs: every input column feeds some unit (300 × 15 draws over 400).
    const used = new Set<number>();
    for (let k = 0; k < w.data.length; k++) if (w.data[k] !== 0) used.add(k % w.cols);
    expect(used.size).toBeGreaterThan(390);
    expect(p["0.bias"].data.every((v) => v === 0)).toBe(true);
    expect(sparse.init(5)["0.weight"].data).toEqual(w.data);
    // Fewer than 15 inputs: the unit is dense.
    const narrow = sequential([dense(6, 4)], { inputShape: [6], init: "sparse" }).init(1)["0.weight"].data;
    expect(narrow.every((v) => v !== 0)).toBe(true);
  });
});
