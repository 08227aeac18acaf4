/**
 * Rates of the subspace distance for the linrep experiments: the theory's prediction for each algorithm at its
 * chosen step size and damping (src/theory/linrep.ts), and the rate measured on a training log.
 */
import { svd } from "../../linalg/index.js";
import type { LinrepProblem } from "../../problems/linrep.js";
import {
  alternatingRate,
  dampedGaussNewtonRateBound,
  jointGradientRateBound,
  type LinrepGeometry,
  type RatePrediction,
} from "../../theory/linrep.js";
import type { LinrepAlgorithm } from "./train.js";
import { pow } from "../../linalg/elementary.js";

/** The theory's geometry for `problem`, assuming G near the solution has orthonormal rows (σ(F) = σ(F★)). */
export function problemGeometry(problem: LinrepProblem): LinrepGeometry {
  return { sigma: problem.cov.sigma, Gstar: problem.Gstar, headSingularValues: svd(problem.Fstar).S };
}

/**
 * The predicted local rate of `algorithm`: exact for amd, and for one-sided and kfac with the least-squares
 * head (lrF = 1), a lower bound for sgd (joint gradient descent) and ngd; null where the theory says nothing (adam,
 * sgd-bn, or an alternating method with lrF ≠ 1).
 */
export function theoryRate(
  algorithm: LinrepAlgorithm,
  geometry: LinrepGeometry,
  step: { lr: number; damping: number; lrF: number },
): RatePrediction | null {
  const leastSquaresHead = step.lrF === 1;
  switch (algorithm) {
    case "amd": // always fits the least-squares head before its G step
      return alternatingRate(geometry, { eta: step.lr, left: "identity", right: "identity" });
    case "one-sided":
      return leastSquaresHead
        ? alternatingRate(geometry, { eta: step.lr, left: "identity", right: "covariance", damping: step.damping })
        : null;
    case "kfac":
      return leastSquaresHead
        ? alternatingRate(geometry, { eta: step.lr, left: "gauss-newton", right: "covariance", damping: step.damping })
        : null;
    case "sgd":
      return jointGradientRateBound(geometry, step.lr);
    case "ngd":
      return dampedGaussNewtonRateBound(geometry, step.lr, step.damping);
    case "adam":
    case "sgd-bn":
      return null;
  }
}

/** Where the linear phase of a distance curve starts and its secant rate. */
export interface MeasuredRate {
  rate: number | null;
  /** First logged step with distance ≤ `phaseStart` (or step 0), and the distance there. */
  startStep: number;
  startDistance: number;
}

/**
 * The linear-phase rate of a logged distance curve, (τ(t_b)/τ(t_a))^{1/(t_b − t_a)} on the tangent scale
 * τ = d/√(1 − d²) = tan θ_max (the norm the linearised theory contracts), with t_a the first logged
 * step whose distance is ≤ `phaseStart` (the early phase far from the solution is not linear), or step 0 if that
 * is the last point, and t_b the first logged step at or below `floor` (the target, where training stops) or the
 * last step. null when fewer than two points or a non-finite value.
 */
export function linearPhaseRate(
  steps: ArrayLike<number>,
  distances: ArrayLike<number>,
  floor: number,
  phaseStart = 0.5,
): MeasuredRate {
  const n = distances.length;
  if (n < 2) return { rate: null, startStep: steps[0] ?? 0, startDistance: distances[0] ?? NaN };
  let b = n - 1;
  for (let i = 0; i < n; i++) {
    if (distances[i] <= floor) {
      b = i;
      break;
    }
  }
  let a = 0;
  for (let i = 0; i < b; i++) {
    if (distances[i] <= phaseStart) {
      a = i;
      break;
    }
  }
  // The theory's linear map acts on T, whose spectral norm is tan θ_max = d/√(1 − d²): measure on that scale.
  const tangent = (d: number) => d / Math.sqrt(Math.max(1 - d * d, Number.MIN_VALUE));
  const rate = pow(tangent(distances[b]) / tangent(distances[a]), 1 / (steps[b] - steps[a]));
  return {
    rate: b > a && Number.isFinite(rate) ? rate : null,
    startStep: steps[a],
    startDistance: distances[a],
  };
}
