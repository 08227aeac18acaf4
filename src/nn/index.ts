/**
 * Neural-network layers, losses and `sequential` networks whose training pass also returns the per-layer
 * statistics that layer-wise preconditioners (KFAC, EKFAC, Shampoo, ...) consume. Parameters are a flat record of
 * named matrices in PyTorch's layout.
 */
export { sequential } from "./sequential.js";
export type {
  Network,
  SequentialOptions,
  ForwardOptions,
  LossAndGradOptions,
  LossAndGradResult,
} from "./sequential.js";
export { dense, type DenseOptions } from "./dense.js";
export { conv2d, type Conv2dOptions } from "./conv2d.js";
export { batchNorm, type BatchNormOptions } from "./batch-norm-layer.js";
export { relu, tanh, sigmoid, gelu } from "./activation-layers.js";
export { flatten } from "./flatten.js";
export { twoConvTwoDense, type TwoConvTwoDenseOptions } from "./networks.js";
export { maxPool2d, avgPool2d } from "./pooling.js";
export { softmaxCrossEntropy, sigmoidCrossEntropy, mse, accuracy, type Loss } from "./losses.js";
export { INIT_SCHEMES, type InitScheme } from "./init.js";
export { DTYPES, type Dtype } from "./dtype.js";
export type { Layer, LayerSpec, BuiltLayer, BuildOptions, Shape, NetworkState, ParamSpec } from "./layer.js";
export { layerFromSpec } from "./layer-spec.js";
export type {
  Params,
  KroneckerStats,
  DiagonalStats,
  LayerStats,
  StatsKind,
  StatsRequest,
  UpdateContext,
  BatchCurvature,
} from "./types.js";
