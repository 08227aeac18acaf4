/** Singular value decomposition: Householder bidiagonalisation, then Golub–Kahan implicit-shift QR. */
import { Matrix } from "./matrix.js";
import { ConvergenceError } from "./errors.js";
import { powerOfTwoScale } from "./exponent-scale.js";
import { requireFinite } from "./validate.js";

export interface SVDResult {
  /** m×r, orthonormal columns (left singular vectors), r = min(m, n). */
  U: Matrix;
  /** The r singular values, descending, ≥ 0. */
  S: Float64Array;
  /** n×r, orthonormal columns (right singular vectors). */
  V: Matrix;
}

/** QR sweeps allowed per singular value before giving up. */
const MAX_ITER_PER_VALUE = 75;

/**
 * Thin SVD A = U diag(S) Vᵀ, S descending. Golub–Kahan: Householder reduction to upper bidiagonal form, then the
 * implicit-shift QR iteration on the bidiagonal (LINPACK dsvdc, as in JAMA), working directly on A — never on AᵀA —
 * so every singular value carries an absolute error O(ε·σ_max), small ones included.
 * Reference: Golub & Van Loan, Matrix Computations (4th ed.), §8.6; Golub & Kahan, SIAM J. Numer. Anal. 2 (1965).
 */
export function svd(A: Matrix): SVDResult {
  requireFinite("svd", "A", A);
  const m = A.rows;
  const n = A.cols;
  // The iteration needs rows ≥ cols; for a wide A decompose Aᵀ = V S Uᵀ and swap.
  const wide = m < n;
  const { s, ut, vt } = svdTall("svd", wide ? A.data.slice() : A.transpose().data, wide ? n : m, wide ? m : n, true);
  const rows = wide ? n : m;
  const cols = wide ? m : n;
  const left = new Matrix(cols, rows, ut).transpose();
  const right = new Matrix(cols, cols, vt).transpose();
  return wide ? { U: right, S: s, V: left } : { U: left, S: s, V: right };
}

/** The largest singular value σ_max(A) = ‖A‖₂ (computed from the singular values alone; 0 for an empty matrix). */
export function spectralNorm(A: Matrix): number {
  requireFinite("spectralNorm", "A", A);
  if (A.rows === 0 || A.cols === 0) return 0;
  const wide = A.rows < A.cols;
  const { s } = svdTall(
    "spectralNorm",
    wide ? A.data.slice() : A.transpose().data,
    wide ? A.cols : A.rows,
    wide ? A.rows : A.cols,
    false,
  );
  return s[0];
}

/**
 * SVD of a tall m×n matrix (m ≥ n) given column-major in `a` (overwritten). Returns the n singular values
 * (descending) and, when `vectors`, the left vectors as rows of `ut` (n×m) and the right ones as rows of `vt`
 * (n×n). Column-major storage makes every Householder update and every plane rotation run over contiguous memory.
 */
export function svdTall(
  op: string,
  a: Float64Array,
  m: number,
  n: number,
  vectors: boolean,
): { s: Float64Array; ut: Float64Array; vt: Float64Array } {
  const s = new Float64Array(n);
  const e = new Float64Array(n);
  const work = new Float64Array(m);
  const ut = new Float64Array(vectors ? n * m : 0);
  const vt = new Float64Array(vectors ? n * n : 0);
  if (n === 0) return { s, ut, vt };
  // Work on A / 2^k with max|A / 2^k| ≈ 1, so the recurrences neither underflow nor overflow.
  const scale = powerOfTwoScale(a);
  if (scale !== 1) for (let i = 0; i < a.length; i++) a[i] /= scale;
  const A = (i: number, j: number): number => j * m + i; // column-major index of A[i][j]
  const nct = Math.min(m - 1, n);
  const nrt = Math.max(0, Math.min(n - 2, m));

  // Bidiagonalisation: diagonal in s, superdiagonal in e.
  for (let k = 0; k < Math.max(nct, nrt); k++) {
    const ck = k * m;
    if (k < nct) {
      // Column reflector: zeros A[k+1:, k], puts the diagonal into s[k].
      let nrm = columnNorm(a, ck + k, ck + m);
      if (nrm !== 0) {
        if (a[ck + k] < 0) nrm = -nrm;
        for (let i = k; i < m; i++) a[ck + i] /= nrm;
        a[ck + k] += 1;
      }
      s[k] = -nrm;
    }
    for (let j = k + 1; j < n; j++) {
      const cj = j * m;
      if (k < nct && s[k] !== 0) {
        let t = 0;
        for (let i = k; i < m; i++) t += a[ck + i] * a[cj + i];
        t = -t / a[ck + k];
        for (let i = k; i < m; i++) a[cj + i] += t * a[ck + i];
      }
      e[j] = a[cj + k]; // row k, for the row reflector below
    }
    if (vectors && k < nct) for (let i = k; i < m; i++) ut[k * m + i] = a[ck + i];
    if (k < nrt) {
      // Row reflector: zeros A[k, k+2:], puts the superdiagonal into e[k].
      let nrm = columnNorm(e, k + 1, n);
      if (nrm !== 0) {
        if (e[k + 1] < 0) nrm = -nrm;
        for (let i = k + 1; i < n; i++) e[i] /= nrm;
        e[k + 1] += 1;
      }
      e[k] = -nrm;
      if (k + 1 < m && e[k] !== 0) {
        for (let i = k + 1; i < m; i++) work[i] = 0;
        for (let j = k + 1; j < n; j++) {
          const cj = j * m;
          const ej = e[j];
          for (let i = k + 1; i < m; i++) work[i] += ej * a[cj + i];
        }
        for (let j = k + 1; j < n; j++) {
          const cj = j * m;
          const t = -e[j] / e[k + 1];
          for (let i = k + 1; i < m; i++) a[cj + i] += t * work[i];
        }
      }
      if (vectors) for (let i = k + 1; i < n; i++) vt[k * n + i] = e[i];
    }
  }

  // The final bidiagonal of order p = n (m ≥ n).
  let p = n;
  if (nct < n) s[nct] = a[A(nct, nct)];
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = a[A(nrt, p - 1)];
  e[p - 1] = 0;

  if (vectors) {
    // U = H_0 ⋯ H_{nct−1} I[:, :n], accumulated backwards (rows of ut are columns of U).
    for (let j = nct; j < n; j++) {
      ut.fill(0, j * m, (j + 1) * m);
      ut[j * m + j] = 1;
    }
    for (let k = nct - 1; k >= 0; k--) {
      const uk = k * m;
      if (s[k] !== 0) {
        for (let j = k + 1; j < n; j++) {
          const uj = j * m;
          let t = 0;
          for (let i = k; i < m; i++) t += ut[uk + i] * ut[uj + i];
          t = -t / ut[uk + k];
          for (let i = k; i < m; i++) ut[uj + i] += t * ut[uk + i];
        }
        for (let i = k; i < m; i++) ut[uk + i] = -ut[uk + i];
        ut[uk + k] += 1;
        for (let i = 0; i < k; i++) ut[uk + i] = 0;
      } else {
        ut.fill(0, uk, uk + m);
        ut[uk + k] = 1;
      }
    }
    // V = G_0 ⋯ G_{nrt−1} I (rows of vt are columns of V).
    for (let k = n - 1; k >= 0; k--) {
      const vk = k * n;
      if (k < nrt && e[k] !== 0) {
        for (let j = k + 1; j < n; j++) {
          const vj = j * n;
          let t = 0;
          for (let i = k + 1; i < n; i++) t += vt[vk + i] * vt[vj + i];
          t = -t / vt[vk + k + 1];
          for (let i = k + 1; i < n; i++) vt[vj + i] += t * vt[vk + i];
        }
      }
      vt.fill(0, vk, vk + n);
      vt[vk + k] = 1;
    }
  }

  // Implicit-shift QR on the bidiagonal.
  const pp = p - 1;
  let iter = 0;
  const eps = Number.EPSILON;
  const tiny = 2 ** -966;
  while (p > 0) {
    if (iter > MAX_ITER_PER_VALUE) {
      throw new ConvergenceError(
        `${op}: the bidiagonal QR iteration did not converge for singular value ${p - 1} within ${MAX_ITER_PER_VALUE} sweeps`,
      );
    }
    // Find the block: kase 1 = s[p−1] negligible, 2 = s[k] negligible, 3 = QR step, 4 = e[p−2] negligible.
    let k: number;
    for (k = p - 2; k >= 0; k--) {
      if (Math.abs(e[k]) <= tiny + eps * (Math.abs(s[k]) + Math.abs(s[k + 1]))) {
        e[k] = 0;
        break;
      }
    }
    let kase: number;
    if (k === p - 2) {
      kase = 4;
    } else {
      let ks: number;
      for (ks = p - 1; ks > k; ks--) {
        const t = (ks !== p ? Math.abs(e[ks]) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]) : 0);
        if (Math.abs(s[ks]) <= tiny + eps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) {
        kase = 3;
      } else if (ks === p - 1) {
        kase = 1;
      } else {
        kase = 2;
        k = ks;
      }
    }
    k++;

    if (kase === 1) {
      // Deflate a negligible s[p−1]: rotations from the right chase e[p−2] out.
      let f = e[p - 2];
      e[p - 2] = 0;
      for (let j = p - 2; j >= k; j--) {
        const t = Math.hypot(s[j], f);
        const cs = s[j] / t;
        const sn = f / t;
        s[j] = t;
        if (j !== k) {
          f = -sn * e[j - 1];
          e[j - 1] = cs * e[j - 1];
        }
        if (vectors) rotate(vt, j * n, (p - 1) * n, n, cs, sn);
      }
    } else if (kase === 2) {
      // Split at a negligible s[k−1]: rotations from the left chase e[k−1] out.
      let f = e[k - 1];
      e[k - 1] = 0;
      for (let j = k; j < p; j++) {
        const t = Math.hypot(s[j], f);
        const cs = s[j] / t;
        const sn = f / t;
        s[j] = t;
        f = -sn * e[j];
        e[j] = cs * e[j];
        if (vectors) rotate(ut, j * m, (k - 1) * m, m, cs, sn);
      }
    } else if (kase === 3) {
      // One QR sweep with the shift from the trailing 2×2 of BᵀB (Wilkinson).
      const scale = Math.max(
        Math.abs(s[p - 1]),
        Math.abs(s[p - 2]),
        Math.abs(e[p - 2]),
        Math.abs(s[k]),
        Math.abs(e[k]),
      );
      const sp = s[p - 1] / scale;
      const spm1 = s[p - 2] / scale;
      const epm1 = e[p - 2] / scale;
      const sk = s[k] / scale;
      const ek = e[k] / scale;
      const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
      const c = sp * epm1 * (sp * epm1);
      let shift = 0;
      if (b !== 0 || c !== 0) {
        shift = Math.sqrt(b * b + c);
        if (b < 0) shift = -shift;
        shift = c / (b + shift);
      }
      let f = (sk + sp) * (sk - sp) + shift;
      let g = sk * ek;
      for (let j = k; j < p - 1; j++) {
        let t = Math.hypot(f, g);
        let cs = f / t;
        let sn = g / t;
        if (j !== k) e[j - 1] = t;
        f = cs * s[j] + sn * e[j];
        e[j] = cs * e[j] - sn * s[j];
        g = sn * s[j + 1];
        s[j + 1] = cs * s[j + 1];
        if (vectors) rotate(vt, j * n, (j + 1) * n, n, cs, sn);
        t = Math.hypot(f, g);
        cs = f / t;
        sn = g / t;
        s[j] = t;
        f = cs * e[j] + sn * s[j + 1];
        s[j + 1] = -sn * e[j] + cs * s[j + 1];
        g = sn * e[j + 1];
        e[j + 1] = cs * e[j + 1];
        if (vectors && j < m - 1) rotate(ut, j * m, (j + 1) * m, m, cs, sn);
      }
      e[p - 2] = f;
      iter++;
    } else {
      // Converged s[k]: make it non-negative and move it into descending order.
      if (s[k] <= 0) {
        s[k] = s[k] < 0 ? -s[k] : 0;
        if (vectors) for (let i = 0; i <= pp; i++) vt[k * n + i] = -vt[k * n + i];
      }
      while (k < pp && s[k] < s[k + 1]) {
        const t = s[k];
        s[k] = s[k + 1];
        s[k + 1] = t;
        if (vectors) {
          swapRows(vt, k * n, (k + 1) * n, n);
          swapRows(ut, k * m, (k + 1) * m, m);
        }
        k++;
      }
      iter = 0;
      p--;
    }
  }
  if (scale !== 1) for (let i = 0; i < n; i++) s[i] *= scale;
  return { s, ut, vt };
}

/** ‖x[from…to−1]‖₂ without overflow or underflow (scaled sum of squares, as LAPACK dnrm2). */
function columnNorm(x: Float64Array, from: number, to: number): number {
  let big = 0;
  for (let i = from; i < to; i++) big = Math.max(big, Math.abs(x[i]));
  if (big === 0) return 0;
  const r = 1 / big;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const y = x[i] * r;
    sum += y * y;
  }
  return big * Math.sqrt(sum);
}

/** (x, y) ← (c x + s y, −s x + c y) on two contiguous rows of length len. */
function rotate(w: Float64Array, xOff: number, yOff: number, len: number, c: number, s: number): void {
  for (let i = 0; i < len; i++) {
    const x = w[xOff + i];
    const y = w[yOff + i];
    w[xOff + i] = c * x + s * y;
    w[yOff + i] = c * y - s * x;
  }
}

function swapRows(w: Float64Array, xOff: number, yOff: number, len: number): void {
  for (let i = 0; i < len; i++) {
    const t = w[xOff + i];
    w[xOff + i] = w[yOff + i];
    w[yOff + i] = t;
  }
}
