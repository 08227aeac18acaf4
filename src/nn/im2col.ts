/**
 * im2col / col2im: the rearrangement that turns a 2-D convolution into one matrix product (Chellapilla et al.
 * 2006): every output position of every example becomes a row holding the input patch it sees, so the
 * convolution is P Wᵀ with the weight as outC×(inC·kh·kw). The same patch rows are the layer inputs a of the
 * Kronecker-factored curvature of convolution layers (Grosse & Martens 2016, §3.1).
 */
import { Matrix } from "../linalg/matrix.js";
import { alloc, copyIn, copyOut, heap, kernels, mark, release } from "../linalg/wasm.js";

/** The geometry of a 2-D convolution or pooling window over NCHW inputs (no dilation). */
export interface ConvGeometry {
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  outH: number;
  outW: number;
}

/**
 * The geometry for inputs [channels, height, width]; the output size is ⌊(H + 2p − k)/s⌋ + 1 per dimension
 * (PyTorch's Conv2d/MaxPool2d with dilation 1, floor mode).
 */
export function convGeometry(
  input: readonly [number, number, number],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: readonly [number, number],
): ConvGeometry {
  const [channels, height, width] = input;
  const [kernelH, kernelW] = kernel;
  const [strideH, strideW] = stride;
  const [padH, padW] = padding;
  return {
    channels,
    height,
    width,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padH,
    padW,
    outH: Math.floor((height + 2 * padH - kernelH) / strideH) + 1,
    outW: Math.floor((width + 2 * padW - kernelW) / strideW) + 1,
  };
}

/** The kernels of asm/conv.ts (pointers are byte offsets into linear memory; geometry at pGeo, see there). */
export interface ConvKernels {
  im2colF64(n: number, pGeo: number, px: number, ld: number, pp: number, pwork: number): void;
  im2colF32(n: number, pGeo: number, px: number, ld: number, pp: number, pwork: number): void;
  col2imF64(n: number, pGeo: number, pdp: number, ld: number, pdx: number, pwork: number): void;
  col2imF32(n: number, pGeo: number, pdp: number, ld: number, pdx: number, pwork: number): void;
  positionsToChannelsF64(n: number, positions: number, C: number, py: number, pb: number, pout: number): void;
  positionsToChannelsF32(n: number, positions: number, C: number, py: number, pb: number, pout: number): void;
  channelsToPositionsF64(n: number, positions: number, C: number, pd: number, pg: number): void;
  channelsToPositionsF32(n: number, positions: number, C: number, pd: number, pg: number): void;
  channelSums(n: number, C: number, positions: number, pd: number, pout: number): void;
  poolPositionsF64(n: number, pPool: number, py: number, pb: number, pout: number, pargmax: number): void;
  poolPositionsF32(n: number, pPool: number, py: number, pb: number, pout: number, pargmax: number): void;
  poolGradPositionsF64(...args: [number, number, number, number, number, number, number, number]): void;
  poolGradPositionsF32(...args: [number, number, number, number, number, number, number, number]): void;
  maxPoolForward(n: number, pGeo: number, px: number, pout: number, pargmax: number): void;
  maxPoolBackward(n: number, inSize: number, outSize: number, pdout: number, pargmax: number, pdx: number): void;
}

export const convKernels = kernels as unknown as ConvKernels;

/** Copies the geometry into linear memory as the 11 i32 the kernels of asm/conv.ts read; returns the offset. */
export function geometryIn(geo: ConvGeometry): number {
  const ptr = alloc(6);
  const fields = [geo.channels, geo.height, geo.width, geo.kernelH, geo.kernelW, geo.strideH, geo.strideW];
  fields.push(geo.padH, geo.padW, geo.outH, geo.outW);
  new Int32Array(kernels.memory.buffer, ptr, fields.length).set(fields);
  return ptr;
}

/** A workspace for `im2col` and `col2im` of asm/conv.ts: one zero-padded example in float64. */
export function allocPaddedImage(geo: ConvGeometry): number {
  return alloc(geo.channels * (geo.height + 2 * geo.padH) * (geo.width + 2 * geo.padW));
}

/**
 * The patch matrix of a batch X (n × C·H·W, NCHW per row): row i·T + (oh·outW + ow) holds the input entries
 * X[i, c, oh·s − p + ki, ow·s − p + kj] in column c·kh·kw + ki·kw + kj (zero outside the image: the padding),
 * matching PyTorch's weight.view(outC, −1). With `onesColumn`, a trailing column of ones carries the bias.
 * Computed by the im2col kernel of asm/conv.ts.
 */
export function im2col(X: Matrix, geo: ConvGeometry, onesColumn: boolean): Matrix {
  const n = X.rows;
  const rows = n * geo.outH * geo.outW;
  const K = geo.channels * geo.kernelH * geo.kernelW;
  const ld = K + (onesColumn ? 1 : 0);
  const top = mark();
  try {
    const pX = copyIn(X.data);
    const pP = alloc(rows * ld);
    convKernels.im2colF64(n, geometryIn(geo), pX, ld, pP, allocPaddedImage(geo));
    const P = new Matrix(rows, ld, copyOut(pP, rows * ld));
    if (onesColumn) for (let r = 0; r < rows; r++) P.data[r * ld + K] = 1;
    return P;
  } finally {
    release(top);
  }
}

/**
 * The adjoint of `im2col` (without the ones column): scatters patch gradients dP ((n·T) × ld, the first
 * C·kh·kw columns used) back onto the image, summing where patches overlap: dX[i, c, ih, iw] = Σ dP[row, col]
 * over the (row, col) pairs that `im2col` filled from that entry.
 */
export function col2im(dP: Matrix, geo: ConvGeometry, n: number): Matrix {
  const size = n * geo.channels * geo.height * geo.width;
  const top = mark();
  try {
    const pdP = copyIn(dP.data);
    const pdX = alloc(size);
    heap().fill(0, pdX >>> 3, (pdX >>> 3) + size);
    convKernels.col2imF64(n, geometryIn(geo), pdP, dP.cols, pdX, allocPaddedImage(geo));
    return new Matrix(n, geo.channels * geo.height * geo.width, copyOut(pdX, size));
  } finally {
    release(top);
  }
}
