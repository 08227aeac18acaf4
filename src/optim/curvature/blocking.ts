/**
 * The one place that maps a network's layers and parameters to curvature blocks (kfac-jax does this once, in its
 * estimator), for every curvature method:
 * - KFAC and EKFAC follow the layer statistics the network reports (`coveredDiagonally`): a dense or conv layer's
 *   [W | b] is one Kronecker block, a batch-norm layer's scale and shift get diagonal blocks;
 * - Shampoo and SOAP follow the parameters' shapes (`parameterCoverage`): a matrix gets Kronecker blocks, anything
 *   else a diagonal block (Shampoo) or none (SOAP sends it to AdamW).
 * Blocking of large matrices (Anil et al. 2020, §4; Distributed Shampoo's max_preconditioner_dim): a dimension
 * above the maximum is cut into consecutive chunks of `max` (the last one shorter), and each (row chunk, column
 * chunk) pair gets its own Kronecker block, so no factor exceeds max×max.
 */
import { Matrix } from "../../linalg/matrix.js";
import type { DiagonalStats, LayerStats } from "../../nn/types.js";
import { isMatrixShaped } from "../transforms/params.js";

export interface Tile {
  row0: number;
  rows: number;
  col0: number;
  cols: number;
}

/** [start, length) chunks of [0, n) of at most `max` each. */
function chunks(n: number, max: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += max) out.push([s, Math.min(max, n - s)]);
  return out;
}

/** The tiles of a rows×cols matrix, row-major over the tile grid. */
export function tiles(rows: number, cols: number, max: number): Tile[] {
  const out: Tile[] = [];
  for (const [row0, r] of chunks(rows, max))
    for (const [col0, c] of chunks(cols, max)) out.push({ row0, rows: r, col0, cols: c });
  return out;
}

/** The tile's entries of M as a new matrix (M itself when the tile is all of it). */
export function readTile(M: Matrix, t: Tile): Matrix {
  if (t.rows === M.rows && t.cols === M.cols) return M;
  const out = new Matrix(t.rows, t.cols);
  for (let i = 0; i < t.rows; i++) {
    const src = (t.row0 + i) * M.cols + t.col0;
    out.data.set(M.data.subarray(src, src + t.cols), i * t.cols);
  }
  return out;
}

/** Writes X into the tile's entries of M. */
export function writeTile(M: Matrix, t: Tile, X: Matrix): void {
  for (let i = 0; i < t.rows; i++)
    M.data.set(X.data.subarray(i * t.cols, (i + 1) * t.cols), (t.row0 + i) * M.cols + t.col0);
}

/** What covers one parameter: Kronecker blocks over these tiles, a diagonal block, or no block. */
export type Coverage = { kind: "kronecker"; tiles: Tile[] } | { kind: "diagonal" } | { kind: "none" };

/**
 * How a shape-driven method covers a parameter. `oversized: "tile"` blocks a matrix into tiles of at most
 * maxDim (Shampoo); `"one-sided"` keeps one block when at least one side fits, the other side staying the identity,
 * and none otherwise (SOAP). Vectors and 1×n or n×1 matrices get `vectors`.
 */
export function parameterCoverage(
  p: Matrix,
  rule: { maxDim: number; oversized: "tile" | "one-sided"; vectors: "diagonal" | "none" },
): Coverage {
  if (!isMatrixShaped(p)) return { kind: rule.vectors };
  if (rule.oversized === "tile") return { kind: "kronecker", tiles: tiles(p.rows, p.cols, rule.maxDim) };
  if (p.rows <= rule.maxDim || p.cols <= rule.maxDim)
    return { kind: "kronecker", tiles: tiles(p.rows, p.cols, Infinity) };
  return { kind: "none" };
}

/** Whether a layer's statistics call for diagonal blocks (batch-norm's scale and shift) rather than one Kronecker block. */
export function coveredDiagonally(stats: LayerStats): stats is DiagonalStats {
  return stats.kind === "batchNorm";
}
