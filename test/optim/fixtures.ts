/** Shared test fixtures for the optimizer API: random parameters and a dense least-squares layer written by hand. */
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/index.js";
import { gaussianMatrix } from "../../src/random/index.js";
import type { KroneckerStats, LayerStats, Params } from "../../src/nn/types.js";
import { mlp } from "../../src/experiments/fashion/networks.js";
import { softmaxCrossEntropy } from "../../src/nn/losses.js";
import { naiveMatmul } from "../helpers/naive.js";

/** Random params with the given shapes. */
export function randomParams(seed: number, shapes: Record<string, [number, number]>): Params {
  const rng = new Rng(seed);
  const out: Params = {};
  for (const [k, [r, c]] of Object.entries(shapes)) out[k] = gaussianMatrix(rng, r, c);
  return out;
}

/** A sequence of random gradient records shaped like `params`. */
export function gradientSequence(seed: number, params: Params, steps: number): Params[] {
  const rng = new Rng(seed);
  const out: Params[] = [];
  for (let t = 0; t < steps; t++) {
    const g: Params = {};
    for (const [k, p] of Object.entries(params)) g[k] = gaussianMatrix(rng, p.rows, p.cols);
    out.push(g);
  }
  return out;
}

/**
 * A dense layer s = W x + b with loss (1/n) Σ ½‖sᵢ − yᵢ‖²: the gradients of W (out×in) and b (1×out), the
 * layer statistics (a = [X | 1], g = per-example residuals), and the loss.
 */
export function denseLeastSquares(
  W: Matrix,
  b: Matrix,
  X: Matrix,
  Y: Matrix,
): { grads: Params; stats: KroneckerStats; loss: number } {
  const n = X.rows;
  const S = naiveMatmul(X, W, false, true);
  const R = new Matrix(n, W.rows);
  let loss = 0;
  for (let i = 0; i < n; i++)
    for (let k = 0; k < W.rows; k++) {
      const r = S.get(i, k) + b.data[k] - Y.get(i, k);
      R.set(i, k, r);
      loss += (0.5 * r * r) / n;
    }
  const gW = naiveMatmul(R, X, true, false);
  for (let i = 0; i < gW.data.length; i++) gW.data[i] /= n;
  const gb = new Matrix(1, W.rows);
  for (let i = 0; i < n; i++) for (let k = 0; k < W.rows; k++) gb.data[k] += R.get(i, k) / n;
  const a = new Matrix(n, X.cols + 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < X.cols; j++) a.set(i, j, X.get(i, j));
    a.set(i, X.cols, 1);
  }
  return {
    grads: { w: gW, b: gb },
    stats: { kind: "dense", weight: "w", bias: "b", a, g: R, batchSize: n, positions: 1 },
    loss,
  };
}

/** Max |x − y| / max(1, |y|) over two records with the same keys. */
export function maxRelDiff(x: Params, y: Params): number {
  let worst = 0;
  for (const k of Object.keys(y)) {
    const a = x[k].data;
    const b = y[k].data;
    if (a.length !== b.length) return Infinity;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return worst;
}

/** Bit-for-bit equality of two records (NaN payloads included, via the bytes). */
export function bitEqual(x: Params, y: Params): boolean {
  if (Object.keys(x).join() !== Object.keys(y).join()) return false;
  for (const k of Object.keys(x)) {
    const a = new Uint8Array(x[k].data.buffer, x[k].data.byteOffset, x[k].data.byteLength);
    const b = new Uint8Array(y[k].data.buffer, y[k].data.byteOffset, y[k].data.byteLength);
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) return false;
  }
  return true;
}

/** One pass of a network: its gradients and layer statistics (`lossAndGrad` with `stats: true`). */
export interface Pass {
  grads: Params;
  stats: LayerStats[];
}

/**
 * `steps` passes of a float32 MLP `widths[0]`-…-`widths.at(-1)` (ReLU) at its initial parameters (seed 0) on random
 * batches of `batch` examples: a fixed sequence of gradients and statistics for KFAC and EKFAC, independent of the
 * updates. The default 140-130-10 has factors of order 141, 130 and 131 (≥ the background thread's threshold).
 */
export function mlpPasses(
  seed: number,
  steps: number,
  widths: readonly number[] = [140, 130, 10],
  batch = 16,
): { params: Params; passes: Pass[] } {
  const net = mlp(widths[0], widths.slice(1, -1), widths[widths.length - 1], "float32");
  const params = net.init(0);
  const rng = new Rng(seed);
  const passes = Array.from({ length: steps }, () => {
    const x = gaussianMatrix(rng, batch, widths[0]);
    const y = Int32Array.from({ length: batch }, () => rng.int(widths[widths.length - 1]));
    const { grads, stats } = net.lossAndGrad(params, x, y, softmaxCrossEntropy, { stats: true });
    return { grads, stats };
  });
  return { params, passes };
}
