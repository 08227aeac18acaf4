/**
 * The arms of `anisotropy`: the fashion experiments' optimizers plus one diagnosis arm, KFAC whose damping shrinks
 * with the smallest eigenvalue of the re-conditioned input covariance. It tests the explanation of KFAC slowing
 * down at large κ: the damping of the input factor, π√λ (Martens & Grosse 2015, §6.3), is fixed relative to the
 * factor's mean eigenvalue (tr A / dim A), so at large κ it swamps the directions whose variance is far below the
 * mean, and there KFAC steps like SGD. The arm is a diagnosis, not a tuned default.
 */
import type { GradientTransformation } from "../../optim/transform.js";
import { spectrum } from "../../random/covariance.js";
import { OPTIMIZERS, makeOptimizer, type Hyperparameters, type OptimizerName } from "../fashion/optimizers.js";

/** KFAC with damping λ·(s_min/s̄)² at condition number κ (`scaledDamping`). */
export const SCALED_DAMPING_ARM = "kfac-scaled-damping";

export const ARMS = [...OPTIMIZERS, SCALED_DAMPING_ARM] as const;
export type ArmName = (typeof ARMS)[number];

/** The optimizer an arm runs (its step size, search and defaults are that optimizer's). */
export function baseOptimizer(arm: ArmName): OptimizerName {
  return arm === SCALED_DAMPING_ARM ? "kfac" : arm;
}

/**
 * The damping of the diagnosis arm at condition number κ over `dims` input directions: λ·(s_min/s̄)², with s the
 * log-spaced spectrum from κ to 1 and s̄ its mean. KFAC puts π√λ on the input factor A, whose eigenvalues (inputs
 * at a fixed trace) are s/s̄; scaling √λ by s_min/s̄ keeps the damping the same multiple of A's smallest eigenvalue
 * as at κ = 1, where the factor is 1.
 */
export function scaledDamping(damping: number, kappa: number, dims: number): number {
  const s = spectrum(dims, { kind: "logspaced", kappa });
  const mean = s.reduce((a, b) => a + b, 0) / dims;
  const smallest = Math.min(...s);
  return damping * (smallest / mean) ** 2;
}

/** The optimizer of `arm` with `hp` at condition number κ over `dims` input directions. */
export function makeArm(arm: ArmName, hp: Hyperparameters, kappa: number, dims: number): GradientTransformation {
  if (arm !== SCALED_DAMPING_ARM) return makeOptimizer(arm, hp);
  return makeOptimizer("kfac", { ...hp, second: scaledDamping(hp.second, kappa, dims) });
}
