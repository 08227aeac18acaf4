// Cholesky and LU factorisations and the triangular solve, blocked so the O(n³) part runs in the packed GEMM
// (asm/blas.ts). Row-major, byte-offset pointers; square matrices have row stride n.
import { dgemm, dsyrk } from "./blas";
import { at, axpy, div, dot, ld, st, swap } from "./lapack-vec";

/** Block size: panels of NB columns are factored unblocked; the trailing matrix is updated by GEMM/SYRK. */
const NB: i32 = 64;

/** Cholesky block size (its unblocked kernel is faster than LU's panel, so blocks are larger). */
const NB_CHOL: i32 = 128;

/**
 * Unblocked Cholesky of the symmetric n×n block at p (row stride lda; both triangles stored, upper one used) as
 * A = Uᵀ U, right-looking on the rows of U: after each group of four pivot rows is factored, every later row takes
 * one fused rank-4 SIMD update (row i −= Σ_t U[k+t, i]·row k+t over columns ≥ i), so each trailing element is loaded
 * and stored once per four pivots. L = Uᵀ is then written to the lower triangle. Returns −1, or the index of the
 * first pivot that is not positive (its value is left on the diagonal).
 */
function potf2(p: usize, n: i32, lda: i32): i32 {
  for (let k0 = 0; k0 < n; k0 += 4) {
    const kb = min(4, n - k0);
    // Factor pivot rows k0…k0+kb−1 among themselves.
    for (let k = k0; k < k0 + kb; k++) {
      const rk = at(p, k, 0, lda);
      const d = ld(rk, k);
      if (!(d > 0)) return k;
      const u = sqrt(d);
      st(rk, k, u);
      div(n - k - 1, u, rk + ((<usize>(k + 1)) << 3));
      for (let i = k + 1; i < k0 + kb; i++) {
        const o = (<usize>i) << 3;
        axpy(n - i, -ld(rk, i), rk + o, at(p, i, 0, lda) + o);
      }
    }
    if (kb == 4) {
      const r0 = at(p, k0, 0, lda);
      const r1 = at(p, k0 + 1, 0, lda);
      const r2 = at(p, k0 + 2, 0, lda);
      const r3 = at(p, k0 + 3, 0, lda);
      for (let i = k0 + 4; i < n; i++)
        rank4(n - i, at(p, i, i, lda), -ld(r0, i), -ld(r1, i), -ld(r2, i), -ld(r3, i), r0, r1, r2, r3, i);
    } else {
      for (let k = k0; k < k0 + kb; k++) {
        const rk = at(p, k, 0, lda);
        for (let i = k0 + kb; i < n; i++) {
          const o = (<usize>i) << 3;
          axpy(n - i, -ld(rk, i), rk + o, at(p, i, 0, lda) + o);
        }
      }
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) st(at(p, i, j, lda), 0, ld(at(p, j, i, lda), 0));
  return -1;
}

/** y[c] += a0·x0[off+c] + a1·x1[off+c] + a2·x2[off+c] + a3·x3[off+c], c < len (y at pY, x rows at pX0…pX3). */
function rank4(
  len: i32,
  pY: usize,
  a0: f64,
  a1: f64,
  a2: f64,
  a3: f64,
  pX0: usize,
  pX1: usize,
  pX2: usize,
  pX3: usize,
  off: i32,
): void {
  const o = (<usize>off) << 3;
  const x0 = pX0 + o;
  const x1 = pX1 + o;
  const x2 = pX2 + o;
  const x3 = pX3 + o;
  const v0 = f64x2.splat(a0);
  const v1 = f64x2.splat(a1);
  const v2 = f64x2.splat(a2);
  const v3 = f64x2.splat(a3);
  let c = 0;
  for (; c + 2 <= len; c += 2) {
    const b = (<usize>c) << 3;
    let y = v128.load(pY + b);
    y = f64x2.add(y, f64x2.mul(v0, v128.load(x0 + b)));
    y = f64x2.add(y, f64x2.mul(v1, v128.load(x1 + b)));
    y = f64x2.add(y, f64x2.mul(v2, v128.load(x2 + b)));
    y = f64x2.add(y, f64x2.mul(v3, v128.load(x3 + b)));
    v128.store(pY + b, y);
  }
  for (; c < len; c++) st(pY, c, ld(pY, c) + a0 * ld(x0, c) + a1 * ld(x1, c) + a2 * ld(x2, c) + a3 * ld(x3, c));
}

/**
 * Cholesky factorisation A = L Lᵀ in place (LAPACK dpotrf, lower), n×n row-major at pA; only the lower triangle
 * of A is read, and on success the strict upper triangle is zeroed. Right-looking blocked: factor the
 * NB_CHOL×NB_CHOL diagonal block, solve the panel below it (L21 = A21 L11⁻ᵀ, row by row), update the trailing matrix
 * A22 −= L21 L21ᵀ with SYRK. Returns −1 on success, else the index of the first non-positive pivot, whose value
 * is then at A[j, j].
 */
export function dpotrf(n: i32, pA: usize): i32 {
  // Mirror the lower triangle up: the SYRK updates read the upper one.
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) st(at(pA, j, i, n), 0, ld(at(pA, i, j, n), 0));
  const info = potrfBlocked(n, pA);
  if (info < 0) for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) st(at(pA, i, j, n), 0, 0);
  return info;
}

function potrfBlocked(n: i32, pA: usize): i32 {
  for (let k0 = 0; k0 < n; k0 += NB_CHOL) {
    const kb = min(NB_CHOL, n - k0);
    const info = potf2(at(pA, k0, k0, n), kb, n);
    if (info >= 0) return k0 + info;
    const k1 = k0 + kb;
    if (k1 == n) break;
    // Panel: each row of A21 solves x L11ᵀ = a, i.e. forward substitution with dot products along rows.
    for (let i = k1; i < n; i++) {
      const ri = at(pA, i, k0, n);
      for (let j = 0; j < kb; j++) {
        const rj = at(pA, k0 + j, k0, n);
        st(ri, j, (ld(ri, j) - dot(ri, rj, j)) / ld(rj, j));
      }
    }
    dsyrk(0, n - k1, kb, -1, at(pA, k1, k0, n), n, 1, at(pA, k1, k1, n), n);
  }
  return -1;
}

/**
 * LU factorisation with partial pivoting P A = L U in place (LAPACK dgetrf), n×n row-major at pA; the pivot row
 * of step k is recorded in ipiv[k] (i32 at pPiv: rows k and ipiv[k] were swapped). Right-looking blocked: factor
 * an NB-column panel (pivot search down the column, swaps of whole rows, rank-1 updates inside the panel), form
 * U12 = L11⁻¹ A12, then update A22 −= L21 U12 with GEMM. Returns −1, or the first column k whose largest
 * candidate pivot has |a| ≤ tiny[k] (pTiny: n f64, one threshold per column; A singular to working precision; the
 * candidate's |a| is left at A[k, k]).
 */
export function dgetrf(n: i32, pA: usize, pPiv: usize, pTiny: usize): i32 {
  for (let k0 = 0; k0 < n; k0 += NB) {
    const kb = min(NB, n - k0);
    const k1 = k0 + kb;
    for (let k = k0; k < k1; k++) {
      let p = k;
      let best = abs(ld(at(pA, k, k, n), 0));
      for (let i = k + 1; i < n; i++) {
        const v = abs(ld(at(pA, i, k, n), 0));
        if (v > best) {
          best = v;
          p = i;
        }
      }
      store<i32>(pPiv + ((<usize>k) << 2), p);
      if (best <= ld(pTiny, k)) {
        st(at(pA, k, k, n), 0, best);
        return k;
      }
      if (p != k) swap(n, at(pA, k, 0, n), at(pA, p, 0, n));
      const rk = at(pA, k, 0, n);
      const pivot = ld(rk, k);
      const w = k1 - k - 1;
      for (let i = k + 1; i < n; i++) {
        const ri = at(pA, i, 0, n);
        const l = ld(ri, k) / pivot; // not · (1/pivot): that overflows for a subnormal pivot
        st(ri, k, l);
        if (l != 0 && w > 0) axpy(w, -l, rk + ((<usize>(k + 1)) << 3), ri + ((<usize>(k + 1)) << 3));
      }
    }
    if (k1 == n) break;
    // U12 = L11⁻¹ A12 (unit lower): row i of the block minus its multiples of the rows above it.
    const w = n - k1;
    for (let i = k0 + 1; i < k1; i++) {
      const ri = at(pA, i, k1, n);
      for (let l = k0; l < i; l++) {
        const m = ld(at(pA, i, l, n), 0);
        if (m != 0) axpy(w, -m, at(pA, l, k1, n), ri);
      }
    }
    dgemm(0, 0, w, w, kb, -1, at(pA, k1, k0, n), n, at(pA, k0, k1, n), n, 1, at(pA, k1, k1, n), n);
  }
  return -1;
}

/** Applies the row interchanges of `dgetrf` to the n×k row-major matrix at pX: row k ↔ row ipiv[k], k ascending. */
export function dlaswp(n: i32, k: i32, pX: usize, pPiv: usize): void {
  for (let i = 0; i < n; i++) {
    const p = load<i32>(pPiv + ((<usize>i) << 2));
    if (p != i) swap(k, at(pX, i, 0, k), at(pX, p, 0, k));
  }
}

/**
 * Solves op(T) X = B in place (X overwrites B), T n×n triangular row-major at pT, B n×k row-major at pX
 * (BLAS dtrsm, left side). op(T) = T, or Tᵀ when trans ≠ 0; only the triangle named by `lower` is read; unit ≠ 0
 * takes the diagonal as ones. Blocked: each NB-row block of X first subtracts the contribution of the already
 * solved rows with one GEMM, then is solved by substitution (axpys on rows of X). Returns −1, or the index of a
 * zero diagonal entry.
 */
export function dtrsm(lower: i32, trans: i32, unit: i32, n: i32, k: i32, pT: usize, pX: usize): i32 {
  const forward = (lower != 0) != (trans != 0);
  const blocks = (n + NB - 1) / NB;
  for (let b = 0; b < blocks; b++) {
    // Blocks in solve order: top-down for a lower op(T), bottom-up for an upper one.
    const i0 = forward ? b * NB : max(0, n - (b + 1) * NB);
    const i1 = forward ? min(n, i0 + NB) : n - b * NB;
    const ib = i1 - i0;
    // Already solved rows: [0, i0) going forward, [i1, n) going backward.
    const s0 = forward ? 0 : i1;
    const sn = forward ? i0 : n - i1;
    if (sn > 0) {
      // op(T)[i0:i1, s0:s0+sn] · X[s0:s0+sn]; for trans it is T[s0:s0+sn, i0:i1]ᵀ.
      const pBlock = trans != 0 ? at(pT, s0, i0, n) : at(pT, i0, s0, n);
      dgemm(trans, 0, ib, k, sn, -1, pBlock, n, at(pX, s0, 0, k), k, 1, at(pX, i0, 0, k), k);
    }
    for (let t = 0; t < ib; t++) {
      const i = forward ? i0 + t : i1 - 1 - t;
      const xi = at(pX, i, 0, k);
      const j0 = forward ? i0 : i + 1;
      const j1 = forward ? i : i1;
      for (let j = j0; j < j1; j++) {
        const tij = trans != 0 ? ld(at(pT, j, i, n), 0) : ld(at(pT, i, j, n), 0);
        if (tij != 0) axpy(k, -tij, at(pX, j, 0, k), xi);
      }
      if (unit == 0) {
        const tii = ld(at(pT, i, i, n), 0);
        if (tii == 0) return i;
        div(k, tii, xi);
      }
    }
  }
  return -1;
}
