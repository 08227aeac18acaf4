/**
 * Bridge to the WebAssembly kernels built from `asm/` (AssemblyScript, f64x2 SIMD).
 *
 * Memory model: one linear memory. Kernels never allocate; the bridge hands them byte offsets from a bump
 * allocator on the JavaScript side. Callers bracket their use with `mark()` / `release()` so nested calls (a
 * decomposition that calls GEMM) compose without a free list. The allocator is synchronous and belongs to the
 * thread that loaded the kernels (each pool worker loads its own instance), so no locking is needed.
 *
 * Two builds (scripts/build-wasm.mjs): wasm/layerwise.wasm defines its own memory; wasm/layerwise-shared.wasm
 * imports a shared one (SharedArrayBuffer-backed), which the loader creates with the limits the module declares.
 * With a shared memory, helper threads (./threads.ts, Node only) run parts of large GEMM/SYRK calls on the
 * same data; the allocator still belongs to the loading thread alone.
 *
 * Loading: this module has no platform imports, so browsers can bundle it. The kernels are installed once per
 * thread by `initKernels` (from bytes, a compiled module or an instance) or `loadKernels(url)` (asynchronous,
 * for browsers); in Node, importing `./wasm-node.js` reads wasm/layerwise-shared.wasm synchronously.
 */
import { importedMemoryLimits } from "./wasm-binary.js";

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
  // asm/convert.ts (float64 → float32 rounding and float32 → float64; both may run in place)
  demoteF64(n: number, px: number, py: number): void;
  promoteF32(n: number, px: number, py: number): void;
  // asm/optim.ts (optimizers' element-wise kernels)
  /** out ← a·x + b·y over n float64 values (out may be x or y). */
  axpby(n: number, a: number, px: number, b: number, py: number, pout: number): void;
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

/** The binary and memory of kernels whose memory is shared, for helper threads to instantiate on it. */
export interface SharedKernels {
  bytes: Uint8Array<ArrayBuffer>;
  memory: WebAssembly.Memory;
}

let shared: SharedKernels | undefined;

/** The loaded kernels' binary and memory when that memory is shared (else undefined: no helper threads). */
export function sharedKernels(): SharedKernels | undefined {
  return shared;
}

/**
 * The imports of the module in `bytes`: the abort hook, plus a fresh memory with the module's declared
 * limits when it imports its memory (the shared build).
 */
function importsFor(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Imports {
  const limits = importedMemoryLimits(bytes);
  if (!limits) return IMPORTS;
  const memory = new WebAssembly.Memory(limits);
  if (limits.shared) shared = { bytes, memory };
  return { env: { ...IMPORTS.env, memory } };
}

function asBytes(source: BufferSource): Uint8Array<ArrayBuffer> {
  return ArrayBuffer.isView(source)
    ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
    : new Uint8Array(source);
}

/**
 * Installs the kernels from the bytes of a build in wasm/, a compiled module or a ready instance
 * (synchronous; browsers refuse to compile large modules synchronously on their main thread, so there use
 * `loadKernels`). A build that imports its memory must be given as bytes (its memory limits are read from
 * them). A second call is ignored: allocations already handed out point into the first instance.
 */
export function initKernels(source: BufferSource | WebAssembly.Module | WebAssembly.Instance): void {
  if (loaded) return;
  let instance: WebAssembly.Instance;
  if (source instanceof WebAssembly.Instance) instance = source;
  else if (source instanceof WebAssembly.Module) instance = new WebAssembly.Instance(source, IMPORTS);
  else {
    const bytes = asBytes(source);
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), importsFor(bytes));
  }
  install(instance);
}

function install(instance: WebAssembly.Instance): void {
  Object.assign(kernels, instance.exports);
  const base = (kernels as unknown as { __heap_base?: WebAssembly.Global }).__heap_base;
  top = Math.ceil((base ? Number(base.value) : 1024) / ALIGN) * ALIGN;
  f64View = new Float64Array(kernels.memory.buffer);
  loaded = true;
}

/** Fetches and instantiates the kernels from `url` (a served build from wasm/), then installs them. */
export async function loadKernels(url: string | URL): Promise<void> {
  if (loaded) return;
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(`layerwise: cannot fetch the WebAssembly kernels from ${String(url)} (${response.status})`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes), importsFor(bytes));
  if (!loaded) install(instance);
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

/**
 * Whether `view` no longer covers all of linear memory: after `memory.grow` a plain memory's old buffer is
 * detached (length 0) while a shared memory's old buffer keeps its old length; either way the lengths differ.
 */
export function staleView(view: ArrayBufferView): boolean {
  return view.byteLength !== kernels.memory.buffer.byteLength;
}

/** A Float64Array over the whole linear memory; refreshed whenever memory grows. */
export function heap(): Float64Array {
  if (!loaded) notLoaded();
  if (staleView(f64View)) f64View = new Float64Array(kernels.memory.buffer);
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

/**
 * Copies `count` float64 values out of linear memory at byte offset `ptr` into a new array. (`set` from a
 * subarray, not `slice`: V8 slices a SharedArrayBuffer-backed array element by element, ~30× slower.)
 */
export function copyOut(ptr: number, count: number): Float64Array {
  const out = new Float64Array(count);
  out.set(heap().subarray(ptr >>> 3, (ptr >>> 3) + count));
  return out;
}
