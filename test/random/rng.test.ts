import { describe, expect, it } from "vitest";
import { Rng, deriveSeed } from "../../src/random/rng.js";

// Outputs of the reference C implementation of xoshiro128** (Blackman & Vigna, prng.di.unimi.it), compiled with
// gcc and run from the states below.
const REFERENCE_1234 = [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849];
const REFERENCE_OTHER_FIRST4 = [199744174, 3631572119, 268531886, 247712344];
const REFERENCE_OTHER_1001ST = 341884307;

function moments(draws: number[]): { mean: number; variance: number; kurtosis: number } {
  const n = draws.length;
  const mean = draws.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m4 = 0;
  for (const x of draws) {
    const d = x - mean;
    m2 += d * d;
    m4 += d ** 4;
  }
  m2 /= n;
  m4 /= n;
  return { mean, variance: m2, kurtosis: m4 / (m2 * m2) };
}

describe("Rng (xoshiro128**)", () => {
  it("matches the reference implementation bit for bit", () => {
    const a = Rng.fromState(1, 2, 3, 4);
    expect(REFERENCE_1234.map(() => a.nextUint32())).toEqual(REFERENCE_1234);
    const b = Rng.fromState(0x9e3779b9, 0x7f4a7c15, 0xdeadbeef, 0x12345678);
    expect(REFERENCE_OTHER_FIRST4.map(() => b.nextUint32())).toEqual(REFERENCE_OTHER_FIRST4);
    for (let i = 0; i < 996; i++) b.nextUint32();
    expect(b.nextUint32()).toBe(REFERENCE_OTHER_1001ST);
  });

  it("refuses the all-zero state and non-finite seeds", () => {
    expect(() => Rng.fromState(0, 0, 0, 0)).toThrow(/all-zero/);
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
  });

  it("is deterministic per seed and differs between nearby seeds", () => {
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 5 }, () => r.uniform());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(2 ** 40)).not.toEqual(draw(2 ** 40 + 2 ** 32)); // high bits of large seeds count
  });

  it("draws uniforms in [0, 1) with the right mean and variance", () => {
    const r = new Rng(7);
    const u = Array.from({ length: 200_000 }, () => r.uniform());
    expect(u.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(0);
    expect(u.reduce((a, b) => Math.max(a, b))).toBeLessThan(1);
    const m = moments(u);
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 3);
  });

  it("draws standard normals (mean 0, variance 1, kurtosis 3)", () => {
    const r = new Rng(11);
    const m = moments(Array.from({ length: 200_000 }, () => r.normal()));
    expect(Math.abs(m.mean)).toBeLessThan(0.01);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.01);
    expect(Math.abs(m.kurtosis - 3)).toBeLessThan(0.05);
  });

  it("draws normals whose histogram matches the N(0, 1) density, tails included (ziggurat layers and tail)", () => {
    // Expected bin probabilities by Simpson integration of the density, independent of the sampler's tables.
    const density = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    const integrate = (a: number, b: number) => {
      const m = 200;
      const h = (b - a) / m;
      let s = density(a) + density(b);
      for (let i = 1; i < m; i++) s += (i % 2 ? 4 : 2) * density(a + i * h);
      return (s * h) / 3;
    };
    const edges = [-Infinity, ...Array.from({ length: 41 }, (_, i) => -5 + i * 0.25), Infinity];
    const r = new Rng(12);
    const n = 1_000_000;
    const counts = new Array(edges.length - 1).fill(0);
    const draws = r.fillNormal(new Float64Array(n));
    let beyondR = 0;
    for (const x of draws) {
      counts[Math.min(Math.max(Math.floor((x + 5) / 0.25) + 1, 0), edges.length - 2)]++;
      if (Math.abs(x) > 3.442619855899) beyondR++;
    }
    let chi2 = 0;
    for (let b = 0; b < counts.length; b++) {
      const lo = Math.max(edges[b], -12);
      const hi = Math.min(edges[b + 1], 12);
      const expected = n * integrate(lo, hi);
      chi2 += (counts[b] - expected) ** 2 / expected;
    }
    expect(chi2).toBeLessThan(80); // 41 degrees of freedom: p ≈ 3e-4
    const tail = 2 * integrate(3.442619855899, 12);
    expect(Math.abs(beyondR - n * tail)).toBeLessThan(5 * Math.sqrt(n * tail));
  });

  it("draws balanced Rademacher signs and unbiased integers", () => {
    const r = new Rng(3);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const s = r.rademacher();
      expect(Math.abs(s)).toBe(1);
      sum += s;
    }
    expect(Math.abs(sum)).toBeLessThan(1500); // 4.7 standard deviations
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
    const chi2 = counts.reduce((a, c) => a + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(22.5); // p ≈ 0.001 for 6 degrees of freedom
    expect(() => r.int(0)).toThrow(/integer/);
  });

  it("derives distinct, order-sensitive child seeds and uncorrelated split streams", () => {
    const seeds = new Set<number>();
    for (let p = 0; p < 50; p++) for (let q = 0; q < 50; q++) seeds.add(deriveSeed(1, p, q));
    expect(seeds.size).toBe(2500);
    expect(deriveSeed(1, 2, 3)).toBe(deriveSeed(1, 2, 3));
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2));
    expect(() => deriveSeed(1, -1)).toThrow(/non-negative/);

    const parent = new Rng(5);
    const a = parent.split(0);
    const b = parent.split(1);
    expect(parent.split(0).normal()).toBe(new Rng(5).split(0).normal()); // split does not advance the parent
    let cross = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) cross += a.normal() * b.normal();
    expect(Math.abs(cross / n)).toBeLessThan(0.02);
  });
});
