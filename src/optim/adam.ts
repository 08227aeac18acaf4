/**
 * Adam (Kingma & Ba 2015, Algorithm 1), bias-corrected: with g the gradient at step t = 1, 2, …,
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η · m̂ / (√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
 * An entry-wise preconditioner: it rescales each coordinate, so it cannot undo a rotated input covariance.
 */
import { checkPairs, checkStepSize, type Optimizer } from "./types.js";
import { pow } from "../linalg/elementary.js";

export interface AdamOptions {
  /** Step size η > 0. */
  lr: number;
  /** First-moment decay β₁ ∈ [0, 1), default 0.9. */
  beta1?: number;
  /** Second-moment decay β₂ ∈ [0, 1), default 0.999. */
  beta2?: number;
  /** Denominator floor ε > 0, default 1e-8. */
  eps?: number;
}

export interface AdamState {
  /** Steps taken so far. */
  t: number;
  /** First and second moment estimates, one array per parameter. */
  m: Float64Array[];
  v: Float64Array[];
}

export function adam(options: AdamOptions): Optimizer<AdamState> {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  checkStepSize("adam", "lr", lr);
  for (const [field, b] of [
    ["beta1", beta1],
    ["beta2", beta2],
  ] as const) {
    if (!(b >= 0 && b < 1)) throw new RangeError(`adam: ${field} must be in [0, 1), got ${b}`);
  }
  checkStepSize("adam", "eps", eps);
  return {
    init: (params) => ({
      t: 0,
      m: params.map((p) => new Float64Array(p.length)),
      v: params.map((p) => new Float64Array(p.length)),
    }),
    step(params, grads, state) {
      checkPairs("adam", params, grads);
      const t = state.t + 1;
      const c1 = 1 / (1 - pow(beta1, t));
      const c2 = 1 / (1 - pow(beta2, t));
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        const g = grads[i];
        const m = state.m[i];
        const v = state.v[i];
        for (let k = 0; k < p.length; k++) {
          m[k] = beta1 * m[k] + (1 - beta1) * g[k];
          v[k] = beta2 * v[k] + (1 - beta2) * g[k] * g[k];
          p[k] -= (lr * (m[k] * c1)) / (Math.sqrt(v[k] * c2) + eps);
        }
      }
      state.t = t;
      return state;
    },
  };
}
