// BLAS-like kernels in float32 (f32x4 SIMD): sgemm and ssyrk. Pointers are byte offsets into linear memory;
// matrices are row-major with the given row strides (in elements).
//
// The design is that of the float64 GEMM in asm/blas.ts (BLIS loop nest, packed panels, transposes absorbed by
// the packing; see its header for references), with a 4×8 micro-kernel: each row of the C tile is two f32x4
// vectors, so the same 8 accumulators + 2 B vectors + broadcast A values fit V8's 15 vector registers while each
// multiply-add instruction does four products instead of two. A is packed pre-broadcast ((a, a, a, a) per
// value, 16 bytes) for the reason given in asm/blas.ts. Accumulation is in float32, as in reference BLAS sgemm.
// The loop nest is asm/gemm.ts's, shared with float64; the multiply-adds go through `madd32`, fused
// in the relaxed-SIMD build as `madd64` is.

import { roundUp } from "./blocking";
import {
  EDGE_BYTES32,
  KC32,
  MC32,
  MR32,
  NC32,
  NR32,
  PACK_A_BYTES32,
  PACK_B_BYTES32,
  gemmBlocked,
  mirrorUpper,
} from "./gemm";

// The static workspace of `sgemm` and `ssyrk` (zero-initialised data, nothing in the .wasm file): kernels never
// nest; other threads call the *Ws variants with workspaces of their own.
const WORKSPACE: usize = memory.data(PACK_A_BYTES32 + PACK_B_BYTES32 + EDGE_BYTES32, 64);

/**
 * The workspace `sgemmWs` needs for an m×n×k product, in bytes: packed blocks of min(m, MC32)×min(k, KC32)
 * broadcast values (16 bytes each) and min(k, KC32)×min(n, NC32) values, rounded up to whole micro-panels.
 */
export function sgemmWorkspaceBytes(m: i32, n: i32, k: i32): i32 {
  const mc = min(roundUp(m, MR32), MC32);
  const nc = min(roundUp(n, NR32), NC32);
  const kc = min(k, KC32);
  return roundUp(mc * kc * 16, 64) + roundUp(kc * nc * 4, 64) + EDGE_BYTES32;
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
  gemmBlocked<f32>(transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, WORKSPACE, false);
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
  gemmBlocked<f32>(transA, transB, m, n, k, alpha, pA, lda, pB, ldb, beta, pC, ldc, pWork, false);
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
  gemmBlocked<f32>(trans, trans ? 0 : 1, n, n, k, alpha, pA, lda, pA, lda, beta, pC, ldc, pWork, true);
}

/** The second half of `ssyrk`: C[i, j] ← C[j, i] for i > j, in 32×32 tiles (see `dmirrorUpper`). */
export function smirrorUpper(n: i32, pC: usize, ldc: i32): void {
  mirrorUpper<f32>(n, pC, ldc);
}
