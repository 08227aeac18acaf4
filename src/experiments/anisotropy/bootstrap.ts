/**
 * The percentile bootstrap interval of a median over seeds, for steps to a target where a run that never reached
 * it counts as +∞ (so the median and either end of the interval can be "not reached").
 */
import { Rng } from "../../random/rng.js";

/** The median of the values and the ends of its bootstrap interval; null = +∞ (not reached). */
export interface MedianInterval {
  median: number | null;
  low: number | null;
  high: number | null;
}

/** Options of `bootstrapMedian`. */
export interface BootstrapOptions {
  /** Coverage of the interval, in (0, 1); default 0.95. */
  level?: number;
  /** Bootstrap resamples B; default 4000. */
  resamples?: number;
  /** Seed of the resampling (fixed, so a summary is reproducible); default 0. */
  seed?: number;
}

/** The median of finite or infinite values, sorted ascending (the mean of the middle two for an even count). */
function sortedMedian(xs: Float64Array): number {
  const n = xs.length;
  const upper = xs[n >> 1];
  if (n % 2 === 1) return upper;
  const lower = xs[(n >> 1) - 1];
  return lower === upper ? lower : (lower + upper) / 2;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The median m of `values` (null, undefined or NaN count as +∞) and its percentile bootstrap interval (Efron &
 * Tibshirani, "An Introduction to the Bootstrap", 1993, §13.3): B resamples of n values drawn with replacement,
 * each resample's median m*_b, sorted; the interval is [m*_(⌈B·α/2⌉), m*_(⌈B·(1 − α/2)⌉)] (1-based order statistics),
 * α = 1 − level. With few seeds the medians take few values, so the interval is coarse: with 5 seeds it runs
 * between order statistics of the data.
 */
export function bootstrapMedian(
  values: readonly (number | null | undefined)[],
  options: BootstrapOptions = {},
): MedianInterval {
  const level = options.level ?? 0.95;
  const resamples = options.resamples ?? 4000;
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrapMedian: level must be in (0, 1), got ${level}`);
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`bootstrapMedian: resamples must be a positive integer, got ${resamples}`);
  }
  const xs = Float64Array.from(values, (v) => (typeof v === "number" && !Number.isNaN(v) ? v : Infinity));
  const n = xs.length;
  if (n === 0) return { median: null, low: null, high: null };
  const rng = new Rng(options.seed ?? 0);
  const medians = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = xs[rng.int(n)];
    medians[b] = sortedMedian(sample.sort());
  }
  medians.sort();
  const alpha = 1 - level;
  const at = (q: number) => medians[Math.min(resamples, Math.max(1, Math.ceil(resamples * q))) - 1];
  return {
    median: finiteOrNull(sortedMedian(xs.slice().sort())),
    low: finiteOrNull(at(alpha / 2)),
    high: finiteOrNull(at(1 - alpha / 2)),
  };
}
