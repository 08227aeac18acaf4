/**
 * The optimizers the fashion experiments compare, each built from `src/optim` with its two tuned
 * hyperparameters (the learning rate and one second knob) and fixed, literature-standard values for the rest.
 */
import type { z } from "zod";
import type { GradientTransformation } from "../../optim/transform.js";
import { OptionError } from "../../optim/transforms/options.js";
import { adam, ekfac, kfac, muon, sgd, shampoo, soap } from "../../optim/guarded.js";

export const OPTIMIZERS = ["sgd", "adam", "kfac", "ekfac", "shampoo", "soap", "muon"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Each optimizer's second tuned hyperparameter (besides the learning rate). */
export const SECOND_HYPERPARAMETER = {
  sgd: "momentum",
  adam: "eps",
  kfac: "damping",
  ekfac: "damping",
  shampoo: "eps",
  soap: "eps",
  muon: "momentum",
} as const satisfies Record<OptimizerName, string>;

/** The two tuned values of one optimizer. */
export interface Hyperparameters {
  learningRate: number;
  /** The value of `SECOND_HYPERPARAMETER[optimizer]`. */
  second: number;
}

/** Whether the optimizer reads the per-layer curvature statistics (the training pass then computes them). */
export function needsLayerStats(name: OptimizerName): boolean {
  return name === "kfac" || name === "ekfac";
}

/**
 * The optimizer `name` with these hyperparameters, under the default fault policy (a non-finite step is skipped,
 * three in a row raise `NonFiniteStepError`; see src/optim/faults.ts). Fixed choices: KFAC/EKFAC with momentum 0.9, factor EMA 0.95,
 * inverses (eigenbases) refreshed every 10 steps and KL-clipping at c = 10⁻³ (Martens & Grosse 2015 §6;
 * kfac-pytorch's defaults; without the clip, steps large enough to be fast diverge in the first epoch); Shampoo
 * with Adam grafting and β₁ = 0.9, roots refreshed every 10 steps (Anil et al. 2020); SOAP with β = (0.95, 0.95),
 * no weight decay, basis refreshed every 10 steps (Vyas et al. 2024); Muon with Nesterov momentum, its non-matrix
 * parameters (biases, batch-norm) on Adam with the same step size divided by 10 (Jordan et al. 2024).
 */
export function makeOptimizer(name: OptimizerName, hp: Hyperparameters): GradientTransformation {
  const { learningRate, second } = hp;
  switch (name) {
    case "sgd":
      return sgd({ learningRate, momentum: second }) as GradientTransformation;
    case "adam":
      return adam({ learningRate, eps: second }) as GradientTransformation;
    case "kfac":
    case "ekfac":
      return (name === "kfac" ? kfac : ekfac)({
        learningRate,
        damping: second,
        momentum: 0.9,
        inverseEvery: 10,
        klClip: 1e-3,
      }) as GradientTransformation;
    case "shampoo":
      return shampoo({ learningRate, eps: second, graft: "adam", preconditionEvery: 10 }) as GradientTransformation;
    case "soap":
      return soap({ learningRate, eps: second, weightDecay: 0, preconditionEvery: 10 }) as GradientTransformation;
    case "muon":
      return muon({ learningRate, momentum: second, auxLearningRate: learningRate / 10 }) as GradientTransformation;
  }
}

/**
 * The candidates of the validation search around `base`: the learning rate × {1/3, 1, 3} and, for the curvature
 * methods whose damping matters most (KFAC, EKFAC), the damping × {1/10, 1, 10}; the other optimizers keep their
 * second hyperparameter (momentum or ε at its customary value).
 */
export function searchGrid(name: OptimizerName, base: Hyperparameters): Hyperparameters[] {
  const lrs = [base.learningRate / 3, base.learningRate, base.learningRate * 3];
  const seconds = needsLayerStats(name) ? [base.second / 10, base.second, base.second * 10] : [base.second];
  return lrs.flatMap((learningRate) => seconds.map((second) => ({ learningRate, second })));
}

/**
 * Config refinement for per-optimizer second hyperparameters (`{ kfac: 0.1, ... }`, or lists of values): each value
 * is refused exactly when `makeOptimizer` would refuse it, with the optimizer's own message, so the config's
 * ranges and the optimizers' cannot drift apart (SGD's momentum in [0, 1), KFAC's damping > 0, Adam's ε > 0, …).
 */
export function checkSecondValues(
  values: Partial<Record<OptimizerName, number | readonly number[]>>,
  ctx: z.RefinementCtx,
): void {
  for (const [o, v] of Object.entries(values) as [OptimizerName, number | readonly number[] | undefined][]) {
    const list = v === undefined ? [] : typeof v === "number" ? [v] : v;
    list.forEach((second, i) => {
      try {
        makeOptimizer(o, { learningRate: 1, second });
      } catch (e) {
        if (!(e instanceof OptionError)) throw e;
        ctx.addIssue({ code: "custom", path: typeof v === "number" ? [o] : [o, i], input: second, message: e.message });
      }
    });
  }
}
