/**
 * Bridge to the WebAssembly kernels built from `asm/` (AssemblyScript, f64x2 SIMD).
 *
 * Memory model: the module exports one linear memory. Kernels never allocate; the bridge hands them byte
 * offsets from a bump allocator on the JavaScript side. Callers bracket their use with `mark()` / `release()`
 * so nested calls (a decomposition that calls GEMM) compose without a free list. Everything is synchronous and
 * single-threaded (each worker thread loads its own instance), so no locking is needed.
 *
 * Loading: this module has no platform imports, so browsers can bundle it. The kernels are installed once per
 * thread by `initKernels` (from bytes, a compiled module or an instance) or `loadKernels(url)` (asynchronous,
 * for browsers); in Node, importing `./wasm-node.js` reads wasm/layerwise.wasm synchronously.
 */

/**
 * C ← α·op(A)·op(B) + β·C on row-major matrices in linear memory (BLAS gemm; op = transpose when the flag is 1):
 * the signature shared by the float64 (dgemm) and float32 (sgemm) kernels. Pointers are byte offsets.
 */
export type GemmKernel = (
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
) => void;

/**
 * C ← α·X·Xᵀ + β·C (n×n) with X = A (n×k) or Aᵀ when trans is 1 (BLAS syrk, both triangles written): the signature
 * shared by the float64 (dsyrk) and float32 (ssyrk) kernels. Pointers are byte offsets.
 */
export type SyrkKernel = (
  trans: number,
  n: number,
  k: number,
  alpha: number,
  pA: number,
  lda: number,
  beta: number,
  pC: number,
  ldc: number,
) => void;

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
  sgemm: GemmKernel;
  ssyrk: SyrkKernel;
  // asm/random.ts (the generator's state: six u32 at pState, see src/random/rng.ts)
  zigguratTables(): number;
  rademacherFill(pState: number, pOut: number, n: number): void;
  normalFill(pState: number, pOut: number, n: number): void;
  normalSequence(pState: number, pOut: number, n: number): void;
  // asm/two-layer.ts
  activateRowsDot(kind: number, rows: number, cols: number, pH: number, pa: number, pOut: number): void;
  outerActivationBackward(
    kind: number,
    rows: number,
    cols: number,
    pr: number,
    pa: number,
    pF: number,
    pRow: number,
  ): void;
  [name: string]: unknown;
}

/**
 * The loaded kernels. One stable object, filled in by `initKernels`, so modules may keep typed aliases of it
 * (`kernels as unknown as BlasKernels`) from before the kernels are loaded.
 */
export const kernels: Kernels = {} as Kernels;

let loaded = false;

const IMPORTS: WebAssembly.Imports = {
  env: {
    abort(): never {
      throw new Error("layerwise: WebAssembly kernel aborted");
    },
  },
};

/** Whether the kernels are installed in this thread. */
export function kernelsLoaded(): boolean {
  return loaded;
}

/**
 * Installs the kernels from the bytes of wasm/layerwise.wasm, a compiled module or a ready instance
 * (synchronous; browsers refuse to compile large modules synchronously on their main thread, so there use
 * `loadKernels`). A second call is ignored: allocations already handed out point into the first instance.
 */
export function initKernels(source: BufferSource | WebAssembly.Module | WebAssembly.Instance): void {
  if (loaded) return;
  let instance: WebAssembly.Instance;
  if (source instanceof WebAssembly.Instance) instance = source;
  else {
    const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
    instance = new WebAssembly.Instance(module, IMPORTS);
  }
  Object.assign(kernels, instance.exports);
  const base = (kernels as unknown as { __heap_base?: WebAssembly.Global }).__heap_base;
  top = Math.ceil((base ? Number(base.value) : 1024) / ALIGN) * ALIGN;
  f64View = new Float64Array(kernels.memory.buffer);
  loaded = true;
}

/** Fetches and instantiates the kernels from `url` (the served wasm/layerwise.wasm), then installs them. */
export async function loadKernels(url: string | URL): Promise<void> {
  if (loaded) return;
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(`layerwise: cannot fetch the WebAssembly kernels from ${String(url)} (${response.status})`);
  const { instance } = await WebAssembly.instantiate(await response.arrayBuffer(), IMPORTS);
  initKernels(instance);
}

function notLoaded(): never {
  throw new Error(
    'layerwise: the WebAssembly kernels are not loaded; in Node import "layerwise" (or src/linalg/wasm-node.js), in a browser await loadKernels(url) first',
  );
}

const PAGE_BYTES = 65536;
const ALIGN = 64; // cache-line alignment keeps SIMD loads aligned and packed panels from straddling lines

let top = 0;
let f64View = new Float64Array(0);

/** A Float64Array over the whole linear memory; refreshed whenever memory grows (old views detach). */
export function heap(): Float64Array {
  if (!loaded) notLoaded();
  if (f64View.buffer !== kernels.memory.buffer) f64View = new Float64Array(kernels.memory.buffer);
  return f64View;
}

/** Reserves room for `count` float64 values; returns the byte offset. Grows memory when needed. */
export function alloc(count: number): number {
  if (!loaded) notLoaded();
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
