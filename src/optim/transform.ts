/**
 * The optimizer interface (after optax): a transform turns gradients into updates, threading its own state.
 * `init(params)` makes the state; `update(grads, state, params, ctx)` returns the updates to *add* to the
 * parameters (already scaled by the learning rate and signed) and the next state. Transforms compose with
 * `chain`; `applyUpdates` adds updates to parameters. Curvature-based transforms (KFAC, EKFAC) read the
 * per-layer statistics from `ctx` (see src/nn/types.ts) instead of reaching into the model.
 */
import type { Params, UpdateContext } from "../nn/types.js";

export type { Params, UpdateContext };

/** A gradient transformation with state `S`. `S` is plain data (see saveState/loadState). */
export interface GradientTransformation<S = unknown> {
  /** The optimizer's name (set by the exported constructors; recorded by saveState, checked by loadState). */
  readonly name?: string;
  /** The options it was built with (recorded by saveState; functions such as schedules are recorded by name). */
  readonly options?: Readonly<Record<string, unknown>>;
  init(params: Params): S;
  update(grads: Params, state: S, params?: Params, ctx?: UpdateContext): { updates: Params; state: S };
}
