/**
 * The percentile bootstrap of the median against an exact reference: for n values the bootstrap distribution of
 * the resampled median is known exactly by enumerating all nⁿ equally likely resamples (n = 5: 3125), so the
 * Monte-Carlo interval must land on the exact distribution's quantiles.
 */
import { describe, expect, it } from "vitest";
import { bootstrapMedian } from "../../../src/experiments/anisotropy/bootstrap.js";

/** Median of a list (+∞ allowed), the mean of the middle two for an even count: the naive reference. */
function naiveMedian(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n % 2 === 1) return s[(n - 1) / 2];
  return s[n / 2 - 1] === s[n / 2] ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** The exact bootstrap distribution of the median: value → probability, by enumerating every resample. */
function exactDistribution(xs: number[]): Map<number, number> {
  const n = xs.length;
  const out = new Map<number, number>();
  const total = n ** n;
  for (let code = 0; code < total; code++) {
    const sample: number[] = [];
    for (let i = 0, c = code; i < n; i++, c = Math.floor(c / n)) sample.push(xs[c % n]);
    const m = naiveMedian(sample);
    out.set(m, (out.get(m) ?? 0) + 1 / total);
  }
  return out;
}

/** The q-quantile of a discrete distribution: the smallest value whose CDF reaches q. */
function quantile(dist: Map<number, number>, q: number): number {
  let cdf = 0;
  for (const [v, p] of [...dist].sort((a, b) => a[0] - b[0])) {
    cdf += p;
    if (cdf >= q - 1e-12) return v;
  }
  return Infinity;
}

describe("bootstrapMedian", () => {
  it("matches the exact bootstrap distribution's 2.5% and 97.5% quantiles (n = 5, enumerated)", () => {
    for (const xs of [
      [120, 140, 150, 170, 400],
      [30, 30, 60, 90, Infinity],
    ]) {
      const dist = exactDistribution(xs);
      // The data are chosen so that neither quantile sits on a jump of the CDF (Monte Carlo could round either way).
      const r = bootstrapMedian(
        xs.map((x) => (x === Infinity ? null : x)),
        { resamples: 20_000, seed: 7 },
      );
      expect(r.median).toBe(naiveMedian(xs) === Infinity ? null : naiveMedian(xs));
      const lo = quantile(dist, 0.025);
      const hi = quantile(dist, 0.975);
      expect(r.low).toBe(lo === Infinity ? null : lo);
      expect(r.high).toBe(hi === Infinity ? null : hi);
    }
  });

  it("is a point when every value is the same, and fixed by its seed", () => {
    expect(bootstrapMedian([50, 50, 50, 50, 50])).toEqual({ median: 50, low: 50, high: 50 });
    const xs = [10, 40, 20, 90, 30, 70];
    expect(bootstrapMedian(xs, { seed: 3 })).toEqual(bootstrapMedian(xs, { seed: 3 }));
  });

  it("counts null (not reached) as +∞: a majority not reached has no finite median or upper end", () => {
    const r = bootstrapMedian([100, null, null, 200, null]);
    expect(r.median).toBeNull();
    expect(r.high).toBeNull();
    expect(r.low).toBe(100);
    expect(bootstrapMedian([])).toEqual({ median: null, low: null, high: null });
  });

  it("refuses a level outside (0, 1) and a non-integer number of resamples", () => {
    expect(() => bootstrapMedian([1], { level: 1 })).toThrow(/level must be in \(0, 1\), got 1/);
    expect(() => bootstrapMedian([1], { resamples: 0.5 })).toThrow(/resamples must be a positive integer/);
  });
});
