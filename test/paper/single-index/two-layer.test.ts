import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/random/index.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { Matrix } from "../../../src/linalg/matrix.js";
import { activation } from "../../../src/nn/activations.js";
import {
  featureMap,
  initTwoLayer,
  lossAndGradient,
  predict,
  type HeadInit,
} from "../../../src/paper/single-index/two-layer.js";

function data(seed: number, n: number, d: number) {
  const rng = new Rng(seed);
  const X = gaussianMatrix(rng, n, d);
  const y = Float64Array.from({ length: n }, () => rng.normal());
  return { X, y };
}

describe("two-layer network", () => {
  for (const [act, batchNorm] of [
    ["tanh", false],
    ["gelu", false],
    ["tanh", true],
    ["relu", true],
  ] as const) {
    it(`∇_W L̂ matches central finite differences (${act}, batch-norm ${batchNorm})`, () => {
      const { X, y } = data(1, 9, 5);
      const net = initTwoLayer(new Rng(2), 6, 5, { act: activation(act), init: "gaussian", batchNorm });
      // Scale a up so the loss depends visibly on W.
      for (let j = 0; j < net.a.length; j++) net.a[j] *= 3;
      const { gradW, loss } = lossAndGradient(net, X, y);
      const residual = predict(net, X).map((f, i) => f - y[i]);
      expect(loss).toBeCloseTo(residual.reduce((s, r) => s + r * r, 0) / (2 * X.rows), 12);
      const h = 1e-6;
      for (let k = 0; k < net.W.data.length; k += 3) {
        const w = net.W.data[k];
        net.W.data[k] = w + h;
        const up = lossAndGradient(net, X, y).loss;
        net.W.data[k] = w - h;
        const down = lossAndGradient(net, X, y).loss;
        net.W.data[k] = w;
        expect(gradW.data[k]).toBeCloseTo((up - down) / (2 * h), 7);
      }
    });
  }

  for (const act of ["tanh", "relu"] as const) {
    it(`the SIMD kernel path (${act}) gives the loss and gradient of the scalar path to rounding`, () => {
      const { X, y } = data(3, 33, 7);
      const kernelAct = activation(act);
      expect(kernelAct.kernel).toBe(act);
      const net = initTwoLayer(new Rng(4), 11, 7, { act: kernelAct, init: "gaussian", batchNorm: false });
      const fast = lossAndGradient(net, X, y);
      const slow = lossAndGradient({ ...net, act: { ...kernelAct, kernel: undefined } }, X, y);
      expect(Math.abs(fast.loss - slow.loss)).toBeLessThanOrEqual(1e-14 * slow.loss);
      const scale = Math.max(...slow.gradW.data.map(Math.abs));
      fast.gradW.data.forEach((g, i) => expect(Math.abs(g - slow.gradW.data[i])).toBeLessThanOrEqual(1e-14 * scale));
    });
  }

  it("initialises W rows with variance 1/d, a = ±1/√N, and the symmetric init has zero output", () => {
    const N = 400;
    const d = 50;
    const net = initTwoLayer(new Rng(3), N, d, { act: activation("tanh"), init: "sign", batchNorm: false });
    const w = net.W.data;
    expect(w.reduce((s, v) => s + v * v, 0) / w.length).toBeCloseTo(1 / d, 3);
    expect(net.a.every((v) => Math.abs(Math.abs(v) - 1 / Math.sqrt(N)) < 1e-15)).toBe(true);
    const sym = initTwoLayer(new Rng(4), 8, 3, {
      act: activation("tanh"),
      init: "symmetric" as HeadInit,
      batchNorm: false,
    });
    const { X } = data(5, 7, 3);
    expect(Array.from(predict(sym, X)).every((v) => Math.abs(v) < 1e-15)).toBe(true);
    expect(() =>
      initTwoLayer(new Rng(4), 7, 3, { act: activation("tanh"), init: "symmetric", batchNorm: false }),
    ).toThrow(/even N/);
  });

  it("featureMap with batch-norm freezes the reference batch's statistics", () => {
    const { X } = data(6, 12, 4);
    const net = initTwoLayer(new Rng(7), 5, 4, { act: activation("linear"), init: "sign", batchNorm: true });
    const F = featureMap(net, X)(X);
    // On the reference batch every feature column has mean 0 and (biased) variance v/(v + ε) ≈ 1.
    for (let j = 0; j < 5; j++) {
      let m = 0;
      let v = 0;
      for (let i = 0; i < 12; i++) m += F.get(i, j) / 12;
      for (let i = 0; i < 12; i++) v += (F.get(i, j) - m) ** 2 / 12;
      expect(m).toBeCloseTo(0, 12);
      expect(v).toBeCloseTo(1, 3);
    }
    // Another batch is normalised with the reference statistics, not its own: its first row maps as before.
    const other = featureMap(net, X)(new Matrix(1, 4, X.row(0).slice()));
    for (let j = 0; j < 5; j++) expect(other.get(0, j)).toBeCloseTo(F.get(0, j), 12);
  });
});
