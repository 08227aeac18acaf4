/**
 * One step of mini-batch training with any `src/optim` transform: the step shared by the experiments' training
 * loops (fashion's `trainClassifier`, time-to-target's `trainForBudget`).
 */
import type { Matrix } from "../linalg/matrix.js";
import type { Loss } from "../nn/losses.js";
import type { Network } from "../nn/sequential.js";
import type { NetworkState } from "../nn/layer.js";
import type { Params } from "../nn/types.js";
import { statsRequest, type GradientTransformation } from "../optim/transform.js";
import { applyUpdatesInPlace } from "../optim/transforms/combine.js";

/** What the step computes besides the gradients: fixed for a training run. */
export interface StepSetup {
  network: Network;
  optimizer: GradientTransformation;
  /**
   * Compute the per-layer curvature statistics (KFAC, EKFAC), at the steps and for the layers the optimizer asks
   * for (`statsRequest`); false: never (other optimizers skip that work).
   */
  layerStats: boolean;
  /** Also compute the batch's exact curvature (GGN products, src/nn/curvature.ts) for the update context. */
  curvature: boolean;
  /** Fixed batch shards of the pass (`lossAndGrad`'s `shards`), computed on replicas in worker threads; default 1. */
  shards?: number;
}

/** What a step advances: the parameters (updated in place), the running statistics and the optimizer state. */
export interface TrainingState {
  params: Params;
  state: NetworkState;
  optState: unknown;
}

/**
 * One training step on the batch (x, targets): the mean loss L = (1/n) Σᵢ ℓᵢ and its gradients g at θ (with the
 * statistics the optimizer asks for, `statsRequest`, and the exact curvature when asked), the optimizer's
 * update u = optimizer.update(g, optState, θ, {stats, loss, curvature}), and θ ← θ + u in place (the gradient step
 * of Rumelhart et al. 1986 with the transform's preconditioning; optax's `apply_updates`).
 *
 * `beforeUpdate(loss)` runs after the pass and before the update, with `s` still holding the parameters and
 * running statistics the loss was computed at. When the loss is not finite nothing is updated: the caller stops.
 * Returns the batch loss.
 */
export function trainingStep<T>(
  setup: StepSetup,
  s: TrainingState,
  x: Matrix,
  targets: T,
  loss: Loss<T>,
  beforeUpdate?: (loss: number) => void,
): number {
  const { network, optimizer } = setup;
  const pass = network.lossAndGrad(s.params, x, targets, loss, {
    state: s.state,
    stats: setup.layerStats && statsRequest(optimizer, s.optState),
    curvature: setup.curvature,
    // The same gradient matrices every step: they are donated below and no optimizer keeps them
    // (test/optim/reused-gradients.test.ts), and a fresh 3136×1024 matrix per step costs more than its GEMM.
    reuseGrads: true,
    shards: setup.shards ?? 1,
  });
  beforeUpdate?.(pass.loss);
  if (!Number.isFinite(pass.loss)) return pass.loss;
  // The gradients and the old optimizer state are not read again: donate their buffers.
  const { updates, state } = optimizer.update(pass.grads, s.optState, s.params, {
    stats: pass.stats,
    loss: pass.loss,
    curvature: pass.curvature,
    donate: true,
  });
  s.optState = state;
  // In place: a fresh multi-megabyte parameter set per step costs page faults, not just the pass that fills it.
  applyUpdatesInPlace(s.params, updates);
  s.state = pass.state;
  return pass.loss;
}
