import { describe, expect, it } from "vitest";
import {
  avgPool2d,
  batchNorm,
  conv2d,
  dense,
  flatten,
  gelu,
  maxPool2d,
  relu,
  sigmoid,
  tanh,
} from "../../src/nn/index.js";
import type { Layer, Shape } from "../../src/nn/layer.js";
import { layerGradientErrors } from "./gradcheck.js";

const TOL = 1e-7;

describe("layer gradients against central finite differences", () => {
  const cases: [string, Layer, Shape][] = [
    ["dense with bias", dense(5, 3), [5]],
    ["dense without bias", dense(4, 6, { bias: false }), [4]],
    [
      "conv2d, stride 2, padding 1",
      conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1 }),
      [2, 5, 6],
    ],
    [
      "conv2d, 2×1 kernel, no bias",
      conv2d({ inChannels: 1, outChannels: 2, kernelSize: [2, 1], bias: false }),
      [1, 4, 3],
    ],
    ["maxPool2d 2×2", maxPool2d(2), [2, 4, 6]],
    ["maxPool2d 3, stride 2 (overlapping)", maxPool2d(3, 2), [1, 5, 5]],
    ["avgPool2d 2×2", avgPool2d(2), [2, 4, 4]],
    ["avgPool2d 3, stride 1", avgPool2d(3, 1), [1, 4, 5]],
    ["relu", relu(), [7]],
    ["tanh", tanh(), [7]],
    ["gelu", gelu(), [7]],
    ["flatten", flatten(), [2, 2, 3]],
    ["batchNorm after dense (train)", batchNorm(4), [4]],
    ["batchNorm after conv (train)", batchNorm(3, { eps: 1e-3 }), [3, 2, 3]],
    ["sigmoid", sigmoid(), [7]],
  ];
  cases.forEach(([name, layer, shape], i) => {
    it(name, () => {
      const errors = layerGradientErrors(layer, shape, 4, 100 + i);
      expect(errors.input).toBeLessThan(TOL);
      for (const [key, e] of Object.entries(errors.params)) expect(e, key).toBeLessThan(TOL);
      expect(Object.keys(errors.params)).toEqual(errors.built.params.map((p) => p.key));
    });
  });

  it("batchNorm in evaluation mode differentiates through the running statistics", () => {
    const state = { "0.running_mean": [0.3, -1, 2], "0.running_var": [0.5, 2, 1.5] };
    const errors = layerGradientErrors(batchNorm(3), [3, 2, 2], 3, 7, { train: false, state });
    expect(errors.input).toBeLessThan(TOL);
    for (const e of Object.values(errors.params)) expect(e).toBeLessThan(TOL);
  });
});
