/**
 * The paper's stylised alternating scheme (docs/models.md, the paper's equation 5) for the two-layer linear network
 * f(x) = F G x, and alternating minimisation–descent (Collins et al. 2021) built from the same two half-steps:
 *
 *   G₊ = G − η_G · P_G⁻¹ · ∇_G L̂(F, G) · (Q_G + λ_G I)⁻¹          (representation step)
 *   F₊ = F − η_F · ∇_F L̂(F, G₊) · Q_F⁻¹                              (head step, with the new G₊)
 *
 * P_G ∈ {I, FᵀF}, Q_G ∈ {I, Σ̂ₓ}, Q_F ∈ {I, Σ̂_z} with Σ̂ₓ = XᵀX/n and Σ̂_z = ZᵀZ/n, Z = X G₊ᵀ. SGD is P = Q = I,
 * λ = 0; one-sided preconditioning is P_G = I, Q_G = Σ̂ₓ; two-sided KFAC is P_G = FᵀF, Q_G = Σ̂ₓ (for this linear
 * model exactly the Gauss–Newton block of G, Σ̂ₓ ⊗ FᵀF). Each half-step may see its own batch (sample splitting).
 */
import { Matrix } from "../../linalg/matrix.js";
import { gram, matmul } from "../../linalg/blas.js";
import { qr } from "../../linalg/qr.js";
import { linearNetGradients } from "./linear-net.js";
import { ridge } from "../metrics/regression.js";
import { kroneckerPrecondition } from "../../optim/kronecker.js";

/** A batch of samples as rows. */
export interface Batch {
  X: Matrix;
  Y: Matrix;
}

export interface RepresentationStepOptions {
  /** η_G. */
  eta: number;
  /** P_G: the identity (SGD, one-sided) or the backward factor FᵀF (two-sided KFAC). */
  left: "identity" | "backward";
  /** Q_G: the identity (SGD) or the input covariance Σ̂ₓ of the batch (one-sided, KFAC). */
  right: "identity" | "input";
  /** λ_G ≥ 0 added to Q_G = Σ̂ₓ (unused when Q_G = I). */
  damping: number;
}

/** Σ̂ = AᵀA/n for a batch A with n rows (samples). */
export function secondMoment(A: Matrix): Matrix {
  const S = gram(A);
  const inv = 1 / A.rows;
  for (let t = 0; t < S.data.length; t++) S.data[t] *= inv;
  return S;
}

/** G₊ = G − η_G P_G⁻¹ ∇_G L̂(F, G) (Q_G + λ_G I)⁻¹ on `batch`. Returns G₊ and L̂(F, G) on the batch. */
export function representationStep(
  G: Matrix,
  F: Matrix,
  batch: Batch,
  options: RepresentationStepOptions,
): { G: Matrix; loss: number } {
  const { dG, loss } = linearNetGradients({ G, F }, batch.X, batch.Y);
  const direction = kroneckerPrecondition(dG, {
    left: options.left === "backward" ? gram(F) : undefined,
    right: options.right === "input" ? secondMoment(batch.X) : undefined,
    rightDamping: options.damping,
  });
  const next = G.clone();
  for (let t = 0; t < next.data.length; t++) next.data[t] -= options.eta * direction.data[t];
  return { G: next, loss };
}

/**
 * F₊ = F − η_F ∇_F L̂(F, G) Q_F⁻¹ on `batch`, with ∇_F L̂ = F Σ̂_z − Σ̂_yz and Q_F = Σ̂_z (`right: "hidden"`) or I.
 * With η_F = 1 and Q_F = Σ̂_z this is the least-squares head Σ̂_yz Σ̂_z⁻¹ (docs/models.md).
 */
export function headStep(
  G: Matrix,
  F: Matrix,
  batch: Batch,
  options: { eta: number; right: "identity" | "hidden" },
): Matrix {
  const { dF, Z } = linearNetGradients({ G, F }, batch.X, batch.Y);
  const direction = kroneckerPrecondition(dF, { right: options.right === "hidden" ? secondMoment(Z) : undefined });
  const next = F.clone();
  for (let t = 0; t < next.data.length; t++) next.data[t] -= options.eta * direction.data[t];
  return next;
}

/** One step of equation 5: the representation step on `batchG`, then the head step (with G₊) on `batchF`. */
export function alternatingStep(
  params: { G: Matrix; F: Matrix },
  batchG: Batch,
  batchF: Batch,
  options: RepresentationStepOptions & { etaF: number; headRight: "identity" | "hidden" },
): { G: Matrix; F: Matrix } {
  const { G } = representationStep(params.G, params.F, batchG, options);
  const F = headStep(G, params.F, batchF, { eta: options.etaF, right: options.headRight });
  return { G, F };
}

/** The least-squares head F = argmin ‖Y − Z Fᵀ‖_F² for Z = X Gᵀ: Fᵀ = (ZᵀZ)⁻¹ZᵀY. */
export function leastSquaresHead(G: Matrix, batch: Batch): Matrix {
  return ridge(matmul(batch.X, G, { transB: true }), batch.Y, 0).transpose();
}

/**
 * Re-orthonormalises G's rows without changing the network's function: with the thin QR factorisation Gᵀ = QR,
 * G ← Qᵀ and F ← F Rᵀ, so F G = F Rᵀ Qᵀ is unchanged and row(G) is kept.
 */
export function orthonormalizeRows(params: { G: Matrix; F: Matrix }): { G: Matrix; F: Matrix } {
  const { Q, R } = qr(params.G.transpose());
  return { G: Q.transpose(), F: matmul(params.F, R, { transB: true }) };
}

/**
 * Alternating minimisation–descent (FedRep, Collins et al. 2021): the least-squares head on `batchHead`, then a
 * gradient step on G with that head on `batchG`, G₊ = G − η_G ∇_G L̂(F, G), then (optionally) QR
 * re-orthonormalisation of G₊'s rows (with the head rotated to match, see `orthonormalizeRows`).
 */
export function amdStep(
  params: { G: Matrix; F: Matrix },
  batchHead: Batch,
  batchG: Batch,
  options: { eta: number; orthonormalize: boolean },
): { G: Matrix; F: Matrix } {
  const F = leastSquaresHead(params.G, batchHead);
  const { G } = representationStep(params.G, F, batchG, {
    eta: options.eta,
    left: "identity",
    right: "identity",
    damping: 0,
  });
  return options.orthonormalize ? orthonormalizeRows({ G, F }) : { G, F };
}
