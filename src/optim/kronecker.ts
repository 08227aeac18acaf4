/**
 * Kronecker-factored (layer-wise) preconditioning of one weight matrix's gradient: the update direction
 * Δ = (A + λ_A I)⁻¹ ∇ (B + λ_B I)⁻¹ for a d_out×d_in gradient ∇ with a left (output-side, d_out×d_out) factor A and
 * a right (input-side, d_in×d_in) factor B. With A = E[g gᵀ] (output gradients) and B = E[a aᵀ] (inputs) this is
 * KFAC's block (Martens & Grosse 2015): (B ⊗ A)⁻¹ vec(∇) = vec(A⁻¹ ∇ B⁻¹). The factors are passed explicitly, so
 * the caller decides where they come from (batch statistics, moving averages, the paper's FᵀF and Σ̂ₓ).
 */
import { Matrix } from "../linalg/matrix.js";
import { ShapeError } from "../linalg/errors.js";
import { solveSPD } from "../linalg/cholesky.js";

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

/** A + λI as a new matrix. */
export function addRidge(A: Matrix, lambda: number): Matrix {
  if (!(lambda >= 0) || !Number.isFinite(lambda))
    throw new RangeError(`damping must be a finite number ≥ 0, got ${lambda}`);
  const out = A.clone();
  if (lambda > 0) for (let i = 0; i < A.rows; i++) out.data[i * A.cols + i] += lambda;
  return out;
}

/**
 * Δ = (A + λ_A I)⁻¹ ∇ (B + λ_B I)⁻¹, each side by a Cholesky solve (the right side as B⁻¹∇ᵀ, transposed back,
 * since B is symmetric). Throws `NotPositiveDefiniteError` when a damped factor is singular.
 */
export function kroneckerPrecondition(grad: Matrix, factors: KroneckerFactors): Matrix {
  const { left, right, leftDamping = 0, rightDamping = 0 } = factors;
  let out = grad;
  if (left) {
    if (left.rows !== grad.rows || left.cols !== grad.rows) {
      throw new ShapeError(
        `kroneckerPrecondition: left factor is ${left.shape()}, need ${grad.rows}×${grad.rows} for ∇ ${grad.shape()}`,
      );
    }
    out = solveSPD(addRidge(left, leftDamping), out);
  }
  if (right) {
    if (right.rows !== grad.cols || right.cols !== grad.cols) {
      throw new ShapeError(
        `kroneckerPrecondition: right factor is ${right.shape()}, need ${grad.cols}×${grad.cols} for ∇ ${grad.shape()}`,
      );
    }
    out = solveSPD(addRidge(right, rightDamping), out.transpose()).transpose();
  }
  return out === grad ? grad.clone() : out;
}
