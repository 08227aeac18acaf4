// Blocked Householder tridiagonalisation of a symmetric matrix (LAPACK dsytrd/dlatrd, reducing from the last column
// backwards as with uplo = 'U'). The matrix is held column-major and only its lower triangle is read and updated.
// Within a panel of NB columns, each Householder vector u and its update vector w are kept aside and the panel's
// earlier updates are applied to the current column and to the matrix-vector product on the fly; the matrix itself is
// updated once per panel, A ← A − U Wᵀ − W Uᵀ, with GEMM. Half the flops then run in GEMM and the other half (one
// symmetric matrix-vector product per column) read the lower triangle once, against three passes for the
// unblocked reduction.
import { dgemm } from "./blas";
import { dotAxpy } from "./lapack-eigen";
import { at, axpy, dot, ld, st } from "./lapack-vec";

/** Columns per panel. */
const NB: i32 = 32;

/** Columns per GEMM of the trailing update (the lower triangle is updated in column blocks of this width). */
const CB: i32 = 128;

/** Σ over the panel's first q columns of both halves: x[0…q)·y[0…q) + x[NB…NB+q)·y[NB…NB+q). */
function panelDot(px: usize, py: usize, q: i32): f64 {
  const o = (<usize>NB) << 3;
  return dot(px, py, q) + dot(px + o, py + o, q);
}

/**
 * p = M u for the leading i×i block of the symmetric matrix at pA (column-major, row stride n; lower triangle read).
 * Column j contributes its dot product with u to p[j] and u[j]·(column j) to p below j; four columns go together so
 * that u and p are loaded (and p stored) once per four columns: the product is bound by loads and stores.
 */
function symmetricProduct(i: i32, pA: usize, n: i32, pU: usize, pP: usize): void {
  memory.fill(pP, 0, (<usize>i) << 3);
  let j = 0;
  for (; j + 4 <= i; j += 4) {
    const c0 = at(pA, j, 0, n);
    const c1 = c0 + ((<usize>n) << 3);
    const c2 = c1 + ((<usize>n) << 3);
    const c3 = c2 + ((<usize>n) << 3);
    // The 4×4 diagonal block, entry by entry.
    for (let a = 0; a < 4; a++) {
      const ca = c0 + ((<usize>(a * n)) << 3);
      const ua = ld(pU, j + a);
      let s = ld(pP, j + a) + ld(ca, j + a) * ua;
      for (let b = a + 1; b < 4; b++) {
        const m = ld(ca, j + b);
        s += m * ld(pU, j + b);
        st(pP, j + b, ld(pP, j + b) + m * ua);
      }
      st(pP, j + a, s);
    }
    const f0 = f64x2.splat(ld(pU, j));
    const f1 = f64x2.splat(ld(pU, j + 1));
    const f2 = f64x2.splat(ld(pU, j + 2));
    const f3 = f64x2.splat(ld(pU, j + 3));
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let a2 = f64x2.splat(0);
    let a3 = f64x2.splat(0);
    let k = j + 4;
    for (; k + 2 <= i; k += 2) {
      const o = (<usize>k) << 3;
      const u = v128.load(pU + o);
      const x0 = v128.load(c0 + o);
      const x1 = v128.load(c1 + o);
      const x2 = v128.load(c2 + o);
      const x3 = v128.load(c3 + o);
      a0 = f64x2.add(a0, f64x2.mul(x0, u));
      a1 = f64x2.add(a1, f64x2.mul(x1, u));
      a2 = f64x2.add(a2, f64x2.mul(x2, u));
      a3 = f64x2.add(a3, f64x2.mul(x3, u));
      const t = f64x2.add(
        f64x2.add(f64x2.mul(f0, x0), f64x2.mul(f1, x1)),
        f64x2.add(f64x2.mul(f2, x2), f64x2.mul(f3, x3)),
      );
      v128.store(pP + o, f64x2.add(v128.load(pP + o), t));
    }
    let s0 = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
    let s1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
    let s2 = f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1);
    let s3 = f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1);
    for (; k < i; k++) {
      const u = ld(pU, k);
      const x0 = ld(c0, k);
      const x1 = ld(c1, k);
      const x2 = ld(c2, k);
      const x3 = ld(c3, k);
      s0 += x0 * u;
      s1 += x1 * u;
      s2 += x2 * u;
      s3 += x3 * u;
      st(pP, k, ld(pP, k) + ld(pU, j) * x0 + ld(pU, j + 1) * x1 + ld(pU, j + 2) * x2 + ld(pU, j + 3) * x3);
    }
    st(pP, j, ld(pP, j) + s0);
    st(pP, j + 1, ld(pP, j + 1) + s1);
    st(pP, j + 2, ld(pP, j + 2) + s2);
    st(pP, j + 3, ld(pP, j + 3) + s3);
  }
  for (; j < i; j++) {
    const cj = at(pA, j, 0, n);
    const o = (<usize>(j + 1)) << 3;
    const f = ld(pU, j);
    st(pP, j, ld(pP, j) + ld(cj, j) * f + dotAxpy(i - 1 - j, cj + o, pU + o, pP + o, f));
  }
}

/** Bytes of scratch `tridiagonalise` needs for order n. */
export function tridiagonaliseBytes(n: i32): i32 {
  return 8 * (2 * n * 2 * NB + 2 * NB + n) + 64;
}

/**
 * Reduces the symmetric n×n matrix at pA (column-major: M(r, c) at pA[c·n + r]; lower triangle read) to tridiagonal
 * T = Qᵀ A Q with Q = H_{n−1} ⋯ H_1, H_s = I − u_s u_sᵀ / h_s: the diagonal of T into d[0…n), T[i−1, i] into
 * e[i] (e[0] = 0). The Householder vector u_s (entries 0…s−1) is stored in row s of the array (pA[s·n + k], k < s)
 * and h_s in pH[s] (h_s = 0: H_s = I). The same output as EISPACK tred2 without accumulation, so `applyReflectors`
 * forms Q Z. pWork: `tridiagonaliseBytes(n)` bytes.
 * Reference: Dongarra, Sorensen & Hammarling, "Block reduction of matrices to condensed forms for eigenvalue
 * computations", J. Comput. Appl. Math. 27 (1989); Golub & Van Loan, Matrix Computations (4th ed.), §8.3.1.
 */
export function tridiagonalise(n: i32, pA: usize, pD: usize, pE: usize, pH: usize, pWork: usize): void {
  const K = 2 * NB;
  // Panel buffers, row r = component r: PU = [U | W] and PW = [W | U] (column q of U: u of the panel's q-th column).
  const pPU = pWork;
  const pPW = pPU + ((<usize>(n * K)) << 3);
  const pS = pPW + ((<usize>(n * K)) << 3); // PWᵀ u
  const pP = pS + ((<usize>K) << 3); // the product M̃ u
  let q = 0; // columns of the current panel done so far
  for (let i = n - 1; i >= 0; i--) {
    if (q == 0) {
      memory.fill(pPU, 0, (<usize>(n * K)) << 3);
      memory.fill(pPW, 0, (<usize>(n * K)) << 3);
    }
    // Bring column i (lower part: M(i, c), c ≤ i, at pA[c·n + i]) up to date with the panel's updates.
    if (q > 0) {
      const rowU = at(pPU, i, 0, K);
      for (let c = 0; c <= i; c++) {
        const p = at(pA, c, i, n);
        store<f64>(p, load<f64>(p) - panelDot(rowU, at(pPW, c, 0, K), q));
      }
    }
    st(pD, i, ld(at(pA, i, i, n), 0));
    if (i == 0) break;
    // The Householder vector of x = M(i, 0…i−1), scaled by Σ|x| against under- and overflow (as tred2).
    const pU = at(pA, i, 0, n); // row i of the array: u_i is stored here
    let scale: f64 = 0;
    for (let c = 0; c < i; c++) scale += abs(ld(at(pA, c, i, n), 0));
    if (scale == 0) {
      for (let c = 0; c < i; c++) st(pU, c, 0);
      st(pE, i, 0);
      st(pH, i, 0);
    } else {
      let sigma2: f64 = 0;
      for (let c = 0; c < i; c++) {
        const v = ld(at(pA, c, i, n), 0) / scale;
        st(pU, c, v);
        sigma2 += v * v;
      }
      const alpha = ld(pU, i - 1);
      const g = alpha > 0 ? -sqrt(sigma2) : sqrt(sigma2);
      const h = sigma2 - alpha * g;
      st(pU, i - 1, alpha - g);
      st(pE, i, scale * g);
      st(pH, i, h);
      // p = M̃ u / h with M̃ = M − U Wᵀ − W Uᵀ: symmetric product on M's lower triangle, then the panel's part.
      symmetricProduct(i, pA, n, pU, pP);
      if (q > 0) {
        memory.fill(pS, 0, (<usize>K) << 3);
        for (let r = 0; r < i; r++) {
          const ur = ld(pU, r);
          const row = at(pPW, r, 0, K);
          axpy(q, ur, row, pS);
          axpy(q, ur, row + ((<usize>NB) << 3), pS + ((<usize>NB) << 3));
        }
        for (let r = 0; r < i; r++) st(pP, r, ld(pP, r) - panelDot(at(pPU, r, 0, K), pS, q));
      }
      let f: f64 = 0;
      for (let r = 0; r < i; r++) {
        const pr = ld(pP, r) / h;
        st(pP, r, pr);
        f += pr * ld(pU, r);
      }
      const hh = f / (h + h);
      // w = p − hh·u goes into the panel next to u.
      for (let r = 0; r < i; r++) {
        const u = ld(pU, r);
        const w = ld(pP, r) - hh * u;
        st(at(pPU, r, q, K), 0, u);
        st(at(pPU, r, NB + q, K), 0, w);
        st(at(pPW, r, q, K), 0, w);
        st(at(pPW, r, NB + q, K), 0, u);
      }
    }
    q++;
    if (q == NB || i == 1) {
      // The leading i×i block (what remains to reduce) takes the panel's updates: lower triangle, by column blocks.
      for (let c0 = 0; c0 < i; c0 += CB) {
        const c1 = min(i, c0 + CB);
        dgemm(0, 1, c1 - c0, i - c0, K, -1, at(pPW, c0, 0, K), K, at(pPU, c0, 0, K), K, 1, at(pA, c0, c0, n), n);
      }
      q = 0;
    }
  }
  st(pE, 0, 0);
}
