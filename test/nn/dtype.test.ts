/**
 * The float32 product path of `nn` (dtype: "float32"): a dense layer's forward and backward passes against a naive
 * float64 reference within float32's error bound, the dense + activation fusion against the unfused layers, and
 * the option's validation.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { batchNorm } from "../../src/nn/batch-norm-layer.js";
import { conv2d } from "../../src/nn/conv2d.js";
import { dense } from "../../src/nn/dense.js";
import { flatten } from "../../src/nn/flatten.js";
import { maxPool2d } from "../../src/nn/pooling.js";
import { relu, tanh } from "../../src/nn/activation-layers.js";
import { mse, softmaxCrossEntropy } from "../../src/nn/losses.js";
import { sequential } from "../../src/nn/sequential.js";
import { Rng, gaussianMatrix } from "../../src/random/index.js";
import { naiveMatmul } from "../helpers/naive.js";

const U32 = 2 ** -24;

function abs(M: Matrix): Matrix {
  return new Matrix(M.rows, M.cols, M.data.map(Math.abs));
}

/** Asserts |got − want| ≤ γ·magnitude entrywise, γ = m·u/(1 − m·u) for m roundings per entry. */
function expectWithin(got: Matrix, want: Matrix, magnitude: Matrix, roundings: number): void {
  const gamma = (roundings * U32) / (1 - roundings * U32);
  expect(got.shape()).toBe(want.shape());
  const bad: string[] = [];
  for (let i = 0; i < want.data.length; i++) {
    const err = Math.abs(got.data[i] - want.data[i]);
    if (!(err <= gamma * magnitude.data[i] + 1e-300)) bad.push(`${i}: ${err} > ${gamma * magnitude.data[i]}`);
  }
  expect(bad.slice(0, 5)).toEqual([]);
}

describe("dense layer in float32", () => {
  const n = 37;
  const inF = 300;
  const outF = 23;
  const rng = new Rng(1201);
  const X = gaussianMatrix(rng, n, inF);
  const W = gaussianMatrix(rng, outF, inF);
  const b = gaussianMatrix(rng, 1, outF);
  const G = gaussianMatrix(rng, n, outF);
  const params = { "0.weight": W, "0.bias": b };
  const layer = dense(inF, outF).build([inF], 0, { dtype: "float32" });

  it("forward: X Wᵀ + 1bᵀ within float32's bound of the float64 triple loop, and not the float64 value", () => {
    const { out } = layer.forward(params, X, { train: true });
    const want = naiveMatmul(X, W, false, true);
    for (let i = 0; i < n; i++) for (let j = 0; j < outF; j++) want.data[i * outF + j] += b.data[j];
    // Inputs rounded (2 per term), inF float32 roundings, the widening is exact, the float64 bias add ≤ u.
    const magnitude = naiveMatmul(abs(X), abs(W), false, true);
    expectWithin(out, want, magnitude, inF + 3);
    const exact64 = dense(inF, outF).build([inF], 0).forward(params, X, { train: true }).out;
    expect(Array.from(out.data)).not.toEqual(Array.from(exact64.data));
  });

  it("backward: ∇W = GᵀX/n and input gradient G W within float32's bound; ∇b = column means of G in float64", () => {
    const r = layer.backward(G, X, params, { grads: true, inputGrad: true });
    const dW = naiveMatmul(G, X, true, false).data.map((v) => v / n);
    const dWMagnitude = naiveMatmul(abs(G), abs(X), true, false).data.map((v) => v / n);
    expectWithin(r.grads!["0.weight"], new Matrix(outF, inF, dW), new Matrix(outF, inF, dWMagnitude), n + 3);
    expectWithin(r.dIn!, naiveMatmul(G, W), naiveMatmul(abs(G), abs(W)), outF + 3);
    const db = new Float64Array(outF);
    for (let i = 0; i < n; i++) for (let j = 0; j < outF; j++) db[j] += G.data[i * outF + j];
    const got = r.grads!["0.bias"].data;
    for (let j = 0; j < outF; j++) expect(got[j]).toBeCloseTo(db[j] / n, 13);
  });
});

describe("sequential with a dtype", () => {
  const layers = () => [dense(12, 16), relu(), dense(16, 9), tanh(), dense(9, 3)];

  it("fuses dense + relu/tanh into the product and gets what the layers give one by one", () => {
    const rng = new Rng(7);
    for (const dtype of ["float64", "float32"] as const) {
      const net = sequential(layers(), { inputShape: [12], dtype });
      expect(net.dtype).toBe(dtype);
      const params = net.init(3);
      const x = gaussianMatrix(rng, 21, 12);
      // Unfused reference: each built layer's forward on its own, in order.
      const inputs: [number][] = [[12], [16], [16], [9], [9]];
      const built = layers().map((l, i) => l.build(inputs[i], i, { dtype }));
      let h = x;
      for (const l of built) h = l.forward(params, h, { train: false }).out;
      expect(Array.from(net.forward(params, x).data)).toEqual(Array.from(h.data));
    }
  });

  it("float32 and float64 networks agree to float32 accuracy on the loss and every gradient", () => {
    const rng = new Rng(8);
    const x = gaussianMatrix(rng, 40, 12);
    const y = gaussianMatrix(rng, 40, 3);
    const n64 = sequential(layers(), { inputShape: [12] });
    const n32 = sequential(layers(), { inputShape: [12], dtype: "float32" });
    const params = n64.init(5);
    const r64 = n64.lossAndGrad(params, x, y, mse);
    const r32 = n32.lossAndGrad(params, x, y, mse);
    expect(Math.abs(r32.loss - r64.loss)).toBeLessThan(1e-5 * r64.loss);
    for (const key of Object.keys(r64.grads)) {
      const a = r64.grads[key].data;
      const d = r32.grads[key].data;
      const scale = Math.max(...a.map(Math.abs));
      const worst = Math.max(...a.map((v, i) => Math.abs(v - d[i])));
      expect(worst, key).toBeLessThan(1e-5 * scale);
      expect(worst, key).toBeGreaterThan(0); // really computed in float32
    }
  });

  it("a float32 CNN (conv2d's im2col products in float32) agrees with the float64 one to float32 accuracy", () => {
    const cnnLayers = () => [
      conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1 }),
      batchNorm(4),
      relu(),
      maxPool2d(2),
      flatten(),
      dense(4 * 3 * 3, 5),
    ];
    const rng = new Rng(9);
    const x = gaussianMatrix(rng, 6, 2 * 6 * 6);
    const y = Int32Array.from({ length: 6 }, (_, i) => i % 5);
    const n64 = sequential(cnnLayers(), { inputShape: [2, 6, 6] });
    const n32 = sequential(cnnLayers(), { inputShape: [2, 6, 6], dtype: "float32" });
    const params = n64.init(11);
    const state = n64.initState();
    const r64 = n64.lossAndGrad(params, x, y, softmaxCrossEntropy, { state });
    const r32 = n32.lossAndGrad(params, x, y, softmaxCrossEntropy, { state });
    expect(Math.abs(r32.loss - r64.loss)).toBeLessThan(1e-5 * r64.loss);
    // 0.bias is left out: batch-norm removes it, so its exact gradient is 0 and both dtypes give rounding noise.
    for (const key of Object.keys(r64.grads).filter((k) => k !== "0.bias")) {
      const a = r64.grads[key].data;
      const d = r32.grads[key].data;
      const scale = Math.max(...a.map(Math.abs));
      const worst = Math.max(...a.map((v, i) => Math.abs(v - d[i])));
      expect(worst, key).toBeLessThan(1e-4 * scale);
      expect(worst, key).toBeGreaterThan(0);
    }
  });

  it("refuses an unknown dtype, naming the field, the value and the allowed values", () => {
    expect(() => sequential(layers(), { inputShape: [12], dtype: "float16" as "float32" })).toThrow(
      'sequential: dtype must be one of "float32", "float64", got "float16"',
    );
    expect(() => sequential(layers(), { inputShape: [12], dtype: 32 as unknown as "float32" })).toThrow(
      /sequential: dtype must be one of "float32", "float64", got 32/,
    );
  });
});
