/**
 * Cuppen's divide-and-conquer method for the symmetric tridiagonal eigenproblem T = Z Λ Zᵀ, after LAPACK's
 * dstedc / dlaed0–dlaed4: T is torn into two halves by a rank-one correction, each half is solved recursively
 * (small blocks by the QL iteration, kernel `dstql`), and the halves are merged by solving the eigenproblem of
 * D + ρ z zᵀ. The merge deflates components that are negligible or belong to (nearly) equal eigenvalues, finds
 * the other eigenvalues as the roots of the secular equation 1/ρ + Σ z_i²/(d_i − λ) = 0, recomputes z from
 * those roots (Gu & Eisenstat) so that the eigenvectors come out orthogonal, and applies the new eigenvectors to
 * the old ones with two GEMMs that skip the zero blocks.
 *
 * The scalar work (deflation, secular equation) runs here in TypeScript; the O(n³) part is the WebAssembly GEMM.
 * Matrices live in the kernels' linear memory; the caller brackets the call with `withScratch`.
 *
 * References: Cuppen, "A divide and conquer method for the symmetric tridiagonal eigenproblem", Numer. Math. 36
 * (1981); Gu & Eisenstat, "A divide-and-conquer algorithm for the symmetric tridiagonal eigenproblem", SIAM J.
 * Matrix Anal. Appl. 16 (1995); Li, "Solving secular equations stably and efficiently", LAPACK Working Note 89
 * (1993), the "middle way" iteration of dlaed4; Demmel, Applied Numerical Linear Algebra (1997), §5.3.3.
 */
import { lapack } from "./lapack-kernels.js";
import { gemm } from "./parallel.js";
import { alloc, heap } from "./wasm.js";
import { hypot } from "./elementary.js";

/** Blocks of at most this order are solved directly by the QL iteration (LAPACK's SMLSIZ is 25). */
const LEAF_SIZE = 32;

/** Secular-equation iterations allowed per root (each a rational step or, failing that, a bisection). */
const MAX_SECULAR_ITER = 200;

const EPS = Number.EPSILON / 2; // unit round-off, as LAPACK's dlamch('E')

/** Thrown inside the solver when an iteration fails; reported by the caller with the matrix's context. */
export class TridiagonalFailure extends Error {}

/**
 * Eigenvalues ascending (overwriting d) and eigenvectors of the n×n symmetric tridiagonal matrix with diagonal
 * d[0…n) and off-diagonal e[0…n−1) (e[i] = T[i, i+1]); eigenvector i goes to row i of the row-major n×n matrix at
 * byte offset pZ of the kernels' memory. e is left as it was. Allocates its scratch with `alloc` (the caller releases
 * it). Throws `TridiagonalFailure` when an iteration does not converge.
 */
export function tridiagonalEigenDC(n: number, d: Float64Array, e: Float64Array, pZ: number): void {
  const scratch = new MergeScratch(n);
  heap().fill(0, pZ >>> 3, (pZ >>> 3) + n * n);
  solveBlock(0, n, d, e, pZ, n, scratch);
}

/** Work areas shared by every merge: three n×n matrices in linear memory plus vectors on the JavaScript heap. */
class MergeScratch {
  readonly pPacked: number; // old eigenvectors, non-deflated ones grouped by which half they touch, then deflated
  readonly pRoots: number; // per root: the differences d_i − λ_j, then the eigenvector of D + ρ z zᵀ
  readonly pOut: number; // the merged eigenvectors of the non-deflated roots
  readonly pLeaf: number; // a leaf's diagonal, off-diagonal and QL workspace
  readonly leafCapacity = LEAF_SIZE * LEAF_SIZE + 64;
  readonly z: Float64Array;
  readonly diffs: Float64Array;
  readonly order: Int32Array;
  constructor(n: number) {
    this.pPacked = alloc(n * n);
    this.pRoots = alloc(n * n);
    this.pOut = alloc(n * n);
    this.pLeaf = alloc(Math.ceil(lapack.dstqlWorkBytes(LEAF_SIZE, this.leafCapacity, 1) / 8) + 2 * LEAF_SIZE);
    this.z = new Float64Array(n);
    this.diffs = new Float64Array(n);
    this.order = new Int32Array(n);
  }
}

/** Solves the diagonal block [s, s+m) of T, writing its eigenvectors into the same block of Z (row stride ld). */
function solveBlock(s: number, m: number, d: Float64Array, e: Float64Array, pZ: number, ld: number, w: MergeScratch) {
  if (m <= LEAF_SIZE) {
    solveLeaf(s, m, d, e, pZ, ld, w);
    return;
  }
  const n1 = m >> 1;
  // Tear: T = diag(T1, T2) + |β| u uᵀ with u = e_{n1−1} + sign(β) e_{n1}, β the coupling of the two halves.
  const beta = e[s + n1 - 1];
  d[s + n1 - 1] -= Math.abs(beta);
  d[s + n1] -= Math.abs(beta);
  solveBlock(s, n1, d, e, pZ, ld, w);
  solveBlock(s + n1, m - n1, d, e, pZ, ld, w);
  merge(s, n1, m - n1, beta, d, pZ, ld, w);
}

/** Solves the block [s, s+m) (m ≤ LEAF_SIZE) by the QL iteration (kernel dstql) into the same block of Z. */
function solveLeaf(s: number, m: number, d: Float64Array, e: Float64Array, pZ: number, ld: number, w: MergeScratch) {
  const h = heap();
  const pD = w.pLeaf;
  const pE = pD + 8 * LEAF_SIZE;
  const pWork = pE + 8 * LEAF_SIZE;
  for (let i = 0; i < m; i++) {
    h[(pD >>> 3) + i] = d[s + i];
    h[(pE >>> 3) + i] = i < m - 1 ? e[s + i] : 0;
  }
  const bad = lapack.dstql(m, pD, pE, pZ + 8 * (s * ld + s), ld, 1, pWork, w.leafCapacity);
  if (bad >= 0) throw new TridiagonalFailure(`the QL iteration did not converge for eigenvalue ${s + bad}`);
  for (let i = 0; i < m; i++) d[s + i] = h[(pD >>> 3) + i];
}

/**
 * Merges the solved halves [s, s+n1) and [s+n1, s+n1+n2) (each with ascending eigenvalues in d and eigenvectors
 * in the rows of its diagonal block of Z) into the eigendecomposition of the whole block (dlaed1–dlaed3).
 */
function merge(
  s: number,
  n1: number,
  n2: number,
  beta: number,
  d: Float64Array,
  pZ: number,
  ld: number,
  w: MergeScratch,
): void {
  const m = n1 + n2;
  const h = heap();
  const z0 = (pZ >>> 3) + s * ld + s; // element (0, 0) of the block
  // z = (last components of the first half's eigenvectors, ±first components of the second's) / √2, ρ = 2|β|.
  const z = w.z;
  const sign = beta < 0 ? -1 : 1;
  for (let r = 0; r < m; r++) z[r] = (r < n1 ? h[z0 + r * ld + n1 - 1] : sign * h[z0 + r * ld + n1]) * Math.SQRT1_2;
  const rho = 2 * Math.abs(beta);
  const dv = d.subarray(s, s + m);

  // Merge the two ascending halves into one ascending order.
  const order = w.order;
  for (let i = 0, j = n1, t = 0; t < m; t++) {
    order[t] = j >= m || (i < n1 && dv[i] <= dv[j]) ? i++ : j++;
  }

  // Deflation (dlaed2). Column types: 1 = touches only the first half, 3 = only the second, 2 = both.
  let dmax = 0;
  let zmax = 0;
  for (let r = 0; r < m; r++) {
    dmax = Math.max(dmax, Math.abs(dv[r]));
    zmax = Math.max(zmax, Math.abs(z[r]));
  }
  const tol = 8 * EPS * Math.max(dmax, zmax);
  const type = new Int8Array(m);
  for (let r = 0; r < m; r++) type[r] = r < n1 ? 1 : 3;
  const kept: number[] = [];
  const deflated: number[] = [];
  let prev = -1;
  for (let t = 0; t < m; t++) {
    const r = order[t];
    if (rho * Math.abs(z[r]) <= tol) {
      deflated.push(r); // negligible coupling: (d_r, old eigenvector r) is already an eigenpair
      continue;
    }
    if (prev < 0) {
      prev = r;
      continue;
    }
    // Two close eigenvalues: a rotation in their plane zeroes z_prev; deflate if the off-diagonal it creates,
    // (d_r − d_prev)·c·s, is negligible.
    const tau = hypot(z[r], z[prev]);
    const c = z[r] / tau;
    const sn = -z[prev] / tau;
    if (Math.abs((dv[r] - dv[prev]) * c * sn) <= tol) {
      z[r] = tau;
      z[prev] = 0;
      if (type[r] !== type[prev]) type[r] = 2;
      type[prev] = 0;
      const x = z0 + prev * ld;
      const y = z0 + r * ld;
      for (let q = 0; q < m; q++) {
        const a = h[x + q];
        const b = h[y + q];
        h[x + q] = c * a + sn * b;
        h[y + q] = c * b - sn * a;
      }
      const dp = dv[prev] * c * c + dv[r] * sn * sn;
      dv[r] = dv[prev] * sn * sn + dv[r] * c * c;
      dv[prev] = dp;
      deflated.push(prev);
    } else {
      kept.push(prev);
    }
    prev = r;
  }
  if (prev >= 0) kept.push(prev);
  const k = kept.length;
  deflated.sort((a, b) => dv[a] - dv[b]);

  // Pack the old eigenvectors: kept ones grouped by type (1, 2, 3; each group in ascending order), then deflated.
  const count = [0, 0, 0, 0];
  for (const r of kept) count[type[r]]++;
  const start = [0, 0, count[1], count[1] + count[2]];
  const slot = new Int32Array(k); // packed position of the i-th kept eigenvalue
  for (let i = 0; i < k; i++) slot[i] = start[type[kept[i]]]++;
  const p0 = w.pPacked >>> 3;
  for (let i = 0; i < k; i++) h.copyWithin(p0 + slot[i] * m, z0 + kept[i] * ld, z0 + kept[i] * ld + m);
  for (let q = 0; q < deflated.length; q++) {
    const r = deflated[q];
    h.copyWithin(p0 + (k + q) * m, z0 + r * ld, z0 + r * ld + m);
  }

  // Eigenpairs of diag(λ_kept) + ρ w wᵀ.
  const dl = new Float64Array(k);
  const wk = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    dl[i] = dv[kept[i]];
    wk[i] = z[kept[i]];
  }
  const lambda = new Float64Array(k);
  const u0 = w.pRoots >>> 3;
  for (let j = 0; j < k; j++) lambda[j] = secularRoot(k, dl, wk, rho, j, h, u0 + j * k, w.diffs);
  secularVectors(k, dl, wk, h, u0, slot, w.diffs);

  // New eigenvectors (rows) = U (k × k, columns in packed order) · packed old ones, the zero blocks skipped.
  const c1 = count[1];
  const c12 = count[1] + count[2];
  const pOut = w.pOut;
  const pRoots = w.pRoots;
  if (k > 0) {
    if (c12 > 0) gemm("f64", 0, 0, k, n1, c12, 1, pRoots, k, w.pPacked, m, 0, pOut, m);
    else for (let i = 0; i < k; i++) h.fill(0, (pOut >>> 3) + i * m, (pOut >>> 3) + i * m + n1);
    if (k - c1 > 0)
      gemm("f64", 0, 0, k, n2, k - c1, 1, pRoots + 8 * c1, k, w.pPacked + 8 * (c1 * m + n1), m, 0, pOut + 8 * n1, m);
    else for (let i = 0; i < k; i++) h.fill(0, (pOut >>> 3) + i * m + n1, (pOut >>> 3) + (i + 1) * m);
  }

  // Write back in ascending order: the k roots and the deflated eigenvalues are each sorted; merge them.
  const out0 = pOut >>> 3;
  let a = 0;
  let b = 0;
  for (let t = 0; t < m; t++) {
    const fromRoots = b >= deflated.length || (a < k && lambda[a] <= dv[deflated[b]]);
    const src = fromRoots ? out0 + a * m : p0 + (k + b) * m;
    const value = fromRoots ? lambda[a++] : dv[deflated[b++]];
    w.diffs[t] = value;
    h.copyWithin(z0 + t * ld, src, src + m);
  }
  for (let t = 0; t < m; t++) dv[t] = w.diffs[t];
}

/**
 * The j-th smallest root λ of the secular equation f(λ) = 1/ρ + Σ_i w_i²/(dl_i − λ) = 0 (dl strictly ascending,
 * every w_i ≠ 0, ρ > 0): λ_j lies in (dl_j, dl_{j+1}), the last one in (dl_{k−1}, dl_{k−1} + ρ‖w‖²]. Writes the
 * differences dl_i − λ_j to h[at + i], computed from the nearest pole so they are accurate to working precision
 * even when λ_j is within a few ulps of a pole, as Gu–Eisenstat's formula needs. The iteration is the "middle way"
 * of dlaed4: f is approximated by c + s/(δ_j − η) + S/(δ_{j+1} − η) matching f and the derivatives of its two
 * halves; the step is that model's root. A step leaving the bracket of the root is replaced by bisection.
 */
function secularRoot(
  k: number,
  dl: Float64Array,
  w: Float64Array,
  rho: number,
  j: number,
  h: Float64Array,
  at: number,
  dd: Float64Array,
): number {
  if (k === 1) {
    h[at] = -rho * w[0] * w[0];
    return dl[0] + rho * w[0] * w[0];
  }
  const rhoinv = 1 / rho;
  const last = j === k - 1;
  // The two poles of the model: (a, b) = (j, j+1) inside, (k−2, k−1) for the last root.
  const a = last ? k - 2 : j;
  const b = a + 1;
  let origin: number;
  let lo: number;
  let hi: number;
  let x: number; // the bracket's midpoint, relative to the origin
  if (!last) {
    const mid = (dl[j + 1] - dl[j]) / 2;
    let f = rhoinv;
    for (let i = 0; i < k; i++) f += (w[i] * w[i]) / (dl[i] - dl[j] - mid);
    // f increases from −∞ to +∞ across (dl_j, dl_{j+1}): f(mid) ≥ 0 puts the root in the half nearer dl_j.
    origin = f >= 0 ? j : j + 1;
    lo = f >= 0 ? 0 : -mid;
    hi = f >= 0 ? mid : 0;
    x = f >= 0 ? mid : -mid;
  } else {
    origin = j;
    let norm2 = 0;
    for (let i = 0; i < k; i++) norm2 += w[i] * w[i];
    lo = 0;
    hi = rho * norm2 * (1 + 8 * EPS);
    x = hi / 2;
  }
  const base = dl[origin];
  for (let i = 0; i < k; i++) dd[i] = dl[i] - base;

  // Initial guess: the two nearest poles exact, the rest of f frozen at the midpoint.
  let c = rhoinv;
  for (let i = 0; i < k; i++) if (i !== a && i !== b) c += (w[i] * w[i]) / (dd[i] - x);
  let tau = twoPoleRoot(c, w[a] * w[a], w[b] * w[b], dd[a], dd[b], last);
  if (!(tau > lo && tau < hi)) tau = (lo + hi) / 2;

  for (let iter = 0; iter < MAX_SECULAR_ITER; iter++) {
    let psi = 0;
    let dpsi = 0;
    let phi = 0;
    let dphi = 0;
    for (let i = 0; i <= a; i++) {
      const t = w[i] / (dd[i] - tau);
      psi += w[i] * t;
      dpsi += t * t;
    }
    for (let i = a + 1; i < k; i++) {
      const t = w[i] / (dd[i] - tau);
      phi += w[i] * t;
      dphi += t * t;
    }
    const f = rhoinv + psi + phi;
    // Bound on the rounding error of evaluating f (dlaed4's erretm).
    const err = 8 * (Math.abs(phi) + Math.abs(psi)) + 2 * rhoinv + Math.abs(tau) * (dpsi + dphi);
    if (Math.abs(f) <= EPS * err) break;
    if (f > 0) hi = tau;
    else lo = tau;
    const da = dd[a] - tau;
    const db = dd[b] - tau;
    const eta = twoPoleRoot(f - da * dpsi - db * dphi, da * da * dpsi, db * db * dphi, da, db, last);
    let next = tau + eta;
    if (!(next > lo && next < hi)) next = lo + (hi - lo) / 2;
    if (next === tau || next === lo || next === hi) break; // the bracket has shrunk to adjacent floats
    tau = next;
    if (iter === MAX_SECULAR_ITER - 1)
      throw new TridiagonalFailure(`the secular equation did not converge for root ${j}`);
  }
  for (let i = 0; i < k; i++) h[at + i] = dd[i] - tau;
  return base + tau;
}

/**
 * The root η of c + sa/(da − η) + sb/(db − η) = 0 (sa, sb ≥ 0, da < db) between the poles (da, db), or beyond
 * db when `beyond` (the largest root); NaN when there is none. Both roots of the quadratic
 * c η² − (c(da+db) + sa + sb) η + (c·da·db + sa·db + sb·da) = 0 are formed without cancellation.
 */
function twoPoleRoot(c: number, sa: number, sb: number, da: number, db: number, beyond: boolean): number {
  const A = c * (da + db) + sa + sb;
  const B = c * da * db + sa * db + sb * da;
  let r1: number;
  let r2: number;
  if (c === 0) {
    r1 = B / A;
    r2 = NaN;
  } else {
    const q = A + (A >= 0 ? 1 : -1) * Math.sqrt(Math.max(0, A * A - 4 * c * B));
    r1 = q / (2 * c);
    r2 = (2 * B) / q;
  }
  if (beyond ? r1 > db : r1 > da && r1 < db) return r1;
  if (beyond ? r2 > db : r2 > da && r2 < db) return r2;
  return NaN;
}

/**
 * Eigenvectors of diag(dl) + ρ w wᵀ from its roots (dlaed3): Gu & Eisenstat's ŵ, the vector for which the computed
 * roots are exact, ŵ_i² = −Π_j (dl_i − λ_j) / Π_{j≠i} (dl_i − dl_j) (sign of w_i), then u_j ∝ (ŵ_i / (dl_i − λ_j))_i,
 * normalised. On entry row j of the k×k matrix at h[u0] holds dl_i − λ_j; on exit it holds u_j with component i
 * at column slot[i].
 */
function secularVectors(
  k: number,
  dl: Float64Array,
  w: Float64Array,
  h: Float64Array,
  u0: number,
  slot: Int32Array,
  tmp: Float64Array,
): void {
  if (k === 1) {
    h[u0] = 1;
    return;
  }
  const what = new Float64Array(k);
  for (let i = 0; i < k; i++) what[i] = h[u0 + i * k + i];
  for (let j = 0; j < k; j++) {
    const row = u0 + j * k;
    const dj = dl[j];
    for (let i = 0; i < j; i++) what[i] *= h[row + i] / (dl[i] - dj);
    for (let i = j + 1; i < k; i++) what[i] *= h[row + i] / (dl[i] - dj);
  }
  for (let i = 0; i < k; i++) what[i] = w[i] < 0 ? -Math.sqrt(-what[i]) : Math.sqrt(-what[i]);
  for (let j = 0; j < k; j++) {
    const row = u0 + j * k;
    let norm2 = 0;
    for (let i = 0; i < k; i++) {
      const v = what[i] / h[row + i];
      tmp[i] = v;
      norm2 += v * v;
    }
    const inv = 1 / Math.sqrt(norm2);
    for (let i = 0; i < k; i++) h[row + slot[i]] = tmp[i] * inv;
  }
}
