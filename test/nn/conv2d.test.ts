import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import { conv2d, maxPool2d } from "../../src/nn/index.js";
import type { Params } from "../../src/nn/types.js";
import { col2im, convGeometry, im2col } from "../../src/nn/im2col.js";
import { maxRelativeError } from "./gradcheck.js";

/** The textbook convolution: six nested loops straight from the definition, zero padding by bounds checks. */
function naiveConv(
  x: Matrix,
  W: Matrix,
  b: Matrix | undefined,
  [C, H, Wd]: [number, number, number],
  outC: number,
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  [ph, pw]: [number, number],
): { out: Matrix; outH: number; outW: number } {
  const outH = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const outW = Math.floor((Wd + 2 * pw - kw) / sw) + 1;
  const out = new Matrix(x.rows, outC * outH * outW);
  for (let i = 0; i < x.rows; i++)
    for (let o = 0; o < outC; o++)
      for (let y = 0; y < outH; y++)
        for (let z = 0; z < outW; z++) {
          let s = b ? b.get(0, o) : 0;
          for (let c = 0; c < C; c++)
            for (let a = 0; a < kh; a++)
              for (let e = 0; e < kw; e++) {
                const iy = y * sh - ph + a;
                const iz = z * sw - pw + e;
                if (iy < 0 || iy >= H || iz < 0 || iz >= Wd) continue;
                s += W.get(o, (c * kh + a) * kw + e) * x.get(i, (c * H + iy) * Wd + iz);
              }
          out.set(i, (o * outH + y) * outW + z, s);
        }
  return { out, outH, outW };
}

describe("conv2d forward", () => {
  const cases: {
    name: string;
    shape: [number, number, number];
    outC: number;
    k: [number, number];
    s: [number, number];
    p: [number, number];
    bias: boolean;
  }[] = [
    { name: "3×3, stride 1, padding 1", shape: [2, 5, 5], outC: 3, k: [3, 3], s: [1, 1], p: [1, 1], bias: true },
    { name: "3×3, stride 2, padding 1", shape: [3, 7, 6], outC: 4, k: [3, 3], s: [2, 2], p: [1, 1], bias: true },
    {
      name: "2×3 kernel, strides [1, 2], padding [0, 2], no bias",
      shape: [1, 4, 5],
      outC: 2,
      k: [2, 3],
      s: [1, 2],
      p: [0, 2],
      bias: false,
    },
    { name: "kernel covering the whole image", shape: [2, 3, 3], outC: 5, k: [3, 3], s: [1, 1], p: [0, 0], bias: true },
  ];
  cases.forEach((c, index) => {
    it(`equals a direct convolution: ${c.name}`, () => {
      const rng = new Rng(50 + index);
      const built = conv2d({
        inChannels: c.shape[0],
        outChannels: c.outC,
        kernelSize: c.k,
        stride: c.s,
        padding: c.p,
        bias: c.bias,
      }).build(c.shape, 3);
      const params: Params = {};
      for (const spec of built.params) params[spec.key] = gaussianMatrix(rng, spec.rows, spec.cols);
      const x = gaussianMatrix(rng, 3, c.shape[0] * c.shape[1] * c.shape[2]);
      const { out } = built.forward(params, x, { train: true });
      const ref = naiveConv(x, params["3.weight"], params["3.bias"], c.shape, c.outC, c.k, c.s, c.p);
      expect(built.outputShape).toEqual([c.outC, ref.outH, ref.outW]);
      expect(maxRelativeError(out.data, ref.out.data)).toBeLessThan(1e-13);
    });
  });

  it("refuses mismatched channels, kernels larger than the input and bad options", () => {
    const layer = conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3 });
    expect(() => layer.build([3, 5, 5], 1)).toThrow(
      /layer 1 \(conv2d\): inChannels is 2 but the layer receives 3 channels/,
    );
    expect(() => layer.build([8], 1)).toThrow(/needs inputs \[C, H, W\]/);
    expect(() => layer.build([2, 2, 5], 0)).toThrow(/does not fit the input \[2, 2, 5\]/);
    expect(() => conv2d({ inChannels: 2, outChannels: 3, kernelSize: 0 })).toThrow(
      /kernelSize must be an integer ≥ 1, got 0/,
    );
    expect(() => conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, stride: [1] as never })).toThrow(/stride/);
    expect(() => conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: -1 })).toThrow(
      /padding must be an integer ≥ 0, got -1/,
    );
    expect(() => conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, pading: 1 } as never)).toThrow(
      /did you mean `padding`/,
    );
    expect(() => maxPool2d(2).build([1, 1, 4], 2)).toThrow(/layer 2 \(maxPool2d\): kernel \[2, 2\] is larger/);
  });
});

describe("im2col and col2im", () => {
  it("are adjoint: ⟨im2col(x), R⟩ = ⟨x, col2im(R)⟩ (stride 2, padding 1, non-square)", () => {
    const rng = new Rng(60);
    const geo = convGeometry([2, 5, 4], [3, 2], [2, 2], [1, 1]);
    const x = gaussianMatrix(rng, 3, 40);
    const P = im2col(x, geo, false);
    expect(P.shape()).toBe(`${3 * geo.outH * geo.outW}×12`);
    const R = gaussianMatrix(rng, P.rows, P.cols);
    const back = col2im(R, geo, 3);
    let lhs = 0;
    let rhs = 0;
    for (let k = 0; k < P.data.length; k++) lhs += P.data[k] * R.data[k];
    for (let k = 0; k < x.data.length; k++) rhs += x.data[k] * back.data[k];
    expect(lhs).toBeCloseTo(rhs, 12);
    // The ones column is appended without disturbing the patches.
    const withOnes = im2col(x, geo, true);
    for (let r = 0; r < P.rows; r++) {
      expect(Array.from(withOnes.row(r).subarray(0, 12))).toEqual(Array.from(P.row(r)));
      expect(withOnes.get(r, 12)).toBe(1);
    }
  });
});

describe("max pooling", () => {
  it("takes each window's maximum and routes the gradient to it", () => {
    const built = maxPool2d(2).build([1, 2, 4], 0);
    const x = Matrix.fromRows([[1, 5, -2, -3, 4, 0, -1, -4]]);
    const { out, cache } = built.forward({}, x, { train: true });
    expect(Array.from(out.data)).toEqual([5, -1]);
    const { dIn } = built.backward(Matrix.fromRows([[10, 20]]), cache, {}, { grads: true, inputGrad: true });
    expect(Array.from((dIn as Matrix).data)).toEqual([0, 10, 0, 0, 0, 0, 20, 0]);
  });
});
