/**
 * The registry of experiments known to the CLI (`layerwise list`). Every experiment family is a folder whose
 * index.ts exports its experiments; add each new one here.
 */
import type { Experiment } from "./types.js";
import { quadratic } from "./quadratic/index.js";
import { singleIndexAlignment, singleIndexRisk } from "./single-index/index.js";
import { linrepCurves, linrepKappa, linrepStability } from "./linrep/index.js";
import { fashionCnn, fashionMlp } from "./fashion/index.js";
import { anisotropy } from "./anisotropy/index.js";
import { robustness } from "./robustness/index.js";
import { timeToTarget } from "./time-to-target/index.js";

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
  timeToTarget,
];

/** The experiment called `name`, or undefined. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function findExperiment(name: string): Experiment<any, any> | undefined {
  return experiments.find((e) => e.name === name);
}
