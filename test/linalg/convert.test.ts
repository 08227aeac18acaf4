import { describe, expect, it } from "vitest";
import { alloc, heap, kernels, mark, release } from "../../src/linalg/wasm.js";
import { Rng } from "../../src/random/index.js";

/** Edge cases of float64 → float32 rounding, each checked against Math.fround. */
const EDGES = [
  0,
  -0,
  Infinity,
  -Infinity,
  NaN,
  1,
  -1,
  1 + 2 ** -24, // a tie: rounds to even (1)
  1 + 3 * 2 ** -24, // a tie: rounds to even (1 + 2⁻²²)
  1 + 2 ** -24 + 2 ** -40, // just above the tie: rounds up
  3.4028234663852886e38, // largest float32
  3.4028235677973366e38, // rounds up to +Inf (past the midpoint to 2¹²⁸)
  3.4028235e38, // rounds down to the largest float32
  -1e39,
  2 ** -149, // smallest float32 subnormal
  2 ** -150, // tie between 0 and the smallest subnormal: rounds to 0
  3 * 2 ** -151, // rounds up to the smallest subnormal
  1.5e-40, // a float32 subnormal, inexact
  -(2 ** -126), // smallest float32 normal
  5e-324, // float64 subnormal: rounds to 0
  -5e-324,
  Math.PI,
  1e-10,
];

function bits32(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0];
}

/** Rounds `values` with demoteF64, in place or into a separate buffer; returns the float32 results. */
function demote(values: Float64Array, inPlace: boolean): Float32Array {
  const top = mark();
  try {
    const px = alloc(values.length);
    heap().set(values, px >>> 3);
    const py = inPlace ? px : alloc(values.length);
    kernels.demoteF64(values.length, px, py);
    return new Float32Array(kernels.memory.buffer, py, values.length).slice();
  } finally {
    release(top);
  }
}

/** Widens `values` with promoteF32, in place or into a separate buffer. */
function promote(values: Float32Array, inPlace: boolean): Float64Array {
  const top = mark();
  try {
    const px = alloc(values.length);
    new Float32Array(kernels.memory.buffer, px, values.length).set(values);
    const py = inPlace ? px : alloc(values.length);
    kernels.promoteF32(values.length, px, py);
    return heap().slice(py >>> 3, (py >>> 3) + values.length);
  } finally {
    release(top);
  }
}

function randomValues(rng: Rng, n: number): Float64Array {
  // Wide exponents (including float32 overflow and underflow) with random mantissas.
  return Float64Array.from({ length: n }, () => (rng.uniform() - 0.5) * 2 ** Math.round(rng.uniform() * 360 - 180));
}

describe("demoteF64 (float64 → float32)", () => {
  it("matches Math.fround bit for bit on edge cases, in place and not", () => {
    const x = Float64Array.from(EDGES);
    for (const inPlace of [false, true]) {
      const y = demote(x, inPlace);
      EDGES.forEach((v, i) => {
        const want = Math.fround(v);
        if (Number.isNaN(want)) expect(y[i]).toBeNaN();
        else expect(bits32(y[i]), `x = ${v}`).toBe(bits32(want));
      });
    }
  });

  it("matches Math.fround on random values for every length 0…19 (SIMD body and scalar tail)", () => {
    const rng = new Rng(12);
    for (let n = 0; n < 20; n++) {
      const x = randomValues(rng, n);
      for (const inPlace of [false, true]) {
        expect(Array.from(demote(x, inPlace))).toEqual(Array.from(x, Math.fround));
      }
    }
    const big = randomValues(rng, 10_001);
    expect(Array.from(demote(big, true))).toEqual(Array.from(big, Math.fround));
  });
});

describe("promoteF32 (float32 → float64)", () => {
  it("is exact on edge cases and random values, for every length 0…19, in place and not", () => {
    const rng = new Rng(13);
    const edges = Float32Array.from(EDGES);
    for (const inPlace of [false, true]) {
      const y = promote(edges, inPlace);
      edges.forEach((v, i) => (Number.isNaN(v) ? expect(y[i]).toBeNaN() : expect(Object.is(y[i], v)).toBe(true)));
      for (let n = 0; n < 20; n++) {
        const x = Float32Array.from(randomValues(rng, n));
        expect(Array.from(promote(x, inPlace))).toEqual(Array.from(x));
      }
    }
  });
});
