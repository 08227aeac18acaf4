/**
 * The full curvature block (kfac-jax's full blocks): one dense curvature matrix C over a group of parameters
 * flattened into one vector, for groups small enough to invert exactly. Same verbs as the Kronecker block: fold a
 * batch's matrix in (C ← decay·C + weight·C_batch), refresh the cached damped inverse (C + λI)⁻¹, and apply it to
 * the flattened gradient. The linear network's damped Gauss–Newton / natural-gradient baseline (Benzing 2022) is
 * this block over all of (F, G).
 */
import { Matrix } from "../../linalg/matrix.js";
import { matmul } from "../../linalg/blas.js";
import { solveSPD } from "../../linalg/cholesky.js";
import { ShapeError } from "../../linalg/errors.js";
import { addRidge, ema } from "./kronecker-block.js";
import { allFinite } from "../transforms/params.js";

export interface FullBlock {
  /** The curvature statistic C (p×p for p parameters); null before the first batch. */
  stat: Matrix | null;
  /** The cached (C + λI)⁻¹; null until the first refresh (then applying is the identity). */
  cache: Matrix | null;
}

/** A block with no statistics yet. */
export function emptyFullBlock(): FullBlock {
  return { stat: null, cache: null };
}

/** C ← decay·C + weight·C_batch; a non-finite batch matrix is refused (block unchanged, error returned). */
export function updateFull(
  block: FullBlock,
  batch: Matrix,
  decay: number,
  weight: number,
): { block: FullBlock; error: string | null } {
  if (!allFinite(batch.data)) return { block, error: "the batch curvature matrix has NaN/Inf entries" };
  return { block: { ...block, stat: ema(block.stat, batch, decay, weight) }, error: null };
}

/**
 * Caches (C + λI)⁻¹ by a Cholesky solve against the identity. Throws `NotPositiveDefiniteError` when the damped
 * matrix is not positive definite (for example λ = 0 on a curvature matrix with a null space).
 */
export function refreshFull(block: FullBlock, damping: number): FullBlock {
  if (!block.stat) throw new ShapeError("refreshFull: the block has no statistics yet");
  return { ...block, cache: solveSPD(addRidge(block.stat, damping), Matrix.identity(block.stat.rows)) };
}

/** (C + λI)⁻¹ v for a flattened gradient v (length p); v itself (copied) before the first refresh. */
export function applyFull(block: FullBlock, v: Float64Array): Float64Array {
  if (!block.cache) return v.slice();
  if (v.length !== block.cache.rows) {
    throw new ShapeError(`applyFull: gradient has ${v.length} entries, the block covers ${block.cache.rows}`);
  }
  return matmul(block.cache, new Matrix(v.length, 1, v)).data;
}
