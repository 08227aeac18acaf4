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
  /**
   * A state saved by an earlier version of this transform (as decoded by `loadState`, not yet checked) brought to
   * the current shape, so its checkpoints keep loading after the state grows: only what the old state could not
   * hold is added, with the value that reproduces the old behaviour. `loadState` calls it, then checks the result
   * against `init`; absent when the state never changed shape. A state already current is returned as it is.
   */
  upgradeState?(old: unknown): S;
}
