// The GEMM engine behind asm/blas.ts (float64) and asm/blas32.ts (float32): one BLIS loop nest, generic in the
// element type (see asm/blas.ts's header for the design and references), over two sets of packing routines and
// micro-kernels — 4×4 with f64x2 rows for f64, 4×8 with f32x4 rows for f32, each sized to V8's 15 vector
// registers. AssemblyScript instantiates the generic functions once per type, so each instance is as if written
// out by hand. Not exported from the module: blas.ts and blas32.ts are the interface.

import { evenBlock, roundUp } from "./blocking";

// float64 blocking
export const MR64: i32 = 4;
export const NR64: i32 = 4;
export const KC64: i32 = 256; // KC64×NR64 B micro-panel = 8 KiB and KC64×MR64 broadcast A micro-panel = 16 KiB: both fit L1
export const MC64: i32 = 128; // MC64×KC64 packed (broadcast) A block = 512 KiB: fits L2
export const NC64: i32 = 512; // KC64×NC64 packed B block = 1 MiB: fits L2/L3

export const PACK_A_BYTES64: i32 = MC64 * KC64 * 16;
export const PACK_B_BYTES64: i32 = KC64 * NC64 * 8;
export const EDGE_BYTES64: i32 = MR64 * NR64 * 8;

/** Bytes of the static GEMM workspace: packed A block + packed B block + one MR64×NR64 edge tile (1.5 MiB). */

// float32 blocking
export const MR32: i32 = 4;
export const NR32: i32 = 8;
export const KC32: i32 = 256; // KC32×NR32 B micro-panel = 8 KiB and KC32×MR32 broadcast A micro-panel = 16 KiB: both fit L1
export const MC32: i32 = 128; // MC32×KC32 packed (broadcast) A block = 512 KiB: fits L2
export const NC32: i32 = 512; // KC32×NC32 packed B block = 512 KiB: fits L2/L3

export const PACK_A_BYTES32: i32 = MC32 * KC32 * 16;
export const PACK_B_BYTES32: i32 = KC32 * NC32 * 4;
export const EDGE_BYTES32: i32 = MR32 * NR32 * 4;

/** Blocking parameters of element type T (f64: a 4×4 micro-kernel of f64x2 rows; f32: 4×8 of f32x4 rows). */
function MR<T>(): i32 {
  return sizeof<T>() == 8 ? MR64 : MR32;
}
function NR<T>(): i32 {
  return sizeof<T>() == 8 ? NR64 : NR32;
}
function KC<T>(): i32 {
  return sizeof<T>() == 8 ? KC64 : KC32;
}
function MC<T>(): i32 {
  return sizeof<T>() == 8 ? MC64 : MC32;
}
function NC<T>(): i32 {
  return sizeof<T>() == 8 ? NC64 : NC32;
}

/** C ← β·C for an m×n block of T (β = 0 writes zeros without reading C). */
function scaleC<T>(m: i32, n: i32, beta: T, pC: usize, ldc: i32): void {
  const shift: usize = sizeof<T>() == 8 ? 3 : 2;
  for (let i = 0; i < m; i++) {
    const row = pC + ((<usize>i * <usize>ldc) << shift);
    for (let j = 0; j < n; j++) {
      const p = row + ((<usize>j) << shift);
      store<T>(p, beta == 0 ? <T>0 : beta * load<T>(p));
    }
  }
}

/**
 * The blocked GEMM loop nest (see the header) for T = f64 or f32: C ← α·op(A)·op(B) + β·C. With `upper`, C is
 * square and only tiles that touch the upper triangle (column ≥ row) are computed. The type picks the packing
 * routines and micro-kernel at compile time; the loops are the same.
 */
export function gemmBlocked<T>(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: T,
  pA: usize,
  lda: i32,
  pB: usize,
  ldb: i32,
  beta: T,
  pC: usize,
  ldc: i32,
  pWork: usize,
  upper: bool,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    scaleC<T>(m, n, beta, pC, ldc);
    return;
  }
  const shift: usize = sizeof<T>() == 8 ? 3 : 2;
  const mr = MR<T>();
  const nrMax = NR<T>();
  const ncMax = NC<T>();
  // op(A)[i, p] = A[i·ars + p·acs], op(B)[p, j] = B[p·brs + j·bcs].
  const ars: usize = transA ? 1 : <usize>lda;
  const acs: usize = transA ? <usize>lda : 1;
  const brs: usize = transB ? 1 : <usize>ldb;
  const bcs: usize = transB ? <usize>ldb : 1;

  const kcMax = evenBlock(k, KC<T>(), 1);
  const mcMax = evenBlock(m, MC<T>(), mr);
  const pAp = pWork;
  const pBp = pWork + <usize>roundUp(mcMax * kcMax * 16, 64);
  const pEdge = pBp + <usize>roundUp(kcMax * min(roundUp(n, nrMax), ncMax) * <i32>sizeof<T>(), 64);

  for (let jc = 0; jc < n; jc += ncMax) {
    const nc = min(ncMax, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = min(kcMax, k - pc);
      const betaBlock: T = pc == 0 ? beta : <T>1;
      // B panels: element (p, j) of the block is op(B)[pc + p, jc + j]; panel "rows" are columns j.
      const pBblock = pB + ((<usize>pc * brs + <usize>jc * bcs) << shift);
      if (sizeof<T>() == 8) packB64(pBblock, bcs, brs, nc, kc, pBp);
      else packB32(pBblock, bcs, brs, nc, kc, pBp);
      for (let ic = 0; ic < m; ic += mcMax) {
        const mc = min(mcMax, m - ic);
        if (upper && ic >= jc + nc) break; // this row block lies entirely below the diagonal
        const pAblock = pA + ((<usize>ic * ars + <usize>pc * acs) << shift);
        if (sizeof<T>() == 8) packA64(pAblock, ars, acs, mc, kc, pAp);
        else packA32(pAblock, ars, acs, mc, kc, pAp);
        for (let jr = 0; jr < nc; jr += nrMax) {
          const nr = min(nrMax, nc - jr);
          const pBpanel = pBp + ((<usize>jr * <usize>kc) << shift);
          for (let ir = 0; ir < mc; ir += mr) {
            // A tile touches the upper triangle when its last column ≥ its first row.
            if (upper && jc + jr + nr - 1 < ic + ir) break;
            const rows = min(mr, mc - ir);
            const pCtile = pC + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << shift);
            const pApanel = pAp + ((<usize>ir * <usize>kc) << 4);
            if (sizeof<T>() == 8) {
              microKernel64(kc, pApanel, pBpanel, pCtile, ldc, <f64>alpha, <f64>betaBlock, rows, nr, pEdge);
            } else {
              microKernel32(kc, pApanel, pBpanel, pCtile, ldc, <f32>alpha, <f32>betaBlock, rows, nr, pEdge);
            }
          }
        }
      }
    }
  }
}

/** C[i, j] ← C[j, i] for i > j (the strict lower triangle mirrors the upper one), for T = f64 or f32. */
export function mirrorUpper<T>(n: i32, pC: usize, ldc: i32): void {
  // Mirror in 32×32 tiles so the column-wise reads stay in L1 (a plain loop strides through all of C).
  const shift: usize = sizeof<T>() == 8 ? 3 : 2;
  const ld = <usize>ldc;
  for (let i0 = 0; i0 < n; i0 += 32) {
    const i1 = min(i0 + 32, n);
    for (let j0 = 0; j0 <= i0; j0 += 32) {
      for (let i = i0; i < i1; i++) {
        const j1 = min(j0 + 32, i);
        for (let j = j0; j < j1; j++) {
          store<T>(pC + ((<usize>i * ld + <usize>j) << shift), load<T>(pC + ((<usize>j * ld + <usize>i) << shift)));
        }
      }
    }
  }
}

// ---- float64 packing and micro-kernel ----

/**
 * Packs a rows×depth block of a strided matrix X (X[r, p] at pX + 8·(r·rs + p·ps)) into 4-row panels:
 * panel q holds X[4q .. 4q+3, 0 .. depth) stored p-major, i.e. dst[q·depth·4 + p·4 + r] = X[4q + r, p], with
 * rows past the end zero-filled so the micro-kernel never needs edge cases along k.
 * Used for B, whose panel rows are the columns of op(B).
 */
function packB64(pX: usize, rs: usize, ps: usize, rows: i32, depth: i32, dst: usize): void {
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
 * Packs a rows×depth block of a strided matrix X (as in `packB64`) into 4-row panels of broadcast pairs:
 * panel q, step p holds (X[4q + r, p], X[4q + r, p]) for r = 0..3 (64 bytes), rows past the end zero-filled.
 * Used for A, whose panel rows are the rows of op(A).
 */
function packA64(pX: usize, rs: usize, ps: usize, rows: i32, depth: i32, dst: usize): void {
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
 * broadcast pairs at pa + 64p, from `packA64`) and b_p (4 values at pb + 32p, from `packB64`). Partial tiles (mr or nr < 4) go
 * through the 4×4 scratch tile at pEdge so the hot path has no bounds logic.
 */
function microKernel64(
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
    c00 = madd64(a, b0, c00);
    c01 = madd64(a, b1, c01);
    a = v128.load(pa, 16);
    c10 = madd64(a, b0, c10);
    c11 = madd64(a, b1, c11);
    a = v128.load(pa, 32);
    c20 = madd64(a, b0, c20);
    c21 = madd64(a, b1, c21);
    a = v128.load(pa, 48);
    c30 = madd64(a, b0, c30);
    c31 = madd64(a, b1, c31);
    pa += 64;
    pb += 32;
  }
  const full = mr == MR64 && nr == NR64;
  const ld: usize = full ? (<usize>ldc) << 3 : 32;
  const out = full ? pC : pEdge;
  const betaHere = full ? beta : 0.0;
  storeRow64(out, c00, c01, alpha, betaHere);
  storeRow64(out + ld, c10, c11, alpha, betaHere);
  storeRow64(out + 2 * ld, c20, c21, alpha, betaHere);
  storeRow64(out + 3 * ld, c30, c31, alpha, betaHere);
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
function madd64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

/** Writes one 4-wide row of a tile: out[0..4) ← α·(v0, v1) + β·out[0..4) (β = 0: out is not read). */
function storeRow64(out: usize, v0: v128, v1: v128, alpha: f64, beta: f64): void {
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

// ---- float32 packing and micro-kernel ----

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
  const full = mr == MR32 && nr == NR32;
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

/** c + a·b on f32x4 lanes: fused (`f32x4.relaxed_madd`) in the relaxed build, as `madd64`. */
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
