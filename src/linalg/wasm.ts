/**
 * Bridge to the WebAssembly kernels built from `asm/` (AssemblyScript, f64x2 SIMD).
 *
 * Memory model: the module exports one linear memory. Kernels never allocate; the bridge hands them byte
 * offsets from a bump allocator on the JavaScript side. Callers bracket their use with `mark()` / `release()`
 * so nested calls (a decomposition that calls GEMM) compose without a free list. Everything is synchronous and
 * single-threaded (each worker thread loads its own instance), so no locking is needed.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The kernel exports of `asm/index.ts`. Extend this type when you add a kernel. */
export interface Kernels {
  memory: WebAssembly.Memory;
  ddot(n: number, px: number, py: number): number;
  // asm/elementwise.ts (activation codes: see ELEMENTWISE_KINDS in src/linalg/elementwise.ts)
  activate(kind: number, n: number, px: number, py: number): void;
  activateDerivative(kind: number, n: number, px: number, py: number): void;
  activateBackward(kind: number, n: number, py: number, pg: number, pdx: number): void;
  biasActivate(kind: number, rows: number, cols: number, px: number, pb: number, py: number): void;
  rowSums(rows: number, cols: number, px: number, pout: number): void;
  /** Adds the column sums to out (the caller zeroes it). */
  colSums(rows: number, cols: number, px: number, pout: number): void;
  softmaxRows(rows: number, cols: number, px: number, py: number, pwork: number): void;
  logSumExpRows(rows: number, cols: number, px: number, pout: number, pwork: number): void;
  // asm/blas32.ts (float32 GEMM and SYRK; α and β are f32)
  sgemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    alpha: number,
    pA: number,
    lda: number,
    pB: number,
    ldb: number,
    beta: number,
    pC: number,
    ldc: number,
  ): void;
  ssyrk(
    trans: number,
    n: number,
    k: number,
    alpha: number,
    pA: number,
    lda: number,
    beta: number,
    pC: number,
    ldc: number,
  ): void;
  [name: string]: unknown;
}

const WASM_FILE = join("wasm", "layerwise.wasm");

/** Finds wasm/layerwise.wasm by walking up from this module (works from src/ under vitest and from dist/). */
function locateWasm(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, WASM_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `layerwise: cannot find ${WASM_FILE} above ${fileURLToPath(import.meta.url)}; run "npm run build" to compile the kernels`,
      );
    }
    dir = parent;
  }
}

function instantiate(): Kernels {
  const module = new WebAssembly.Module(readFileSync(locateWasm()));
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(): never {
        throw new Error("layerwise: WebAssembly kernel aborted");
      },
    },
  });
  return instance.exports as unknown as Kernels;
}

/** The loaded kernels (instantiated once per thread, at first import). */
export const kernels: Kernels = instantiate();

const PAGE_BYTES = 65536;
const ALIGN = 64; // cache-line alignment keeps SIMD loads aligned and packed panels from straddling lines

const heapBase = (): number => {
  const base = (kernels as unknown as { __heap_base?: WebAssembly.Global }).__heap_base;
  return base ? Number(base.value) : 1024;
};

let top = Math.ceil(heapBase() / ALIGN) * ALIGN;
let f64View = new Float64Array(kernels.memory.buffer);

/** A Float64Array over the whole linear memory; refreshed whenever memory grows (old views detach). */
export function heap(): Float64Array {
  if (f64View.buffer !== kernels.memory.buffer) f64View = new Float64Array(kernels.memory.buffer);
  return f64View;
}

/** Reserves room for `count` float64 values; returns the byte offset. Grows memory when needed. */
export function alloc(count: number): number {
  const offset = top;
  const end = offset + Math.ceil((count * 8) / ALIGN) * ALIGN;
  const have = kernels.memory.buffer.byteLength;
  if (end > have) kernels.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
  top = end;
  return offset;
}

/** The allocator's current position, to hand back to `release` when a call is done with its scratch. */
export function mark(): number {
  return top;
}

/** Frees everything allocated since `position` was taken with `mark()`. */
export function release(position: number): void {
  top = position;
}

/** Copies `values` into linear memory at a fresh allocation; returns the byte offset. */
export function copyIn(values: Float64Array): number {
  const ptr = alloc(values.length);
  heap().set(values, ptr >>> 3);
  return ptr;
}

/** Copies `count` float64 values out of linear memory at byte offset `ptr` into a new array. */
export function copyOut(ptr: number, count: number): Float64Array {
  return heap().slice(ptr >>> 3, (ptr >>> 3) + count);
}
