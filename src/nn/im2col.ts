/**
 * im2col / col2im: the rearrangement that turns a 2-D convolution into one matrix product (Chellapilla et al.
 * 2006): every output position of every example becomes a row holding the input patch it sees, so the
 * convolution is P Wᵀ with the weight as outC×(inC·kh·kw). The same patch rows are the layer inputs a of the
 * Kronecker-factored curvature of convolution layers (Grosse & Martens 2016, §3.1).
 */
import { Matrix } from "../linalg/matrix.js";

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

/**
 * The patch matrix of a batch X (n × C·H·W, NCHW per row): row i·T + (oh·outW + ow) holds the input entries
 * X[i, c, oh·s − p + ki, ow·s − p + kj] in column c·kh·kw + ki·kw + kj (zero outside the image: the padding),
 * matching PyTorch's weight.view(outC, −1). With `onesColumn`, a trailing column of ones carries the bias. One
 * pass over the output, writing each row once.
 */
export function im2col(X: Matrix, geo: ConvGeometry, onesColumn: boolean): Matrix {
  const { channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW } = geo;
  const n = X.rows;
  const T = outH * outW;
  const K = channels * kernelH * kernelW;
  const ld = K + (onesColumn ? 1 : 0);
  const P = new Matrix(n * T, ld);
  const p = P.data;
  const x = X.data;
  const plane = height * width;
  for (let i = 0; i < n; i++) {
    const xOffset = i * channels * plane;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padH;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - padW;
        const row = (i * T + oh * outW + ow) * ld;
        let col = row;
        for (let c = 0; c < channels; c++) {
          const cBase = xOffset + c * plane;
          for (let ki = 0; ki < kernelH; ki++) {
            const ih = ih0 + ki;
            if (ih < 0 || ih >= height) {
              col += kernelW; // padding rows stay zero
              continue;
            }
            const base = cBase + ih * width;
            for (let kj = 0; kj < kernelW; kj++, col++) {
              const iw = iw0 + kj;
              if (iw >= 0 && iw < width) p[col] = x[base + iw];
            }
          }
        }
        if (onesColumn) p[row + K] = 1;
      }
    }
  }
  return P;
}

/**
 * The adjoint of `im2col` (without the ones column): scatters patch gradients dP ((n·T) × ld, the first
 * C·kh·kw columns used) back onto the image, summing where patches overlap: dX[i, c, ih, iw] = Σ dP[row, col]
 * over the (row, col) pairs that `im2col` filled from that entry.
 */
export function col2im(dP: Matrix, geo: ConvGeometry, n: number): Matrix {
  const { channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW } = geo;
  const T = outH * outW;
  const ld = dP.cols;
  const plane = height * width;
  const dX = new Matrix(n, channels * plane);
  const dx = dX.data;
  const dp = dP.data;
  for (let i = 0; i < n; i++) {
    const xOffset = i * channels * plane;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padH;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - padW;
        let col = (i * T + oh * outW + ow) * ld;
        for (let c = 0; c < channels; c++) {
          const cBase = xOffset + c * plane;
          for (let ki = 0; ki < kernelH; ki++) {
            const ih = ih0 + ki;
            if (ih < 0 || ih >= height) {
              col += kernelW;
              continue;
            }
            const base = cBase + ih * width;
            for (let kj = 0; kj < kernelW; kj++, col++) {
              const iw = iw0 + kj;
              if (iw >= 0 && iw < width) dx[base + iw] += dp[col];
            }
          }
        }
      }
    }
  }
  return dX;
}
