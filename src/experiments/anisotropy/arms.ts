/**
 * The arms of `anisotropy`: the fashion experiments' optimizers plus one diagnosis arm, KFAC with its damping
 * lowered 1000-fold. It tests the explanation of KFAC slowing down at large κ: KFAC splits the damping λ between
 * its factors as (A + π√λ I) ⊗ (G + √λ/π I), π = √((tr A/dim A)/(tr G/dim G)) (Martens & Grosse 2015, §6.3), so
 * the damping on the input factor A, relative to A's mean eigenvalue m_A = tr A/dim A, is √(λ/(m_A·m_G)), set by
 * the gradient factor's scale m_G. With the fashion default λ = 0.1 and m_G ≈ 10⁻³ it is about 10× A's mean: A's
 * inverse is then nearly a multiple of the identity and undoes none of the input anisotropy. At λ/1000 it is about
 * 0.3× A's mean. The arm is a diagnosis, not a tuned default.
 */
import type { GradientTransformation } from "../../optim/transform.js";
import { OPTIMIZERS, makeOptimizer, type Hyperparameters, type OptimizerName } from "../fashion/optimizers.js";

/** KFAC with damping λ × LOW_DAMPING_FACTOR (λ: kfac's damping). */
export const LOW_DAMPING_ARM = "kfac-low-damping";
/** The diagnosis arm's damping as a fraction of KFAC's. */
export const LOW_DAMPING_FACTOR = 1e-3;

export const ARMS = [...OPTIMIZERS, LOW_DAMPING_ARM] as const;
export type ArmName = (typeof ARMS)[number];

/** The optimizer an arm runs (its step size, search and defaults are that optimizer's). */
export function baseOptimizer(arm: ArmName): OptimizerName {
  return arm === LOW_DAMPING_ARM ? "kfac" : arm;
}

/** The second hyperparameter `arm` runs with, given its base optimizer's (the diagnosis arm lowers KFAC's damping). */
export function armSecond(arm: ArmName, second: number): number {
  return arm === LOW_DAMPING_ARM ? second * LOW_DAMPING_FACTOR : second;
}

/** The optimizer of `arm` with `hp` (hp.second is the base optimizer's; see `armSecond`). */
export function makeArm(arm: ArmName, hp: Hyperparameters): GradientTransformation {
  return makeOptimizer(baseOptimizer(arm), { ...hp, second: armSecond(arm, hp.second) });
}
