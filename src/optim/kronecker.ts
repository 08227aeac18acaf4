/**
 * Kronecker-factored (layer-wise) preconditioning of one weight matrix's gradient with factors given explicitly:
 * the update direction Δ = (A + λ_A I)⁻¹ ∇ (B + λ_B I)⁻¹ for a d_out×d_in gradient ∇ with a left (output-side,
 * d_out×d_out) factor A and a right (input-side, d_in×d_in) factor B. With A = E[g gᵀ] (output gradients) and
 * B = E[a aᵀ] (inputs) this is KFAC's block (Martens & Grosse 2015): (B ⊗ A)⁻¹ vec(∇) = vec(A⁻¹ ∇ B⁻¹).
 *
 * It runs through the same Kronecker curvature block as the `kfac` optimizer (curvature/kronecker-block.ts): the
 * batch factors are folded into an empty block (no moving average), refreshed with per-side damped inverses, and
 * applied two-sided. The paper's experiments use it with their own factors (FᵀF and Σ̂ₓ for the linear network's
 * equation 5, Σ̂ₓ for the single-index step), so the paper's KFAC and the library's KFAC are one code path.
 */
import type { Matrix } from "../linalg/matrix.js";
import { NonFiniteError, ShapeError } from "../linalg/errors.js";
import {
  applyTwoSided,
  emptyKroneckerBlock,
  sideDampedInverses,
  updateStatistics,
} from "./curvature/kronecker-block.js";

export interface KroneckerFactors {
  /** Left factor A (d_out×d_out, symmetric positive semi-definite); omitted: the identity. */
  left?: Matrix;
  /** Right factor B (d_in×d_in, symmetric positive semi-definite); omitted: the identity. */
  right?: Matrix;
  /** λ_A ≥ 0 added to A's diagonal (default 0). */
  leftDamping?: number;
  /** λ_B ≥ 0 added to B's diagonal (default 0). */
  rightDamping?: number;
}

/**
 * Δ = (A + λ_A I)⁻¹ ∇ (B + λ_B I)⁻¹ (a new matrix). Throws `NotPositiveDefiniteError` when a damped factor is
 * singular and `NonFiniteError` when a factor has NaN/Inf entries (the paper's experiments count both as divergence).
 */
export function kroneckerPrecondition(grad: Matrix, factors: KroneckerFactors): Matrix {
  const { left, right, leftDamping = 0, rightDamping = 0 } = factors;
  const check = (side: string, F: Matrix | undefined, n: number): void => {
    if (F && (F.rows !== n || F.cols !== n)) {
      throw new ShapeError(
        `kroneckerPrecondition: ${side} factor is ${F.shape()}, need ${n}×${n} for ∇ ${grad.shape()}`,
      );
    }
  };
  check("left", left, grad.rows);
  check("right", right, grad.cols);
  // decay 0, weight 1: the block's statistics are the caller's factors themselves, values unchanged.
  const asBatch = (F: Matrix | undefined) => (F ? { batch: F, scale: 1 } : null);
  const { block, error } = updateStatistics(emptyKroneckerBlock(), asBatch(left), asBatch(right), 0, 1);
  if (error !== null) throw new NonFiniteError(`kroneckerPrecondition: ${error}`);
  // The rule is called directly (not through `refresh`) so a singular factor's LinalgError reaches the caller.
  const caches = sideDampedInverses(leftDamping, rightDamping)(block);
  return applyTwoSided({ ...block, leftCache: caches.leftCache, rightCache: caches.rightCache }, grad);
}
