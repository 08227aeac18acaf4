/**
 * The 2-D convolution layer (PyTorch's nn.Conv2d with dilation 1 and groups 1), computed as matrix products over
 * im2col patches, chunk of examples by chunk, on the kernels of asm/conv.ts (docs/throughput.md).
 */
import { ShapeError } from "../linalg/errors.js";
import { Matrix } from "../linalg/matrix.js";
import { ELEMENTWISE_KINDS, type BackwardKind } from "../linalg/elementwise.js";
import { gemm, runParts, teamThreads, type KernelCall } from "../linalg/parallel.js";
import { alloc, copyIn, copyOut, heap, kernels, mark, release } from "../linalg/wasm.js";
import { scaleInPlace } from "./dense.js";
import type { Dtype } from "./dtype.js";
import { allocPaddedImage, convGeometry, geometryIn, im2col, type ConvGeometry } from "./im2col.js";
import { booleanOption, checkKeys, integerOption, pairOption } from "./options.js";
import {
  formatShape,
  shapeSize,
  type BackwardResult,
  type BuiltLayer,
  type Layer,
  type ParamSpec,
  type Shape,
} from "./layer.js";
import type { KroneckerStats } from "./types.js";

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
 * by col2im. The curvature statistics are a = P̃ and g = G (Grosse & Martens 2016, KFC), built only when asked
 * for. The three products run in the network's dtype (src/nn/dtype.ts) on the packed GEMM, a chunk of examples
 * at a time (bounded memory); the bias is added in the pass that lays the output out as NCHW, and a following
 * activation and max pooling run in the same forward call (`sequential` fuses them), so the full-size
 * activations stay in WebAssembly memory.
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
    spec: { kind: "conv2d", args: [{ inChannels: inC, outChannels: outC, kernelSize: kernel, stride, padding, bias }] },
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
      return buildConv2d(input, index, geo, outC, bias, options?.dtype ?? "float64");
    },
  };
}

/**
 * Bytes of im2col patches a pass holds at once: the batch is processed in chunks of whole examples whose patch
 * rows fit, so memory stays bounded (a 2c2d batch of 128 would need 80 MB of float32 patches) and each chunk's
 * patches are still in cache when its GEMM reads them.
 */
const PATCH_CHUNK_BYTES = 4 << 20;

/**
 * Chunks with fewer patch entries than this run their per-example kernels on one thread: below it, waking a
 * helper costs more than the split saves.
 */
const SPLIT_MIN_ENTRIES = 1 << 16;

/** Fills M with the float64 values at byte offset `ptr` of linear memory; returns M. */
function readInto(M: Matrix, ptr: number): Matrix {
  M.data.set(heap().subarray(ptr >>> 3, (ptr >>> 3) + M.data.length));
  return M;
}

/** What a conv2d forward pass keeps: its input and, when it pooled its output, what pooling's gradient needs. */
interface ConvCache {
  x: Matrix;
  /** The activation applied in the epilogue, if any. */
  activation?: BackwardKind;
  /** The fused max pooling: its output (after the activation) and arg-max indices. */
  pool?: { geo: ConvGeometry; out: Matrix; argmax: Int32Array };
}

function buildConv2d(
  input: Shape,
  index: number,
  geo: ConvGeometry,
  outC: number,
  hasBias: boolean,
  dtype: Dtype,
): BuiltLayer<ConvCache> {
  const K = geo.channels * geo.kernelH * geo.kernelW;
  const T = geo.outH * geo.outW;
  const inSize = shapeSize(input);
  const outSize = outC * T;
  const weight = `${index}.weight`;
  const bias = hasBias ? `${index}.bias` : undefined;
  const fanOut = outC * geo.kernelH * geo.kernelW;
  const params: ParamSpec[] = [{ key: weight, rows: outC, cols: K, role: "weight", fanIn: K, fanOut }];
  if (bias) params.push({ key: bias, rows: 1, cols: outC, role: "bias", fanIn: K, fanOut });

  const f32 = dtype === "float32";
  const precision = f32 ? "f32" : "f64";
  const suffix = f32 ? "F32" : "F64";
  const bytes = f32 ? 4 : 8;
  /** Examples per chunk: as many as PATCH_CHUNK_BYTES of patches hold (at least one). */
  const chunk = Math.max(1, Math.floor(PATCH_CHUNK_BYTES / (T * K * (f32 ? 4 : 8))));
  /** Room for `count` values of the GEMM precision (the allocator counts float64 slots). */
  const allocWorking = (count: number): number => alloc(f32 ? Math.ceil(count / 2) : count);
  /**
   * Runs per-example kernels on b examples split over the thread team (one part per thread; every example's
   * result is the same on any split): `calls(first, count, t)` are thread t's calls for examples
   * [first, first + count) of the chunk. Small chunks stay on this thread.
   */
  const perExamples = (b: number, calls: (first: number, count: number, t: number) => KernelCall[]): void => {
    const parts = b * T * K >= SPLIT_MIN_ENTRIES ? Math.min(teamThreads(), b) : 1;
    const jobs: KernelCall[][] = [];
    for (let t = 0; t < parts; t++) {
      const first = Math.floor((b * t) / parts);
      jobs.push(calls(first, Math.floor((b * (t + 1)) / parts) - first, t));
    }
    runParts(jobs);
  };
  /** One padded-image workspace per thread (im2col, col2im). */
  const workspaces = (): number[] => Array.from({ length: teamThreads() }, () => allocPaddedImage(geo));
  /** A float64 matrix copied into linear memory in the GEMM precision. */
  const operandIn = (M: Matrix): number => {
    const ptr = copyIn(M.data);
    if (f32) kernels.demoteF64(M.data.length, ptr, ptr);
    return ptr;
  };

  /**
   * Copies the gradient with respect to the layer's output into linear memory and returns `gradCalls`: the
   * kernel calls that turn its examples [at, at + count) into the per-position gradients G of the convolution's
   * own outputs (before a fused activation and pooling), (count·T)×outC at pg in the precision of `sfx`, and, when
   * pdb is not 0, into their per-example channel sums (float64 count×outC at pdb, the bias gradient's terms).
   * Unfused, G is dOut laid out by positions; fused, dOut is multiplied by σ′ through the pooled outputs (σ is
   * monotone, so σ(max) = max σ and the winner's derivative is σ′ at the pooled value) and placed at the arg-max
   * positions, without laying out the full-size NCHW gradient.
   */
  const outputGrad = (
    dOut: Matrix,
    cache: ConvCache,
  ): ((at: number, count: number, pg: number, pdb: number, sfx: string) => KernelCall[]) => {
    const pD = copyIn(dOut.data);
    const pool = cache.pool;
    const size = dOut.cols;
    if (!pool) {
      return (at, count, pg, pdb, sfx) => {
        const pd = pD + 8 * at * outSize;
        const calls: KernelCall[] = [{ kernel: `channelsToPositions${sfx}`, args: [count, T, outC, pd, pg] }];
        if (pdb) calls.push({ kernel: "channelSums", args: [count, outC, T, pd, pdb] });
        return calls;
      };
    }
    const entries = dOut.rows * size;
    if (cache.activation !== undefined) {
      kernels.activateBackward(ELEMENTWISE_KINDS[cache.activation], entries, copyIn(pool.out.data), pD, pD);
    }
    const pArg = alloc(Math.ceil(entries / 2));
    new Int32Array(kernels.memory.buffer, pArg, entries).set(pool.argmax);
    return (at, count, pg, pdb, sfx) => [
      {
        kernel: `poolGradPositions${sfx}`,
        args: [count, T, outC, size / outC, pD + 8 * at * size, pArg + 4 * at * size, pg, pdb],
      },
    ];
  };

  /** The per-position gradients G ((n·T)×outC, float64) of the convolution's outputs: its statistics' g. */
  const statsGrad = (dOut: Matrix, cache: ConvCache): Matrix => {
    const n = dOut.rows;
    const top = mark();
    try {
      const gradCalls = outputGrad(dOut, cache);
      const pG = alloc(n * T * outC);
      perExamples(n, (first, count) => gradCalls(first, count, pG + 8 * first * T * outC, 0, "F64"));
      return new Matrix(n * T, outC, copyOut(pG, n * T * outC));
    } finally {
      release(top);
    }
  };

  return {
    kind: "conv2d",
    inputShape: input,
    outputShape: [outC, geo.outH, geo.outW],
    params,
    state: [],
    appliesActivation: true,
    appliesMaxPool: true,
    forward(p, x, _ctx, activation, poolGeo) {
      const n = x.rows;
      const resultSize = poolGeo ? outC * poolGeo.outH * poolGeo.outW : outSize;
      const top = mark();
      try {
        const pGeo = geometryIn(geo);
        const pPoolGeo = poolGeo ? geometryIn(poolGeo) : 0;
        const pWork = workspaces();
        const pX = copyIn(x.data);
        const pW = operandIn(p[weight]);
        const pBias = bias ? copyIn(p[bias].data) : 0;
        const pP = allocWorking(Math.min(chunk, n) * T * K);
        const pY = allocWorking(Math.min(chunk, n) * T * outC);
        const pOut = alloc(n * resultSize);
        const pArg = poolGeo ? alloc(Math.ceil((n * resultSize) / 2)) : 0;
        const code = activation === undefined ? -1 : ELEMENTWISE_KINDS[activation];
        for (let start = 0; start < n; start += chunk) {
          const b = Math.min(chunk, n - start);
          perExamples(b, (first, count, t) => [
            {
              kernel: `im2col${suffix}`,
              args: [count, pGeo, pX + 8 * (start + first) * inSize, K, pP + bytes * first * T * K, pWork[t]],
            },
          ]);
          gemm(precision, 0, 1, b * T, outC, K, 1, pP, K, pW, K, 0, pY, outC);
          perExamples(b, (first, count) => {
            const pYi = pY + bytes * first * T * outC;
            const pOuti = pOut + 8 * (start + first) * resultSize;
            // Pooled: the bias, the pooling and then the activation on the pooled values only (see poolPositions).
            const calls: KernelCall[] = poolGeo
              ? [
                  {
                    kernel: `poolPositions${suffix}`,
                    args: [count, pPoolGeo, pYi, pBias, pOuti, pArg + 4 * (start + first) * resultSize],
                  },
                ]
              : [{ kernel: `positionsToChannels${suffix}`, args: [count, T, outC, pYi, pBias, pOuti] }];
            if (code >= 0) calls.push({ kernel: "activate", args: [code, count * resultSize, pOuti, pOuti] });
            return calls;
          });
        }
        const out = new Matrix(n, resultSize, copyOut(pOut, n * resultSize));
        const cache: ConvCache = { x, activation };
        if (poolGeo) {
          const argmax = new Int32Array(n * resultSize);
          argmax.set(new Int32Array(kernels.memory.buffer, pArg, n * resultSize));
          cache.pool = { geo: poolGeo, out, argmax };
        }
        return { out, cache };
      } finally {
        release(top);
      }
    },
    backward(dOut, cache, p, request) {
      const n = dOut.rows;
      const result: BackwardResult = { statsGrad: () => statsGrad(dOut, cache) };
      if (!request.grads && !request.inputGrad) return result;
      const top = mark();
      try {
        const pGeo = geometryIn(geo);
        const pWork = workspaces();
        const gradCalls = outputGrad(dOut, cache);
        const rows = Math.min(chunk, n) * T;
        const pG = allocWorking(rows * outC);
        const pP = request.grads ? allocWorking(rows * K) : 0;
        const pX = request.grads ? copyIn(cache.x.data) : 0;
        // float64 room even in float32: the gradient is widened in place.
        const pdW = request.grads ? alloc(outC * K) : 0;
        // Each example's bias-gradient terms, summed over the examples after the loop (the same bits on any split).
        const pdbTerms = request.grads && bias ? alloc(n * outC) : 0;
        const pW = request.inputGrad ? operandIn(p[weight]) : 0;
        const pdP = request.inputGrad ? allocWorking(rows * K) : 0;
        const pdX = request.inputGrad ? alloc(n * inSize) : 0;
        if (pdX) heap().fill(0, pdX >>> 3, (pdX >>> 3) + n * inSize);
        for (let start = 0; start < n; start += chunk) {
          const b = Math.min(chunk, n - start);
          perExamples(b, (first, count, t) => {
            const at = start + first;
            const pdb = pdbTerms ? pdbTerms + 8 * at * outC : 0;
            const calls = gradCalls(at, count, pG + bytes * first * T * outC, pdb, suffix);
            if (request.grads) {
              const args = [count, pGeo, pX + 8 * at * inSize, K, pP + bytes * first * T * K, pWork[t]];
              calls.push({ kernel: `im2col${suffix}`, args });
            }
            return calls;
          });
          if (request.grads) {
            // ∇W = Gᵀ P / n, accumulated chunk by chunk (β = 1 after the first).
            gemm(precision, 1, 0, outC, K, b * T, 1 / n, pG, outC, pP, K, start === 0 ? 0 : 1, pdW, K);
          }
          if (request.inputGrad) {
            gemm(precision, 0, 0, b * T, K, outC, 1, pG, outC, pW, K, 0, pdP, K);
            perExamples(b, (first, count, t) => [
              {
                kernel: `col2im${suffix}`,
                args: [count, pGeo, pdP + bytes * first * T * K, K, pdX + 8 * (start + first) * inSize, pWork[t]],
              },
            ]);
          }
        }
        if (request.grads) {
          if (f32) kernels.promoteF32(outC * K, pdW, pdW);
          const into = request.gradsInto;
          result.grads = { [weight]: readInto(into?.[weight] ?? new Matrix(outC, K), pdW) };
          if (bias) {
            const pdb = alloc(outC);
            heap().fill(0, pdb >>> 3, (pdb >>> 3) + outC);
            kernels.colSums(n, outC, pdbTerms, pdb);
            const db = readInto(into?.[bias] ?? new Matrix(1, outC), pdb);
            scaleInPlace(db.data, 1 / n);
            result.grads[bias] = db;
          }
        }
        if (request.inputGrad) result.dIn = new Matrix(n, inSize, copyOut(pdX, n * inSize));
        return result;
      } finally {
        release(top);
      }
    },
    stats(cache, result, sampled): KroneckerStats {
      return {
        kind: "conv2d",
        weight,
        bias,
        a: im2col(cache.x, geo, hasBias),
        g: (result.statsGrad as () => Matrix)(),
        gSampled: sampled?.statsGrad?.(),
        batchSize: cache.x.rows,
        positions: T,
      };
    },
  };
}
