/** Thin QR factorisation by Householder reflections. */
import { Matrix } from "./matrix.js";
import { requireFinite } from "./validate.js";

export interface QRResult {
  /** m×r with orthonormal columns, r = min(m, n). */
  Q: Matrix;
  /** r×n upper triangular (upper trapezoidal when n > m). */
  R: Matrix;
}

/**
 * Thin QR: A = Q R with Q m×r orthonormal columns and R r×n upper triangular, r = min(m, n), computed with
 * Householder reflections H_k = I − τ_k v_k v_kᵀ (LAPACK dgeqr2 + dorg2r; diagonal of R may be negative).
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), Alg. 5.2.1.
 */
export function qr(A: Matrix): QRResult {
  requireFinite("qr", "A", A);
  const m = A.rows;
  const n = A.cols;
  const r = Math.min(m, n);
  // Work on Aᵀ (row-major), so column j of A is the contiguous slice at[j·m …]: reflections run along rows.
  const at = A.transpose().data;
  const nref = Math.min(m - 1, n);
  const tau = new Float64Array(Math.max(nref, 0));
  for (let k = 0; k < nref; k++) {
    const ck = k * m;
    const alpha = at[ck + k];
    let xnorm = 0;
    for (let i = k + 1; i < m; i++) xnorm = Math.hypot(xnorm, at[ck + i]);
    if (xnorm === 0) continue; // H_k = I (τ = 0)
    const beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
    tau[k] = (beta - alpha) / beta;
    const sc = 1 / (alpha - beta);
    for (let i = k + 1; i < m; i++) at[ck + i] *= sc;
    at[ck + k] = beta;
    for (let j = k + 1; j < n; j++) applyReflector(at, ck, at, j * m, k, m, tau[k]);
  }
  const R = new Matrix(r, n);
  for (let i = 0; i < r; i++) for (let j = i; j < n; j++) R.data[i * n + j] = at[j * m + i];
  // Q = H_0 ⋯ H_{nref−1} I[:, :r], accumulated backwards; qt holds Qᵀ (column j of Q contiguous).
  const qt = new Float64Array(r * m);
  for (let j = 0; j < r; j++) qt[j * m + j] = 1;
  for (let k = nref - 1; k >= 0; k--) {
    if (tau[k] === 0) continue;
    for (let j = k; j < r; j++) applyReflector(at, k * m, qt, j * m, k, m, tau[k]);
  }
  return { Q: new Matrix(r, m, qt).transpose(), R };
}

/** x ← (I − τ v vᵀ) x on entries k…m−1 of x = w[xOff …], where v = (1, v[vOff+k+1 …vOff+m−1]). */
function applyReflector(
  v: Float64Array,
  vOff: number,
  w: Float64Array,
  xOff: number,
  k: number,
  m: number,
  tau: number,
): void {
  let s = w[xOff + k];
  for (let i = k + 1; i < m; i++) s += v[vOff + i] * w[xOff + i];
  s *= tau;
  w[xOff + k] -= s;
  for (let i = k + 1; i < m; i++) w[xOff + i] -= s * v[vOff + i];
}
