/**
 * Validation of an experiment's config object with its zod schema (which fills the defaults), shared by the CLI
 * (resolve.ts, after reading `--config` and `--set`) and programmatic runs (`experiments.runTrial`, also in
 * browsers, hence no platform imports here). Failures are `InputError`s naming each field, its value and what
 * is allowed.
 */
import type { z } from "zod";
import { type KeyAlias, deprecationMessage, renameDeprecatedKeys } from "./aliases.js";
import { InputError, formatIssues, show } from "./errors.js";
import { keyPaths } from "./schema.js";

/** What validation needs to know about the experiment. */
export interface ConfigSource {
  name: string;
  schema: z.ZodType;
  sweepable: readonly string[];
  /** Renamed keys still accepted (old path → new path), moved before validation with a deprecation line. */
  aliases?: readonly KeyAlias[];
}

/**
 * The validated config with defaults filled in; every sweepable key must then hold a non-empty list.
 * `origin` (e.g. " (from --config f.json and --set)") is appended to the experiment's name in messages. Deprecated
 * keys (`source.aliases`) are moved to their new names first, each reported once through `warn`.
 */
export function validateConfig(
  source: ConfigSource,
  given: Record<string, unknown>,
  origin = "",
  warn: (line: string) => void = (line) => console.warn(line),
): Record<string, unknown> {
  const { config: input, used } = renameDeprecatedKeys(given, source.aliases ?? []);
  for (const alias of used) warn(deprecationMessage(alias));
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
