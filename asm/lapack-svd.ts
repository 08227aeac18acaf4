// Singular value decomposition of a tall matrix (m ≥ n): Householder bidiagonalisation and the Golub–Kahan
// implicit-shift QR iteration (LINPACK dsvdc, after JAMA). A is held column-major so reflections run along
// contiguous columns; U and V are held transposed (their columns are contiguous rows), and the QR rotations are
// recorded and applied strip by strip (lapack-vec.ts: rotPush / rotFlush).
import {
  NEGLIGIBLE,
  at,
  axpy,
  div,
  dot,
  ld,
  nrm2,
  rotationListBytes,
  rotFlush,
  rotInit,
  rotPush,
  scal,
  st,
  swap,
} from "./lapack-vec";

/** QR sweeps allowed per singular value before giving up. */
const MAX_ITER_PER_VALUE: i32 = 75;

/** sqrt(a² + b²) without destructive underflow or overflow. */
function hypot(a: f64, b: f64): f64 {
  a = abs(a);
  b = abs(b);
  const big = max(a, b);
  if (big == 0) return 0;
  const small = min(a, b) / big;
  return big * sqrt(1 + small * small);
}

/** x[i] = 0, i < n. */
function fill0(px: usize, n: i32): void {
  memory.fill(px, 0, (<usize>n) << 3);
}

/** Bytes of workspace `dgesvd` needs for an m×n matrix with rotation lists of `capacity` entries each. */
export function dgesvdWorkBytes(m: i32, n: i32, capacity: i32): i32 {
  return 8 * (m + 2 * n) + 2 * rotationListBytes(capacity) + 64;
}

/**
 * Thin SVD of the m×n matrix (m ≥ n ≥ 1) held column-major at pA (overwritten): singular values descending into pS
 * (n f64); when `vectors` ≠ 0, left singular vectors into the rows of pUt (n×m, row k = column k of U) and right
 * ones into the rows of pVt (n×n). pWork: `dgesvdWorkBytes(m, n, capacity)` bytes. Returns −1, or the index of a
 * singular value whose iteration did not converge.
 */
export function dgesvd(
  m: i32,
  n: i32,
  pA: usize,
  pS: usize,
  pUt: usize,
  pVt: usize,
  vectors: i32,
  pWork: usize,
  capacity: i32,
): i32 {
  const pE = pWork;
  const pW = pE + ((<usize>n) << 3);
  const pSign = pW + ((<usize>m) << 3);
  const pLU = pSign + ((<usize>n) << 3);
  const pLV = pLU + <usize>rotationListBytes(capacity);
  const want = vectors != 0;
  const nct = min(m - 1, n);
  const nrt = max(0, min(n - 2, m));

  // Bidiagonalisation: diagonal in s, superdiagonal in e.
  for (let k = 0; k < max(nct, nrt); k++) {
    const ck = at(pA, k, 0, m);
    if (k < nct) {
      const pk = ck + ((<usize>k) << 3);
      let nrm = nrm2(pk, m - k);
      if (nrm <= NEGLIGIBLE) {
        fill0(pk, m - k);
        nrm = 0;
      } else {
        if (ld(ck, k) < 0) nrm = -nrm;
        div(m - k, nrm, pk);
        st(ck, k, ld(ck, k) + 1);
      }
      st(pS, k, -nrm);
    }
    for (let j = k + 1; j < n; j++) {
      const cj = at(pA, j, 0, m);
      if (k < nct && ld(pS, k) != 0) {
        const o = (<usize>k) << 3;
        const t = -dot(ck + o, cj + o, m - k) / ld(ck, k);
        axpy(m - k, t, ck + o, cj + o);
      }
      st(pE, j, ld(cj, k));
    }
    if (want && k < nct) {
      const uk = at(pUt, k, 0, m);
      for (let i = k; i < m; i++) st(uk, i, ld(ck, i));
    }
    if (k < nrt) {
      const pk1 = pE + ((<usize>(k + 1)) << 3);
      let nrm = nrm2(pk1, n - k - 1);
      if (nrm <= NEGLIGIBLE) {
        fill0(pk1, n - k - 1);
        nrm = 0;
      } else {
        if (ld(pE, k + 1) < 0) nrm = -nrm;
        div(n - k - 1, nrm, pk1);
        st(pE, k + 1, ld(pE, k + 1) + 1);
      }
      st(pE, k, -nrm);
      if (k + 1 < m && nrm != 0) {
        const o = (<usize>(k + 1)) << 3;
        const len = m - k - 1;
        for (let i = k + 1; i < m; i++) st(pW, i, 0);
        for (let j = k + 1; j < n; j++) axpy(len, ld(pE, j), at(pA, j, 0, m) + o, pW + o);
        const ek1 = ld(pE, k + 1);
        for (let j = k + 1; j < n; j++) axpy(len, -ld(pE, j) / ek1, pW + o, at(pA, j, 0, m) + o);
      }
      if (want) {
        const vk = at(pVt, k, 0, n);
        for (let i = k + 1; i < n; i++) st(vk, i, ld(pE, i));
      }
    }
  }

  // The final bidiagonal, of order p = n (m ≥ n).
  let p = n;
  if (nct < n) st(pS, nct, ld(at(pA, nct, 0, m), nct));
  if (nrt + 1 < p) st(pE, nrt, ld(at(pA, p - 1, 0, m), nrt));
  st(pE, p - 1, 0);

  if (want) {
    // U = H_0 ⋯ H_{nct−1} I[:, :n], accumulated backwards (rows of Ut are columns of U).
    for (let j = nct; j < n; j++) {
      const uj = at(pUt, j, 0, m);
      for (let i = 0; i < m; i++) st(uj, i, 0);
      st(uj, j, 1);
    }
    for (let k = nct - 1; k >= 0; k--) {
      const uk = at(pUt, k, 0, m);
      if (ld(pS, k) != 0) {
        const o = (<usize>k) << 3;
        for (let j = k + 1; j < n; j++) {
          const uj = at(pUt, j, 0, m);
          const t = -dot(uk + o, uj + o, m - k) / ld(uk, k);
          axpy(m - k, t, uk + o, uj + o);
        }
        scal(m - k, -1, uk + o);
        st(uk, k, ld(uk, k) + 1);
        for (let i = 0; i < k; i++) st(uk, i, 0);
      } else {
        for (let i = 0; i < m; i++) st(uk, i, 0);
        st(uk, k, 1);
      }
    }
    // V = G_0 ⋯ G_{nrt−1} I (rows of Vt are columns of V).
    for (let k = n - 1; k >= 0; k--) {
      const vk = at(pVt, k, 0, n);
      if (k < nrt && ld(pE, k) != 0) {
        const o = (<usize>(k + 1)) << 3;
        for (let j = k + 1; j < n; j++) {
          const vj = at(pVt, j, 0, n);
          const t = -dot(vk + o, vj + o, n - k - 1) / ld(vk, k + 1);
          axpy(n - k - 1, t, vk + o, vj + o);
        }
      }
      for (let i = 0; i < n; i++) st(vk, i, 0);
      st(vk, k, 1);
    }
    rotInit(pLU, capacity, pUt, m);
    rotInit(pLV, capacity, pVt, n);
  }
  for (let i = 0; i < n; i++) st(pSign, i, 1);

  // Implicit-shift QR on the bidiagonal. Rotations (c, s) of dsvdc map (x, y) to (c x + s y, c y − s x): recorded
  // as (c, −s) in the list's convention.
  let iter = 0;
  const eps = f64.EPSILON;
  const tiny = reinterpret<f64>((<u64>(1023 - 966)) << 52); // 2^−966
  // Each pass either deflates (kases 1, 2, 4) or counts as a sweep (kase 3); the total bound only guards against a
  // loop that makes no progress (which finite input should never produce).
  let passes = 0;
  while (p > 0) {
    if (iter > MAX_ITER_PER_VALUE || ++passes > (MAX_ITER_PER_VALUE + 3) * n) return p - 1;
    // kase 1: s[p−1] negligible; 2: s[k] negligible; 3: QR step on [k, p); 4: e[p−2] negligible (converged).
    let k: i32;
    for (k = p - 2; k >= 0; k--) {
      if (abs(ld(pE, k)) <= tiny + eps * (abs(ld(pS, k)) + abs(ld(pS, k + 1)))) {
        st(pE, k, 0);
        break;
      }
    }
    let kase: i32;
    if (k == p - 2) {
      kase = 4;
    } else {
      let ks: i32;
      for (ks = p - 1; ks > k; ks--) {
        const t = (ks != p ? abs(ld(pE, ks)) : 0) + (ks != k + 1 ? abs(ld(pE, ks - 1)) : 0);
        if (abs(ld(pS, ks)) <= tiny + eps * t) {
          st(pS, ks, 0);
          break;
        }
      }
      if (ks == k) {
        kase = 3;
      } else if (ks == p - 1) {
        kase = 1;
      } else {
        kase = 2;
        k = ks;
      }
    }
    k++;

    if (kase == 1) {
      let f = ld(pE, p - 2);
      st(pE, p - 2, 0);
      for (let j = p - 2; j >= k; j--) {
        const t = hypot(ld(pS, j), f);
        const cs = ld(pS, j) / t;
        const sn = f / t;
        st(pS, j, t);
        if (j != k) {
          f = -sn * ld(pE, j - 1);
          st(pE, j - 1, cs * ld(pE, j - 1));
        }
        if (want) rotPush(pLV, j, p - 1, cs, -sn);
      }
    } else if (kase == 2) {
      let f = ld(pE, k - 1);
      st(pE, k - 1, 0);
      for (let j = k; j < p; j++) {
        const t = hypot(ld(pS, j), f);
        const cs = ld(pS, j) / t;
        const sn = f / t;
        st(pS, j, t);
        f = -sn * ld(pE, j);
        st(pE, j, cs * ld(pE, j));
        if (want) rotPush(pLU, j, k - 1, cs, -sn);
      }
    } else if (kase == 3) {
      // Shift from the trailing 2×2 of BᵀB (Wilkinson).
      const scale = max(
        max(max(abs(ld(pS, p - 1)), abs(ld(pS, p - 2))), abs(ld(pE, p - 2))),
        max(abs(ld(pS, k)), abs(ld(pE, k))),
      );
      const sp = ld(pS, p - 1) / scale;
      const spm1 = ld(pS, p - 2) / scale;
      const epm1 = ld(pE, p - 2) / scale;
      const sk = ld(pS, k) / scale;
      const ek = ld(pE, k) / scale;
      const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
      const c = sp * epm1 * (sp * epm1);
      let shift: f64 = 0;
      if (b != 0 || c != 0) {
        shift = sqrt(b * b + c);
        if (b < 0) shift = -shift;
        shift = c / (b + shift);
      }
      let f = (sk + sp) * (sk - sp) + shift;
      let g = sk * ek;
      for (let j = k; j < p - 1; j++) {
        let t = hypot(f, g);
        let cs = f / t;
        let sn = g / t;
        if (j != k) st(pE, j - 1, t);
        const sj = ld(pS, j);
        const ej = ld(pE, j);
        f = cs * sj + sn * ej;
        st(pE, j, cs * ej - sn * sj);
        g = sn * ld(pS, j + 1);
        st(pS, j + 1, cs * ld(pS, j + 1));
        if (want) rotPush(pLV, j, j + 1, cs, -sn);
        t = hypot(f, g);
        cs = f / t;
        sn = g / t;
        st(pS, j, t);
        const ej2 = ld(pE, j);
        const sj1 = ld(pS, j + 1);
        f = cs * ej2 + sn * sj1;
        st(pS, j + 1, -sn * ej2 + cs * sj1);
        g = sn * ld(pE, j + 1);
        st(pE, j + 1, cs * ld(pE, j + 1));
        if (want && j < m - 1) rotPush(pLU, j, j + 1, cs, -sn);
      }
      st(pE, p - 2, f);
      iter++;
    } else {
      // s[k] converged: make it non-negative (the sign moves to row k of Vt once the rotations are applied).
      if (ld(pS, k) < 0) {
        st(pS, k, -ld(pS, k));
        st(pSign, k, -1);
      } else if (ld(pS, k) == 0) {
        st(pS, k, 0); // not −0
      }
      iter = 0;
      p--;
    }
  }
  if (want) {
    rotFlush(pLU);
    rotFlush(pLV);
    for (let k = 0; k < n; k++) if (ld(pSign, k) < 0) scal(n, -1, at(pVt, k, 0, n));
  }
  // Selection sort, descending, moving singular vector rows along.
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let best = ld(pS, i);
    for (let j = i + 1; j < n; j++) {
      if (ld(pS, j) > best) {
        k = j;
        best = ld(pS, j);
      }
    }
    if (k != i) {
      st(pS, k, ld(pS, i));
      st(pS, i, best);
      if (want) {
        swap(m, at(pUt, i, 0, m), at(pUt, k, 0, m));
        swap(n, at(pVt, i, 0, n), at(pVt, k, 0, n));
      }
    }
  }
  return -1;
}
