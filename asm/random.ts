// The bulk samplers of src/random/rng.ts, moved into WebAssembly: the xoshiro128** stream (Blackman & Vigna
// 2018), ±1 (Rademacher) draws from its bits, and standard normals by the ziggurat method (Marsaglia & Tsang
// 2000, 128 layers, with Doornik's 2005 separate index word). Every kernel reproduces the TypeScript sampler
// draw for draw: the same words in the same order, the same floating-point operations, and exp/log from the
// same musl routines (asm/elementary.ts), so a seed gives the same numbers whichever path drew them.
//
// The generator's state lives in six u32 words at `pState` (s0, s1, s2, s3, then the normal() index word and the
// number of 8-bit indices it has left); a kernel reads it, advances it and writes it back. Pointers are byte
// offsets into linear memory.

/** The ziggurat's base-layer edge r and layer area v (Marsaglia & Tsang 2000, 128 layers). */
const ZIGGURAT_R: f64 = 3.442619855899;
const ZIGGURAT_AREA: f64 = 9.91256303526217e-3;
const TWO_31: f64 = 2147483648.0;

/** The tables k_i (acceptance bounds, integers stored as f64), w_i = x_i/2³¹ and f_i = exp(−x_i²/2), one after another. */
const ZK: usize = memory.data(3 * 128 * 8, 16);
const ZW: usize = ZK + 128 * 8;
const ZF: usize = ZW + 128 * 8;
let tablesReady = false;

/** `normalFill` draws this many magnitude words, then a quarter as many index words (one byte per draw). */
const CHUNK: i32 = 1024;
const WORDS: usize = memory.data(CHUNK * 4 + CHUNK, 16);

// The live stream while a kernel runs (loaded from and stored back to pState).
let s0: u32 = 0;
let s1: u32 = 0;
let s2: u32 = 0;
let s3: u32 = 0;

function loadState(pState: usize): void {
  s0 = load<u32>(pState);
  s1 = load<u32>(pState, 4);
  s2 = load<u32>(pState, 8);
  s3 = load<u32>(pState, 12);
}

function storeState(pState: usize): void {
  store<u32>(pState, s0);
  store<u32>(pState, s1, 4);
  store<u32>(pState, s2, 8);
  store<u32>(pState, s3, 12);
}

/** The next xoshiro128** output word: rotl(5·s1, 7)·9, then the linear state update. */
function next(): u32 {
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return result;
}

/** Uniform on [0, 1) from 53 bits: (a·2²⁶ + b)/2⁵³ with a the top 27 bits of one word, b the top 26 of the next. */
function uniform(): f64 {
  const a = <f64>(next() >>> 5);
  const b = <f64>(next() >>> 6);
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

/**
 * Fills the ziggurat tables (once) and returns their address: k (128 f64), then w, then f. The recursion of
 * Marsaglia & Tsang: with q = v/f(r), x_{i−1} = √(−2 ln(v/x_i + f(x_i))) from x_127 = r down, k_i = ⌊2³¹ x_{i−1}/x_i⌋.
 */
export function zigguratTables(): usize {
  if (tablesReady) return ZK;
  tablesReady = true;
  let dn = ZIGGURAT_R;
  let tn = dn;
  const q = ZIGGURAT_AREA / Math.exp(-0.5 * dn * dn);
  store<f64>(ZK, Math.floor((dn / q) * TWO_31));
  store<f64>(ZK + 8, 0);
  store<f64>(ZW, q / TWO_31);
  store<f64>(ZW + 127 * 8, dn / TWO_31);
  store<f64>(ZF, 1);
  store<f64>(ZF + 127 * 8, Math.exp(-0.5 * dn * dn));
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIGGURAT_AREA / dn + Math.exp(-0.5 * dn * dn)));
    const o = (<usize>i) << 3;
    store<f64>(ZK + o + 8, Math.floor((dn / tn) * TWO_31));
    tn = dn;
    store<f64>(ZF + o, Math.exp(-0.5 * dn * dn));
    store<f64>(ZW + o, dn / TWO_31);
  }
  return ZK;
}

/**
 * The ziggurat's rejection step for a magnitude j (31 bits) that missed the rectangle of `layer`, drawing from
 * the live stream: the exponential tail beyond r for the base layer, the wedge test f_i + u·(f_{i−1} − f_i) <
 * exp(−x²/2) otherwise, and on rejection a fresh (layer, j) pair. Returns the magnitude; the caller applies the sign.
 */
function slowPath(j: u32, layer: u32): f64 {
  while (true) {
    if (layer == 0) {
      let x: f64;
      let y: f64;
      do {
        x = -Math.log(1 - uniform()) / ZIGGURAT_R;
        y = -Math.log(1 - uniform());
      } while (y + y < x * x);
      return ZIGGURAT_R + x;
    }
    const o = (<usize>layer) << 3;
    const x = <f64>j * load<f64>(ZW + o);
    const f = load<f64>(ZF + o);
    if (f + uniform() * (load<f64>(ZF + o - 8) - f) < Math.exp(-0.5 * x * x)) return x;
    layer = next() & 127;
    j = next() >>> 1;
    if (<f64>j < load<f64>(ZK + ((<usize>layer) << 3))) return <f64>j * load<f64>(ZW + ((<usize>layer) << 3));
  }
  return unreachable();
}

/**
 * n values ±1 (f64): entry 32w + b is +1 when bit b of the stream's w-th word is set, −1 otherwise (the last word
 * is drawn whole even when fewer than 32 entries remain). Bits are expanded two at a time with i64x2 masks.
 */
export function rademacherFill(pState: usize, pOut: usize, n: i32): void {
  loadState(pState);
  const plus = f64x2.splat(1.0);
  const minus = f64x2.splat(-1.0);
  const lanes = i64x2(1, 2);
  for (let i = 0; i < n; i += 32) {
    const bits = i64x2.splat(<i64>next());
    const end = min(32, n - i);
    const out = pOut + ((<usize>i) << 3);
    const end2 = end & ~1;
    for (let b = 0; b < end2; b += 2) {
      const set = i64x2.ne(v128.and(bits, i64x2.shl(lanes, b)), i64x2.splat(0));
      v128.store(out + ((<usize>b) << 3), v128.bitselect(plus, minus, set));
    }
    if (end & 1) {
      const set = i64x2.ne(v128.and(bits, i64x2.shl(lanes, end2)), i64x2.splat(0));
      v128.store64_lane(out + ((<usize>end2) << 3), v128.bitselect(plus, minus, set), 0);
    }
  }
  storeState(pState);
}

/** Refills WORDS with CHUNK magnitude words then CHUNK/4 index words (state in locals, written back). */
function drawChunk(): void {
  let a = s0;
  let b = s1;
  let c = s2;
  let d = s3;
  const end = WORDS + <usize>(CHUNK + (CHUNK >> 2)) * 4;
  for (let p = WORDS; p < end; p += 4) {
    store<u32>(p, rotl<u32>(b * 5, 7) * 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl<u32>(d, 11);
  }
  s0 = a;
  s1 = b;
  s2 = c;
  s3 = d;
}

/** One ziggurat draw from magnitude j and index byte `index` (layer = low 7 bits, sign = bit 7). */
function zigguratDraw(j: u32, index: u32): f64 {
  const layer = index & 127;
  const o = (<usize>layer) << 3;
  let x = <f64>j * load<f64>(ZW + o);
  if (<f64>j >= load<f64>(ZK + o)) x = slowPath(j, layer);
  return index & 128 ? -x : x;
}

/**
 * n standard normals in `Rng.fillNormal`'s order: per chunk of 1024 draws, 1024 magnitude words and 256 index
 * words (byte t of the index words is draw t's layer and sign), then the fast test j < k_layer on each; a miss
 * takes the slow path on the live stream, after the chunk's words. Draws are tested two at a time in f64x2
 * (convert, multiply, compare, sign); a pair with a miss is finished lane by lane, in order.
 */
export function normalFill(pState: usize, pOut: usize, n: i32): void {
  zigguratTables();
  loadState(pState);
  const indexBytes = WORDS + ((<usize>CHUNK) << 2);
  const signBit = i64x2.splat(0x8000000000000000);
  for (let start = 0; start < n; start += CHUNK) {
    const count = min(CHUNK, n - start);
    drawChunk();
    const out = pOut + ((<usize>start) << 3);
    const count2 = count & ~1;
    for (let t = 0; t < count2; t += 2) {
      const j = i32x4.shr_u(v128.load64_zero(WORDS + ((<usize>t) << 2)), 1);
      const jf = f64x2.convert_low_i32x4_u(j);
      const i0 = <u32>load<u8>(indexBytes + t);
      const i1 = <u32>load<u8>(indexBytes + t + 1);
      const o0 = (<usize>(i0 & 127)) << 3;
      const o1 = (<usize>(i1 & 127)) << 3;
      const w = v128.load64_lane(o1 + ZW, v128.load64_zero(o0 + ZW), 1);
      const k = v128.load64_lane(o1 + ZK, v128.load64_zero(o0 + ZK), 1);
      if (v128.all_true<i64>(f64x2.lt(jf, k))) {
        const sign = v128.and(i64x2.shl(i64x2(<i64>i0, <i64>i1), 56), signBit);
        v128.store(out + ((<usize>t) << 3), v128.xor(f64x2.mul(jf, w), sign));
      } else {
        const words = WORDS + ((<usize>t) << 2);
        store<f64>(out + ((<usize>t) << 3), zigguratDraw(load<u32>(words) >>> 1, i0));
        store<f64>(out + ((<usize>t) << 3), zigguratDraw(load<u32>(words, 4) >>> 1, i1), 8);
      }
    }
    if (count & 1) {
      const t = count2;
      const v = zigguratDraw(load<u32>(WORDS + ((<usize>t) << 2)) >>> 1, <u32>load<u8>(indexBytes + t));
      store<f64>(out + ((<usize>t) << 3), v);
    }
  }
  storeState(pState);
}

/**
 * n standard normals exactly as n successive `Rng.normal()` calls: an index word is drawn whenever the previous
 * one's four bytes are used up (its remaining bytes and count carried in the state's words 4 and 5), then one
 * magnitude word per draw; misses take the slow path at once. The stream is stepped in locals (globals cost a
 * memory access each in V8) and handed to the globals only around the rare slow path.
 */
export function normalSequence(pState: usize, pOut: usize, n: i32): void {
  zigguratTables();
  let a = load<u32>(pState);
  let b = load<u32>(pState, 4);
  let c = load<u32>(pState, 8);
  let d = load<u32>(pState, 12);
  let indexWord = load<u32>(pState, 16);
  let bitsLeft = load<u32>(pState, 20);
  for (let i = 0; i < n; i++) {
    if (bitsLeft == 0) {
      indexWord = rotl<u32>(b * 5, 7) * 9;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl<u32>(d, 11);
      bitsLeft = 4;
    }
    const index = indexWord & 255;
    indexWord >>>= 8;
    bitsLeft--;
    const j = (rotl<u32>(b * 5, 7) * 9) >>> 1;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl<u32>(d, 11);
    const o = (<usize>(index & 127)) << 3;
    let x = <f64>j * load<f64>(ZW + o);
    if (<f64>j >= load<f64>(ZK + o)) {
      s0 = a;
      s1 = b;
      s2 = c;
      s3 = d;
      x = slowPath(j, index & 127);
      a = s0;
      b = s1;
      c = s2;
      d = s3;
    }
    store<f64>(pOut + ((<usize>i) << 3), index & 128 ? -x : x);
  }
  store<u32>(pState, a);
  store<u32>(pState, b, 4);
  store<u32>(pState, c, 8);
  store<u32>(pState, d, 12);
  store<u32>(pState, indexWord, 16);
  store<u32>(pState, bitsLeft, 20);
}
