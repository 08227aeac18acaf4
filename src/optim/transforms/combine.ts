/** Applying and composing transforms (optax's apply_updates and chain). */
import { Matrix } from "../../linalg/matrix.js";
import type { Params } from "../../nn/types.js";
import type { GradientTransformation } from "../transform.js";
import { checkSameShapes } from "./params.js";

/** θ + u for every parameter, as new matrices (the inputs are not modified). */
export function applyUpdates(params: Params, updates: Params): Params {
  checkSameShapes("applyUpdates", params, "params", updates, "updates");
  const out: Params = {};
  for (const [key, p] of Object.entries(params)) {
    const u = updates[key].data;
    const next = new Matrix(p.rows, p.cols);
    for (let i = 0; i < u.length; i++) next.data[i] = p.data[i] + u[i];
    out[key] = next;
  }
  return out;
}

/**
 * Composition t_k ∘ … ∘ t_1: each transform receives the previous one's updates as its "gradients" (with the
 * same params and ctx); the state is the list of the transforms' states (optax.chain).
 */
export function chain(...transforms: GradientTransformation<unknown>[]): GradientTransformation<unknown[]> {
  return {
    init: (params) => transforms.map((t) => t.init(params) as unknown),
    update(grads, state, params, ctx) {
      if (!Array.isArray(state) || state.length !== transforms.length) {
        throw new TypeError(`chain: the state must be a list of ${transforms.length} states, got ${typeof state}`);
      }
      let updates = grads;
      const next: unknown[] = [];
      transforms.forEach((t, i) => {
        const r = t.update(updates, state[i], params, ctx);
        updates = r.updates;
        next.push(r.state);
      });
      return { updates, state: next };
    },
  };
}
