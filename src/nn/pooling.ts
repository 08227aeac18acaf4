/**
 * Max and average pooling over NCHW inputs (PyTorch's MaxPool2d / AvgPool2d without padding, floor mode).
 */
import { ShapeError } from "../linalg/errors.js";
import { Matrix } from "../linalg/matrix.js";
import { alloc, copyIn, copyOut, kernels, mark, release } from "../linalg/wasm.js";
import { convGeometry, convKernels, geometryIn, type ConvGeometry } from "./im2col.js";
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
  return {
    kind: "maxPool2d",
    spec: { kind: "maxPool2d", args: [k, s] },
    build: (input, index) => buildMaxPool(poolGeometry("maxPool2d", input, index, k, s)),
  };
}

/**
 * Average pooling: out[i, c, y, x] = (1/(kh·kw)) Σ over the kernel window at (y·s, x·s) of in[i, c, ·, ·]; each
 * input in a window receives 1/(kh·kw) of that output's gradient (PyTorch's AvgPool2d, padding 0, floor mode).
 */
export function avgPool2d(kernel: number | Pair, stride?: number | Pair): Layer {
  const k = pairOption("avgPool2d", "kernel", kernel, 1);
  const s = pairOption("avgPool2d", "stride", stride ?? k, 1);
  return {
    kind: "avgPool2d",
    spec: { kind: "avgPool2d", args: [k, s] },
    build: (input, index) => buildAvgPool(poolGeometry("avgPool2d", input, index, k, s)),
  };
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

/**
 * Max pooling on the kernels of asm/conv.ts; the cache is the arg-max index of every output within its example's
 * row.
 */
function buildMaxPool(geo: ConvGeometry): BuiltLayer<Int32Array> {
  const { inputShape, outputShape, inSize, outSize } = poolShapes(geo);
  return {
    kind: "maxPool2d",
    inputShape,
    outputShape,
    params: [],
    state: [],
    maxPool: geo,
    forward(_p, x) {
      const n = x.rows;
      const top = mark();
      try {
        const pX = copyIn(x.data);
        const pOut = alloc(n * outSize);
        const pArg = alloc(Math.ceil((n * outSize) / 2));
        convKernels.maxPoolForward(n, geometryIn(geo), pX, pOut, pArg);
        const argmax = new Int32Array(kernels.memory.buffer, pArg, n * outSize).slice();
        return { out: new Matrix(n, outSize, copyOut(pOut, n * outSize)), cache: argmax };
      } finally {
        release(top);
      }
    },
    backward(dOut, argmax, _p, request) {
      if (!request.inputGrad) return {};
      const n = dOut.rows;
      const top = mark();
      try {
        const pD = copyIn(dOut.data);
        const pArg = alloc(Math.ceil((n * outSize) / 2));
        new Int32Array(kernels.memory.buffer, pArg, n * outSize).set(argmax);
        const pdX = alloc(n * inSize);
        convKernels.maxPoolBackward(n, inSize, outSize, pD, pArg, pdX);
        return { dIn: new Matrix(n, inSize, copyOut(pdX, n * inSize)) };
      } finally {
        release(top);
      }
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
