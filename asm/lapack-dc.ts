// Kernels behind the divide-and-conquer symmetric eigensolver (orchestrated in src/linalg/tridiagonal-dc.ts): the
// Householder reduction to tridiagonal form keeping its reflectors, their application to the tridiagonal
// matrix's eigenvectors, and the implicit QL iteration on a small tridiagonal block (the leaves of the
// divide-and-conquer tree, or the whole matrix when only eigenvalues are wanted).
import { applyReflectors, applyReflectorsBytes, sortAscending, tql2 } from "./lapack-eigen";
import { tridiagonalise, tridiagonaliseBytes } from "./lapack-tridiag";
import { at, ld, rotationListBytes, rotFlush, rotInit, st } from "./lapack-vec";

/** Bytes of scratch `dsytrd` needs for order n. */
export function dsytrdWorkBytes(n: i32): i32 {
  return tridiagonaliseBytes(n);
}

/**
 * Reduces the symmetric n×n matrix at pV (lower triangle used) to tridiagonal form T = Qᵀ A Q (blocked Householder,
 * lapack-tridiag.ts): diagonal into d[0…n), off-diagonal into e[0…n−1) (e[i] = T[i, i+1]; e[n−1] = 0). pV is left
 * holding the Householder vectors and pH (n f64) their scale factors, Q = H_{n−1} ⋯ H_1 (see `dormtr`). pE: n f64.
 * pWork: `dsytrdWorkBytes(n)` bytes.
 */
export function dsytrd(n: i32, pV: usize, pD: usize, pE: usize, pH: usize, pWork: usize): void {
  if (n == 0) return;
  tridiagonalise(n, pV, pD, pE, pH, pWork);
  for (let i = 1; i < n; i++) st(pE, i - 1, ld(pE, i));
  st(pE, n - 1, 0);
}

/** Bytes of scratch `dormtr` needs for order n. */
export function dormtrWorkBytes(n: i32): i32 {
  return applyReflectorsBytes(n);
}

/**
 * Z ← Z Qᵀ for the row-major n×n matrix at pZ and the Q that `dsytrd` left in (pV, pH) (LAPACK dormtr, blocked
 * compact-WY with GEMM): if row i of Z is an eigenvector of T, row i of the result is the matching eigenvector of
 * A = Q T Qᵀ. Costs 2n³ flops, against (4/3)n³ + 2n³ for forming Q and multiplying by it. pWork:
 * `dormtrWorkBytes(n)` bytes.
 */
export function dormtr(n: i32, pV: usize, pH: usize, pZ: usize, pWork: usize): void {
  applyReflectors(n, pV, pH, pZ, n, pWork);
}

/** Bytes of scratch `dstql` needs for order m with a rotation list of `capacity` entries (vectors wanted or not). */
export function dstqlWorkBytes(m: i32, capacity: i32, wantZ: i32): i32 {
  return 8 * m + (wantZ != 0 ? 8 * m * m : 0) + rotationListBytes(capacity);
}

/**
 * Eigenvalues (ascending, into d) and, with wantZ ≠ 0, eigenvectors of the m×m symmetric tridiagonal matrix with
 * diagonal d[0…m) and off-diagonal e[0…m−1), by the implicit QL iteration with Wilkinson's shift (tql2). The
 * eigenvectors go to the rows of the m×m block at pZ with row stride ldz (row i = eigenvector i). e is preserved.
 * pWork: `dstqlWorkBytes(m, capacity, wantZ)` bytes. Returns −1, or the index of an eigenvalue that did not
 * converge.
 */
export function dstql(m: i32, pD: usize, pE: usize, pZ: usize, ldz: i32, wantZ: i32, pWork: usize, capacity: i32): i32 {
  if (m == 0) return -1;
  const pE1 = pWork; // tql2 takes the off-diagonal as e[1…m−1]
  st(pE1, 0, 0);
  for (let i = 1; i < m; i++) st(pE1, i, ld(pE, i - 1));
  const pM = pE1 + ((<usize>m) << 3); // the eigenvectors, built from the identity by the recorded rotations
  const cols = wantZ != 0 ? m : 0;
  const pL = pM + ((<usize>(cols * m)) << 3);
  for (let i = 0; i < cols; i++) {
    const row = at(pM, i, 0, m);
    for (let j = 0; j < m; j++) st(row, j, 0);
    st(row, i, 1);
  }
  rotInit(pL, capacity, pM, cols); // with cols = 0 the rotations touch nothing: eigenvalues only
  const bad = tql2(m, pD, pE1, pL);
  rotFlush(pL);
  if (bad >= 0) return bad;
  sortAscending(m, pD, pM, cols);
  for (let i = 0; i < cols; i++) memory.copy(at(pZ, i, 0, ldz), at(pM, i, 0, m), (<usize>m) << 3);
  return -1;
}
