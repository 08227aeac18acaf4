/**
 * The diagonal curvature block (kfac-jax's diagonal blocks): one statistic per parameter entry, for parameters a
 * Kronecker block does not cover (batch-norm scale/shift in KFAC, vectors and 1×n biases in Shampoo). Same verbs
 * as the Kronecker block: fold a batch statistic in, and apply a power of (statistic + damping) entry-wise; there
 * is nothing to refresh.
 */
import { Matrix } from "../../linalg/matrix.js";
import { pow } from "../../linalg/elementary.js";
import { allFinite } from "../transforms/params.js";
import { ema } from "./kronecker-block.js";

export interface DiagonalBlock {
  /** The statistic, same shape as the parameter; null before the first batch. */
  stat: Matrix | null;
  /** Consecutive failed steps. */
  failures: number;
}

/** A block with no statistics yet (applying it leaves the gradient unchanged). */
export function emptyDiagonalBlock(): DiagonalBlock {
  return { stat: null, failures: 0 };
}

/** stat ← decay·stat + weight·batch; a non-finite batch is refused (block unchanged, error returned). */
export function updateDiagonal(
  block: DiagonalBlock,
  batch: Matrix,
  decay: number,
  weight: number,
): { block: DiagonalBlock; error: string | null } {
  if (!allFinite(batch.data)) return { block, error: "the batch statistic has NaN/Inf entries" };
  return { block: { ...block, stat: ema(block.stat, batch, decay, weight) }, error: null };
}

/** M ⊙ (stat + damping)^power entry-wise (a copy of M while there is no statistic). */
export function applyDiagonal(block: DiagonalBlock, M: Matrix, power: number, damping: number): Matrix {
  const out = M.clone();
  const s = block.stat;
  if (!s) return out;
  for (let i = 0; i < out.data.length; i++) out.data[i] *= pow(s.data[i] + damping, power);
  return out;
}
