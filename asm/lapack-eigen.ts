// Symmetric eigendecomposition: Householder tridiagonalisation (EISPACK tred2) and the implicit QL iteration with
// Wilkinson's shift (EISPACK tql2), after JAMA. The matrix is held column-major (for a symmetric input that is the
// same memory), so every inner loop runs over contiguous memory; the QL rotations are recorded and applied to the
// eigenvector matrix strip by strip (lapack-vec.ts: rotPush / rotFlush).
import { dgemm } from "./blas";
import { at, axpy, dot, ld, rotationListBytes, rotFlush, rotInit, rotPush, st, swap } from "./lapack-vec";

/** QL iterations allowed per eigenvalue before giving up (LAPACK dsteqr allows 30 per eigenvalue in total). */
const MAX_ITER_PER_VALUE: i32 = 60;

/** Σ col[k]·d[k] over k < len, while e[k] += f·col[k] (the two halves of a symmetric matrix-vector product). */
export function dotAxpy(len: i32, pCol: usize, pD: usize, pE: usize, f: f64): f64 {
  const vf = f64x2.splat(f);
  let acc = f64x2.splat(0);
  let k = 0;
  for (; k + 2 <= len; k += 2) {
    const o = (<usize>k) << 3;
    const c = v128.load(pCol + o);
    acc = f64x2.add(acc, f64x2.mul(c, v128.load(pD + o)));
    v128.store(pE + o, f64x2.add(v128.load(pE + o), f64x2.mul(vf, c)));
  }
  let g = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; k < len; k++) {
    const c = ld(pCol, k);
    g += c * ld(pD, k);
    st(pE, k, ld(pE, k) + f * c);
  }
  return g;
}

/** col[k] −= f·e[k] + g·d[k], k < len (the symmetric rank-2 update of one column). */
function rank2(len: i32, pCol: usize, f: f64, pE: usize, g: f64, pD: usize): void {
  const vf = f64x2.splat(f);
  const vg = f64x2.splat(g);
  let k = 0;
  for (; k + 2 <= len; k += 2) {
    const o = (<usize>k) << 3;
    const u = f64x2.add(f64x2.mul(vf, v128.load(pE + o)), f64x2.mul(vg, v128.load(pD + o)));
    v128.store(pCol + o, f64x2.sub(v128.load(pCol + o), u));
  }
  for (; k < len; k++) st(pCol, k, ld(pCol, k) - (f * ld(pE, k) + g * ld(pD, k)));
}

/**
 * Householder reduction of the symmetric n×n matrix at pV (column-major; lower triangle used) to tridiagonal form
 * T = Qᵀ A Q: diagonal into d, subdiagonal into e[1…n−1]; pV is overwritten by Q (column-major). pAcc: scratch of
 * `accumulateBytes(n)` bytes.
 */
function tred2(n: i32, pV: usize, pD: usize, pE: usize, pAcc: usize): void {
  for (let j = 0; j < n; j++) st(pD, j, ld(at(pV, j, n - 1, n), 0));
  for (let i = n - 1; i > 0; i--) {
    let scale: f64 = 0;
    let h: f64 = 0;
    for (let k = 0; k < i; k++) scale += abs(ld(pD, k));
    if (scale == 0) {
      st(pE, i, ld(pD, i - 1));
      for (let j = 0; j < i; j++) {
        st(pD, j, ld(at(pV, j, i - 1, n), 0));
        st(at(pV, j, i, n), 0, 0);
        st(at(pV, i, j, n), 0, 0);
      }
    } else {
      for (let k = 0; k < i; k++) {
        const dk = ld(pD, k) / scale;
        st(pD, k, dk);
        h += dk * dk;
      }
      let f = ld(pD, i - 1);
      let g = sqrt(h);
      if (f > 0) g = -g;
      st(pE, i, scale * g);
      h -= f * g;
      st(pD, i - 1, f - g);
      for (let j = 0; j < i; j++) st(pE, j, 0);
      for (let j = 0; j < i; j++) {
        f = ld(pD, j);
        st(at(pV, i, j, n), 0, f);
        const cj = at(pV, j, 0, n);
        g = ld(pE, j) + ld(cj, j) * f;
        const o = (<usize>(j + 1)) << 3;
        g += dotAxpy(i - 1 - j, cj + o, pD + o, pE + o, f);
        st(pE, j, g);
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        const ej = ld(pE, j) / h;
        st(pE, j, ej);
        f += ej * ld(pD, j);
      }
      const hh = f / (h + h);
      axpy(i, -hh, pD, pE);
      for (let j = 0; j < i; j++) {
        f = ld(pD, j);
        g = ld(pE, j);
        const cj = at(pV, j, 0, n);
        const o = (<usize>j) << 3;
        rank2(i - j, cj + o, f, pE + o, g, pD + o);
        st(pD, j, ld(cj, i - 1));
        st(cj, i, 0);
      }
    }
    st(pD, i, h);
  }
  accumulate(n, pV, pD, pAcc);
  st(pE, 0, 0);
}

/** Reflectors per block when accumulating Q (the block's product is applied with three GEMMs). */
const NBQ: i32 = 32;

/** Bytes of scratch `accumulate` needs for order n. */
function accumulateBytes(n: i32): i32 {
  return 8 * n * n + applyReflectorsBytes(n);
}

/**
 * Forms Q = H_{n−1} ⋯ H_1 from the reflectors tred2 left in pV (h_s in d[s]) and overwrites pV with Q
 * (column-major); d receives the diagonal of the tridiagonal matrix (left on pV's diagonal).
 */
function accumulate(n: i32, pV: usize, pD: usize, pAcc: usize): void {
  const pU = pAcc; // n×n copy of the reflectors (row s = u_s)
  memory.copy(pU, pV, (<usize>(n * n)) << 3);
  // Q starts as I (row j of the array = column j of Q).
  for (let j = 0; j < n; j++) {
    const q = at(pV, j, 0, n);
    for (let k = 0; k < n; k++) st(q, k, 0);
    st(q, j, 1);
  }
  applyReflectors(n, pU, pD, pV, 0, pAcc + ((<usize>(n * n)) << 3));
  for (let j = 0; j < n; j++) st(pD, j, ld(at(pU, j, j, n), 0));
}

/** Bytes of scratch `applyReflectors` needs for order n. */
export function applyReflectorsBytes(n: i32): i32 {
  return 8 * (NBQ * n + NBQ * NBQ + NBQ + 2 * n * NBQ) + 64;
}

/**
 * X ← X · H_1 H_2 ⋯ H_{n−1} = X Qᵀ for the reflectors H_s = I − u_s u_sᵀ/h_s (u_s = row s of the n×n array at pU,
 * entries 0…s−1; h_s = pH[s], 0 meaning H_s = I) and the row-major matrix X at pX with n columns and `rows` ≤ n rows;
 * rows = 0 means X is still the identity beyond the leading block each product acts on (forming Q from I), so only
 * that block is updated. Blocked (compact WY, Schreiber & Van Loan 1989): the product of NBQ consecutive
 * reflectors, I − V T Vᵀ, is applied with three GEMMs, so the O(n³) work runs at matrix-multiply speed instead of
 * as matrix-vector products. pWork: `applyReflectorsBytes(n)` bytes.
 */
export function applyReflectors(n: i32, pU: usize, pH: usize, pX: usize, rows: i32, pWork: usize): void {
  const pVr = pWork; // NBQ×n block of reflectors, zero-padded
  const pT = pVr + ((<usize>(NBQ * n)) << 3);
  const pZ = pT + ((<usize>(NBQ * NBQ)) << 3);
  const pW = pZ + ((<usize>NBQ) << 3);
  const pW2 = pW + ((<usize>(n * NBQ)) << 3);
  for (let s0 = 1; s0 < n; s0 += NBQ) {
    const s1 = min(n, s0 + NBQ);
    const b = s1 - s0;
    const r = s1 - 1; // the block acts on columns 0…r−1 (and, forming Q from I, on rows 0…r−1 only)
    const m = rows > 0 ? rows : r;
    // P = H_{s1−1} ⋯ H_{s0} = I − V T Vᵀ with V = [u_{s1−1}, …, u_{s0}] (forward order for T).
    for (let l = 0; l < b; l++) {
      const s = s1 - 1 - l;
      const vl = at(pVr, l, 0, r);
      const u = at(pU, s, 0, n);
      for (let k = 0; k < s; k++) st(vl, k, ld(u, k));
      for (let k = s; k < r; k++) st(vl, k, 0);
    }
    for (let l = 0; l < b; l++) {
      const h = ld(pH, s1 - 1 - l);
      const tau = h != 0 ? 1 / h : 0;
      for (let j = 0; j < b; j++) st(at(pT, j, l, b), 0, 0);
      if (tau == 0) continue;
      const vl = at(pVr, l, 0, r);
      for (let j = 0; j < l; j++) st(pZ, j, dot(at(pVr, j, 0, r), vl, r));
      for (let j = 0; j < l; j++) {
        let acc: f64 = 0;
        for (let q = j; q < l; q++) acc += ld(at(pT, j, q, b), 0) * ld(pZ, q);
        st(at(pT, j, l, b), 0, -tau * acc);
      }
      st(at(pT, l, l, b), 0, tau);
    }
    // X[0:m, 0:r] ← X − (X V) Tᵀ Vᵀ = X · Pᵀ = X · H_{s0} ⋯ H_{s1−1}.
    dgemm(0, 1, m, b, r, 1, pX, n, pVr, r, 0, pW, b);
    dgemm(0, 1, m, b, b, 1, pW, b, pT, b, 0, pW2, b);
    dgemm(0, 0, m, r, b, -1, pW2, b, pVr, r, 1, pX, n);
  }
}

/**
 * Implicit QL on the tridiagonal (d, e[1…n−1]) with Wilkinson's shift; the rotations go to the list at pL (which
 * applies them to the rows of the eigenvector matrix). Deflates when |e_l| ≤ ε·max_l(|d_l| + |e_l|). Returns −1,
 * or the index of an eigenvalue that did not converge.
 */
export function tql2(n: i32, pD: usize, pE: usize, pL: usize): i32 {
  for (let i = 1; i < n; i++) st(pE, i - 1, ld(pE, i));
  st(pE, n - 1, 0);
  let f: f64 = 0;
  let tst1: f64 = 0;
  const eps = f64.EPSILON;
  for (let l = 0; l < n; l++) {
    tst1 = max(tst1, abs(ld(pD, l)) + abs(ld(pE, l)));
    let m = l;
    while (m < n - 1 && abs(ld(pE, m)) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > MAX_ITER_PER_VALUE) return l;
        let g = ld(pD, l);
        const el = ld(pE, l);
        let p = (ld(pD, l + 1) - g) / (2 * el);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        st(pD, l, el / (p + r));
        st(pD, l + 1, el * (p + r));
        const dl1 = ld(pD, l + 1);
        let h = g - ld(pD, l);
        for (let i = l + 2; i < n; i++) st(pD, i, ld(pD, i) - h);
        f += h;
        p = ld(pD, m);
        let c: f64 = 1;
        let c2 = c;
        let c3 = c;
        const el1 = ld(pE, l + 1);
        let s: f64 = 0;
        let s2: f64 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = ld(pE, i);
          g = c * ei;
          h = c * p;
          r = hypot(p, ei);
          st(pE, i + 1, s * r);
          s = ei / r;
          c = p / r;
          const di = ld(pD, i);
          p = c * di - s * g;
          st(pD, i + 1, h + s * (c * g + s * di));
          rotPush(pL, i, i + 1, c, s);
        }
        p = (-s * s2 * c3 * el1 * ld(pE, l)) / dl1;
        st(pE, l, s * p);
        st(pD, l, c * p);
      } while (abs(ld(pE, l)) > eps * tst1);
    }
    st(pD, l, ld(pD, l) + f);
    st(pE, l, 0);
  }
  return -1;
}

/** sqrt(a² + b²) without destructive underflow or overflow. */
function hypot(a: f64, b: f64): f64 {
  a = abs(a);
  b = abs(b);
  const big = max(a, b);
  if (big == 0) return 0;
  const small = min(a, b) / big;
  return big * sqrt(1 + small * small);
}

/** Bytes of workspace `dsyev` needs at pWork for order n with a rotation list of `capacity` entries. */
export function dsyevWorkBytes(n: i32, capacity: i32): i32 {
  return 8 * n + max(rotationListBytes(capacity), accumulateBytes(n));
}

/**
 * Eigendecomposition of the symmetric n×n matrix at pV (row-major = column-major for symmetric input; overwritten):
 * eigenvalues ascending into pD (n f64), eigenvectors into the rows of pV (row i = eigenvector i, i.e. pV holds
 * Vᵀ). pWork: `dsyevWorkBytes(n, capacity)` bytes (subdiagonal and the rotation list). Returns −1, or the index of
 * an eigenvalue whose QL iteration did not converge.
 */
export function dsyev(n: i32, pV: usize, pD: usize, pWork: usize, capacity: i32): i32 {
  if (n == 0) return -1;
  const pE = pWork;
  const pL = pWork + ((<usize>n) << 3);
  tred2(n, pV, pD, pE, pL); // the rotation list's room serves as tred2's scratch first
  rotInit(pL, capacity, pV, n);
  const bad = tql2(n, pD, pE, pL);
  rotFlush(pL);
  if (bad >= 0) return bad;
  sortAscending(n, pD, pV, n);
  return -1;
}

/** Selection sort of d[0…n) ascending, moving the rows (of length cols) of the row-major matrix at pV along. */
export function sortAscending(n: i32, pD: usize, pV: usize, cols: i32): void {
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = ld(pD, i);
    for (let j = i + 1; j < n; j++) {
      if (ld(pD, j) < p) {
        k = j;
        p = ld(pD, j);
      }
    }
    if (k != i) {
      st(pD, k, ld(pD, i));
      st(pD, i, p);
      swap(cols, at(pV, i, 0, cols), at(pV, k, 0, cols));
    }
  }
}
