/** The registry of experiments known to the CLI (`layerwise list`). Add each new experiment here. */
import type { Experiment } from "./types.js";
import { quadratic } from "./quadratic.js";
import { singleIndexAlignment } from "./single-index/alignment.js";
import { singleIndexRisk } from "./single-index/risk.js";
import { linrepCurves } from "./linrep/curves.js";
import { linrepKappa } from "./linrep/kappa.js";
import { linrepStability } from "./linrep/stability.js";
import { fashionMlp } from "./fashion/mlp.js";
import { fashionCnn } from "./fashion/cnn.js";
import { anisotropy } from "./anisotropy/index.js";
import { robustness } from "./robustness/index.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each experiment has its own config type
export const experiments: readonly Experiment<any, any>[] = [
  quadratic,
  singleIndexAlignment,
  singleIndexRisk,
  linrepCurves,
  linrepKappa,
  linrepStability,
  fashionMlp,
  fashionCnn,
  anisotropy,
  robustness,
];

/** The experiment called `name`, or undefined. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function findExperiment(name: string): Experiment<any, any> | undefined {
  return experiments.find((e) => e.name === name);
}
