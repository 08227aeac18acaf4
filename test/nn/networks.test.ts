import { describe, expect, it } from "vitest";
import { nn } from "../../src/index.js";

describe("twoConvTwoDense (DeepOBS 2c2d)", () => {
  it("has DeepOBS's layout and its 3 274 634 parameters on 28×28 images", () => {
    const net = nn.twoConvTwoDense();
    expect(net.layers.map((l) => l.kind)).toEqual([
      "conv2d",
      "relu",
      "maxPool2d",
      "conv2d",
      "relu",
      "maxPool2d",
      "flatten",
      "dense",
      "relu",
      "dense",
    ]);
    expect(net.layers.map((l) => l.outputShape)).toEqual([
      [32, 28, 28],
      [32, 28, 28],
      [32, 14, 14],
      [64, 14, 14],
      [64, 14, 14],
      [64, 7, 7],
      [3136],
      [1024],
      [1024],
      [10],
    ]);
    const count = net.paramSpecs.reduce((s, p) => s + p.rows * p.cols, 0);
    expect(count).toBe(3_274_634);
  });

  it("with batchNorm, adds a scale and a shift per channel after each convolution, before its ReLU", () => {
    const net = nn.twoConvTwoDense({ batchNorm: true, channels: [8, 16], denseWidth: 64, dtype: "float32" });
    expect(net.layers.slice(0, 4).map((l) => l.kind)).toEqual(["conv2d", "batchNorm", "relu", "maxPool2d"]);
    expect(net.dtype).toBe("float32");
    expect(Object.keys(net.initState())).toEqual([
      "1.running_mean",
      "1.running_var",
      "5.running_mean",
      "5.running_var",
    ]);
  });

  it("refuses bad options, naming the field and the value", () => {
    expect(() => nn.twoConvTwoDense({ channels: [32] as unknown as [number, number] })).toThrow(
      /channels must be a pair \[first, second\], got \[32\]/,
    );
    expect(() => nn.twoConvTwoDense({ inputShape: [1, 3, 28] })).toThrow(/height and width ≥ 4/);
    expect(() => nn.twoConvTwoDense({ denseWidth: 0 })).toThrow(/denseWidth must be an integer ≥ 1, got 0/);
    expect(() => nn.twoConvTwoDense({ classes: 10, kernel: 3 } as never)).toThrow(/kernel/);
  });
});
