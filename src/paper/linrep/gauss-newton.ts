/**
 * Damped full Gauss–Newton (natural-gradient) steps for the two-layer linear network f(x) = F G x, over all
 * parameters θ = (vec F, vec G) jointly, solved exactly (Benzing 2022 calls this the natural gradient the KFAC
 * family approximates). vec is row-major: F_ab ↦ a·d_h + b, then G_cd ↦ d_Y·d_h + c·d_X + d.
 *
 * For L̂ = (1/(2n)) Σᵢ ‖yᵢ − F G xᵢ‖² the Gauss–Newton matrix is JᵀJ/n with J the Jacobian of the n·d_Y outputs,
 * and has the closed-form blocks (z = G x; Σ̂ₓ = XᵀX/n, Σ̂_z = ZᵀZ/n, Σ̂_zx = ZᵀX/n = G Σ̂ₓ)
 *   FF: I_{d_Y} ⊗ Σ̂_z           [(a,b),(a',b')] = δ_aa' Σ̂_z[b,b']
 *   GG: FᵀF ⊗ Σ̂ₓ                [(c,d),(c',d')] = (FᵀF)[c,c'] Σ̂ₓ[d,d']   (Σ̂ₓ ⊗ FᵀF in column-major vec)
 *   FG: [(a,b),(c',d')] = F[a,c'] Σ̂_zx[b,d'].
 * It has a d_h²-dimensional null space (the symmetry (F, G) → (FA, A⁻¹G)), so the step must be damped:
 * θ₊ = θ − η (JᵀJ/n + λI)⁻¹ ∇_θ L̂, applied through a full curvature block (curvature/full-block.ts).
 */
import { Matrix } from "../../linalg/matrix.js";
import { matmul } from "../../linalg/blas.js";
import { NonFiniteError } from "../../linalg/errors.js";
import { linearNetGradients } from "./linear-net.js";
import { secondMoment, type Batch } from "./alternating.js";
import { applyFull, emptyFullBlock, refreshFull, updateFull } from "../../optim/curvature/full-block.js";

/** The (d_Y·d_h + d_h·d_X)-square Gauss–Newton matrix JᵀJ/n of the batch X, from the blocks above. */
export function twoLayerGaussNewton(G: Matrix, F: Matrix, X: Matrix): Matrix {
  const dH = G.rows;
  const dX = G.cols;
  const dY = F.rows;
  const nF = dY * dH;
  const N = nF + dH * dX;
  const Sxx = secondMoment(X);
  const Z = matmul(X, G, { transB: true });
  const Szz = secondMoment(Z);
  const Szx = matmul(G, Sxx);
  const FtF = matmul(F, F, { transA: true });
  const M = new Matrix(N, N);
  const m = M.data;
  for (let a = 0; a < dY; a++)
    for (let b = 0; b < dH; b++)
      for (let b2 = 0; b2 < dH; b2++) m[(a * dH + b) * N + a * dH + b2] = Szz.data[b * dH + b2];
  for (let c = 0; c < dH; c++)
    for (let d = 0; d < dX; d++) {
      const row = (nF + c * dX + d) * N + nF;
      for (let c2 = 0; c2 < dH; c2++) {
        const f = FtF.data[c * dH + c2];
        for (let d2 = 0; d2 < dX; d2++) m[row + c2 * dX + d2] = f * Sxx.data[d * dX + d2];
      }
    }
  for (let a = 0; a < dY; a++)
    for (let b = 0; b < dH; b++) {
      const i = a * dH + b;
      for (let c2 = 0; c2 < dH; c2++) {
        const f = F.data[a * dH + c2];
        for (let d2 = 0; d2 < dX; d2++) {
          const j = nF + c2 * dX + d2;
          m[i * N + j] = m[j * N + i] = f * Szx.data[b * dX + d2];
        }
      }
    }
  return M;
}

/** Refuses a step size or damping that is not a finite number > 0. */
function checkPositive(field: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v))
    throw new RangeError(`gaussNewtonStep: ${field} must be a finite number > 0, got ${v}`);
}

/** One damped Gauss–Newton step on `batch`: θ₊ = θ − η (JᵀJ/n + λI)⁻¹ ∇_θ L̂. Returns the new F, G and L̂(θ). */
export function gaussNewtonStep(
  params: { G: Matrix; F: Matrix },
  batch: Batch,
  options: { eta: number; damping: number },
): { G: Matrix; F: Matrix; loss: number } {
  checkPositive("eta", options.eta);
  // The symmetry null space makes the undamped matrix singular; rounding can hide that from Cholesky.
  checkPositive("damping", options.damping);
  const { G, F } = params;
  const { dG, dF, loss } = linearNetGradients({ G, F }, batch.X, batch.Y);
  // One full curvature block over θ = (vec F, vec G), refreshed from this batch alone (no moving average).
  const { block, error } = updateFull(emptyFullBlock(), twoLayerGaussNewton(G, F, batch.X), 0, 1);
  if (error !== null) throw new NonFiniteError(`gaussNewtonStep: ${error}`);
  const grad = new Float64Array(dF.data.length + dG.data.length);
  grad.set(dF.data, 0);
  grad.set(dG.data, dF.data.length);
  const delta = applyFull(refreshFull(block, options.damping), grad);
  const Fn = F.clone();
  const Gn = G.clone();
  for (let t = 0; t < Fn.data.length; t++) Fn.data[t] -= options.eta * delta[t];
  const off = Fn.data.length;
  for (let t = 0; t < Gn.data.length; t++) Gn.data[t] -= options.eta * delta[off + t];
  return { G: Gn, F: Fn, loss };
}
