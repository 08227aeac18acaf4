// Householder QR, blocked with the compact WY representation (LAPACK dgeqrf + dorgqr; Schreiber & Van Loan 1989):
// a panel of NB reflectors H_k = I − τ_k v_k v_kᵀ is factored with SIMD level-2 updates, then its product
// I − V T Vᵀ is applied to the rest of the matrix with GEMM. A is held transposed (row j = column j of A), so
// every reflector runs along contiguous memory.
import { dgemm } from "./blas";
import { NEGLIGIBLE, at, axpy, div, dot, ld, nrm2, st } from "./lapack-vec";

const NB: i32 = 32;

/** Bytes of workspace `dgeqrf` / `dorgqr` need for an m×n matrix. */
export function dgeqrfWorkBytes(m: i32, n: i32): i32 {
  return 8 * (NB * m + NB * NB + NB + 2 * NB * max(m, n)) + 64;
}

/**
 * Generates reflector k (LAPACK dlarfg) from x = column k of A, entries k…m−1 (row k of pAt): β = −sign(x_k)‖x‖,
 * v = x / (x_k − β) below the diagonal, x_k ← β. Returns τ = (β − x_k)/β, or 0 when x is already e_k·x_k (or
 * its part below the diagonal is NEGLIGIBLE, and is zeroed).
 */
function larfg(m: i32, pRow: usize, k: i32): f64 {
  const alpha = ld(pRow, k);
  const below = pRow + ((<usize>(k + 1)) << 3);
  const xnorm = nrm2(below, m - k - 1);
  if (xnorm <= NEGLIGIBLE) {
    memory.fill(below, 0, (<usize>(m - k - 1)) << 3);
    return 0;
  }
  const big = max(abs(alpha), xnorm);
  const small = min(abs(alpha), xnorm) / big;
  let beta = big * sqrt(1 + small * small); // ‖(α, x)‖ without under- or overflow
  if (alpha >= 0) beta = -beta;
  div(m - k - 1, alpha - beta, below);
  st(pRow, k, beta);
  return (beta - alpha) / beta;
}

/** x ← (I − τ v vᵀ) x on entries k…m−1, v = (1, v[k+1…]) at pV, x at pX (rows of length m). */
function larf(m: i32, k: i32, tau: f64, pV: usize, pX: usize): void {
  const o = (<usize>(k + 1)) << 3;
  const s = tau * (ld(pX, k) + dot(pV + o, pX + o, m - k - 1));
  st(pX, k, ld(pX, k) - s);
  axpy(m - k - 1, -s, pV + o, pX + o);
}

/**
 * Copies reflectors k0…k0+kb−1 (rows of pAt) into pVr as explicit rows (kb×m: zeros before the diagonal, 1 on it)
 * and forms the kb×kb upper-triangular T at pT (pZ: kb f64 of scratch) with H_k0 ⋯ H_{k0+kb−1} = I − V T Vᵀ (LAPACK dlarft, forward).
 */
function larft(m: i32, k0: i32, kb: i32, pAt: usize, pTau: usize, pVr: usize, pT: usize, pZ: usize): void {
  for (let i = 0; i < kb; i++) {
    const k = k0 + i;
    const vi = at(pVr, i, 0, m);
    const src = at(pAt, k, 0, m);
    for (let c = 0; c < k; c++) st(vi, c, 0);
    st(vi, k, 1);
    for (let c = k + 1; c < m; c++) st(vi, c, ld(src, c));
  }
  for (let i = 0; i < kb; i++) {
    const tau = ld(pTau, k0 + i);
    for (let j = 0; j < kb; j++) st(at(pT, j, i, kb), 0, 0);
    if (tau == 0) continue;
    const k = k0 + i;
    const vi = at(pVr, i, 0, m) + ((<usize>k) << 3);
    // z_l = v_lᵀ v_i (v_i is zero before k), then T[0:i, i] = −τ_i T[0:i, 0:i] z.
    for (let l = 0; l < i; l++) st(pZ, l, dot(at(pVr, l, 0, m) + ((<usize>k) << 3), vi, m - k));
    for (let j = 0; j < i; j++) {
      let acc: f64 = 0;
      for (let l = j; l < i; l++) acc += ld(at(pT, j, l, kb), 0) * ld(pZ, l);
      st(at(pT, j, i, kb), 0, -tau * acc);
    }
    st(at(pT, i, i, kb), 0, tau);
  }
}

/**
 * Householder QR of the m×n matrix A held transposed at pAt (n×m row-major: row j = column j of A), in place:
 * R's entries at pAt[j][i] for i ≤ j, reflector j's vector below them, τ_j at pTau (min(m−1, n) f64).
 * pWork: `dgeqrfWorkBytes(m, n)` bytes.
 */
export function dgeqrf(m: i32, n: i32, pAt: usize, pTau: usize, pWork: usize): void {
  const nref = min(m - 1, n);
  const pVr = pWork;
  const pT = pVr + ((<usize>(NB * m)) << 3);
  const pZ = pT + ((<usize>(NB * NB)) << 3);
  const pW = pZ + ((<usize>NB) << 3);
  const pW2 = pW + ((<usize>(NB * max(m, n))) << 3);
  for (let k0 = 0; k0 < nref; k0 += NB) {
    const kb = min(NB, nref - k0);
    const k1 = k0 + kb;
    // Panel: reflectors k0…k1−1 applied to the panel's own columns only.
    for (let k = k0; k < k1; k++) {
      const rk = at(pAt, k, 0, m);
      const tau = larfg(m, rk, k);
      st(pTau, k, tau);
      if (tau != 0) for (let j = k + 1; j < k1; j++) larf(m, k, tau, rk, at(pAt, j, 0, m));
    }
    const n2 = n - k1;
    if (n2 <= 0) continue;
    // Trailing columns: A2 ← (I − V T Vᵀ)ᵀ A2, i.e. At2 ← At2 − (At2 V) T Vᵀ.
    larft(m, k0, kb, pAt, pTau, pVr, pT, pZ);
    const len = m - k0;
    const pA2 = at(pAt, k1, k0, m);
    const pV = at(pVr, 0, k0, m);
    dgemm(0, 1, n2, kb, len, 1, pA2, m, pV, m, 0, pW, kb);
    dgemm(0, 0, n2, kb, kb, 1, pW, kb, pT, kb, 0, pW2, kb);
    dgemm(0, 0, n2, len, kb, -1, pW2, kb, pV, m, 1, pA2, m);
  }
}

/**
 * Forms the thin Q (m×r, r = min(m, n)) from `dgeqrf`'s reflectors, transposed into pQt (r×m row-major: row j =
 * column j of Q): Q = H_0 ⋯ H_{nref−1} I[:, :r], applied panel by panel from the last, each panel's
 * I − V T Vᵀ with GEMM (LAPACK dorgqr).
 */
export function dorgqr(m: i32, n: i32, pAt: usize, pTau: usize, pQt: usize, pWork: usize): void {
  const r = min(m, n);
  const nref = min(m - 1, n);
  const pVr = pWork;
  const pT = pVr + ((<usize>(NB * m)) << 3);
  const pZ = pT + ((<usize>(NB * NB)) << 3);
  const pW = pZ + ((<usize>NB) << 3);
  const pW2 = pW + ((<usize>(NB * max(m, n))) << 3);
  for (let j = 0; j < r; j++) {
    const q = at(pQt, j, 0, m);
    for (let i = 0; i < m; i++) st(q, i, 0);
    st(q, j, 1);
  }
  if (nref <= 0) return;
  const last = ((nref - 1) / NB) * NB;
  for (let k0 = last; k0 >= 0; k0 -= NB) {
    const kb = min(NB, nref - k0);
    larft(m, k0, kb, pAt, pTau, pVr, pT, pZ);
    // Columns k0…r−1 of Q (rows of Qt): Qt ← Qt − (Qt V) Tᵀ Vᵀ.
    const rows = r - k0;
    const len = m - k0;
    const pQ2 = at(pQt, k0, k0, m);
    const pV = at(pVr, 0, k0, m);
    dgemm(0, 1, rows, kb, len, 1, pQ2, m, pV, m, 0, pW, kb);
    dgemm(0, 1, rows, kb, kb, 1, pW, kb, pT, kb, 0, pW2, kb);
    dgemm(0, 0, rows, len, kb, -1, pW2, kb, pV, m, 1, pQ2, m);
  }
}
