/** Real powers of symmetric positive semi-definite matrices, through the eigendecomposition. */
import { Matrix } from "./matrix.js";
import { LinalgError, NotPositiveDefiniteError, SingularMatrixError } from "./errors.js";
import { matmul } from "./blas.js";
import { eighCore } from "./eigh.js";

export interface SpdPowerOptions {
  /**
   * Floor for the eigenvalues: each λ is replaced by max(λ, eps) before the power (damping, as in Shampoo's
   * ε-regularised inverse roots). Must be a finite number ≥ 0. Default: no floor — negative round-off is clipped
   * to 0, and a clearly negative eigenvalue throws.
   */
  eps?: number;
}

/**
 * Without `eps`, an eigenvalue below −NEGATIVE_ROUNDOFF·n·ε·max|λ| means A is not positive semi-definite (the
 * eigensolver's backward error is O(n ε ‖A‖); this allows a generous constant times that).
 */
const NEGATIVE_ROUNDOFF = 1000;

/**
 * A^p = V diag(λ_i^p) Vᵀ for symmetric positive semi-definite A = V diag(λ) Vᵀ and real p (p = 1/2: the square
 * root, p = −1: the inverse, p = −1/4: Shampoo's inverse fourth root). With `eps`, λ_i is first floored at eps.
 * Throws `NotPositiveDefiniteError` if A has a clearly negative eigenvalue (and no eps), and
 * `SingularMatrixError` if p < 0 and an eigenvalue is 0 after flooring. The result is exactly symmetric.
 * Reference: Higham, Functions of Matrices (SIAM 2008), §1.2 (definition via the spectral decomposition).
 */
export function spdPower(A: Matrix, p: number, options: SpdPowerOptions = {}): Matrix {
  const op = "spdPower";
  if (!Number.isFinite(p)) throw new LinalgError(`${op}: the exponent p must be a finite number, got ${p}`);
  const { eps } = options;
  if (eps !== undefined && !(Number.isFinite(eps) && eps >= 0)) {
    throw new LinalgError(`${op}: options.eps must be a finite number ≥ 0, got ${eps}`);
  }
  const { values, vt } = eighCore(op, A);
  const n = A.rows;
  if (n === 0) return new Matrix(0, 0);
  const lmax = Math.max(Math.abs(values[0]), Math.abs(values[n - 1]));
  if (eps === undefined && values[0] < -NEGATIVE_ROUNDOFF * n * Number.EPSILON * lmax) {
    throw new NotPositiveDefiniteError(
      `${op}: A is not positive semi-definite: its smallest eigenvalue is ${values[0]} (largest |λ| ${lmax}); ` +
        `pass options.eps to floor the eigenvalues`,
    );
  }
  const floor = eps ?? 0;
  // W = diag(f(λ)) Vᵀ, then A^p = V W = (Vᵀ)ᵀ W.
  const w = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const lambda = Math.max(values[k], floor);
    if (p < 0 && lambda === 0) {
      throw new SingularMatrixError(
        `${op}: A^${p} needs A positive definite, but eigenvalue ${k} is ${values[k]}` +
          (eps === undefined ? "; pass options.eps > 0 to floor the eigenvalues" : ` (eps = ${eps})`),
      );
    }
    const f = p === 1 ? lambda : lambda ** p;
    for (let j = 0; j < n; j++) w[k * n + j] = f * vt[k * n + j];
  }
  const R = matmul(new Matrix(n, n, vt), new Matrix(n, n, w), { transA: true });
  const r = R.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (r[i * n + j] + r[j * n + i]);
      r[i * n + j] = s;
      r[j * n + i] = s;
    }
  }
  return R;
}
