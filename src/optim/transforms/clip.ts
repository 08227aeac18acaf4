/** Gradient clipping by the global norm (Pascanu et al. 2013; optax.clip_by_global_norm). */
import type { GradientTransformation } from "../transform.js";
import type { Params } from "../../nn/types.js";
import { checkNumber } from "./options.js";
import { globalNorm, scaled } from "./params.js";

/**
 * u ← u · maxNorm/‖u‖ when the global norm ‖u‖ = √(Σ_k ‖u_k‖²_F) exceeds maxNorm, else u unchanged. Stateless
 * (its state is an empty object); meant to sit first in a `chain`.
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<Record<string, never>> {
  checkNumber("clipByGlobalNorm", "maxNorm", maxNorm, 0, Infinity, { openLow: true });
  return {
    init: () => ({}),
    // Reads no layer statistics: the pass need not compute them.
    needsStats: () => false,
    update(grads, state) {
      const norm = globalNorm(grads);
      if (!(norm > maxNorm)) return { updates: grads, state };
      const updates: Params = {};
      for (const [key, g] of Object.entries(grads)) updates[key] = scaled(g, maxNorm / norm);
      return { updates, state };
    },
  };
}
