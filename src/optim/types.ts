/**
 * The shape every first-order optimizer in `src/optim` shares (after optax): the parameters are a list
 * of flat Float64Arrays (a `Matrix`'s `.data`, a bias vector, …) updated in place, and the state is plain data
 * created by `init` and threaded explicitly through `step`, so it can be inspected and serialised.
 */
export interface Optimizer<State> {
  /** Fresh state for these parameters (shapes are taken from them; values are not read). */
  init(params: readonly Float64Array[]): State;
  /** Applies one update to `params` in place given their gradients; returns the (updated) state. */
  step(params: Float64Array[], grads: readonly Float64Array[], state: State): State;
}

/** Throws unless params and grads pair up one to one with equal lengths. */
export function checkPairs(where: string, params: readonly Float64Array[], grads: readonly Float64Array[]): void {
  if (params.length !== grads.length) {
    throw new RangeError(`${where}: got ${params.length} parameter arrays but ${grads.length} gradients`);
  }
  for (let i = 0; i < params.length; i++) {
    if (params[i].length !== grads[i].length) {
      throw new RangeError(`${where}: parameter ${i} has ${params[i].length} entries, its gradient ${grads[i].length}`);
    }
  }
}

/** Refuses a step size that is not a finite positive number. */
export function checkStepSize(where: string, field: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${where}: ${field} must be a finite number > 0, got ${v}`);
}
