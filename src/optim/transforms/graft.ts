/** Learning-rate grafting (Agarwal et al. 2020, "Disentangling adaptive gradient methods from learning rates"). */
import type { Matrix } from "../../linalg/matrix.js";
import { statsRequest, unionStats, upgradeParts, type GradientTransformation } from "../transform.js";
import type { Params } from "../../nn/types.js";
import { frobenius, scaled } from "./params.js";

export interface GraftState {
  magnitude: unknown;
  direction: unknown;
}

/**
 * Per parameter k, the update u_k = ‖m_k‖_F · d_k/‖d_k‖_F, where m is `magnitude`'s update and d is `direction`'s
 * (0 where d_k = 0): the step size of one optimizer with the direction of another (M#D in Agarwal et al. 2020;
 * Shampoo uses it with Adam or SGD as M, Anil et al. 2020). Both transforms see the same gradients and keep
 * their own state.
 */
export function graft(
  magnitude: GradientTransformation<unknown>,
  direction: GradientTransformation<unknown>,
): GradientTransformation<GraftState> {
  return {
    init: (params) => ({ magnitude: magnitude.init(params), direction: direction.init(params) }),
    needsStats: (state) =>
      unionStats([statsRequest(magnitude, state.magnitude), statsRequest(direction, state.direction)]),
    upgradeState: upgradeParts<GraftState>({ magnitude, direction }),
    update(grads, state, params, ctx) {
      // Both read the same gradients, so neither may overwrite them.
      const shared = ctx?.donate ? { ...ctx, donate: false } : ctx;
      const m = magnitude.update(grads, state.magnitude, params, shared);
      const d = direction.update(grads, state.direction, params, shared);
      const updates: Params = {};
      for (const key of Object.keys(grads)) updates[key] = graftOne(m.updates[key], d.updates[key]);
      return { updates, state: { magnitude: m.state, direction: d.state } };
    },
  };
}

/** ‖m‖ · d/‖d‖ for one matrix (zeros when d = 0). */
export function graftOne(magnitude: Matrix, direction: Matrix): Matrix {
  return scaled(direction, graftScale(magnitude, direction));
}

/** The factor ‖m‖_F/‖d‖_F that grafting multiplies the direction d by (0 when d = 0). */
export function graftScale(magnitude: Matrix, direction: Matrix): number {
  const dn = frobenius(direction);
  return dn > 0 ? frobenius(magnitude) / dn : 0;
}
