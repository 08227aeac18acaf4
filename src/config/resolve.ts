/**
 * Builds an experiment's resolved config from, in increasing priority: a base (the experiment's `quick`
 * overrides for `reproduce`), a `--config file.json`, and `--set key=value` flags; then validates it with the
 * experiment's zod schema, which fills the defaults. Every failure is an `InputError` naming the field or file,
 * the value, and what is allowed.
 *
 * `--set` values are parsed according to the field's type: numbers, booleans (true/false), enum strings, and
 * lists written `1,10,100` for list-valued (sweepable) fields. A list given to a single-valued field is refused
 * with the names of the fields that can be swept.
 */
import { readFileSync } from "node:fs";
import { currentKey } from "./aliases.js";
import { InputError, show, unknownKeyMessage } from "./errors.js";
import { jsonErrorOffset } from "./json.js";
import { type FieldInfo, fieldAt, keyPaths } from "./schema.js";
import { type ConfigSource, validateConfig } from "./validate.js";

type Json = Record<string, unknown>;

export type { ConfigSource } from "./validate.js";

export interface ResolveOptions {
  /** Overrides applied first (e.g. an experiment's `quick`). */
  base?: Json;
  /** Path of a JSON file with overrides. */
  configFile?: string;
  /** `key=value` strings from `--set`, applied last, in order. */
  sets?: readonly string[];
  /** Where deprecation lines go (default: stderr). */
  warn?: (line: string) => void;
}

const isPlainObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** `b` merged into `a`: nested objects merge key by key, anything else in `b` replaces `a`'s value. */
export function deepMerge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Json, v) : v;
  }
  return out;
}

/** 1-based line and column of character offset `pos` in `text`. */
function lineColumn(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  return { line, column: pos - before.lastIndexOf("\n") };
}

/** Reads a `--config` file: a JSON object. Malformed JSON is reported with the file and line:column. */
export function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`--config ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const pos = jsonErrorOffset(text) ?? text.length;
    const { line, column } = lineColumn(text, pos);
    const near = JSON.stringify(text.slice(Math.max(0, pos - 10), pos + 10));
    // V8's message quotes the whole input for short files; keep it only when it is short.
    const message = (e as Error).message;
    const detail = message.length <= 100 && !message.includes("\n") ? `: ${message}` : "";
    throw new InputError(`--config ${file}: malformed JSON at line ${line}, column ${column}, near ${near}${detail}`);
  }
  if (!isPlainObject(value)) {
    throw new InputError(`--config ${file}: expected a JSON object of config fields, got ${show(value)}`);
  }
  return value;
}

/** Parses one `--set` value according to the field's type; lists only for list-valued fields. */
function parseValue(raw: string, field: FieldInfo, key: string, source: ConfigSource): unknown {
  const text = raw.trim();
  switch (field.kind) {
    case "array":
      if (text === "") return [];
      return text.split(",").map((part) => parseValue(part, field.element ?? { kind: "other" }, key, source));
    case "number":
    case "boolean":
      if (text.includes(",")) throw notSweepable(key, raw, source);
      if (field.kind === "number") return text !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
      return text === "true" ? true : text === "false" ? false : text;
    case "string":
      if (field.options && text.includes(",")) throw notSweepable(key, raw, source);
      return field.options?.some((o) => typeof o === "number") && Number.isFinite(Number(text)) ? Number(text) : raw;
    case "object":
      throw new InputError(
        `--set ${key}=${raw}: \`${key}\` is a group of settings; set its fields instead (for example \`${key}.<field>=…\`)`,
      );
    default:
      try {
        return JSON.parse(text);
      } catch {
        return raw;
      }
  }
}

function notSweepable(key: string, raw: string, source: ConfigSource): InputError {
  const allowed = source.sweepable.length > 0 ? source.sweepable.join(", ") : "none";
  return new InputError(
    `--set ${key}=${raw}: \`${key}\` takes a single value, not a list; keys of ${source.name} that can be swept: ${allowed}`,
  );
}

/** Parses `--set key=value` into a nested override object for `source`'s schema. */
export function parseSet(assignment: string, source: ConfigSource): Json {
  const eq = assignment.indexOf("=");
  if (eq <= 0) {
    throw new InputError(`--set ${assignment}: expected key=value (for example --set kappa=1,10,100)`);
  }
  const key = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1);
  const path = key.split(".");
  // A deprecated key is parsed by its new field's type; validation moves it (and warns).
  const field = fieldAt(source.schema, currentKey(key, source.aliases ?? []).key.split("."));
  if (!field) throw new InputError(`--set ${assignment}: ${unknownKeyMessage(key, keyPaths(source.schema))}`);
  let value = parseValue(raw, field, key, source);
  for (let i = path.length - 1; i >= 0; i--) value = { [path[i]]: value };
  return value as Json;
}

/** The validated config with defaults filled in (sweepable keys hold lists). Throws `InputError`. */
export function resolveConfig(source: ConfigSource, options: ResolveOptions = {}): Json {
  let input: Json = options.base ?? {};
  if (options.configFile) input = deepMerge(input, readConfigFile(options.configFile));
  for (const s of options.sets ?? []) input = deepMerge(input, parseSet(s, source));
  const origin = options.configFile ? ` (from --config ${options.configFile} and --set)` : "";
  return validateConfig(source, input, origin, options.warn ?? ((line) => process.stderr.write(`${line}\n`)));
}
