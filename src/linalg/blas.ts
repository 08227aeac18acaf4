/**
 * Level-3 and level-2 products: `matmul` (GEMM), `gram` (SYRK), `matvec` (GEMV).
 *
 * Small products run in a register-blocked TypeScript loop; larger ones go to the WebAssembly SIMD kernels in
 * asm/blas.ts (packed, cache-blocked GEMM), because below a few thousand multiply-adds the cost of crossing
 * into WebAssembly and copying the operands dominates; the largest are split across threads (./parallel.ts).
 */
import { ShapeError } from "./errors.js";
import { Matrix } from "./matrix.js";
import { flag, productIntoArgs, productShape } from "./product-args.js";
import { readEpilogue, runEpilogue, runEpilogueOnMatrix, type EpilogueOptions } from "./epilogue.js";
import { gemm, syrk } from "./parallel.js";
import { alloc, copyIn, copyOut, heap, mark, release } from "./wasm.js";

/**
 * Products with fewer multiply-adds than this (m·n·k) stay in TypeScript: below it, copying the operands into
 * WebAssembly memory and back costs more than the faster kernel saves (a fixed ~0.5 µs per call; timed on
 * square sizes, the two paths cross between n = 10 and 11).
 */
export const WASM_MIN_FLOPS = 11 ** 3;

/** Options of `matmul`: multiply by the transpose of A and/or B without forming it. */
export interface MatmulOptions {
  /** Use Aᵀ in place of A. */
  transA?: boolean;
  /** Use Bᵀ in place of B. */
  transB?: boolean;
}

/**
 * Options of `matmulInto`: the transposes of `matmul`, BLAS's scalars α and β, and an epilogue (a bias row and an
 * activation: C ← σ(α·op(A)·op(B) + β·C + 1bᵀ)).
 */
export interface MatmulIntoOptions extends MatmulOptions, EpilogueOptions {
  /** Multiplies the product (default 1). */
  alpha?: number;
  /** Multiplies C's previous contents (default 0: C is overwritten and never read, so NaN in it does not leak). */
  beta?: number;
}

/** Options of `gram`. */
export interface GramOptions {
  /** false (default): XᵀX (cols×cols); true: XXᵀ (rows×rows). */
  trans?: boolean;
}

/** Options of `matvec`. */
export interface MatvecOptions {
  /** Use Aᵀ in place of A. */
  trans?: boolean;
}

/**
 * C = op(A) · op(B) with op(X) = X or Xᵀ (BLAS dgemm with α = 1, β = 0).
 * Throws `ShapeError` naming both shapes when the inner dimensions differ.
 */
export function matmul(A: Matrix, B: Matrix, options: MatmulOptions = {}): Matrix {
  const { m, n } = productShape("matmul", A, B, options);
  return matmulInto(new Matrix(m, n), A, B, { transA: options.transA, transB: options.transB });
}

/**
 * C ← α·op(A)·op(B) + β·C in place (BLAS dgemm), optionally followed by the epilogue C ← σ(C + 1bᵀ) (a bias row b
 * and an entrywise σ: `bias`, `activation`), returning C. With β = 0 (the default) C is only written, so it can
 * be a reused buffer of any contents. C must not share its data with A or B.
 * Throws `ShapeError` when the inner dimensions differ or C is not m×n.
 */
export function matmulInto(C: Matrix, A: Matrix, B: Matrix, options: MatmulIntoOptions = {}): Matrix {
  const { m, n, k, transA, transB, alpha, beta } = productIntoArgs("matmulInto", C, A, B, options);
  const epilogue = readEpilogue("matmulInto", options, n);
  if (m * n * k >= WASM_MIN_FLOPS) {
    const top = mark();
    try {
      const pA = copyIn(A.data);
      const pB = copyIn(B.data);
      const pC = beta === 0 ? alloc(m * n) : copyIn(C.data);
      gemm("f64", transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pA, A.cols, pB, B.cols, beta, pC, n);
      if (epilogue) runEpilogue(epilogue, m, n, pC);
      C.data.set(heap().subarray(pC >>> 3, (pC >>> 3) + m * n));
      return C;
    } finally {
      release(top);
    }
  }
  if (m === 0 || n === 0) return C;
  // op(A)[i, p] = a[i·ars + p·acs], op(B)[p, j] = b[p·brs + j·bcs] (row-major storage).
  const ars = transA ? 1 : A.cols;
  const acs = transA ? A.cols : 1;
  const brs = transB ? 1 : B.cols;
  const bcs = transB ? B.cols : 1;
  gemmSmall(m, n, k, alpha, A.data, ars, acs, B.data, brs, bcs, beta, C.data);
  if (epilogue) runEpilogueOnMatrix(epilogue, C);
  return C;
}

/**
 * The Gram matrix XᵀX (default) or XXᵀ (`trans: true`), symmetric by construction (BLAS dsyrk).
 */
export function gram(X: Matrix, options: GramOptions = {}): Matrix {
  const trans = flag("gram", "trans", options.trans);
  const n = trans ? X.rows : X.cols;
  const k = trans ? X.cols : X.rows;
  // syrk does half of GEMM's work, so it pays off from a larger size than matmul's threshold.
  if (n * n * k < 2 * WASM_MIN_FLOPS) return matmul(X, X, trans ? { transB: true } : { transA: true });
  const top = mark();
  try {
    const pX = copyIn(X.data);
    const pC = alloc(n * n);
    syrk("f64", trans ? 0 : 1, n, k, 1, pX, X.cols, 0, pC, n);
    return new Matrix(n, n, copyOut(pC, n * n));
  } finally {
    release(top);
  }
}

/**
 * y = op(A) · x for a vector x (BLAS dgemv with α = 1, β = 0).
 * Throws `ShapeError` when x's length differs from op(A)'s column count.
 */
export function matvec(A: Matrix, x: ArrayLike<number>, options: MatvecOptions = {}): Float64Array {
  const trans = flag("matvec", "trans", options.trans);
  const m = trans ? A.cols : A.rows;
  const n = trans ? A.rows : A.cols;
  if (x.length !== n) {
    throw new ShapeError(
      `matvec: op(A) is ${m}×${n} (A ${A.shape()}${trans ? ", transposed" : ""}) but x has length ${x.length}`,
    );
  }
  const a = A.data;
  const y = new Float64Array(m);
  if (!trans) {
    for (let i = 0; i < m; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += a[row + j] * x[j];
      y[i] = s;
    }
  } else {
    // y = Aᵀx = Σ_r x[r] · A[r, :]: walk A row by row so memory is read contiguously.
    const cols = A.cols;
    for (let r = 0; r < A.rows; r++) {
      const xr = x[r];
      const row = r * cols;
      for (let j = 0; j < cols; j++) y[j] += xr * a[row + j];
    }
  }
  return y;
}

/**
 * c (m×n, row-major) ← α·op(A)·op(B) + β·c in plain TypeScript (β = 0: c is not read), where op(A)[i, p] = a[i·ars + p·acs] and
 * op(B)[p, j] = b[p·brs + j·bcs]. Each 2×4 block of C is held in eight registers across the whole k loop (six
 * loads feed eight multiply-adds; measured ~15% faster than 2×2 and ~2× a plain triple loop at 8×8). Edges
 * reuse the last row/column, computing it again rather than branching into separate edge loops.
 */
function gemmSmall(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  ars: number,
  acs: number,
  b: Float64Array,
  brs: number,
  bcs: number,
  beta: number,
  c: Float64Array,
): void {
  for (let i = 0; i < m; i += 2) {
    const i1 = i + 1 < m ? i + 1 : i;
    for (let j = 0; j < n; j += 4) {
      const j1 = j + 1 < n ? j + 1 : j;
      const j2 = j + 2 < n ? j + 2 : j;
      const j3 = j + 3 < n ? j + 3 : j;
      let pa0 = i * ars;
      let pa1 = i1 * ars;
      let pb0 = j * bcs;
      let pb1 = j1 * bcs;
      let pb2 = j2 * bcs;
      let pb3 = j3 * bcs;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[pa0];
        const x1 = a[pa1];
        const y0 = b[pb0];
        const y1 = b[pb1];
        const y2 = b[pb2];
        const y3 = b[pb3];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
        pa0 += acs;
        pa1 += acs;
        pb0 += brs;
        pb1 += brs;
        pb2 += brs;
        pb3 += brs;
      }
      const r0 = i * n;
      const r1 = i1 * n;
      if (beta === 0) {
        // A clamped duplicate holds the same sum as its original, so overlapping writes are harmless.
        c[r0 + j] = alpha * s00;
        c[r0 + j1] = alpha * s01;
        c[r0 + j2] = alpha * s02;
        c[r0 + j3] = alpha * s03;
        c[r1 + j] = alpha * s10;
        c[r1 + j1] = alpha * s11;
        c[r1 + j2] = alpha * s12;
        c[r1 + j3] = alpha * s13;
      } else {
        // With β ≠ 0 each entry is read once, so the clamped duplicates (which repeat row i / column j) must
        // not be written again.
        const sums = [s00, s01, s02, s03, s10, s11, s12, s13];
        const cols = [j, j1, j2, j3];
        for (let u = 0; u < (i1 === i ? 1 : 2); u++) {
          const row = u === 0 ? r0 : r1;
          for (let v = 0; v < 4; v++) {
            if (v > 0 && cols[v] === j) break;
            c[row + cols[v]] = alpha * sums[4 * u + v] + beta * c[row + cols[v]];
          }
        }
      }
    }
  }
}
