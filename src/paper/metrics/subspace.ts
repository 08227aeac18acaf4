/**
 * Distance between the row space of a learned representation G (d_h×d_X) and the true one, row(G★) with G★ k×d_X
 * having orthonormal rows (docs/models.md): with U an orthonormal basis of row(G) (d_X×d_h, from the thin QR of Gᵀ),
 *   spectral:  d(G, G★) = ‖(I − G★ᵀG★) U‖₂ = sin θ_max, the sine of the largest principal angle;
 *   frobenius: ‖(I − G★ᵀG★) U‖_F = (Σᵢ sin² θᵢ)^{1/2}.
 * The residual (I − G★ᵀG★)U = U − G★ᵀ(G★U) is formed explicitly (not as I − UᵀG★ᵀG★U), so distances near 0 keep
 * full relative precision. When d_h > k (an over-parameterised hidden layer) row(G) cannot fit inside row(G★), so
 * the distance is measured the other way, ‖(I − UUᵀ) G★ᵀ‖: whether row(G) contains row(G★). For d_h = k the two
 * agree (the principal angles are the same from either side). Reference: Golub & Van Loan, Matrix Computations
 * (4th ed.), §6.4.3.
 */
import { Matrix } from "../../linalg/matrix.js";
import { ShapeError } from "../../linalg/errors.js";
import { matmul } from "../../linalg/blas.js";
import { qr } from "../../linalg/qr.js";
import { spectralNorm } from "../../linalg/svd.js";

export interface SubspaceDistanceOptions {
  /** "spectral" (default): sine of the largest principal angle; "frobenius": root of the sum of squared sines. */
  norm?: "spectral" | "frobenius";
}

/** d(G, G★) as defined above. G must have full row rank (its rows span a d_h-dimensional space). */
export function subspaceDistance(G: Matrix, Gstar: Matrix, options: SubspaceDistanceOptions = {}): number {
  if (G.cols !== Gstar.cols) {
    throw new ShapeError(`subspaceDistance: G is ${G.shape()} and G★ is ${Gstar.shape()}; they need equal columns`);
  }
  if (G.rows > G.cols)
    throw new ShapeError(`subspaceDistance: G is ${G.shape()}; need at most as many rows as columns`);
  const U = qr(G.transpose()).Q; // d_X×d_h
  // Residual of projecting the smaller space's orthonormal basis onto the larger one: B − A(AᵀB).
  const [A, B] = G.rows > Gstar.rows ? [U, Gstar.transpose()] : [Gstar.transpose(), U];
  const W = matmul(A, matmul(A, B, { transA: true }));
  for (let t = 0; t < W.data.length; t++) W.data[t] = B.data[t] - W.data[t];
  if ((options.norm ?? "spectral") === "spectral") return Math.min(1, spectralNorm(W));
  let s = 0;
  for (const v of W.data) s += v * v;
  return Math.sqrt(s);
}
