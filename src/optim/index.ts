/**
 * The optimizer API (after optax): transforms with `init(params)` and `update(grads, state, params, ctx)`,
 * `applyUpdates`, `chain`, schedules, checkpointing of state, first-order optimizers with PyTorch's rules, and the
 * layer-wise preconditioners KFAC, EKFAC, Shampoo, SOAP and Muon built from shared curvature blocks.
 */
export type { GradientTransformation, Params, UpdateContext } from "./transform.js";
export { statsRequest, unionStats } from "./transform.js";
export type { KroneckerStats, DiagonalStats, LayerStats, StatsKind, StatsRequest } from "../nn/types.js";
export { applyUpdates, applyUpdatesInPlace, chain } from "./transforms/combine.js";
export { constant, cosine, linearWarmup, type Schedule, type LearningRate } from "./transforms/schedule.js";
export type { CosineOptions, LinearWarmupOptions } from "./transforms/schedule.js";
export { saveState, loadState, readStateHeader, type StateFileHeader } from "./transforms/state-io.js";
export { OptionError } from "./transforms/options.js";
export { clipByGlobalNorm } from "./transforms/clip.js";
export { graft, type GraftState } from "./transforms/graft.js";
export { partition, type ParamLabels, type PartitionState } from "./transforms/partition.js";
export {
  type SgdOptions,
  type SgdState,
  type AdamOptions,
  type AdamWOptions,
  type AdamState,
} from "./transforms/first-order.js";
export { newtonSchulz, type MuonOptions, type MuonState, type NewtonSchulzOptions } from "./transforms/muon.js";
export type { KfacOptions, KfacState, AdaptiveKfacOptions } from "./curvature/kfac.js";
export type { AdaptiveOptions, AdaptiveState, AdaptiveStepInfo } from "./curvature/adaptive.js";
export type { ShampooOptions, ShampooState, GraftKind } from "./curvature/shampoo.js";
export type { SoapOptions, SoapState } from "./curvature/soap.js";
export { sgd, adam, adamw, muon, kfac, ekfac, shampoo, soap } from "./guarded.js";
export {
  NonFiniteStepError,
  DEFAULT_FAULT_TOLERANCE,
  type FaultOptions,
  type FaultCounts,
  type FaultReport,
  type Guarded,
} from "./faults.js";
export { CurvatureFailureError } from "./curvature/failures.js";
export type { KroneckerBlock } from "./curvature/kronecker-block.js";
export type { DiagonalBlock } from "./curvature/diagonal-block.js";
