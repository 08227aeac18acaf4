/**
 * The methods `robustness` compares: the fashion optimizers, each over its learning rate × second-hyperparameter
 * grid, and `kfac-auto`, adaptive KFAC, which has no learning rate or momentum to tune (both come from a quadratic
 * model of the batch loss, the damping from the Levenberg–Marquardt rule) and so trains a single cell.
 * The list is robustness's own: the other fashion experiments keep `OPTIMIZERS`.
 */
import type { GradientTransformation } from "../../optim/transform.js";
import { kfac } from "../../optim/guarded.js";
import { OPTIMIZERS, type OptimizerName } from "../fashion/optimizers.js";

/** The adaptive method, which trains one cell per architecture (no grid). */
export const KFAC_AUTO = "kfac-auto";

export const METHODS = [...OPTIMIZERS, KFAC_AUTO] as const;
export type MethodName = (typeof METHODS)[number];

/** Whether `method` is a grid optimizer (not kfac-auto). */
export function isGridOptimizer(method: MethodName): method is OptimizerName {
  return method !== KFAC_AUTO;
}

/**
 * The grid cell at which kfac-auto trains: the point learningRateFactor = 1, secondIndex = 0. kfac-auto reads
 * neither, so its other points would repeat this one; they record that and do not train.
 */
export const KFAC_AUTO_CELL = { learningRateFactor: 1, secondIndex: 0 } as const;

/**
 * kfac-auto: `kfac({ adaptive: true, damping })` (Martens & Grosse 2015 §6–7; kfac-jax's adaptive learning rate,
 * momentum and damping, with its defaults: adaptation every 5 steps, ω = 0.9⁵, λ ∈ [1e-8, ∞)) under the default fault
 * policy, with KFAC's factor EMA 0.95 and inverses every 10 steps as in the grid's kfac. `damping` is the initial
 * λ₀; the step needs the batch's curvature in the update context (trainClassifier's `curvature: true`).
 */
export function makeKfacAuto(damping: number): GradientTransformation {
  return kfac({ adaptive: true, damping, inverseEvery: 10 }) as GradientTransformation;
}
