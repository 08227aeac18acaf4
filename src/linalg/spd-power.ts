/** Real powers of symmetric positive semi-definite matrices, through the eigendecomposition. */
import { Matrix } from "./matrix.js";
import { LinalgError, NotPositiveDefiniteError, SingularMatrixError } from "./errors.js";
import { gram } from "./blas.js";
import { eighCore } from "./eigh.js";
import { pow } from "./elementary.js";

export interface SpdPowerOptions {
  /**
   * Floor for the eigenvalues: each λ is replaced by max(λ, eps) before the power (damping, as in Shampoo's
   * ε-regularised inverse roots). Must be a finite number ≥ 0; 0 (the default) means no floor: negative
   * round-off is clipped to 0, a clearly negative eigenvalue throws, and so does p < 0 with a zero eigenvalue.
   */
  eps?: number;
}

/**
 * Round-off allowance for eigenvalues, in units of n·ε·max|λ| (the eigensolver's backward error is O(n ε ‖A‖); this
 * is a generous constant times that). Without `eps`, an eigenvalue below −ROUNDOFF·n·ε·max|λ| means A is not
 * positive semi-definite, and one within ±ROUNDOFF·n·ε·max|λ| is numerically zero.
 */
const ROUNDOFF = 1000;

/**
 * A^p = V diag(λ_i^p) Vᵀ for symmetric positive semi-definite A = V diag(λ) Vᵀ and real p (p = 1/2: the square
 * root, p = −1: the inverse, p = −1/4: Shampoo's inverse fourth root). With `eps` > 0, each λ_i is first floored at
 * eps. Without it, negative round-off is clipped to 0; a clearly negative eigenvalue throws
 * `NotPositiveDefiniteError`, and p < 0 with a numerically zero eigenvalue throws `SingularMatrixError`.
 * The result is exactly symmetric.
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
  const roundoff = ROUNDOFF * n * Number.EPSILON * lmax;
  const floor = eps ?? 0;
  if (floor === 0 && values[0] < -roundoff) {
    throw new NotPositiveDefiniteError(
      `${op}: A is not positive semi-definite: its smallest eigenvalue is ${values[0]} (largest |λ| ${lmax}); ` +
        `pass options.eps > 0 to floor the eigenvalues`,
    );
  }
  if (floor === 0 && p < 0 && values[0] <= roundoff) {
    throw new SingularMatrixError(
      `${op}: A^${p} needs A positive definite, but its smallest eigenvalue ${values[0]} is zero to working ` +
        `precision (largest ${lmax}); pass options.eps > 0 to floor the eigenvalues`,
    );
  }
  // Every f(λ) = max(λ, floor)^p is ≥ 0, so A^p = V diag(f) Vᵀ = YᵀY with Y = diag(√f) Vᵀ: a Gram matrix (SYRK,
  // half the work of a general product).
  const y = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const lambda = Math.max(values[k], floor);
    const r = Math.sqrt(p === 1 ? lambda : pow(lambda, p));
    for (let j = 0; j < n; j++) y[k * n + j] = r * vt[k * n + j];
  }
  const R = gram(new Matrix(n, n, y));
  // gram is symmetric by construction; enforce it bit for bit whatever path it took.
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
