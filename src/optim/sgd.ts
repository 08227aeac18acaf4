/** Plain stochastic gradient descent: θ ← θ − η ∇L̂(θ) (Robbins & Monro 1951). */
import { checkPairs, checkStepSize, type Optimizer } from "./types.js";

export interface SgdOptions {
  /** Step size η > 0. */
  lr: number;
}

/** SGD has no state beyond its configuration. */
export type SgdState = Record<string, never>;

export function sgd(options: SgdOptions): Optimizer<SgdState> {
  const { lr } = options;
  checkStepSize("sgd", "lr", lr);
  return {
    init: () => ({}),
    step(params, grads, state) {
      checkPairs("sgd", params, grads);
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        const g = grads[i];
        for (let k = 0; k < p.length; k++) p[k] -= lr * g[k];
      }
      return state;
    },
  };
}
