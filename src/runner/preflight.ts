/**
 * The pre-flight of a run: an experiment's check of its environment (data files) and the resolution of what
 * depends on it (dataset=auto), once, after the config is validated and before any trial, in every kind of run
 * (`layerwise run`, `reproduce`, `experiments.runTrial`). The config it returns is validated again, so the
 * schema's cross-field checks hold for what was resolved (e.g. trainSize within the dataset chosen). No platform
 * imports: programmatic runs in browsers take this path too.
 */
import { type ConfigSource, validateConfig } from "../config/validate.js";
import type { AnyExperiment } from "./registry.js";

type Json = Record<string, unknown>;

/**
 * The config a run's trials get: `config` after `experiment.preflight` (unchanged when it has none), validated
 * again. Rejects with the pre-flight's `InputError` (exit 2) when data are missing or corrupt.
 */
export async function preflightConfig(
  experiment: ConfigSource & Pick<AnyExperiment, "preflight">,
  config: Json,
  notify: (note: string) => void = () => {},
): Promise<Json> {
  if (!experiment.preflight) return config;
  const checked = await experiment.preflight(config, notify);
  return validateConfig(experiment, checked, " (after its pre-flight resolved the data)");
}
