/**
 * Validation of an experiment's config object with its zod schema (which fills the defaults), shared by the CLI
 * (resolve.ts, after reading `--config` and `--set`) and programmatic runs (`experiments.runTrial`, also in
 * browsers, hence no platform imports here). Failures are `InputError`s naming each field, its value and what
 * is allowed.
 */
import type { z } from "zod";
import { InputError, formatIssues, show } from "./errors.js";
import { keyPaths } from "./schema.js";

/** What validation needs to know about the experiment. */
export interface ConfigSource {
  name: string;
  schema: z.ZodType;
  sweepable: readonly string[];
}

/**
 * The validated config with defaults filled in; every sweepable key must then hold a non-empty list.
 * `origin` (e.g. " (from --config f.json and --set)") is appended to the experiment's name in messages.
 */
export function validateConfig(
  source: ConfigSource,
  input: Record<string, unknown>,
  origin = "",
): Record<string, unknown> {
  const result = source.schema.safeParse(input);
  if (!result.success) {
    throw new InputError(
      `invalid config for ${source.name}${origin}:\n${formatIssues(result.error.issues, input, keyPaths(source.schema))}`,
    );
  }
  const config = result.data as Record<string, unknown>;
  for (const key of source.sweepable) {
    const v = config[key];
    if (!Array.isArray(v) || v.length === 0) {
      throw new InputError(`field \`${key}\`: ${show(v)} is not allowed; allowed: a non-empty list of values to sweep`);
    }
  }
  return config;
}
