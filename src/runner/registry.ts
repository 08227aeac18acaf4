/** Experiment lookup for the platform: the public registry plus the hidden `selftest`. */
import { experiments, findExperiment } from "../experiments/index.js";
import type { Experiment } from "../experiments/types.js";
import { selftest } from "./selftest.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each experiment has its own config type
export type AnyExperiment = Experiment<any, any>;

/** The experiment called `name` (registered or `selftest`), or undefined. */
export function lookupExperiment(name: string): AnyExperiment | undefined {
  return findExperiment(name) ?? (name === selftest.name ? selftest : undefined);
}

/** The experiments `layerwise list` shows and `layerwise reproduce` runs. */
export function publicExperiments(): readonly AnyExperiment[] {
  return experiments;
}

/** Every name `lookupExperiment` accepts (for "did you mean"). */
export function experimentNames(): string[] {
  return [...experiments.map((e) => e.name), selftest.name];
}
