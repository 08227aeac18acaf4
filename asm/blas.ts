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
// The loop nest, packing and micro-kernels live in asm/gemm.ts, shared with float32
// (asm/blas32.ts). Every multiply-add goes through `madd64` (asm/gemm.ts): a multiply and an add in wasm/layerwise.wasm, one fused
// relaxed_madd in wasm/layerwise-relaxed.wasm (one instruction instead of two; ~17% faster on a Zen 4 core).

// Exported so the TypeScript bridge (src/linalg/wasm.ts) allocates above the static data, which includes the
// GEMM packing workspace below.
export { __heap_base };

import { roundUp } from "./blocking";
import {
  EDGE_BYTES64,
  KC64,
  MC64,
  MR64,
  NC64,
  NR64,
  PACK_A_BYTES64,
  PACK_B_BYTES64,
  gemmBlocked,
  mirrorUpper,
} from "./gemm";

export const GEMM_WORKSPACE_BYTES: i32 = PACK_A_BYTES64 + PACK_B_BYTES64 + EDGE_BYTES64;

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
 * are min(m, MC64)×min(k, KC64) (16 bytes per value) and min(k, KC64)×min(n, NC64), rounded up to whole micro-panels.
 */
export function dgemmWorkspaceBytes(m: i32, n: i32, k: i32): i32 {
  const mc = min(roundUp(m, MR64), MC64);
  const nc = min(roundUp(n, NR64), NC64);
  const kc = min(k, KC64);
  return roundUp(mc * kc * 16, 64) + roundUp(kc * nc * 8, 64) + EDGE_BYTES64;
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
  gemmBlocked<f64>(transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, WORKSPACE, false);
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
  gemmBlocked<f64>(transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, pWork, false);
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
  gemmBlocked<f64>(trans, trans ? 0 : 1, n, n, k, alpha, pA, lda, pA, lda, beta, pC, ldc, pWork, true);
}

/** The second half of `dsyrk`: C[i, j] ← C[j, i] for i > j (the strict lower triangle mirrors the upper one). */
export function dmirrorUpper(n: i32, pC: usize, ldc: i32): void {
  mirrorUpper<f64>(n, pC, ldc);
}
