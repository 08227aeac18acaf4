/** Symmetric eigendecomposition: Householder tridiagonalisation, then implicit QL with Wilkinson shifts. */
import { Matrix } from "./matrix.js";
import { ConvergenceError } from "./errors.js";
import { powerOfTwoScale } from "./exponent-scale.js";
import { requireFinite, requireSquare, requireSymmetric } from "./validate.js";

export interface EighResult {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** Orthonormal eigenvectors as columns: A · vectors[:, i] = values[i] · vectors[:, i]. */
  vectors: Matrix;
}

/** Iterations allowed per eigenvalue before giving up (LAPACK dsteqr allows 30 per eigenvalue in total). */
const MAX_ITER_PER_VALUE = 60;

/**
 * Eigendecomposition A = V Λ Vᵀ of a real symmetric matrix: eigenvalues ascending, V orthogonal.
 * A must be symmetric to `SYMMETRY_TOLERANCE`·max|A| (else `NotSymmetricError`); it is symmetrised as (A + Aᵀ)/2.
 * Algorithm: Householder reduction to tridiagonal form (EISPACK tred2) and the implicit QL iteration with
 * Wilkinson's shift (EISPACK tql2), as in JAMA; backward stable, ‖A V − V Λ‖ = O(n ε ‖A‖).
 * References: Golub & Van Loan, Matrix Computations (4th ed.), §8.3; Bowdler, Martin, Reinsch & Wilkinson,
 * "The QR and QL algorithms for symmetric matrices", Numer. Math. 11 (1968).
 */
export function eigh(A: Matrix): EighResult {
  const { values, vt } = eighCore("eigh", A);
  const n = A.rows;
  return { values, vectors: new Matrix(n, n, vt).transpose() };
}

/**
 * Validates A and returns its eigenvalues (ascending) and eigenvectors as the rows of `vt` (row-major Vᵀ), the
 * layout both stages work in: each Householder update and each plane rotation touches contiguous rows.
 */
export function eighCore(op: string, A: Matrix): { values: Float64Array; vt: Float64Array } {
  requireSquare(op, "A", A);
  requireFinite(op, "A", A);
  requireSymmetric(op, "A", A);
  const n = A.rows;
  // v[c·n + r] holds entry (r, c) of the working matrix (column-major), which for symmetric A is A itself.
  const v = new Float64Array(n * n);
  const a = A.data;
  // Work on A / 2^k with max|A / 2^k| ≈ 1, so the recurrences neither underflow nor overflow.
  const scale = powerOfTwoScale(a);
  const inv = 1 / scale;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) v[i * n + j] = 0.5 * inv * (a[i * n + j] + a[j * n + i]);
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n > 0) {
    tridiagonalize(v, d, e, n);
    tridiagonalQL(op, v, d, e, n);
    for (let i = 0; i < n; i++) d[i] *= scale;
  }
  return { values: d, vt: v };
}

/**
 * EISPACK tred2: reduces the symmetric matrix in v (column-major, lower triangle used) to tridiagonal form T = Qᵀ A Q
 * with diagonal d and subdiagonal e[1…n−1], and overwrites v with Q (column-major).
 */
function tridiagonalize(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  const at = (r: number, c: number): number => c * n + r;
  for (let j = 0; j < n; j++) d[j] = v[at(n - 1, j)];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
        v[at(j, i)] = 0;
      }
    } else {
      // Householder vector for row i (scaled to avoid under/overflow).
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // p = A u / h (in e), using the lower triangle: column j contributes down its contiguous part.
      for (let j = 0; j < i; j++) {
        f = d[j];
        v[at(j, i)] = f;
        const cj = j * n;
        g = e[j] + v[cj + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += v[cj + k] * d[k];
          e[k] += v[cj + k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      // Symmetric rank-2 update A ← A − u qᵀ − q uᵀ on the lower triangle.
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        const cj = j * n;
        for (let k = j; k <= i - 1; k++) v[cj + k] -= f * e[k] + g * d[k];
        d[j] = v[at(i - 1, j)];
        v[at(i, j)] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations into Q.
  for (let i = 0; i < n - 1; i++) {
    v[at(n - 1, i)] = v[at(i, i)];
    v[at(i, i)] = 1;
    const h = d[i + 1];
    const ci1 = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[ci1 + k] / h;
      for (let j = 0; j <= i; j++) {
        const cj = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[ci1 + k] * v[cj + k];
        for (let k = 0; k <= i; k++) v[cj + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) v[ci1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[at(n - 1, j)];
    v[at(n - 1, j)] = 0;
  }
  v[at(n - 1, n - 1)] = 1;
  e[0] = 0;
}

/**
 * EISPACK tql2: diagonalises the tridiagonal (d, e[1…n−1]) by implicit QL steps with Wilkinson's shift,
 * accumulating the rotations into the columns of v (column-major, so each rotation mixes two contiguous rows of
 * the array), then sorts ascending. Deflates when |e_l| ≤ ε·max_l(|d_l| + |e_l|).
 */
function tridiagonalQL(op: string, v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = Number.EPSILON;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > MAX_ITER_PER_VALUE) {
          throw new ConvergenceError(
            `${op}: the tridiagonal QL iteration did not converge for eigenvalue ${l} within ${MAX_ITER_PER_VALUE} steps`,
          );
        }
        // Shift: the eigenvalue of the leading 2×2 block closest to d[l].
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        // Implicit QL sweep from m−1 up to l.
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          rotateRows(v, i * n, (i + 1) * n, n, c, s);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  // Selection sort, ascending, moving eigenvector rows along.
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++) {
      if (d[j] < p) {
        k = j;
        p = d[j];
      }
    }
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      for (let j = 0; j < n; j++) {
        const t = v[i * n + j];
        v[i * n + j] = v[k * n + j];
        v[k * n + j] = t;
      }
    }
  }
}

/** Plane rotation of two rows: (x, y) ← (c x − s y, s x + c y), x = v[xOff…], y = v[yOff…], length n. */
function rotateRows(v: Float64Array, xOff: number, yOff: number, n: number, c: number, s: number): void {
  for (let k = 0; k < n; k++) {
    const x = v[xOff + k];
    const y = v[yOff + k];
    v[yOff + k] = s * x + c * y;
    v[xOff + k] = c * x - s * y;
  }
}
