// BLAS-like kernels in float32 (f32x4 SIMD): sgemm and ssyrk. Pointers are byte offsets into linear memory;
// matrices are row-major with the given row strides (in elements).
//
// The design is that of the float64 GEMM in asm/blas.ts (BLIS loop nest, packed panels, transposes absorbed by
// the packing; see its header for references), with a 4×8 micro-kernel: each row of the C tile is two f32x4
// vectors, so the same 8 accumulators + 2 B vectors + broadcast A values fit V8's 15 vector registers while each
// multiply-add instruction does four products instead of two. A is packed pre-broadcast ((a, a, a, a) per
// value, 16 bytes) for the reason given in asm/blas.ts. Accumulation is in float32, as in reference BLAS sgemm.
// The multiply-adds go through `madd32`, fused in the relaxed-SIMD build as `madd` is in asm/blas.ts.

import { evenBlock, roundUp } from "./blocking";

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256; // KC×NR B micro-panel = 8 KiB and KC×MR broadcast A micro-panel = 16 KiB: both fit L1
const MC: i32 = 128; // MC×KC packed (broadcast) A block = 512 KiB: fits L2
const NC: i32 = 512; // KC×NC packed B block = 512 KiB: fits L2/L3

const PACK_A_BYTES: i32 = MC * KC * 16;
const PACK_B_BYTES: i32 = KC * NC * 4;
const EDGE_BYTES: i32 = MR * NR * 4;

// The static workspace of `sgemm` and `ssyrk` (zero-initialised data, nothing in the .wasm file): kernels never
// nest; other threads call the *Ws variants with workspaces of their own.
const WORKSPACE: usize = memory.data(PACK_A_BYTES + PACK_B_BYTES + EDGE_BYTES, 64);

/**
 * The workspace `sgemmWs` needs for an m×n×k product, in bytes: packed blocks of min(m, MC)×min(k, KC)
 * broadcast values (16 bytes each) and min(k, KC)×min(n, NC) values, rounded up to whole micro-panels.
 */
export function sgemmWorkspaceBytes(m: i32, n: i32, k: i32): i32 {
  const mc = min(roundUp(m, MR), MC);
  const nc = min(roundUp(n, NR), NC);
  const kc = min(k, KC);
  return roundUp(mc * kc * 16, 64) + roundUp(kc * nc * 4, 64) + EDGE_BYTES;
}

/**
 * C ← α·op(A)·op(B) + β·C in float32 (BLAS sgemm, row-major). op(A) is m×k, op(B) is k×n; transA/transB ≠ 0
 * selects the transpose. When β = 0, C is not read; when α = 0 or k = 0, A and B are not read.
 */
export function sgemm(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f32,
  pA: usize,
  lda: i32,
  pB: usize,
  ldb: i32,
  beta: f32,
  pC: usize,
  ldc: i32,
): void {
  gemmBlocked32(transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, WORKSPACE, false);
}

/** `sgemm` packing into the caller's workspace at pWork (at least `sgemmWorkspaceBytes(m, n, k)` bytes). */
export function sgemmWs(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f32,
  pA: usize,
  lda: i32,
  pB: usize,
  ldb: i32,
  beta: f32,
  pC: usize,
  ldc: i32,
  pWork: usize,
): void {
  gemmBlocked32(transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, pWork, false);
}

/**
 * Symmetric rank-k update in float32 (BLAS ssyrk, row-major, both triangles written): C (n×n) ← α·X·Xᵀ + β·C with
 * X = A (n×k) when trans = 0, or X = Aᵀ (A is k×n) when trans ≠ 0. Only tiles touching the upper triangle are
 * computed; the strict lower triangle is then mirrored from the upper one, so C is exactly symmetric.
 */
export function ssyrk(
  trans: i32,
  n: i32,
  k: i32,
  alpha: f32,
  pA: usize,
  lda: i32,
  beta: f32,
  pC: usize,
  ldc: i32,
): void {
  ssyrkUpperWs(trans, n, k, alpha, pA, lda, beta, pC, ldc, WORKSPACE);
  smirrorUpper(n, pC, ldc);
}

/**
 * The first half of `ssyrk`, packing into the caller's workspace (`sgemmWorkspaceBytes(n, n, k)` bytes): the
 * 4×8 tiles of C = α·X·Xᵀ + β·C that touch the upper triangle; the rest of C is left as it was.
 */
export function ssyrkUpperWs(
  trans: i32,
  n: i32,
  k: i32,
  alpha: f32,
  pA: usize,
  lda: i32,
  beta: f32,
  pC: usize,
  ldc: i32,
  pWork: usize,
): void {
  gemmBlocked32(trans, trans ? 0 : 1, n, n, k, alpha, pA, lda, pA, lda, beta, pC, ldc, pWork, true);
}

/** The second half of `ssyrk`: C[i, j] ← C[j, i] for i > j, in 32×32 tiles (see `dmirrorUpper`). */
export function smirrorUpper(n: i32, pC: usize, ldc: i32): void {
  const ld = <usize>ldc;
  for (let i0 = 0; i0 < n; i0 += 32) {
    const i1 = min(i0 + 32, n);
    for (let j0 = 0; j0 <= i0; j0 += 32) {
      for (let i = i0; i < i1; i++) {
        const j1 = min(j0 + 32, i);
        for (let j = j0; j < j1; j++) {
          store<f32>(pC + ((<usize>i * ld + <usize>j) << 2), load<f32>(pC + ((<usize>j * ld + <usize>i) << 2)));
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

function gemmBlocked32(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f32,
  pA: usize,
  lda: i32,
  pB: usize,
  ldb: i32,
  beta: f32,
  pC: usize,
  ldc: i32,
  pWork: usize,
  upper: bool,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    for (let i = 0; i < m; i++) {
      const row = pC + ((<usize>i * <usize>ldc) << 2);
      for (let j = 0; j < n; j++) {
        const p = row + ((<usize>j) << 2);
        store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
      }
    }
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
  const pEdge = pBp + <usize>roundUp(kcMax * min(roundUp(n, NR), NC) * 4, 64);

  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = min(kcMax, k - pc);
      const betaBlock: f32 = pc == 0 ? beta : 1.0;
      packB32(pB + ((<usize>pc * brs + <usize>jc * bcs) << 2), bcs, brs, nc, kc, pBp);
      for (let ic = 0; ic < m; ic += mcMax) {
        const mc = min(mcMax, m - ic);
        if (upper && ic >= jc + nc) break; // this row block lies entirely below the diagonal
        packA32(pA + ((<usize>ic * ars + <usize>pc * acs) << 2), ars, acs, mc, kc, pAp);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pBpanel = pBp + ((<usize>jr * <usize>kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            if (upper && jc + jr + nr - 1 < ic + ir) break;
            const mr = min(MR, mc - ir);
            const pCtile = pC + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << 2);
            microKernel32(
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
 * Packs a rows×depth block of a strided float32 matrix X (X[r, p] at pX + 4·(r·rs + p·ps)) into 8-row panels,
 * p-major: dst[q·depth·8 + p·8 + r] = X[8q + r, p], rows past the end zero-filled. Used for B, whose panel rows
 * are the columns of op(B).
 */
function packB32(pX: usize, rs: usize, ps: usize, rows: i32, depth: i32, dst: usize): void {
  const rs4 = rs << 2;
  const ps4 = ps << 2;
  let d = dst;
  for (let r0 = 0; r0 < rows; r0 += 8) {
    const src = pX + <usize>r0 * rs4;
    if (r0 + 8 <= rows && rs == 1) {
      // The 8 panel rows are adjacent in memory for each p (op(B) = B): two vector copies per p.
      let s = src;
      for (let p = 0; p < depth; p++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += ps4;
        d += 32;
      }
    } else {
      const have = min(rows - r0, 8);
      for (let p = 0; p < depth; p++) {
        const s = src + <usize>p * ps4;
        for (let r = 0; r < 8; r++) {
          store<f32>(d + ((<usize>r) << 2), r < have ? load<f32>(s + <usize>r * rs4) : 0);
        }
        d += 32;
      }
    }
  }
}

/**
 * Packs a rows×depth block of a strided float32 matrix X (as in `packB32`) into 4-row panels of broadcast
 * quadruples: panel q, step p holds (X[4q + r, p] × 4 lanes) for r = 0..3 (64 bytes), rows past the end zero.
 * Used for A, whose panel rows are the rows of op(A).
 */
function packA32(pX: usize, rs: usize, ps: usize, rows: i32, depth: i32, dst: usize): void {
  const rs4 = rs << 2;
  const ps4 = ps << 2;
  let d = dst;
  for (let r0 = 0; r0 < rows; r0 += 4) {
    const src = pX + <usize>r0 * rs4;
    if (r0 + 4 <= rows && ps == 1) {
      // Each of the 4 rows is contiguous along p: read four p at a time from each row, broadcast each lane.
      const s0 = src;
      const s1 = src + rs4;
      const s2 = s1 + rs4;
      const s3 = s2 + rs4;
      let p = 0;
      for (; p + 4 <= depth; p += 4) {
        const o = (<usize>p) << 2;
        const x0 = v128.load(s0 + o);
        const x1 = v128.load(s1 + o);
        const x2 = v128.load(s2 + o);
        const x3 = v128.load(s3 + o);
        v128.store(d, v128.shuffle<f32>(x0, x0, 0, 0, 0, 0));
        v128.store(d, v128.shuffle<f32>(x1, x1, 0, 0, 0, 0), 16);
        v128.store(d, v128.shuffle<f32>(x2, x2, 0, 0, 0, 0), 32);
        v128.store(d, v128.shuffle<f32>(x3, x3, 0, 0, 0, 0), 48);
        v128.store(d, v128.shuffle<f32>(x0, x0, 1, 1, 1, 1), 64);
        v128.store(d, v128.shuffle<f32>(x1, x1, 1, 1, 1, 1), 80);
        v128.store(d, v128.shuffle<f32>(x2, x2, 1, 1, 1, 1), 96);
        v128.store(d, v128.shuffle<f32>(x3, x3, 1, 1, 1, 1), 112);
        v128.store(d, v128.shuffle<f32>(x0, x0, 2, 2, 2, 2), 128);
        v128.store(d, v128.shuffle<f32>(x1, x1, 2, 2, 2, 2), 144);
        v128.store(d, v128.shuffle<f32>(x2, x2, 2, 2, 2, 2), 160);
        v128.store(d, v128.shuffle<f32>(x3, x3, 2, 2, 2, 2), 176);
        v128.store(d, v128.shuffle<f32>(x0, x0, 3, 3, 3, 3), 192);
        v128.store(d, v128.shuffle<f32>(x1, x1, 3, 3, 3, 3), 208);
        v128.store(d, v128.shuffle<f32>(x2, x2, 3, 3, 3, 3), 224);
        v128.store(d, v128.shuffle<f32>(x3, x3, 3, 3, 3, 3), 240);
        d += 256;
      }
      for (; p < depth; p++) {
        const o = (<usize>p) << 2;
        v128.store(d, v128.load32_splat(s0 + o));
        v128.store(d, v128.load32_splat(s1 + o), 16);
        v128.store(d, v128.load32_splat(s2 + o), 32);
        v128.store(d, v128.load32_splat(s3 + o), 48);
        d += 64;
      }
    } else {
      // General strides (op(A) = Aᵀ), or the last, partial panel: broadcast the rows that exist, zero the rest.
      const have = min(rows - r0, 4);
      for (let p = 0; p < depth; p++) {
        const s = src + <usize>p * ps4;
        for (let r = 0; r < 4; r++) {
          v128.store(d + ((<usize>r) << 4), r < have ? v128.load32_splat(s + <usize>r * rs4) : f32x4.splat(0));
        }
        d += 64;
      }
    }
  }
}

/**
 * The 4×8 micro-kernel: C[0..mr, 0..nr) ← α·Σ_p a_p b_pᵀ + β·C over kc packed rank-1 updates (a_p: 4 broadcast
 * quadruples at pa + 64p; b_p: 8 values at pb + 32p). Partial tiles go through the scratch tile at pEdge.
 */
function microKernel32(
  kc: i32,
  pa: usize,
  pb: usize,
  pC: usize,
  ldc: i32,
  alpha: f32,
  beta: f32,
  mr: i32,
  nr: i32,
  pEdge: usize,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  const paEnd = pa + ((<usize>kc) << 6);
  while (pa < paEnd) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load(pa);
    c00 = madd32(a, b0, c00);
    c01 = madd32(a, b1, c01);
    a = v128.load(pa, 16);
    c10 = madd32(a, b0, c10);
    c11 = madd32(a, b1, c11);
    a = v128.load(pa, 32);
    c20 = madd32(a, b0, c20);
    c21 = madd32(a, b1, c21);
    a = v128.load(pa, 48);
    c30 = madd32(a, b0, c30);
    c31 = madd32(a, b1, c31);
    pa += 64;
    pb += 32;
  }
  const full = mr == MR && nr == NR;
  const ld: usize = full ? (<usize>ldc) << 2 : 32;
  const out = full ? pC : pEdge;
  const betaHere: f32 = full ? beta : 0;
  storeRow32(out, c00, c01, alpha, betaHere);
  storeRow32(out + ld, c10, c11, alpha, betaHere);
  storeRow32(out + 2 * ld, c20, c21, alpha, betaHere);
  storeRow32(out + 3 * ld, c30, c31, alpha, betaHere);
  if (!full) {
    for (let r = 0; r < mr; r++) {
      for (let c = 0; c < nr; c++) {
        const dst = pC + ((<usize>r * <usize>ldc + <usize>c) << 2);
        const v = load<f32>(pEdge + ((<usize>(r * 8 + c)) << 2));
        store<f32>(dst, beta == 0 ? v : v + beta * load<f32>(dst));
      }
    }
  }
}

/** c + a·b on f32x4 lanes: fused (`f32x4.relaxed_madd`) in the relaxed build, as `madd` in asm/blas.ts. */
function madd32(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Writes one 8-wide row of a tile: out[0..8) ← α·(v0, v1) + β·out[0..8) (β = 0: out is not read). */
function storeRow32(out: usize, v0: v128, v1: v128, alpha: f32, beta: f32): void {
  const va = f32x4.splat(alpha);
  let r0 = f32x4.mul(va, v0);
  let r1 = f32x4.mul(va, v1);
  if (beta != 0) {
    const vb = f32x4.splat(beta);
    r0 = f32x4.add(r0, f32x4.mul(vb, v128.load(out)));
    r1 = f32x4.add(r1, f32x4.mul(vb, v128.load(out, 16)));
  }
  v128.store(out, r0);
  v128.store(out, r1, 16);
}
