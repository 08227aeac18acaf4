/**
 * Programmatic runs, exported from the package root as `experiments`: one trial of a registered experiment from
 * a plain config object, taking exactly the path a worker thread of `layerwise run` takes (schema validation
 * with defaults, the run's pre-flight, the sweep point, `executeTrial`). The same name, config and seed therefore give the same
 * numbers as that trial of a CLI run, in Node and in browsers (no platform imports here).
 */
import { InputError, show } from "../config/errors.js";
import { closest } from "../config/suggest.js";
import { validateConfig } from "../config/validate.js";
import type { TrialRecord } from "../results/records.js";
import { preflightConfig } from "./preflight.js";
import { experimentNames, lookupExperiment, publicExperiments } from "./registry.js";
import { expandPoints } from "./sweep.js";
import { executeTrial } from "./trial.js";

/** What one trial reported through its context: scalars, per-step series and JSON information. */
export type TrialResult = Pick<TrialRecord, "scalars" | "series" | "info">;

export interface RunTrialOptions {
  /** Receives the fraction of the trial done, in [0, 1] (throttled as for worker threads). */
  onProgress?: (fraction: number) => void;
}

/** Every public experiment's name and one-line description. */
export function list(): { name: string; description: string; sweepable: readonly string[] }[] {
  return publicExperiments().map((e) => ({ name: e.name, description: e.description, sweepable: e.sweepable }));
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Runs one trial of experiment `name` with `config` (missing fields take the schema's defaults; a sweepable key
 * may hold a single value or a one-element list) and trial seed `seed` (the `ctx.seed` the trial sees; a CLI
 * run's trial seeds are deriveSeed(run seed, point, repeat)). Rejects with an `InputError` naming the field,
 * value and what is allowed for invalid input, and with the trial's error if the trial fails.
 */
export async function runTrial(
  name: string,
  config: Record<string, unknown> = {},
  seed: number,
  options: RunTrialOptions = {},
): Promise<TrialResult> {
  const experiment = lookupExperiment(name);
  if (!experiment || typeof name !== "string") {
    const near = typeof name === "string" ? closest(name, experimentNames()) : [];
    const hint = near.length > 0 ? `did you mean ${near.join(" or ")}? ` : "";
    throw new InputError(
      `runTrial: unknown experiment ${show(name)}; ${hint}available: ${list()
        .map((e) => e.name)
        .join(", ")}`,
    );
  }
  if (!isPlainObject(config)) throw new InputError(`runTrial: config must be an object of fields, got ${show(config)}`);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new InputError(`runTrial: seed must be an integer in [0, 2^53), got ${show(seed)}`);
  }
  const input = { ...config };
  for (const key of experiment.sweepable) {
    if (key in input && !Array.isArray(input[key])) input[key] = [input[key]];
  }
  const resolved = await preflightConfig(experiment, validateConfig(experiment, input));
  for (const key of experiment.sweepable) {
    const values = resolved[key] as unknown[];
    if (values.length !== 1) {
      throw new InputError(
        `runTrial: field \`${key}\`: ${show(values)} is not allowed; allowed: one value (or a one-element list), since one trial runs one point`,
      );
    }
  }
  const [point] = expandPoints(resolved, experiment.sweepable);
  const record = await executeTrial(experiment, { pointIndex: 0, repeat: 0, seed, point }, options.onProgress);
  if (record.status === "failed") throw new Error(`runTrial: ${name} failed: ${record.error ?? "unknown error"}`);
  return { scalars: record.scalars, series: record.series, info: record.info };
}
