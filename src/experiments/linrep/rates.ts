/**
 * Rates of the subspace distance for the linrep experiments: the theory's prediction for each algorithm at its
 * chosen step size and damping (src/paper/linrep/theory.ts), and the rate measured on a training log.
 */
import { svd } from "../../linalg/index.js";
import type { Matrix } from "../../linalg/matrix.js";
import type { LinrepProblem } from "../../paper/linrep/problem.js";
import {
  alternatingRate,
  dampedGaussNewtonRateBound,
  linearisedDistances,
  type AlternatingStep,
  jointGradientRateBound,
  type LinrepGeometry,
  type RatePrediction,
} from "../../paper/linrep/theory.js";
import type { LinrepAlgorithm } from "./train.js";
import { exp, log } from "../../linalg/elementary.js";

/**
 * The theory's geometry for `problem` with the head's singular values `head` — those of the head F reached at
 * the start of the linear phase; by default σ(F★), which is the head only when G has orthonormal rows (during the
 * transient G's scale drifts, G ≈ A G★ with A not orthogonal, and the head reached is F★A⁻¹).
 */
export function problemGeometry(
  problem: LinrepProblem,
  head: ArrayLike<number> = svd(problem.Fstar).S,
): LinrepGeometry {
  return { sigma: problem.cov.sigma, Gstar: problem.Gstar, headSingularValues: head };
}

/** The G step of `algorithm` in the theory's terms, for the alternating methods with the least-squares head. */
function alternatingSpec(
  algorithm: LinrepAlgorithm,
  step: { lr: number; damping: number; lrF: number },
): AlternatingStep | null {
  if (algorithm === "amd") return { eta: step.lr, left: "identity", right: "identity" }; // always fits the LS head
  if (step.lrF !== 1) return null;
  if (algorithm === "one-sided") return { eta: step.lr, left: "identity", right: "covariance", damping: step.damping };
  if (algorithm === "kfac") return { eta: step.lr, left: "gauss-newton", right: "covariance", damping: step.damping };
  return null;
}

/**
 * The predicted local rate of `algorithm`: exact (the slowest mode ρ) for amd, and for one-sided and kfac with
 * the least-squares head (lrF = 1), a lower bound for sgd (joint gradient descent) and ngd; null where the theory
 * says nothing (adam, sgd-bn, or an alternating method with lrF ≠ 1).
 */
export function theoryRate(
  algorithm: LinrepAlgorithm,
  geometry: LinrepGeometry,
  step: { lr: number; damping: number; lrF: number },
): RatePrediction | null {
  const spec = alternatingSpec(algorithm, step);
  if (spec) return alternatingRate(geometry, spec);
  if (algorithm === "sgd") return jointGradientRateBound(geometry, step.lr);
  if (algorithm === "ngd") return dampedGaussNewtonRateBound(geometry, step.lr, step.damping);
  return null;
}

/**
 * The linearised theory's distance curve from the point reached at the start of the linear phase, with the head
 * the run reached at each later step (`heads`, `linearisedDistances` in src/paper/linrep/theory.ts); `count` values;
 * null where the theory is not exact.
 */
export function linearisedCurve(
  algorithm: LinrepAlgorithm,
  problem: LinrepProblem,
  heads: readonly { G: Matrix; F: Matrix }[],
  step: { lr: number; damping: number; lrF: number },
  count: number,
): Float64Array | null {
  const spec = alternatingSpec(algorithm, step);
  return spec ? linearisedDistances(problem.cov.sigma, problem.Gstar, heads, spec, count) : null;
}

/** Distances above this are not yet in the linear regime (tan θ_max is no longer small). */
export const LINEAR_PHASE_START = 0.25;
/** The linear phase ends this many times above the noise floor's scale (`noiseFloorScale`). */
export const NOISE_FLOOR_MARGIN = 2;
/** Points of a linear phase needed before a rate is reported. */
export const MIN_PHASE_POINTS = 3;

/**
 * The scale of the distance's noise floor: σ_ε √(d_X/n) / σ_min(F★), the error of one least-squares estimate of
 * G★ from n samples (the floor a step size of 1 sits on; smaller steps average the noise and sit lower).
 */
export function noiseFloorScale(noise: number, dX: number, samples: number, fStarMin: number): number {
  return (noise * Math.sqrt(dX / samples)) / fStarMin;
}

/** The linear phase of a logged distance curve and its rate. */
export interface MeasuredRate {
  /** The fitted rate (`fitRate`) over the phase; null when the phase has < MIN_PHASE_POINTS points. */
  rate: number | null;
  /** First logged step with distance ≤ `upper` and the distance there (null: the curve never got there). */
  startStep: number | null;
  startDistance: number | null;
  /** Indices (into the log) of the phase's first and last point; `to` < `from` when the phase is empty. */
  from: number;
  to: number;
}

/** ln tan θ for a distance d = sin θ: the scale on which the linearised theory is linear in the step. */
const logTangent = (d: number) => log(d / Math.sqrt(Math.max(1 - d * d, Number.MIN_VALUE)));

/**
 * exp of the least-squares slope of ln tan θ(step) against step over the points `values[i]` at `steps[i]`: the
 * per-step contraction factor of tan θ_max that best fits the points (null when fewer than two distinct steps).
 */
export function fitRate(steps: ArrayLike<number>, values: ArrayLike<number>): number | null {
  const n = steps.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += steps[i] / n;
    my += logTangent(values[i]) / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (steps[i] - mx) * (logTangent(values[i]) - my);
    sxx += (steps[i] - mx) ** 2;
  }
  const rate = exp(sxy / sxx);
  return sxx > 0 && Number.isFinite(rate) ? rate : null;
}

/**
 * The linear phase of a logged distance curve: the consecutive logged points from the first with distance
 * ≤ `upper` (before it the iterates are far from the solution and the map is not linear) while the distance
 * stays ≥ `lower` (well above the noise floor, where noise rather than the contraction sets the distance), and
 * its rate (`fitRate`). No rate (null) unless the phase has at least `MIN_PHASE_POINTS` points: a run that jumps
 * past the phase in a step or two has no observable linear rate.
 */
export function linearPhaseRate(
  steps: ArrayLike<number>,
  distances: ArrayLike<number>,
  lower: number,
  upper = LINEAR_PHASE_START,
): MeasuredRate {
  const n = distances.length;
  const from = Array.prototype.findIndex.call(distances, (d: number) => d <= upper);
  if (from < 0) return { rate: null, startStep: null, startDistance: null, from: 0, to: -1 };
  let to = from - 1;
  while (to + 1 < n && distances[to + 1] >= lower && distances[to + 1] <= upper) to++;
  const phase = { startStep: steps[from], startDistance: distances[from], from, to };
  if (to - from + 1 < MIN_PHASE_POINTS) return { rate: null, ...phase };
  const slice = (xs: ArrayLike<number>) => Array.prototype.slice.call(xs, from, to + 1) as number[];
  return { rate: fitRate(slice(steps), slice(distances)), ...phase };
}

/**
 * What a trial's theory rate is, as the summary shows it: "exact" only where it can be compared with a measured
 * rate; "exact (no linear phase)" where the theory is exact but the run shows no linear phase to measure (it
 * finished in a step or two, or stayed near the noise floor); "lower-bound"; "none".
 */
export function theoryKindOf(theory: RatePrediction | null, measured: number | null): string {
  if (!theory) return "none";
  if (theory.kind === "exact" && measured === null) return "exact (no linear phase)";
  return theory.kind;
}
