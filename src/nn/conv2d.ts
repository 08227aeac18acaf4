/**
 * The 2-D convolution layer (PyTorch's nn.Conv2d with dilation 1 and groups 1), computed as one matrix product
 * over im2col patches.
 */
import { ShapeError } from "../linalg/errors.js";
import { Matrix } from "../linalg/matrix.js";
import { productFor, type ProductInto } from "./dtype.js";
import { col2im, convGeometry, im2col, type ConvGeometry } from "./im2col.js";
import { booleanOption, checkKeys, integerOption, pairOption } from "./options.js";
import { formatShape, type BuiltLayer, type Layer, type ParamSpec, type Shape } from "./layer.js";
import type { KroneckerStats, Params } from "./types.js";

/** Options of `conv2d`; sizes are one integer (both dimensions) or a pair [height, width]. */
export interface Conv2dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number | [number, number];
  /** Default 1. */
  stride?: number | [number, number];
  /** Zero padding on each side, default 0. */
  padding?: number | [number, number];
  /** Default true. */
  bias?: boolean;
}

/**
 * A convolution over NCHW inputs: out[i, o, y, x] = b_o + Σ_{c,ki,kj} W[o, c, ki, kj] ·
 * in[i, c, y·s − p + ki, x·s − p + kj] (zero outside the image). With the im2col patch matrix P ((n·T)×K,
 * T = outH·outW, K = inC·kh·kw) and a ones column for the bias, the outputs are P̃ [W | b]ᵀ; backward with the
 * per-example output gradients G ((n·T)×outC) gives ∇_[W|b] L = Gᵀ P̃ / n and patch gradients G W, scattered back
 * by col2im. The curvature statistics are a = P̃ and g = G (Grosse & Martens 2016, KFC). The three products run in
 * the network's dtype (src/nn/dtype.ts); the weight gradient takes its 1/n as the GEMM's α.
 */
export function conv2d(options: Conv2dOptions): Layer {
  const where = "conv2d";
  checkKeys(where, options, ["inChannels", "outChannels", "kernelSize", "stride", "padding", "bias"]);
  const inC = integerOption(where, "inChannels", options.inChannels);
  const outC = integerOption(where, "outChannels", options.outChannels);
  const kernel = pairOption(where, "kernelSize", options.kernelSize, 1);
  const stride = pairOption(where, "stride", options.stride ?? 1, 1);
  const padding = pairOption(where, "padding", options.padding ?? 0, 0);
  const bias = booleanOption(where, "bias", options.bias, true);
  return {
    kind: "conv2d",
    build(input, index, options) {
      if (input.length !== 3) {
        throw new ShapeError(`layer ${index} (conv2d): needs inputs [C, H, W] but receives ${formatShape(input)}`);
      }
      if (input[0] !== inC) {
        throw new ShapeError(
          `layer ${index} (conv2d): inChannels is ${inC} but the layer receives ${input[0]} channels (shape ${formatShape(input)})`,
        );
      }
      const geo = convGeometry(input, kernel, stride, padding);
      if (geo.outH < 1 || geo.outW < 1) {
        throw new ShapeError(
          `layer ${index} (conv2d): kernelSize [${kernel.join(", ")}] with padding [${padding.join(", ")}] does not fit the input ${formatShape(input)}`,
        );
      }
      return buildConv2d(input, index, geo, outC, bias, productFor(options?.dtype ?? "float64"));
    },
  };
}

function buildConv2d(
  input: Shape,
  index: number,
  geo: ConvGeometry,
  outC: number,
  hasBias: boolean,
  product: ProductInto,
): BuiltLayer<Matrix> {
  const K = geo.channels * geo.kernelH * geo.kernelW;
  const T = geo.outH * geo.outW;
  const weight = `${index}.weight`;
  const bias = hasBias ? `${index}.bias` : undefined;
  const fanOut = outC * geo.kernelH * geo.kernelW;
  const params: ParamSpec[] = [{ key: weight, rows: outC, cols: K, role: "weight", fanIn: K, fanOut }];
  if (bias) params.push({ key: bias, rows: 1, cols: outC, role: "bias", fanIn: K, fanOut });

  /** [W | b] (outC×(K+1)), or W alone, to multiply the patch rows with. */
  const augmentedWeight = (p: Params): Matrix => {
    if (!bias) return p[weight];
    const W = p[weight].data;
    const b = p[bias].data;
    const Wb = new Matrix(outC, K + 1);
    for (let o = 0; o < outC; o++) {
      Wb.data.set(W.subarray(o * K, (o + 1) * K), o * (K + 1));
      Wb.data[o * (K + 1) + K] = b[o];
    }
    return Wb;
  };

  return {
    kind: "conv2d",
    inputShape: input,
    outputShape: [outC, geo.outH, geo.outW],
    params,
    state: [],
    forward(p, x) {
      const patches = im2col(x, geo, hasBias);
      // (n·T)×outC, rows (example, position)
      const Y = product(new Matrix(patches.rows, outC), patches, augmentedWeight(p), { transB: true });
      return { out: positionsToChannels(Y, x.rows, T, outC), cache: patches };
    },
    backward(dOut, patches, p, request) {
      const n = dOut.rows;
      const G = channelsToPositions(dOut, n, T, outC);
      const result: { dIn?: Matrix; grads?: Params; g: Matrix } = { g: G };
      if (request.grads) {
        const dWb = product(new Matrix(outC, patches.cols), G, patches, { transA: true, alpha: 1 / n }); // outC×(K [+1])
        if (bias) {
          const dW = new Matrix(outC, K);
          const db = new Matrix(1, outC);
          for (let o = 0; o < outC; o++) {
            dW.data.set(dWb.data.subarray(o * (K + 1), o * (K + 1) + K), o * K);
            db.data[o] = dWb.data[o * (K + 1) + K];
          }
          result.grads = { [weight]: dW, [bias]: db };
        } else {
          result.grads = { [weight]: dWb };
        }
      }
      if (request.inputGrad) result.dIn = col2im(product(new Matrix(G.rows, K), G, p[weight]), geo, n);
      return result;
    },
    stats(patches, result, sampled): KroneckerStats {
      return {
        kind: "conv2d",
        weight,
        bias,
        a: patches,
        g: result.g as Matrix,
        gSampled: sampled?.g,
        batchSize: patches.rows / T,
        positions: T,
      };
    },
  };
}

/** Y ((n·T)×C, row i·T + t) → NCHW rows (n × C·T): out[i, c·T + t] = Y[i·T + t, c]. */
function positionsToChannels(Y: Matrix, n: number, T: number, C: number): Matrix {
  const out = new Matrix(n, C * T);
  const o = out.data;
  const y = Y.data;
  for (let i = 0; i < n; i++) {
    const base = i * C * T;
    for (let t = 0; t < T; t++) {
      const row = (i * T + t) * C;
      for (let c = 0; c < C; c++) o[base + c * T + t] = y[row + c];
    }
  }
  return out;
}

/** The inverse rearrangement: NCHW rows (n × C·T) → (n·T)×C. */
function channelsToPositions(D: Matrix, n: number, T: number, C: number): Matrix {
  const G = new Matrix(n * T, C);
  const g = G.data;
  const d = D.data;
  for (let i = 0; i < n; i++) {
    const base = i * C * T;
    for (let c = 0; c < C; c++) {
      const src = base + c * T;
      for (let t = 0; t < T; t++) g[(i * T + t) * C + c] = d[src + t];
    }
  }
  return G;
}
