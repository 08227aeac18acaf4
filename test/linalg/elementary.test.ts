/**
 * exp, log, pow, tanh and cos computed in WebAssembly (the same bits on every engine): within 1 ulp of the engine's own
 * Math functions (an independent implementation; 3 ulp for tanh) over wide ranges, IEEE-754 special cases, and identities
 * that hold exactly (powers of two, integer powers of small integers, log/exp round trips).
 */
import { describe, expect, it } from "vitest";
import { cos, exp, hypot, log, pow, tanh } from "../../src/linalg/elementary.js";
import { Rng } from "../../src/random/rng.js";

/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  const bits = new BigInt64Array(new Float64Array([a, b]).buffer);
  const d = bits[0] - bits[1];
  return Number(d < 0n ? -d : d);
}

describe("portable exp, log, pow, tanh, cos", () => {
  const rng = new Rng(2026);

  it("agree with Math.exp / Math.log / Math.pow / Math.tanh to 1 ulp (tanh: 3) over wide ranges", () => {
    let worst = 0;
    let worstTanh = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = (rng.uniform() - 0.5) * 1400; // exp over (−700, 700), through subnormal results
      const y = 10 ** ((rng.uniform() - 0.5) * 600); // log over 1e−300 … 1e300
      const p = (rng.uniform() - 0.5) * 40;
      const b = rng.uniform() * 50;
      const t = (rng.uniform() - 0.5) * 40;
      worst = Math.max(worst, ulps(exp(x), Math.exp(x)), ulps(log(y), Math.log(y)), ulps(pow(b, p), Math.pow(b, p)));
      worstTanh = Math.max(worstTanh, ulps(Math.abs(tanh(t)), Math.abs(Math.tanh(t))));
      const a = (rng.uniform() - 0.5) * 20; // cos over a few periods, away from its zeros (ulps of tiny values blow up)
      if (Math.abs(Math.cos(a)) > 1e-3) worst = Math.max(worst, ulps(Math.abs(cos(a)), Math.abs(Math.cos(a))));
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(worstTanh).toBeLessThanOrEqual(3); // both are fdlibm-style tanh, each within about 2 ulp
  });

  it("are exact where the result is representable", () => {
    expect(exp(0)).toBe(1);
    expect(log(1)).toBe(0);
    for (let k = -1074; k <= 1023; k += 7) expect(pow(2, k)).toBe(2 ** k);
    for (let b = 2; b <= 9; b++) for (let n = 0; n <= 15; n++) expect(pow(b, n)).toBe(b ** n); // < 2^53
    expect(pow(0.5, 3)).toBe(0.125);
    expect(pow(4, 0.5)).toBe(2);
    expect(pow(2, 0.5)).toBe(Math.SQRT2); // correctly rounded √2
  });

  it("follow the IEEE-754 / C99 special cases", () => {
    expect(exp(Infinity)).toBe(Infinity);
    expect(exp(-Infinity)).toBe(0);
    expect(exp(710)).toBe(Infinity);
    expect(exp(-746)).toBe(0);
    expect(Number.isNaN(exp(NaN))).toBe(true);
    expect(log(0)).toBe(-Infinity);
    expect(log(Infinity)).toBe(Infinity);
    expect(Number.isNaN(log(-1))).toBe(true);
    expect(log(Number.MIN_VALUE)).toBeCloseTo(-744.4400719213812, 12);
    expect(pow(0, 0)).toBe(1);
    expect(pow(NaN, 0)).toBe(1);
    expect(Number.isNaN(pow(-8, 1 / 3))).toBe(true);
    expect(pow(-2, 3)).toBe(-8);
    expect(pow(0, -1)).toBe(Infinity);
    expect(pow(10, 400)).toBe(Infinity);
    expect(tanh(0)).toBe(0);
    expect(Object.is(tanh(-0), -0)).toBe(true);
    expect(tanh(40)).toBe(1);
    expect(tanh(-Infinity)).toBe(-1);
    expect(tanh(1e-300)).toBe(1e-300);
    expect(cos(0)).toBe(1);
    expect(Number.isNaN(cos(Infinity))).toBe(true);
  });

  it("hypot: within 1 ulp of Math.hypot, exact on Pythagorean triples, no overflow or underflow", () => {
    for (let i = 0; i < 5000; i++) {
      const a = (rng.uniform() - 0.5) * 10 ** (rng.uniform() * 40 - 20);
      const b = (rng.uniform() - 0.5) * 10 ** (rng.uniform() * 40 - 20);
      expect(ulps(hypot(a, b), Math.hypot(a, b))).toBeLessThanOrEqual(1);
    }
    expect(hypot(3, 4)).toBe(5);
    expect(hypot(-5, 12)).toBe(13);
    expect(hypot(1e300, 1e300)).toBeCloseTo(Math.SQRT2 * 1e300, -285);
    expect(hypot(3e-320, 4e-320)).toBeGreaterThan(0);
    expect(hypot(0, 0)).toBe(0);
    expect(hypot(Infinity, 1)).toBe(Infinity);
    expect(Number.isNaN(hypot(NaN, 1))).toBe(true);
  });

  it("round-trip: log(exp(x)) = x to 2 ulp", () => {
    for (let i = 0; i < 2000; i++) {
      const x = (rng.uniform() - 0.5) * 200;
      expect(Math.abs(log(exp(x)) - x)).toBeLessThanOrEqual(2 * Number.EPSILON * Math.max(1, Math.abs(x)));
    }
  });
});
