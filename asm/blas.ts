// BLAS-like kernels (float64). Pointers are byte offsets into linear memory; matrices are row-major with the
// given row strides (lda, ldb, ldc, in elements).
//
// GEMM follows the BLIS / GotoBLAS design (Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication", ACM TOMS 34(3), 2008; Van Zee & van de Geijn, "BLIS", ACM TOMS 41(3), 2015):
//   for each NC-wide column block of op(B) and KC-deep slice of k:
//     pack op(B)[KC×NC] into NR-wide panels (stays in L2/L3)
//     for each MC-tall row block of op(A):
//       pack op(A)[MC×KC] into MR-tall panels, each value stored twice (stays in L2)
//       for each NR panel of B (its KC×NR micro-panel stays in L1), for each MR panel of A:
//         micro-kernel: an MR×NR block of C accumulated in registers over KC rank-1 updates.
// Transposes are absorbed by the packing, so one micro-kernel serves all four combinations. The micro-kernel
// is 4×4 with f64x2 vectors along the rows of C: 8 accumulators + 2 B vectors + 4 broadcast A values + a
// product fit the 15 vector registers V8 allocates on x86-64 without spilling. A is packed pre-broadcast
// ((a, a) pairs) because V8 folds a plain v128.load's constant offset into the address but spends an extra
// instruction on each v128.load64_splat; in a loop this tight that (with a pointer-bounded k loop) is worth
// ~17%: 23.7 → 28 GFLOP/s on the 2-core Zen 5 build machine, about 88% of what 128-bit mul + add can do.
// Every multiply-add goes through `madd` (below): a multiply and an add in wasm/layerwise.wasm, one fused
// relaxed_madd in wasm/layerwise-relaxed.wasm (one instruction instead of two; ~17% faster on a Zen 4 core).

// Exported so the TypeScript bridge (src/linalg/wasm.ts) allocates above the static data, which includes the
// GEMM packing workspace below.
export { __heap_base };

import { evenBlock, roundUp } from "./blocking";

const MR: i32 = 4;
const NR: i32 = 4;
const KC: i32 = 256; // KC×NR B micro-panel = 8 KiB and KC×MR broadcast A micro-panel = 16 KiB: both fit L1
const MC: i32 = 128; // MC×KC packed (broadcast) A block = 512 KiB: fits L2
const NC: i32 = 512; // KC×NC packed B block = 1 MiB: fits L2/L3

const PACK_A_BYTES: i32 = MC * KC * 16;
const PACK_B_BYTES: i32 = KC * NC * 8;
const EDGE_BYTES: i32 = MR * NR * 8;

/** Bytes of the static GEMM workspace: packed A block + packed B block + one MR×NR edge tile (1.5 MiB). */
export const GEMM_WORKSPACE_BYTES: i32 = PACK_A_BYTES + PACK_B_BYTES + EDGE_BYTES;

// The static workspace that `dgemm` and `dsyrk` pack into: zero-initialised memory in the data segment (it adds
// nothing to the .wasm file). Kernels never nest, so one buffer suffices for the calling thread; other threads
// call the *Ws variants with workspaces of their own.
const WORKSPACE: usize = memory.data(GEMM_WORKSPACE_BYTES, 64);

/** Dot product Σ x[i]·y[i] of two contiguous float64 vectors of length n. */
export function ddot(n: i32, px: usize, py: usize): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    s += load<f64>(px + ((<usize>i) << 3)) * load<f64>(py + ((<usize>i) << 3));
  }
  return s;
}

/**
 * The workspace `dgemmWs` needs for an m×n×k product, in bytes (at most GEMM_WORKSPACE_BYTES): packed blocks
 * are min(m, MC)×min(k, KC) (16 bytes per value) and min(k, KC)×min(n, NC), rounded up to whole micro-panels.
 */
export function dgemmWorkspaceBytes(m: i32, n: i32, k: i32): i32 {
  const mc = min(roundUp(m, MR), MC);
  const nc = min(roundUp(n, NR), NC);
  const kc = min(k, KC);
  return roundUp(mc * kc * 16, 64) + roundUp(kc * nc * 8, 64) + EDGE_BYTES;
}

/**
 * C ← α·op(A)·op(B) + β·C (BLAS dgemm, row-major). op(A) is m×k, op(B) is k×n; transA/transB ≠ 0 selects the
 * transpose. When β = 0, C is not read (so NaN in C does not propagate), as in reference BLAS; when α = 0 or
 * k = 0, A and B are not read. Uses the static workspace; see `dgemmWs` to pass your own.
 */
export function dgemm(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  pA: usize,
  lda: i32,
  pB: usize,
  ldb: i32,
  beta: f64,
  pC: usize,
  ldc: i32,
): void {
  gemmBlocked(transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, WORKSPACE, false);
}

/** `dgemm` packing into the caller's workspace at pWork (at least `dgemmWorkspaceBytes(m, n, k)` bytes). */
export function dgemmWs(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  pA: usize,
  lda: i32,
  pB: usize,
  ldb: i32,
  beta: f64,
  pC: usize,
  ldc: i32,
  pWork: usize,
): void {
  gemmBlocked(transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, pWork, false);
}

/**
 * Symmetric rank-k update (BLAS dsyrk, row-major, both triangles written): C (n×n) ← α·X·Xᵀ + β·C with
 * X = A (n×k) when trans = 0, or X = Aᵀ (A is k×n, so C = α·AᵀA + β·C) when trans ≠ 0. Only tiles on or above
 * the diagonal are computed (about half the flops of GEMM); the strict lower triangle is then mirrored from
 * the upper one, so C is exactly symmetric. When β ≠ 0 only C's upper triangle is read.
 */
export function dsyrk(
  trans: i32,
  n: i32,
  k: i32,
  alpha: f64,
  pA: usize,
  lda: i32,
  beta: f64,
  pC: usize,
  ldc: i32,
): void {
  dsyrkUpperWs(trans, n, k, alpha, pA, lda, beta, pC, ldc, WORKSPACE);
  dmirrorUpper(n, pC, ldc);
}

/**
 * The first half of `dsyrk`, packing into the caller's workspace at pWork (`dgemmWorkspaceBytes(n, n, k)`
 * bytes): computes the 4×4 tiles of C = α·X·Xᵀ + β·C that touch the upper triangle and leaves the rest of C
 * as it was. Threads split a large syrk into such diagonal blocks plus GEMMs above them (src/linalg/threads.ts).
 */
export function dsyrkUpperWs(
  trans: i32,
  n: i32,
  k: i32,
  alpha: f64,
  pA: usize,
  lda: i32,
  beta: f64,
  pC: usize,
  ldc: i32,
  pWork: usize,
): void {
  gemmBlocked(trans, trans ? 0 : 1, n, n, k, alpha, pA, lda, pA, lda, beta, pC, ldc, pWork, true);
}

/** The second half of `dsyrk`: C[i, j] ← C[j, i] for i > j (the strict lower triangle mirrors the upper one). */
export function dmirrorUpper(n: i32, pC: usize, ldc: i32): void {
  // Mirror in 32×32 tiles so the column-wise reads stay in L1 (a plain loop strides through all of C).
  const ld = <usize>ldc;
  for (let i0 = 0; i0 < n; i0 += 32) {
    const i1 = min(i0 + 32, n);
    for (let j0 = 0; j0 <= i0; j0 += 32) {
      for (let i = i0; i < i1; i++) {
        const j1 = min(j0 + 32, i);
        for (let j = j0; j < j1; j++) {
          store<f64>(pC + ((<usize>i * ld + <usize>j) << 3), load<f64>(pC + ((<usize>j * ld + <usize>i) << 3)));
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

/** C ← β·C for an m×n block (β = 0 writes zeros without reading C). */
function scaleC(m: i32, n: i32, beta: f64, pC: usize, ldc: i32): void {
  for (let i = 0; i < m; i++) {
    const row = pC + ((<usize>i * <usize>ldc) << 3);
    for (let j = 0; j < n; j++) {
      const p = row + ((<usize>j) << 3);
      store<f64>(p, beta == 0 ? 0 : beta * load<f64>(p));
    }
  }
}

/**
 * The blocked GEMM loop nest (see the header). With `upper`, C is square and only tiles that touch the upper
 * triangle (column ≥ row) are computed.
 */
function gemmBlocked(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  pA: usize,
  lda: i32,
  pB: usize,
  ldb: i32,
  beta: f64,
  pC: usize,
  ldc: i32,
  pWork: usize,
  upper: bool,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    scaleC(m, n, beta, pC, ldc);
    return;
  }
  // op(A)[i, p] = A[i·ars + p·acs], op(B)[p, j] = B[p·brs + j·bcs].
  const ars: usize = transA ? 1 : <usize>lda;
  const acs: usize = transA ? <usize>lda : 1;
  const brs: usize = transB ? 1 : <usize>ldb;
  const bcs: usize = transB ? <usize>ldb : 1;

  const kcMax = evenBlock(k, KC, 1);
  const mcMax = evenBlock(m, MC, MR);
  const pAp = pWork;
  const pBp = pWork + <usize>roundUp(mcMax * kcMax * 16, 64);
  const pEdge = pBp + <usize>roundUp(kcMax * min(roundUp(n, NR), NC) * 8, 64);

  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = min(kcMax, k - pc);
      const betaBlock = pc == 0 ? beta : 1.0;
      // B panels: element (p, j) of the block is op(B)[pc + p, jc + j]; panel "rows" are columns j.
      packB(pB + ((<usize>pc * brs + <usize>jc * bcs) << 3), bcs, brs, nc, kc, pBp);
      for (let ic = 0; ic < m; ic += mcMax) {
        const mc = min(mcMax, m - ic);
        if (upper && ic >= jc + nc) break; // this row block lies entirely below the diagonal
        packA(pA + ((<usize>ic * ars + <usize>pc * acs) << 3), ars, acs, mc, kc, pAp);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pBpanel = pBp + ((<usize>jr * <usize>kc) << 3);
          for (let ir = 0; ir < mc; ir += MR) {
            // A tile touches the upper triangle when its last column ≥ its first row.
            if (upper && jc + jr + nr - 1 < ic + ir) break;
            const mr = min(MR, mc - ir);
            const pCtile = pC + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << 3);
            microKernel(
              kc,
              pAp + ((<usize>ir * <usize>kc) << 4),
              pBpanel,
              pCtile,
              ldc,
              alpha,
              betaBlock,
              mr,
              nr,
              pEdge,
            );
          }
        }
      }
    }
  }
}

/**
 * Packs a rows×depth block of a strided matrix X (X[r, p] at pX + 8·(r·rs + p·ps)) into 4-row panels:
 * panel q holds X[4q .. 4q+3, 0 .. depth) stored p-major, i.e. dst[q·depth·4 + p·4 + r] = X[4q + r, p], with
 * rows past the end zero-filled so the micro-kernel never needs edge cases along k.
 * Used for B, whose panel rows are the columns of op(B).
 */
function packB(pX: usize, rs: usize, ps: usize, rows: i32, depth: i32, dst: usize): void {
  const rs8 = rs << 3;
  const ps8 = ps << 3;
  let d = dst;
  for (let r0 = 0; r0 < rows; r0 += 4) {
    const src = pX + <usize>r0 * rs8;
    if (r0 + 4 <= rows) {
      if (ps == 1) {
        // Each of the 4 rows is contiguous along p: read 4 streams, interleave two p at a time.
        const s0 = src;
        const s1 = src + rs8;
        const s2 = s1 + rs8;
        const s3 = s2 + rs8;
        let p = 0;
        for (; p + 2 <= depth; p += 2) {
          const o = (<usize>p) << 3;
          const x0 = v128.load(s0 + o);
          const x1 = v128.load(s1 + o);
          const x2 = v128.load(s2 + o);
          const x3 = v128.load(s3 + o);
          v128.store(d, v128.shuffle<f64>(x0, x1, 0, 2));
          v128.store(d, v128.shuffle<f64>(x2, x3, 0, 2), 16);
          v128.store(d, v128.shuffle<f64>(x0, x1, 1, 3), 32);
          v128.store(d, v128.shuffle<f64>(x2, x3, 1, 3), 48);
          d += 64;
        }
        if (p < depth) {
          const o = (<usize>p) << 3;
          store<f64>(d, load<f64>(s0 + o));
          store<f64>(d, load<f64>(s1 + o), 8);
          store<f64>(d, load<f64>(s2 + o), 16);
          store<f64>(d, load<f64>(s3 + o), 24);
          d += 32;
        }
      } else if (rs == 1) {
        // The 4 rows are adjacent in memory for each p: copy 4 contiguous values per p.
        let s = src;
        for (let p = 0; p < depth; p++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += ps8;
          d += 32;
        }
      } else {
        let s = src;
        for (let p = 0; p < depth; p++) {
          store<f64>(d, load<f64>(s));
          store<f64>(d, load<f64>(s + rs8), 8);
          store<f64>(d, load<f64>(s + 2 * rs8), 16);
          store<f64>(d, load<f64>(s + 3 * rs8), 24);
          s += ps8;
          d += 32;
        }
      }
    } else {
      // Last, partial panel: copy the rows that exist, zero the rest.
      const have = rows - r0;
      for (let p = 0; p < depth; p++) {
        const s = src + <usize>p * ps8;
        for (let r = 0; r < 4; r++) {
          store<f64>(d + ((<usize>r) << 3), r < have ? load<f64>(s + <usize>r * rs8) : 0.0);
        }
        d += 32;
      }
    }
  }
}

/**
 * Packs a rows×depth block of a strided matrix X (as in `packB`) into 4-row panels of broadcast pairs:
 * panel q, step p holds (X[4q + r, p], X[4q + r, p]) for r = 0..3 (64 bytes), rows past the end zero-filled.
 * Used for A, whose panel rows are the rows of op(A).
 */
function packA(pX: usize, rs: usize, ps: usize, rows: i32, depth: i32, dst: usize): void {
  const rs8 = rs << 3;
  const ps8 = ps << 3;
  let d = dst;
  for (let r0 = 0; r0 < rows; r0 += 4) {
    const src = pX + <usize>r0 * rs8;
    if (r0 + 4 <= rows && ps == 1) {
      // Each of the 4 rows is contiguous along p: read two p at a time from each, broadcast each lane.
      const s0 = src;
      const s1 = src + rs8;
      const s2 = s1 + rs8;
      const s3 = s2 + rs8;
      let p = 0;
      for (; p + 2 <= depth; p += 2) {
        const o = (<usize>p) << 3;
        const x0 = v128.load(s0 + o);
        const x1 = v128.load(s1 + o);
        const x2 = v128.load(s2 + o);
        const x3 = v128.load(s3 + o);
        v128.store(d, v128.shuffle<f64>(x0, x0, 0, 0));
        v128.store(d, v128.shuffle<f64>(x1, x1, 0, 0), 16);
        v128.store(d, v128.shuffle<f64>(x2, x2, 0, 0), 32);
        v128.store(d, v128.shuffle<f64>(x3, x3, 0, 0), 48);
        v128.store(d, v128.shuffle<f64>(x0, x0, 1, 1), 64);
        v128.store(d, v128.shuffle<f64>(x1, x1, 1, 1), 80);
        v128.store(d, v128.shuffle<f64>(x2, x2, 1, 1), 96);
        v128.store(d, v128.shuffle<f64>(x3, x3, 1, 1), 112);
        d += 128;
      }
      if (p < depth) {
        const o = (<usize>p) << 3;
        v128.store(d, v128.load64_splat(s0 + o));
        v128.store(d, v128.load64_splat(s1 + o), 16);
        v128.store(d, v128.load64_splat(s2 + o), 32);
        v128.store(d, v128.load64_splat(s3 + o), 48);
        d += 64;
      }
    } else if (r0 + 4 <= rows && rs == 1) {
      // The 4 rows are adjacent in memory for each p (op(A) = Aᵀ): two loads, four broadcasts per p.
      let s = src;
      for (let p = 0; p < depth; p++) {
        const x01 = v128.load(s);
        const x23 = v128.load(s, 16);
        v128.store(d, v128.shuffle<f64>(x01, x01, 0, 0));
        v128.store(d, v128.shuffle<f64>(x01, x01, 1, 1), 16);
        v128.store(d, v128.shuffle<f64>(x23, x23, 0, 0), 32);
        v128.store(d, v128.shuffle<f64>(x23, x23, 1, 1), 48);
        s += ps8;
        d += 64;
      }
    } else {
      // General strides, or the last, partial panel: copy the rows that exist, zero the rest.
      const have = min(rows - r0, 4);
      for (let p = 0; p < depth; p++) {
        const s = src + <usize>p * ps8;
        for (let r = 0; r < 4; r++) {
          v128.store(d + ((<usize>r) << 4), r < have ? v128.load64_splat(s + <usize>r * rs8) : f64x2.splat(0));
        }
        d += 64;
      }
    }
  }
}

/**
 * The 4×4 micro-kernel: C[0..mr, 0..nr) ← α·Σ_p a_p b_pᵀ + β·C over kc packed rank-1 updates, where a_p (4
 * broadcast pairs at pa + 64p, from `packA`) and b_p (4 values at pb + 32p, from `packB`). Partial tiles (mr or nr < 4) go
 * through the 4×4 scratch tile at pEdge so the hot path has no bounds logic.
 */
function microKernel(
  kc: i32,
  pa: usize,
  pb: usize,
  pC: usize,
  ldc: i32,
  alpha: f64,
  beta: f64,
  mr: i32,
  nr: i32,
  pEdge: usize,
): void {
  let c00 = f64x2.splat(0);
  let c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0);
  let c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0);
  let c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0);
  let c31 = f64x2.splat(0);
  // Bounded by the A pointer rather than a counter: one fewer instruction in the loop.
  const paEnd = pa + ((<usize>kc) << 6);
  while (pa < paEnd) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load(pa, 16);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load(pa, 32);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load(pa, 48);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 64;
    pb += 32;
  }
  const full = mr == MR && nr == NR;
  const ld: usize = full ? (<usize>ldc) << 3 : 32;
  const out = full ? pC : pEdge;
  const betaHere = full ? beta : 0.0;
  storeRow(out, c00, c01, alpha, betaHere);
  storeRow(out + ld, c10, c11, alpha, betaHere);
  storeRow(out + 2 * ld, c20, c21, alpha, betaHere);
  storeRow(out + 3 * ld, c30, c31, alpha, betaHere);
  if (!full) {
    for (let r = 0; r < mr; r++) {
      for (let c = 0; c < nr; c++) {
        const dst = pC + ((<usize>r * <usize>ldc + <usize>c) << 3);
        const v = load<f64>(pEdge + ((<usize>(r * 4 + c)) << 3));
        store<f64>(dst, beta == 0 ? v : v + beta * load<f64>(dst));
      }
    }
  }
}

/**
 * c + a·b on f64x2 lanes. One source for both builds of the kernels: ASC_FEATURE_RELAXED_SIMD is a compile-time
 * constant, so wasm/layerwise.wasm holds a separate multiply and add (two roundings, the same bits on every
 * engine) and wasm/layerwise-relaxed.wasm (`--enable relaxed-simd`) holds `f64x2.relaxed_madd`, which the engine
 * lowers to a fused multiply-add (one rounding) where the CPU has one, else to multiply + add.
 */
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

/** Writes one 4-wide row of a tile: out[0..4) ← α·(v0, v1) + β·out[0..4) (β = 0: out is not read). */
function storeRow(out: usize, v0: v128, v1: v128, alpha: f64, beta: f64): void {
  const va = f64x2.splat(alpha);
  let r0 = f64x2.mul(va, v0);
  let r1 = f64x2.mul(va, v1);
  if (beta != 0) {
    const vb = f64x2.splat(beta);
    r0 = f64x2.add(r0, f64x2.mul(vb, v128.load(out)));
    r1 = f64x2.add(r1, f64x2.mul(vb, v128.load(out, 16)));
  }
  v128.store(out, r0);
  v128.store(out, r1, 16);
}
