/**
 * The optimizer interface (after optax): a transform turns gradients into updates, threading its own state.
 * `init(params)` makes the state; `update(grads, state, params, ctx)` returns the updates to *add* to the
 * parameters (already scaled by the learning rate and signed) and the next state. Transforms compose with
 * `chain`; `applyUpdates` adds updates to parameters. Curvature-based transforms (KFAC, EKFAC) read the
 * per-layer statistics from `ctx` (see src/nn/types.ts) instead of reaching into the model, and say before each
 * pass which of them the coming step reads (`needsStats`), so the pass computes no others.
 */
import { STATS_KINDS, type Params, type StatsRequest, type UpdateContext } from "../nn/types.js";

export type { Params, StatsRequest, UpdateContext };

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
  /**
   * Which layer statistics (`ctx.stats`) the next `update` from `state` reads, asked before the forward/backward
   * pass so that the pass computes only those (the answer is `lossAndGrad`'s `stats` option as is): false none,
   * true all, or the layer kinds listed. Absent: all, at every step (read it through `statsRequest`). A transform
   * that answers less than true must accept any statistics beyond its answer, and refuse, with a message, a step
   * that lacks what it asked for.
   */
  needsStats?(state: S): StatsRequest;
}

/**
 * The statistics `transform` asks of the pass before its next update from `state`: its `needsStats(state)`, or
 * true (all) when it does not say. The `stats` option of `lossAndGrad` for a training loop's coming step.
 */
export function statsRequest<S>(transform: GradientTransformation<S>, state: S): StatsRequest {
  return transform.needsStats ? transform.needsStats(state) : true;
}

/**
 * The union of several requests (what a transform built from others asks for): true when any asks for all, else
 * the layer kinds any of them lists (false when that is none).
 */
export function unionStats(requests: readonly StatsRequest[]): StatsRequest {
  if (requests.includes(true)) return true;
  const kinds = new Set(requests.flatMap((r) => (r === false ? [] : (r as Exclude<StatsRequest, boolean>))));
  if (kinds.size === 0) return false;
  return kinds.size === STATS_KINDS.length ? true : STATS_KINDS.filter((k) => kinds.has(k));
}

/**
 * The `upgradeState` of a transform built from others whose state holds each part's state under the part's key
 * (`chain`: a list, by index; `partition`: by label; `graft`: magnitude and direction): each part's state goes
 * through that part's own hook, and every other entry, and a value that is not such a container, stays as it was
 * (the state check then names what does not fit). Undefined when no part has a hook: the state never changed shape.
 */
export function upgradeParts<S>(
  parts: Readonly<Record<string, GradientTransformation<unknown>>> | readonly GradientTransformation<unknown>[],
): ((old: unknown) => S) | undefined {
  const hooks = Object.entries(parts).filter(([, t]) => t.upgradeState !== undefined);
  if (hooks.length === 0) return undefined;
  return (old) => {
    if (typeof old !== "object" || old === null) return old as S;
    // A copy of the same kind (a list stays a list), indexed by the parts' keys.
    const out = (Array.isArray(old) ? [...old] : { ...old }) as unknown as Record<string, unknown>;
    for (const [key, t] of hooks) if (key in out) out[key] = t.upgradeState!.call(t, out[key]);
    return out as S;
  };
}
