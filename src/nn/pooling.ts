/**
 * Max and average pooling over NCHW inputs (PyTorch's MaxPool2d / AvgPool2d without padding, floor mode).
 */
import { ShapeError } from "../linalg/errors.js";
import { Matrix } from "../linalg/matrix.js";
import { convGeometry, type ConvGeometry } from "./im2col.js";
import { pairOption } from "./options.js";
import { formatShape, type BuiltLayer, type Layer, type Shape } from "./layer.js";

type Pair = [number, number];

/**
 * Max pooling: out[i, c, y, x] = max over the kernel window at (y·s, x·s) of in[i, c, ·, ·]. The gradient flows
 * to the window's arg-max only (the first one on ties); kernel and stride are one integer or [height, width].
 * Output size ⌊(H − k)/s⌋ + 1 per dimension (PyTorch's MaxPool2d, padding 0, floor mode).
 */
export function maxPool2d(kernel: number | Pair, stride?: number | Pair): Layer {
  const k = pairOption("maxPool2d", "kernel", kernel, 1);
  const s = pairOption("maxPool2d", "stride", stride ?? k, 1);
  return { kind: "maxPool2d", build: (input, index) => buildMaxPool(poolGeometry("maxPool2d", input, index, k, s)) };
}

/**
 * Average pooling: out[i, c, y, x] = (1/(kh·kw)) Σ over the kernel window at (y·s, x·s) of in[i, c, ·, ·]; each
 * input in a window receives 1/(kh·kw) of that output's gradient (PyTorch's AvgPool2d, padding 0, floor mode).
 */
export function avgPool2d(kernel: number | Pair, stride?: number | Pair): Layer {
  const k = pairOption("avgPool2d", "kernel", kernel, 1);
  const s = pairOption("avgPool2d", "stride", stride ?? k, 1);
  return { kind: "avgPool2d", build: (input, index) => buildAvgPool(poolGeometry("avgPool2d", input, index, k, s)) };
}

function poolGeometry(kind: string, input: Shape, index: number, kernel: Pair, stride: Pair): ConvGeometry {
  if (input.length !== 3) {
    throw new ShapeError(`layer ${index} (${kind}): needs inputs [C, H, W] but receives ${formatShape(input)}`);
  }
  const geo = convGeometry(input, kernel, stride, [0, 0]);
  if (geo.outH < 1 || geo.outW < 1) {
    throw new ShapeError(
      `layer ${index} (${kind}): kernel [${kernel.join(", ")}] is larger than the input ${formatShape(input)}`,
    );
  }
  return geo;
}

function poolShapes(geo: ConvGeometry): { inputShape: Shape; outputShape: Shape; inSize: number; outSize: number } {
  const { channels: C, height, width, outH, outW } = geo;
  return {
    inputShape: [C, height, width],
    outputShape: [C, outH, outW],
    inSize: C * height * width,
    outSize: C * outH * outW,
  };
}

function buildMaxPool(geo: ConvGeometry): BuiltLayer<Int32Array> {
  const { channels: C, height, width, kernelH, kernelW, strideH, strideW, outH, outW } = geo;
  const { inputShape, outputShape, inSize, outSize } = poolShapes(geo);
  return {
    kind: "maxPool2d",
    inputShape,
    outputShape,
    params: [],
    state: [],
    forward(_p, x) {
      const n = x.rows;
      const out = new Matrix(n, outSize);
      const argmax = new Int32Array(n * outSize); // index of the winner within its example's row
      const xd = x.data;
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < C; c++) {
          const plane = c * height * width;
          for (let oh = 0; oh < outH; oh++) {
            for (let ow = 0; ow < outW; ow++) {
              let best = -Infinity;
              let at = plane + oh * strideH * width + ow * strideW;
              for (let ki = 0; ki < kernelH; ki++) {
                const rowStart = plane + (oh * strideH + ki) * width + ow * strideW;
                for (let kj = 0; kj < kernelW; kj++) {
                  const v = xd[i * inSize + rowStart + kj];
                  // NaN wins, as in PyTorch, so a diverged input shows in the output.
                  if (v > best || v !== v) {
                    best = v;
                    at = rowStart + kj;
                    if (v !== v) break;
                  }
                }
              }
              const o = i * outSize + (c * outH + oh) * outW + ow;
              out.data[o] = best;
              argmax[o] = at;
            }
          }
        }
      }
      return { out, cache: argmax };
    },
    backward(dOut, argmax, _p, request) {
      if (!request.inputGrad) return {};
      const n = dOut.rows;
      const dIn = new Matrix(n, inSize);
      for (let i = 0; i < n; i++) {
        for (let o = 0; o < outSize; o++) dIn.data[i * inSize + argmax[i * outSize + o]] += dOut.data[i * outSize + o];
      }
      return { dIn };
    },
  };
}

function buildAvgPool(geo: ConvGeometry): BuiltLayer<null> {
  const { channels: C, height, width, kernelH, kernelW, strideH, strideW, outH, outW } = geo;
  const { inputShape, outputShape, inSize, outSize } = poolShapes(geo);
  const inv = 1 / (kernelH * kernelW);
  /** Visits every (input entry, output entry) pair of every window of example i. */
  const eachWindowEntry = (i: number, visit: (inIndex: number, outIndex: number) => void): void => {
    for (let c = 0; c < C; c++) {
      const plane = i * inSize + c * height * width;
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          const o = i * outSize + (c * outH + oh) * outW + ow;
          for (let ki = 0; ki < kernelH; ki++) {
            const rowStart = plane + (oh * strideH + ki) * width + ow * strideW;
            for (let kj = 0; kj < kernelW; kj++) visit(rowStart + kj, o);
          }
        }
      }
    }
  };
  return {
    kind: "avgPool2d",
    inputShape,
    outputShape,
    params: [],
    state: [],
    forward(_p, x) {
      const out = new Matrix(x.rows, outSize);
      const [xd, od] = [x.data, out.data];
      for (let i = 0; i < x.rows; i++) eachWindowEntry(i, (a, o) => (od[o] += xd[a] * inv));
      return { out, cache: null };
    },
    backward(dOut, _cache, _p, request) {
      if (!request.inputGrad) return {};
      const dIn = new Matrix(dOut.rows, inSize);
      const [gd, dd] = [dOut.data, dIn.data];
      for (let i = 0; i < dOut.rows; i++) eachWindowEntry(i, (a, o) => (dd[a] += gd[o] * inv));
      return { dIn };
    },
  };
}
