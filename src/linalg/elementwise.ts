/**
 * Elementwise functions and row/column reductions on `Matrix` or `Float64Array`, computed by the f64x2 SIMD
 * kernels of asm/elementwise.ts: exp, log, tanh, sigmoid, relu and their derivatives, an activation's backward
 * pass, a dense layer's bias + activation, row-wise softmax and log-sum-exp, row and column sums.
 *
 * Accuracy against V8's `Math.*` (itself fdlibm, < 1 ulp from the exact value), measured on 2²⁰ random
 * arguments per function and asserted by test/linalg/elementwise.test.ts: exp and log ≤ 1 ulp (exp agrees bit for
 * bit: it is the same algorithm), sigmoid ≤ 1 ulp from 1/(1 + e⁻ˣ) evaluated with `Math.exp`, tanh ≤ 4 ulps
 * (≤ 2 for |x| ≥ 2). Special values follow `Math.*`: NaN propagates, ±0 keep their sign where
 * `Math` keeps it, exp(±Inf) = +Inf / 0, log(0) = −Inf, log(x < 0) = NaN, tanh(±Inf) = ±1, subnormal
 * arguments and results are handled.
 *
 * Every function takes an optional `out` of the same shape and returns it (a new one when omitted); `out` may be
 * the input itself (in place). Data is streamed through WebAssembly memory in blocks of `BLOCK` values, so the
 * copies stay in cache and the linear memory does not grow with the operand.
 */
import { ShapeError } from "./errors.js";
import { Matrix } from "./matrix.js";
import { alloc, heap, kernels, mark, release } from "./wasm.js";

/** The entrywise functions the kernels know; the numbers are the kernel's codes (asm/elementwise.ts). */
export const ELEMENTWISE_KINDS = { identity: 0, relu: 1, tanh: 2, sigmoid: 3, exp: 4, log: 5 } as const;
export type ElementwiseKind = keyof typeof ELEMENTWISE_KINDS;

/** Kinds whose derivative can be written through the output y = σ(x) (used by `activationBackward`). */
export type BackwardKind = Exclude<ElementwiseKind, "log">;

const k = kernels;

/** Values per block streamed through linear memory (256 KiB: the in-place block stays in L2). */
const BLOCK = 32768;

type Operand = Matrix | Float64Array;

function valuesOf(x: Operand): Float64Array {
  return x instanceof Matrix ? x.data : x;
}

/** The output: `out` after checking it has x's shape, or a new zero operand shaped like x. */
function outputLike<T extends Operand>(op: string, x: T, out: T | undefined): T {
  if (out === undefined) {
    return (x instanceof Matrix ? new Matrix(x.rows, x.cols) : new Float64Array(x.length)) as T;
  }
  if (x instanceof Matrix) {
    if (!(out instanceof Matrix) || out.rows !== x.rows || out.cols !== x.cols) {
      throw new ShapeError(`${op}: out must be a ${x.shape()} Matrix, got ${describe(out)}`);
    }
  } else if (out instanceof Matrix || out.length !== x.length) {
    throw new ShapeError(`${op}: out must be a Float64Array of length ${x.length}, got ${describe(out)}`);
  }
  return out;
}

function describe(x: Operand): string {
  return x instanceof Matrix ? `a ${x.shape()} Matrix` : `a Float64Array of length ${x.length}`;
}

function kindCode(op: string, kind: string, allowed: readonly string[]): number {
  if (!allowed.includes(kind)) {
    throw new RangeError(`${op}: kind must be one of ${allowed.join(", ")}, got ${JSON.stringify(kind)}`);
  }
  return ELEMENTWISE_KINDS[kind as ElementwiseKind];
}

const ALL_KINDS = Object.keys(ELEMENTWISE_KINDS) as ElementwiseKind[];
const BACKWARD_KINDS = ALL_KINDS.filter((name) => name !== "log");

/**
 * Streams `inputs` (equal-length arrays) through linear memory in blocks: each block is copied in, `run(n, ptrs)`
 * is called with the block length and the byte offsets of the copies, and the first copy (which `run` overwrites)
 * is copied out into `out`.
 */
function streamBlocks(
  inputs: readonly Float64Array[],
  out: Float64Array,
  run: (n: number, ptrs: readonly number[]) => void,
): void {
  const total = out.length;
  const top = mark();
  try {
    const size = Math.min(BLOCK, total);
    const ptrs = inputs.map(() => alloc(size));
    for (let start = 0; start < total; start += BLOCK) {
      const n = Math.min(BLOCK, total - start);
      const h = heap();
      inputs.forEach((x, i) => h.set(x.subarray(start, start + n), ptrs[i] >>> 3));
      run(n, ptrs);
      out.set(heap().subarray(ptrs[0] >>> 3, (ptrs[0] >>> 3) + n), start);
    }
  } finally {
    release(top);
  }
}

/**
 * σ(x) entrywise for σ = `kind`: identity, relu = max(x, 0), tanh, sigmoid = 1/(1 + e⁻ˣ), exp or log
 * (the fdlibm algorithms, vectorised; accuracy in the module comment).
 */
export function applyElementwise<T extends Operand>(kind: ElementwiseKind, x: T, out?: T): T {
  const code = kindCode("applyElementwise", kind, ALL_KINDS);
  const result = outputLike("applyElementwise", x, out);
  streamBlocks([valuesOf(x)], valuesOf(result), (n, [p]) => k.activate(code, n, p, p));
  return result;
}

/** eˣ entrywise (≤ 1 ulp; the same values as `Math.exp`). */
export function exp<T extends Operand>(x: T, out?: T): T {
  return applyElementwise("exp", x, out);
}

/** ln x entrywise (≤ 1 ulp from `Math.log`). */
export function log<T extends Operand>(x: T, out?: T): T {
  return applyElementwise("log", x, out);
}

/** tanh x entrywise (≤ 4 ulps from `Math.tanh`). */
export function tanh<T extends Operand>(x: T, out?: T): T {
  return applyElementwise("tanh", x, out);
}

/** The logistic sigmoid 1/(1 + e⁻ˣ) entrywise (≤ 1 ulp from the formula with `Math.exp`). */
export function sigmoid<T extends Operand>(x: T, out?: T): T {
  return applyElementwise("sigmoid", x, out);
}

/** max(x, 0) entrywise (relu(−0) = +0, NaN stays NaN). */
export function relu<T extends Operand>(x: T, out?: T): T {
  return applyElementwise("relu", x, out);
}

/**
 * σ′(x) entrywise: relu′ = [x > 0], tanh′ = 1 − tanh² x, sigmoid′ = σ(1 − σ), exp′ = exp, log′ = 1/x,
 * identity′ = 1.
 */
export function activationDerivative<T extends Operand>(kind: ElementwiseKind, x: T, out?: T): T {
  const code = kindCode("activationDerivative", kind, ALL_KINDS);
  const result = outputLike("activationDerivative", x, out);
  streamBlocks([valuesOf(x)], valuesOf(result), (n, [p]) => k.activateDerivative(code, n, p, p));
  return result;
}

/**
 * The backward pass of an activation, from its stored output y = σ(x) and the incoming gradient g:
 * dx = g ∘ σ′(x) with σ′ written through y (relu: [y > 0], tanh: 1 − y², sigmoid: y(1 − y), exp: y,
 * identity: 1), so the forward value is reused and σ is not evaluated again.
 */
export function activationBackward<T extends Operand>(kind: BackwardKind, y: T, g: T, out?: T): T {
  const code = kindCode("activationBackward", kind, BACKWARD_KINDS);
  if (valuesOf(g).length !== valuesOf(y).length || g instanceof Matrix !== y instanceof Matrix) {
    throw new ShapeError(`activationBackward: g is ${describe(g)} but y is ${describe(y)}; they must match`);
  }
  const result = outputLike("activationBackward", y, out);
  // The gradient goes first: it is the block the kernel overwrites.
  streamBlocks([valuesOf(g), valuesOf(y)], valuesOf(result), (n, [pg, py]) => k.activateBackward(code, n, py, pg, pg));
  return result;
}

/** Whole rows per block for a matrix with `cols` columns (at least one row). */
function rowsPerBlock(cols: number): number {
  return Math.max(1, Math.floor(BLOCK / Math.max(cols, 1)));
}

/**
 * Runs a row-wise kernel over X in blocks of whole rows: `run(rows, pX, pOut)` with the block copied in at pX and
 * its `outCols` output values per row expected at pOut, copied out into `out` (row-major).
 */
function streamRows(
  X: Matrix,
  outCols: number,
  out: Float64Array,
  run: (rows: number, pX: number, pOut: number) => void,
): void {
  const { rows, cols } = X;
  const step = rowsPerBlock(cols);
  const top = mark();
  try {
    const pX = alloc(Math.min(step, rows) * cols);
    const pOut = outCols === cols ? pX : alloc(Math.min(step, rows) * outCols);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const r = Math.min(step, rows - r0);
      heap().set(X.data.subarray(r0 * cols, (r0 + r) * cols), pX >>> 3);
      run(r, pX, pOut);
      out.set(heap().subarray(pOut >>> 3, (pOut >>> 3) + r * outCols), r0 * outCols);
    }
  } finally {
    release(top);
  }
}

/** Y = σ(X + 1bᵀ): the bias b (length X.cols) added to every row, then σ = `kind` entrywise (a dense layer). */
export function biasActivation(kind: ElementwiseKind, X: Matrix, b: Float64Array, out?: Matrix): Matrix {
  const code = kindCode("biasActivation", kind, ALL_KINDS);
  if (b.length !== X.cols) {
    throw new ShapeError(`biasActivation: X is ${X.shape()} but the bias has length ${b.length}; it needs ${X.cols}`);
  }
  const result = outputLike("biasActivation", X, out);
  const top = mark();
  try {
    const pb = alloc(b.length);
    heap().set(b, pb >>> 3);
    streamRows(X, X.cols, result.data, (rows, p) => k.biasActivate(code, rows, X.cols, p, pb, p));
  } finally {
    release(top);
  }
  return result;
}

/**
 * Row-wise softmax: Y[i, j] = exp(X[i, j] − mᵢ) / Σₖ exp(X[i, k] − mᵢ), mᵢ = maxₖ X[i, k] (shifted so no
 * exponential overflows). A row of −Inf gives NaN (0/0), like numpy; a NaN in a row makes the row NaN.
 */
export function softmaxRows(X: Matrix, out?: Matrix): Matrix {
  const result = outputLike("softmaxRows", X, out);
  const top = mark();
  try {
    const pWork = alloc(Math.min(rowsPerBlock(X.cols), X.rows));
    streamRows(X, X.cols, result.data, (rows, p) => k.softmaxRows(rows, X.cols, p, p, pWork));
  } finally {
    release(top);
  }
  return result;
}

/**
 * Row-wise log-sum-exp: out[i] = mᵢ + ln Σⱼ exp(X[i, j] − mᵢ), mᵢ = maxⱼ X[i, j] (the shift keeps the sum in
 * [1, cols]); −Inf for a row of −Inf, +Inf for a row holding +Inf, NaN for a row holding NaN.
 */
export function logSumExpRows(X: Matrix): Float64Array {
  const out = new Float64Array(X.rows);
  const top = mark();
  try {
    const pWork = alloc(Math.min(rowsPerBlock(X.cols), X.rows) * X.cols);
    streamRows(X, 1, out, (rows, p, pOut) => k.logSumExpRows(rows, X.cols, p, pOut, pWork));
  } finally {
    release(top);
  }
  return out;
}

/** Row sums: out[i] = Σⱼ X[i, j] (length X.rows). */
export function rowSums(X: Matrix): Float64Array {
  const out = new Float64Array(X.rows);
  streamRows(X, 1, out, (rows, p, pOut) => k.rowSums(rows, X.cols, p, pOut));
  return out;
}

/** Column sums: out[j] = Σᵢ X[i, j] (length X.cols), accumulated row by row in index order. */
export function colSums(X: Matrix): Float64Array {
  const { rows, cols } = X;
  const out = new Float64Array(cols);
  const step = rowsPerBlock(cols);
  const top = mark();
  try {
    const pX = alloc(Math.min(step, rows) * cols);
    const pOut = alloc(cols);
    heap().fill(0, pOut >>> 3, (pOut >>> 3) + cols);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const r = Math.min(step, rows - r0);
      heap().set(X.data.subarray(r0 * cols, (r0 + r) * cols), pX >>> 3);
      k.colSums(r, cols, pX, pOut);
    }
    out.set(heap().subarray(pOut >>> 3, (pOut >>> 3) + cols));
  } finally {
    release(top);
  }
  return out;
}
