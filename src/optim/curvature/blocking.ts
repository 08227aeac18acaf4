/**
 * The one place that maps a network's layers and parameters to curvature blocks (kfac-jax does this once, in its
 * estimator), for every curvature method:
 * - KFAC and EKFAC follow the layer statistics the network reports (`coveredDiagonally`): a dense or conv layer's
 *   [W | b] is one Kronecker block, a batch-norm layer's scale and shift get diagonal blocks;
 * - Shampoo and SOAP follow the parameters' shapes (`parameterCoverage`): a matrix gets Kronecker blocks over its
 *   tiles, anything else a diagonal block (Shampoo) or none (SOAP sends it to AdamW).
 * Blocking of large matrices (Anil et al. 2020, §4; Distributed Shampoo's max_preconditioner_dim): a dimension
 * above the maximum is cut into consecutive chunks of `max` (the last one shorter), and each (row chunk, column
 * chunk) pair gets its own Kronecker block, so no factor exceeds max×max.
 * KFAC and EKFAC block a layer's factors instead (`chunkSizes`): a side wider than the maximum gets a
 * block-diagonal factor, whose blocks are the diagonal blocks of the dense factor (the statistics' cross-terms
 * between chunks are dropped), stored packed (`packDiagonalBlocks`) and applied block by block.
 */
import { Matrix } from "../../linalg/matrix.js";
import { ShapeError } from "../../linalg/errors.js";
import type { ProductInto } from "../../nn/dtype.js";
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
 * How a shape-driven method (Shampoo, SOAP) covers a parameter: a matrix gets Kronecker blocks over its tiles of
 * at most maxDim per side; vectors and 1×n or n×1 matrices get `vectors` (Shampoo: a diagonal block; SOAP: none,
 * they go to AdamW).
 */
export function parameterCoverage(p: Matrix, rule: { maxDim: number; vectors: "diagonal" | "none" }): Coverage {
  if (!isMatrixShaped(p)) return { kind: rule.vectors };
  return { kind: "kronecker", tiles: tiles(p.rows, p.cols, rule.maxDim) };
}

/** Whether a layer's statistics call for diagonal blocks (batch-norm's scale and shift) rather than one Kronecker block. */
export function coveredDiagonally(stats: LayerStats): stats is DiagonalStats {
  return stats.kind === "batchNorm";
}

/**
 * The sizes of the diagonal blocks of an n-wide factor with blocks of at most `max`: ⌈n/max⌉ blocks as equal as
 * possible (sizes differ by at most 1; for a given count, equal sizes minimise the refresh's Σb³ and the apply's
 * Σb²). [n] when n ≤ max.
 */
export function chunkSizes(n: number, max: number): number[] {
  const count = Math.ceil(n / max);
  const base = Math.floor(n / count);
  const longer = n - base * count;
  return Array.from({ length: count }, (_, k) => (k < longer ? base + 1 : base));
}

/**
 * A block-diagonal factor with diagonal blocks D₁, …, D_q stored packed: the blocks row-major one after the
 * other, as a 1×Σb² matrix (one block: the b×b matrix itself, so an unblocked factor is stored as before).
 */
export function packDiagonalBlocks(blocks: readonly Matrix[]): Matrix {
  if (blocks.length === 1) return blocks[0];
  const out = new Matrix(
    1,
    blocks.reduce((n, B) => n + B.data.length, 0),
  );
  let offset = 0;
  for (const B of blocks) {
    out.data.set(B.data, offset);
    offset += B.data.length;
  }
  return out;
}

/** The diagonal blocks of a packed factor (see `packDiagonalBlocks`), as b×b views of its storage. */
export function diagonalBlocks(F: Matrix, sizes: readonly number[]): Matrix[] {
  const stored = sizes.reduce((n, b) => n + b * b, 0);
  if (F.data.length !== stored) {
    // E.g. a state saved under another maxPreconditionerDim.
    throw new ShapeError(
      `a factor stored as ${F.shape()} does not hold diagonal blocks of sizes ${sizes.join(", ")} (${stored} entries)`,
    );
  }
  if (sizes.length === 1) return [F];
  let offset = 0;
  return sizes.map((b) => {
    const view = new Matrix(b, b, F.data.subarray(offset, offset + b * b));
    offset += b * b;
    return view;
  });
}

/** Rows [start, start + count) of M as a view (row-major rows are contiguous). */
function rowsView(M: Matrix, start: number, count: number): Matrix {
  if (start === 0 && count === M.rows) return M;
  return new Matrix(count, M.cols, M.data.subarray(start * M.cols, (start + count) * M.cols));
}

/**
 * out ← op(D)·M for a packed block-diagonal D (`sizes` over M's rows; op(D) = Dᵀ with `trans`), block by block:
 * rows of chunk k are op(D_k) times M's rows of chunk k. Returns out.
 */
export function blockDiagonalLeft(
  out: Matrix,
  D: Matrix,
  sizes: readonly number[],
  M: Matrix,
  trans: boolean,
  product: ProductInto,
): Matrix {
  const blocks = diagonalBlocks(D, sizes);
  let start = 0;
  blocks.forEach((Dk, k) => {
    product(rowsView(out, start, sizes[k]), Dk, rowsView(M, start, sizes[k]), { transA: trans });
    start += sizes[k];
  });
  return out;
}

/**
 * out ← M·op(D) for a packed block-diagonal D (`sizes` over M's columns; op(D) = Dᵀ with `trans`), block by
 * block: columns of chunk k are M's columns of chunk k times op(D_k). Returns out.
 */
export function blockDiagonalRight(
  out: Matrix,
  M: Matrix,
  D: Matrix,
  sizes: readonly number[],
  trans: boolean,
  product: ProductInto,
): Matrix {
  if (sizes.length === 1) return product(out, M, D, { transB: trans });
  const blocks = diagonalBlocks(D, sizes);
  let col0 = 0;
  blocks.forEach((Dk, k) => {
    const tile = { row0: 0, rows: M.rows, col0, cols: sizes[k] };
    writeTile(out, tile, product(new Matrix(M.rows, sizes[k]), readTile(M, tile), Dk, { transB: trans }));
    col0 += sizes[k];
  });
  return out;
}
