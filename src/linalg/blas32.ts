/**
 * Float32 products on `Matrix32`: `matmul32` / `matmul32Into` (BLAS sgemm) and `gram32` (ssyrk), computed by the
 * f32x4 SIMD kernels of asm/blas32.ts (the packed, cache-blocked design of the float64 GEMM with a 4×8 tile),
 * accumulating in float32 like numpy's float32 matmul; the largest are split across threads (./parallel.ts).
 * Every size goes to WebAssembly (there is no small-size TypeScript path: float32 rounding after every
 * operation would cost more in JavaScript than the call does).
 *
 * `matmulFloat32Into` runs the same sgemm on float64 `Matrix` operands: it copies them into WebAssembly memory,
 * rounds them to float32 there (asm/convert.ts), multiplies, and widens the result back to float64, so a float64
 * program gets float32 products without conversion loops in JavaScript.
 *
 * Accuracy: each entry of op(A)·op(B) carries the usual float32 bound |Ĉᵢⱼ − Cᵢⱼ| ≤ γ_k Σₚ |Aᵢₚ||Bₚⱼ| with
 * γ_k = k·u/(1 − k·u), u = 2⁻²⁴ (Higham, "Accuracy and Stability of Numerical Algorithms", §3.5), plus the
 * rounding of the inputs to float32 when they come from float64 data.
 */
import { readEpilogue, runEpilogue } from "./epilogue.js";
import { Matrix } from "./matrix.js";
import { Matrix32 } from "./matrix32.js";
import { flag, productIntoArgs, productShape } from "./product-args.js";
import { gemm, syrk } from "./parallel.js";
import { alloc, copyIn, heap, kernels, mark, release, staleView } from "./wasm.js";
import type { GramOptions, MatmulIntoOptions, MatmulOptions } from "./blas.js";

// Made on first use: in browsers the kernels (and their memory) load after this module is evaluated.
let f32View = new Float32Array(0);

/** A Float32Array over the whole linear memory; refreshed whenever memory grows. */
export function heap32(): Float32Array {
  if (staleView(f32View)) f32View = new Float32Array(kernels.memory.buffer);
  return f32View;
}

/** Copies float32 values into a fresh allocation (the allocator counts 8-byte units); returns the byte offset. */
function copyIn32(values: Float32Array): number {
  const ptr = alloc(Math.ceil(values.length / 2));
  heap32().set(values, ptr >>> 2);
  return ptr;
}

/** C = op(A)·op(B) in float32 (BLAS sgemm with α = 1, β = 0). Throws `ShapeError` when inner dimensions differ. */
export function matmul32(A: Matrix32, B: Matrix32, options: MatmulOptions = {}): Matrix32 {
  const { m, n } = productShape("matmul32", A, B, options);
  return matmul32Into(new Matrix32(m, n), A, B, { transA: options.transA, transB: options.transB });
}

/** Options of `matmul32Into`: those of `matmulInto` without the epilogue (there are no float32 entrywise kernels). */
export type Matmul32IntoOptions = Omit<MatmulIntoOptions, "activation" | "bias">;

/**
 * C ← α·op(A)·op(B) + β·C in float32, in place (BLAS sgemm), returning C; α and β are rounded to float32. With
 * β = 0 (the default) C is only written. C must not share its data with A or B.
 */
export function matmul32Into(C: Matrix32, A: Matrix32, B: Matrix32, options: Matmul32IntoOptions = {}): Matrix32 {
  const { m, n, k, transA, transB, alpha, beta } = productIntoArgs("matmul32Into", C, A, B, options);
  if ("activation" in options || "bias" in options) {
    throw new RangeError("matmul32Into: options.activation and options.bias are not supported (use matmulFloat32Into)");
  }
  if (m === 0 || n === 0) return C;
  const top = mark();
  try {
    const pA = copyIn32(A.data);
    const pB = copyIn32(B.data);
    const pC = beta === 0 ? alloc(Math.ceil((m * n) / 2)) : copyIn32(C.data);
    gemm("f32", transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pA, A.cols, pB, B.cols, beta, pC, n);
    C.data.set(heap32().subarray(pC >>> 2, (pC >>> 2) + m * n));
    return C;
  } finally {
    release(top);
  }
}

/**
 * C ← σ(fl32(α·op(A)·op(B) + β·C) + 1bᵀ) for float64 matrices with the product computed in float32: A, B (and C when
 * β ≠ 0) are rounded to float32 inside WebAssembly memory (round to nearest, as `Math.fround`), multiplied by sgemm
 * with float32 accumulation, and the result is widened to float64 exactly; the optional epilogue (`bias` b,
 * `activation` σ, as in `matmulInto`) then runs in float64 on that result. Returns C.
 *
 * This is the product of a float32 training path whose parameters and everything else stay float64 (numpy's
 * `(A.astype(float32) @ B.astype(float32)).astype(float64)`). Error per entry: the float32 GEMM bound of the
 * module comment with |A|, |B| the float64 values, plus u·|Aᵢₚ||Bₚⱼ| per term from rounding the inputs.
 * Throws `ShapeError` when the inner dimensions differ, C is not m×n, or the bias is not of length n.
 */
export function matmulFloat32Into(C: Matrix, A: Matrix, B: Matrix, options: MatmulIntoOptions = {}): Matrix {
  const op = "matmulFloat32Into";
  const { m, n, k, transA, transB, alpha, beta } = productIntoArgs(op, C, A, B, options);
  const epilogue = readEpilogue(op, options, n);
  if (m === 0 || n === 0) return C;
  const top = mark();
  try {
    // Each operand is copied in as float64 and rounded in place: its float32 values fill the first half.
    const pA = copyIn(A.data);
    kernels.demoteF64(A.data.length, pA, pA);
    const pB = copyIn(B.data);
    kernels.demoteF64(B.data.length, pB, pB);
    const pC = beta === 0 ? alloc(m * n) : copyIn(C.data);
    if (beta !== 0) kernels.demoteF64(m * n, pC, pC);
    gemm("f32", transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pA, A.cols, pB, B.cols, beta, pC, n);
    kernels.promoteF32(m * n, pC, pC);
    if (epilogue) runEpilogue(epilogue, m, n, pC);
    C.data.set(heap().subarray(pC >>> 3, (pC >>> 3) + m * n));
    return C;
  } finally {
    release(top);
  }
}

/** The float32 Gram matrix XᵀX (default) or XXᵀ (`trans: true`), exactly symmetric (BLAS ssyrk). */
export function gram32(X: Matrix32, options: GramOptions = {}): Matrix32 {
  const trans = flag("gram32", "trans", options.trans);
  const n = trans ? X.rows : X.cols;
  const k = trans ? X.cols : X.rows;
  const C = new Matrix32(n, n);
  if (n === 0) return C;
  const top = mark();
  try {
    const pX = copyIn32(X.data);
    const pC = alloc(Math.ceil((n * n) / 2));
    syrk("f32", trans ? 0 : 1, n, k, 1, pX, X.cols, 0, pC, n);
    C.data.set(heap32().subarray(pC >>> 2, (pC >>> 2) + n * n));
    return C;
  } finally {
    release(top);
  }
}

/**
 * The Gram matrix XᵀX (default) or XXᵀ (`trans: true`) of a float64 matrix computed in float32 (ssyrk on X rounded
 * to float32 inside WebAssembly memory, float32 accumulation), widened back to float64 exactly: `gram`'s float32
 * twin for a float64 program, as `matmulFloat32Into` is `matmulInto`'s. Exactly symmetric.
 */
export function gramFloat32(X: Matrix, options: GramOptions = {}): Matrix {
  const trans = flag("gramFloat32", "trans", options.trans);
  const n = trans ? X.rows : X.cols;
  const k = trans ? X.cols : X.rows;
  const C = new Matrix(n, n);
  if (n === 0) return C;
  const top = mark();
  try {
    const pX = copyIn(X.data);
    kernels.demoteF64(X.data.length, pX, pX);
    const pC = alloc(n * n);
    syrk("f32", trans ? 0 : 1, n, k, 1, pX, X.cols, 0, pC, n);
    kernels.promoteF32(n * n, pC, pC);
    C.data.set(heap().subarray(pC >>> 3, (pC >>> 3) + n * n));
    return C;
  } finally {
    release(top);
  }
}
