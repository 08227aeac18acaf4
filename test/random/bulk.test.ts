/**
 * The bulk samplers (WebAssembly kernels of asm/random.ts) against a plain TypeScript reference written here from
 * the published algorithms (xoshiro128**, Marsaglia & Tsang's ziggurat with a separate index word), and against
 * checksums of the values the samplers gave before they moved into WebAssembly: stored results and seeded tests
 * depend on every bit.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/random/rng.js";
import { zigF, zigK, zigW } from "../../src/random/ziggurat.js";
import { exp, log } from "../../src/linalg/elementary.js";
import { alloc, heap, mark, release } from "../../src/linalg/wasm.js";

const R = 3.442619855899;
const AREA = 9.91256303526217e-3;

/** The ziggurat tables by Marsaglia & Tsang's recursion (their Figure 1, 128 layers). */
function referenceTables(): { k: Float64Array; w: Float64Array; f: Float64Array } {
  const k = new Float64Array(128);
  const w = new Float64Array(128);
  const f = new Float64Array(128);
  let dn = R;
  let tn = dn;
  const q = AREA / exp(-0.5 * dn * dn);
  k[0] = Math.floor((dn / q) * 2 ** 31);
  w[0] = q / 2 ** 31;
  w[127] = dn / 2 ** 31;
  f[0] = 1;
  f[127] = exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * log(AREA / dn + exp(-0.5 * dn * dn)));
    k[i + 1] = Math.floor((dn / tn) * 2 ** 31);
    tn = dn;
    f[i] = exp(-0.5 * dn * dn);
    w[i] = dn / 2 ** 31;
  }
  return { k, w, f };
}

/** A naive xoshiro128** stream with the ziggurat on top, one word at a time (BigInt-free, 32-bit arithmetic). */
class ReferenceStream {
  private s: number[];
  private index = 0;
  private indexLeft = 0;
  constructor(
    state: number[],
    private readonly t: ReturnType<typeof referenceTables>,
  ) {
    this.s = state.map((v) => v >>> 0);
  }
  word(): number {
    const [s0, s1, s2, s3] = this.s;
    const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = (s2 ^ s0) >>> 0;
    const n3 = (s3 ^ s1) >>> 0;
    const n1 = (s1 ^ n2) >>> 0;
    const n0 = (s0 ^ n3) >>> 0;
    this.s = [n0, n1, (n2 ^ t) >>> 0, rotl(n3, 11)];
    return result;
  }
  uniform(): number {
    const a = this.word() >>> 5;
    const b = this.word() >>> 6;
    return (a * 2 ** 26 + b) / 2 ** 53;
  }
  /** Magnitude of a draw from (j, layer), with the rejection step on this stream. */
  magnitude(j: number, layer: number): number {
    const { k, w, f } = this.t;
    for (;;) {
      if (j < k[layer]) return j * w[layer];
      if (layer === 0) {
        let x: number;
        let y: number;
        do {
          x = -log(1 - this.uniform()) / R;
          y = -log(1 - this.uniform());
        } while (y + y < x * x);
        return R + x;
      }
      const x = j * w[layer];
      if (f[layer] + this.uniform() * (f[layer - 1] - f[layer]) < exp(-0.5 * x * x)) return x;
      // Rejected: a fresh (layer, j), tested from the top.
      layer = this.word() & 127;
      j = this.word() >>> 1;
    }
  }
  /** One normal() call: an index byte (from a word drawn every fourth call), then a magnitude word. */
  normal(): number {
    if (this.indexLeft === 0) {
      this.index = this.word();
      this.indexLeft = 4;
    }
    const byte = this.index & 255;
    this.index >>>= 8;
    this.indexLeft--;
    const v = this.magnitude(this.word() >>> 1, byte & 127);
    return byte & 128 ? -v : v;
  }
  /** fillNormal's order: per 1024 draws, 1024 magnitude words then 256 index words, slow paths after them. */
  fillNormal(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let start = 0; start < n; start += 1024) {
      const count = Math.min(1024, n - start);
      const words = Array.from({ length: 1280 }, () => this.word());
      for (let t = 0; t < count; t++) {
        const byte = (words[1024 + (t >> 2)] >>> (8 * (t & 3))) & 255;
        const v = this.magnitude(words[t] >>> 1, byte & 127);
        out[start + t] = byte & 128 ? -v : v;
      }
    }
    return out;
  }
  fillRademacher(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 32) {
      const bits = this.word();
      for (let b = 0; b < 32 && i + b < n; b++) out[i + b] = (bits >>> b) & 1 ? 1 : -1;
    }
    return out;
  }
}

/** Bitwise equality of two float64 arrays (distinguishes −0 from +0), reporting the first difference. */
function expectSameBits(actual: Float64Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  const a = new BigUint64Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new BigUint64Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) expect({ index: i, value: actual[i] }).toEqual({ index: i, value: expected[i] });
  }
}

/** FNV-1a over the bytes of a float64 array. */
function fnv(a: Float64Array): number {
  let h = 0x811c9dc5;
  for (const x of new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h;
}

const STATE = [0x9e3779b9, 0x7f4a7c15, 0xdeadbeef, 0x12345678];

describe("bulk samplers (WebAssembly)", () => {
  const tables = referenceTables();

  it("use the ziggurat tables of Marsaglia & Tsang's recursion, bit for bit", () => {
    new Rng(0); // fills the tables
    expectSameBits(zigK, tables.k);
    expectSameBits(zigW, tables.w);
    expectSameBits(zigF, tables.f);
  });

  it("fillNormal replays the reference's chunked order across chunk and block edges, tails included", () => {
    const ours = Rng.fromState(STATE[0], STATE[1], STATE[2], STATE[3]);
    const ref = new ReferenceStream(STATE, tables);
    let tails = 0;
    for (const n of [1, 2, 1023, 1024, 1025, 3, 70_001]) {
      const a = ours.fillNormal(new Float64Array(n));
      expectSameBits(a, ref.fillNormal(n));
      for (const v of a) if (Math.abs(v) > R) tails++;
    }
    expect(tails).toBeGreaterThan(10); // the base layer's exponential tail ran (≈ 40 expected)
    expect(ours.nextUint32()).toBe(ref.word()); // and the streams end in the same state
  });

  it("fillNormalSequential equals successive normal() calls, carrying the index word across calls", () => {
    const ours = Rng.fromState(STATE[0], STATE[1], STATE[2], STATE[3]);
    const ref = new ReferenceStream(STATE, tables);
    const viaCalls = Rng.fromState(STATE[0], STATE[1], STATE[2], STATE[3]);
    for (const n of [1, 6, 40_000, 5]) {
      const expected = Float64Array.from({ length: n }, () => ref.normal());
      expectSameBits(ours.fillNormalSequential(new Float64Array(n)), expected);
      expectSameBits(
        Float64Array.from({ length: n }, () => viaCalls.normal()),
        expected,
      );
      expect(ours.normal()).toBe(ref.normal()); // a scalar call in between continues the same index word
      viaCalls.normal();
    }
  });

  it("fillRademacher expands each word's bits in order, the last word drawn whole", () => {
    const ours = Rng.fromState(STATE[0], STATE[1], STATE[2], STATE[3]);
    const ref = new ReferenceStream(STATE, tables);
    for (const n of [1, 31, 32, 33, 70_001])
      expectSameBits(ours.fillRademacher(new Float64Array(n)), ref.fillRademacher(n));
    expect(ours.nextUint32()).toBe(ref.word());
  });

  it("the …At forms write into linear memory what the array forms return", () => {
    const top = mark();
    try {
      const n = 5000;
      const ptr = alloc(n);
      const view = () => heap().subarray(ptr >>> 3, (ptr >>> 3) + n);
      for (const [at, array] of [
        ["fillNormalAt", "fillNormal"],
        ["fillNormalSequentialAt", "fillNormalSequential"],
        ["fillRademacherAt", "fillRademacher"],
      ] as const) {
        const a = new Rng(11);
        const b = new Rng(11);
        a[at](ptr, n);
        expectSameBits(view().slice(), b[array](new Float64Array(n)));
      }
      expect(() => new Rng(1).fillNormalAt(ptr + 4, 2)).toThrow(/aligned/);
      expect(() => new Rng(1).fillNormalAt(ptr, -1)).toThrow(/count/);
    } finally {
      release(top);
    }
  });

  it("reproduce the values the samplers gave before they moved into WebAssembly (checksums)", () => {
    // FNV-1a of the outputs of the previous TypeScript samplers (commit 3474a70) for these seeds and lengths.
    const before: Record<number, number[]> = {
      0: [
        1722796275, 1876476316, 2517975814, 2267004102, 4161870407, 4196919259, 1975723949, 208260856, 2307093784,
        2137411448, 1507674488, 924901112, 3230166156, 2461696952,
      ],
      1: [
        1155470195, 1008729053, 2302814956, 2883738578, 3924831880, 1182214086, 2447057144, 208260856, 370411160,
        2906559480, 2230313848, 2038855288, 2104112151, 887728904,
      ],
      12345: [
        1197719138, 743297683, 2762537511, 1648317484, 2815675253, 2041281915, 558995424, 2355796088, 3690014488,
        2028220280, 4019479672, 1772184056, 3417259069, 1422001114,
      ],
    };
    for (const seed of [0, 1, 12345]) {
      const r = new Rng(seed);
      const sums: number[] = [];
      for (const n of [1, 31, 33, 1023, 1025, 5000, 70_001]) sums.push(fnv(r.fillNormal(new Float64Array(n))));
      for (const n of [1, 31, 33, 65, 70_001]) sums.push(fnv(r.fillRademacher(new Float64Array(n))));
      r.normal();
      sums.push(fnv(r.fillNormalSequential(new Float64Array(3001))));
      sums.push(r.nextUint32());
      expect(sums).toEqual(before[seed]);
    }
  });
});
