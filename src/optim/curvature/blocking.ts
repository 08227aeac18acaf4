/**
 * Blocking of large weight matrices (Anil et al. 2020, §4; Distributed Shampoo's max_preconditioner_dim): a
 * dimension above the maximum is cut into consecutive chunks of `max` (the last one shorter), and each
 * (row chunk, column chunk) pair gets its own Kronecker block, so no factor exceeds max×max.
 */
import { Matrix } from "../../linalg/matrix.js";

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
