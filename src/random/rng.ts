/**
 * Seeded pseudo-random numbers that are identical on every platform for the same seed.
 *
 * Generator: xoshiro128** (Blackman & Vigna 2018), 128-bit state, 32-bit outputs, written with `Math.imul` and
 * `>>> 0` so every step is exact 32-bit integer arithmetic in any JavaScript engine. Seeds are expanded with
 * splitmix32 so nearby seeds give unrelated streams. Doubles use 53 random bits: (a·2²¹ + b) / 2⁵³.
 * Gaussians use the ziggurat method (Marsaglia & Tsang 2000) with its layer index taken from a separate random
 * word (8 bits per draw, so the index is independent of the 32-bit magnitude, the fix Doornik 2005 proposes for the
 * original's correlated low bits); the rare slow path uses exp/log from ../linalg/elementary.ts, which give the
 * same bits on every engine.
 *
 * Bulk draws (`fillNormal`, `fillNormalSequential`, `fillRademacher` and their `…At` forms) run in the
 * WebAssembly kernels of asm/random.ts, which replay exactly the words and operations of the one-draw methods
 * (their doc comments give the order), so the same seed gives the same numbers on either path.
 */

import { ZIGGURAT_R, fillZigguratTables, zigF, zigK, zigW } from "./ziggurat.js";
import { exp, log } from "../linalg/elementary.js";
import { alloc, heap, kernels, mark, release } from "../linalg/wasm.js";

/**
 * Bulk fills of JavaScript arrays are streamed through WebAssembly memory in blocks of this many values (256 KiB,
 * so linear memory does not grow with the request). A multiple of 1024 (`fillNormal`'s chunk) and of 32
 * (`fillRademacher`'s bits per word), so the blocks draw exactly what one pass would.
 */
const BULK_BLOCK = 32768;

/** The kernels' bulk samplers: state = six u32 at pState (s0…s3, normal()'s index word, its bytes left). */
type BulkKernel = (pState: number, pOut: number, n: number) => void;

/** splitmix32 finaliser: a bijective 32-bit mix (used to expand and derive seeds). */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Reduces any finite number (integer seeds up to 2⁵³) to a well-mixed 32-bit value, using both halves. */
function seedWord(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`random: seed must be a finite number, got ${seed}`);
  const s = Math.abs(Math.trunc(seed));
  const lo = s >>> 0;
  const hi = Math.floor(s / 4294967296) >>> 0;
  return mix32(lo ^ mix32(hi ^ (seed < 0 ? 0x5bd1e995 : 0)));
}

/**
 * Derives a child seed from a parent seed and a path of non-negative integers, e.g.
 * `deriveSeed(runSeed, pointIndex, repeat)`. Deterministic, order-sensitive, and independent of how many other
 * children are derived: use it to give each trial or worker its own stream.
 */
export function deriveSeed(seed: number, ...path: number[]): number {
  let h = seedWord(seed);
  for (const p of path) {
    if (!Number.isInteger(p) || p < 0)
      throw new RangeError(`random.deriveSeed: path entries must be non-negative integers, got ${p}`);
    h = mix32(h ^ mix32(seedWord(p) + 0x632be5ab));
  }
  return h;
}

/** A seeded random stream (xoshiro128**). */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private indexWord = 0;
  private indexBitsLeft = 0;

  constructor(seed: number) {
    let x = seedWord(seed);
    x = mix32(x);
    this.s0 = x;
    x = mix32(x);
    this.s1 = x;
    x = mix32(x);
    this.s2 = x;
    x = mix32(x);
    this.s3 = x;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
    fillZigguratTables();
  }

  /**
   * A stream started from an explicit xoshiro128** state (four 32-bit words, not all zero). Meant for checking the
   * generator against the reference implementation; use `new Rng(seed)` otherwise.
   */
  static fromState(s0: number, s1: number, s2: number, s3: number): Rng {
    if ((s0 | s1 | s2 | s3) >>> 0 === 0) throw new RangeError("Rng.fromState: the all-zero state is not allowed");
    const rng = new Rng(0);
    rng.s0 = s0 | 0;
    rng.s1 = s1 | 0;
    rng.s2 = s2 | 0;
    rng.s3 = s3 | 0;
    return rng;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in {0, …, n−1} (unbiased, by rejection). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296)
      throw new RangeError(`Rng.int: n must be an integer in 1…2³², got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const u = this.nextUint32();
      if (u < limit) return u % n;
    }
  }

  /** Standard normal N(0, 1) (ziggurat). */
  normal(): number {
    if (this.indexBitsLeft === 0) {
      this.indexWord = this.nextUint32();
      this.indexBitsLeft = 4;
    }
    const layer = this.indexWord & 127;
    const negative = (this.indexWord & 128) !== 0;
    this.indexWord >>>= 8;
    this.indexBitsLeft--;
    const j = this.nextUint32() >>> 1; // 31-bit magnitude; the sign came from the index word
    const x = j * zigW[layer];
    if (j < zigK[layer]) return negative ? -x : x;
    const v = this.normalSlowPath(j, layer);
    return negative ? -v : v;
  }

  /** The ziggurat's rejection step for a draw outside the rectangle of `layer` (Marsaglia & Tsang 2000, nfix). */
  private normalSlowPath(j: number, layer: number): number {
    for (;;) {
      if (layer === 0) {
        // The tail beyond r, by Marsaglia's exponential rejection.
        let x: number;
        let y: number;
        do {
          x = -log(1 - this.uniform()) / ZIGGURAT_R;
          y = -log(1 - this.uniform());
        } while (y + y < x * x);
        return ZIGGURAT_R + x;
      }
      const x = j * zigW[layer];
      if (zigF[layer] + this.uniform() * (zigF[layer - 1] - zigF[layer]) < exp(-0.5 * x * x)) return x;
      // Rejected: a fresh draw (magnitude only: the caller applies the sign).
      layer = this.nextUint32() & 127;
      j = this.nextUint32() >>> 1;
      if (j < zigK[layer]) return j * zigW[layer];
    }
  }

  /** ±1 with equal probability. */
  rademacher(): number {
    return this.nextUint32() & 1 ? 1 : -1;
  }

  /** An independent child stream, determined by this stream's seed path and `index` (does not advance this one). */
  split(index: number): Rng {
    return new Rng(deriveSeed(mix32(this.s0 ^ mix32(this.s1 ^ mix32(this.s2 ^ this.s3))), index));
  }

  /**
   * Fills `out` with N(0, 1) draws and returns it. Order (kept by the kernel `normalFill`): for each chunk of 1024
   * draws, 1024 magnitude words and then 256 index words (byte t gives draw t's layer and sign) are taken from
   * the stream, the fast test runs on each draw, and the ≈ 2.8% that miss it take the slow path on the live stream
   * after the chunk's words. The values differ from successive `normal()` calls (see `fillNormalSequential`).
   */
  fillNormal(out: Float64Array): Float64Array {
    return this.fillThroughKernel(kernels.normalFill, out);
  }

  /** `fillNormal` into linear memory: `count` draws at byte offset `ptr` (8-byte aligned) of the kernels' memory. */
  fillNormalAt(ptr: number, count: number): void {
    this.runKernel(kernels.normalFill, ptr, count);
  }

  /** Fills `out` with exactly the values `out.length` successive `normal()` calls would return, and returns it. */
  fillNormalSequential(out: Float64Array): Float64Array {
    return this.fillThroughKernel(kernels.normalSequence, out);
  }

  /** `fillNormalSequential` into linear memory at byte offset `ptr`. */
  fillNormalSequentialAt(ptr: number, count: number): void {
    this.runKernel(kernels.normalSequence, ptr, count);
  }

  /** Fills `out` with raw 32-bit words (the same words successive `nextUint32` calls would return). */
  fillUint32(out: Uint32Array): Uint32Array {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let i = 0; i < out.length; i++) {
      out[i] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /**
   * Fills `out` with ±1 draws and returns it. Uses all 32 bits of each output word (bit b of word w gives entry
   * 32w + b: +1 when set), about 8× faster than one word per sign.
   */
  fillRademacher(out: Float64Array): Float64Array {
    return this.fillThroughKernel(kernels.rademacherFill, out);
  }

  /** `fillRademacher` into linear memory at byte offset `ptr`. */
  fillRademacherAt(ptr: number, count: number): void {
    this.runKernel(kernels.rademacherFill, ptr, count);
  }

  /** Runs a bulk kernel on `count` values at `ptr` with this stream's state, which it advances. */
  private runKernel(kernel: BulkKernel, ptr: number, count: number): void {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`Rng: count must be a non-negative integer, got ${count}`);
    }
    if (!Number.isInteger(ptr) || ptr < 0 || ptr % 8 !== 0 || ptr + 8 * count > heap().byteLength) {
      throw new RangeError(`Rng: ptr must be an 8-byte aligned offset with room for ${count} values, got ${ptr}`);
    }
    const top = mark();
    try {
      const pState = alloc(3); // six u32
      let state = new Uint32Array(kernels.memory.buffer, pState, 6);
      state[0] = this.s0;
      state[1] = this.s1;
      state[2] = this.s2;
      state[3] = this.s3;
      state[4] = this.indexWord;
      state[5] = this.indexBitsLeft;
      kernel(pState, ptr, count);
      state = new Uint32Array(kernels.memory.buffer, pState, 6);
      this.s0 = state[0] | 0;
      this.s1 = state[1] | 0;
      this.s2 = state[2] | 0;
      this.s3 = state[3] | 0;
      this.indexWord = state[4];
      this.indexBitsLeft = state[5];
    } finally {
      release(top);
    }
  }

  /** Runs a bulk kernel into `out`, streaming it through linear memory in blocks of `BULK_BLOCK` values. */
  private fillThroughKernel(kernel: BulkKernel, out: Float64Array): Float64Array {
    const top = mark();
    try {
      const block = Math.min(BULK_BLOCK, out.length);
      const ptr = alloc(block);
      for (let start = 0; start < out.length; start += block) {
        const n = Math.min(block, out.length - start);
        this.runKernel(kernel, ptr, n);
        out.set(heap().subarray(ptr >>> 3, (ptr >>> 3) + n), start);
      }
    } finally {
      release(top);
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
