/** layerwise: layer-wise preconditioned optimization and provable feature learning. */
import * as linalg from "./linalg/index.js";
import * as random from "./random/index.js";
import * as data from "./data/index.js";

export { Matrix } from "./linalg/matrix.js";
export { linalg, random, data };
export * as nn from "./nn/index.js";
export type { Experiment, TrialContext } from "./experiments/types.js";
export type { TrialRecord, PlotSpec, SummaryRow } from "./results/records.js";
export * as optim from "./optim/index.js";
export * as experiments from "./runner/programmatic.js";
export type { TrialResult, RunTrialOptions } from "./runner/programmatic.js";
export { loadKernels, initKernels, kernelsLoaded } from "./linalg/wasm.js";
export { relaxedSimdSupported, KERNEL_FILES, type SimdBuild } from "./linalg/simd-build.js";
