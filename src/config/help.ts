/**
 * Config documentation generated from an experiment's zod schema, so it never goes stale: every key (nested ones
 * dotted) with its type, default, allowed values or range, whether it is sweepable, and its one-line meaning (the
 * schema's `.describe()` text). Shown by `layerwise run <experiment> --help` and `layerwise list --json`.
 */
import type { z } from "zod";

/** One documented config key. */
export interface ConfigKeyHelp {
  /** Dotted path, e.g. "tuning.steps". */
  key: string;
  /** "number", "integer", "boolean", "string", "list of number", "group", … (", or null" when nullable). */
  type: string;
  /** The default value (undefined: no default, the key is optional). */
  default?: unknown;
  /** Allowed values ("logspaced | spiked | powerlaw") or range ("≥ 1, ≤ 1e8"); "" when anything of the type goes. */
  allowed: string;
  /** Whether the key holds a list that is swept (its values' cartesian product with the other sweepable keys). */
  sweepable: boolean;
  /** One line of meaning. */
  description: string;
}

interface Check {
  _zod: { def: { check: string; value?: number; inclusive?: boolean; minimum?: number; maximum?: number } };
}
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string | number>;
  values?: readonly unknown[];
  checks?: Check[];
  format?: string;
  defaultValue?: unknown;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const descriptionOf = (schema: z.ZodType): string | undefined => (schema as { description?: string }).description;

/** Looks through default/optional/nullable/… wrappers, collecting the default, nullability and description. */
function peel(schema: z.ZodType): {
  inner: z.ZodType;
  default?: unknown;
  hasDefault: boolean;
  nullable: boolean;
  description?: string;
} {
  let s = schema;
  let description = descriptionOf(s);
  let hasDefault = false;
  let value: unknown;
  let nullable = false;
  for (;;) {
    const def = defOf(s);
    if (def.type === "default" || def.type === "prefault") {
      hasDefault = true;
      value = def.defaultValue;
    }
    if (def.type === "nullable") nullable = true;
    if (def.innerType) s = def.innerType;
    else if (def.type === "pipe" && def.in) s = def.in;
    else break;
    description ??= descriptionOf(s);
  }
  return { inner: s, default: value, hasDefault, nullable, description };
}

/** The numeric bounds of a number schema, e.g. "> 0, < 1" (integers' safe-integer bounds left out). */
function numberRange(def: Def): string {
  const parts: string[] = [];
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === "greater_than") parts.push(`${d.inclusive ? "≥" : ">"} ${compact(d.value!)}`);
    if (d.check === "less_than") parts.push(`${d.inclusive ? "≤" : "<"} ${compact(d.value!)}`);
  }
  return parts.join(", ");
}

/** The length bounds of an array schema, e.g. "≥ 1 items". */
function lengthRange(def: Def): string {
  const parts: string[] = [];
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === "min_length") parts.push(`≥ ${d.minimum} items`);
    if (d.check === "max_length") parts.push(`≤ ${d.maximum} items`);
  }
  return parts.join(", ");
}

/** Type and allowed values of an unwrapped schema. */
function describeType(schema: z.ZodType): { type: string; allowed: string } {
  const def = defOf(schema);
  switch (def.type) {
    case "number":
      return { type: def.format && def.format.includes("int") ? "integer" : "number", allowed: numberRange(def) };
    case "boolean":
      return { type: "boolean", allowed: "true | false" };
    case "string":
      return { type: "string", allowed: "" };
    case "enum":
      return { type: "string", allowed: Object.values(def.entries ?? {}).join(" | ") };
    case "literal":
      return { type: "literal", allowed: (def.values ?? []).map(String).join(" | ") };
    case "array": {
      const element = def.element ? describeType(peel(def.element).inner) : { type: "value", allowed: "" };
      const length = lengthRange(def);
      const allowed = [element.allowed && `each ${element.allowed}`, length].filter(Boolean).join("; ");
      return { type: `list of ${element.type}`, allowed };
    }
    case "object":
      return { type: "group", allowed: "" };
    default:
      return { type: def.type, allowed: "" };
  }
}

/** Every key of an object schema (nested keys dotted, after their group), documented. */
export function configHelp(schema: z.ZodType, sweepable: readonly string[] = [], prefix = ""): ConfigKeyHelp[] {
  const { inner } = peel(schema);
  const shape = defOf(inner).shape;
  if (!shape) return [];
  const out: ConfigKeyHelp[] = [];
  for (const [name, child] of Object.entries(shape)) {
    const key = prefix ? `${prefix}.${name}` : name;
    const p = peel(child);
    const { type, allowed } = describeType(p.inner);
    out.push({
      key,
      type: p.nullable ? `${type}, or null` : type,
      ...(p.hasDefault ? { default: p.default } : {}),
      allowed,
      sweepable: prefix === "" && sweepable.includes(name),
      description: p.description ?? "",
    });
    if (type === "group") out.push(...configHelp(p.inner, sweepable, key));
  }
  return out;
}

/** A number compactly: 1e8 rather than 100000000. */
const compact = (v: number): string =>
  Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential().replace("e+", "e") : String(v);

/** A value as `--set` would take it: lists comma-separated, strings bare, objects as JSON. */
function showDefault(value: unknown): string {
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.map(showDefault).join(",");
  if (typeof value === "number") return compact(value);
  if (typeof value === "boolean" || typeof value === "string") return String(value);
  return JSON.stringify(value);
}

/** The config keys as a plain-text table for `--help`. */
export function configHelpText(rows: readonly ConfigKeyHelp[]): string {
  if (rows.length === 0) return "(no config keys)";
  const cells = rows.map((r) => [
    r.key,
    r.type,
    r.type === "group" ? "" : "default" in r ? showDefault(r.default) : "(unset)",
    r.sweepable ? "yes" : "",
    r.allowed,
  ]);
  const head = ["key", "type", "default", "sweep", "allowed"];
  const widths = head.map((h, i) => Math.min(40, Math.max(h.length, ...cells.map((c) => c[i].length))));
  const line = (c: string[]) =>
    c
      .map((s, i) => s.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const lines = [line(head)];
  rows.forEach((r, i) => {
    lines.push(line(cells[i]));
    if (r.description) lines.push(`    ${r.description}`);
  });
  return lines.join("\n");
}

/**
 * `shape` with each key's schema given its one-line meaning (zod's `.describe()`), which `configHelp` shows.
 * `texts` must name every key, so a new config field cannot go undocumented (the compiler refuses it).
 */
export function described<S extends Record<string, z.ZodType>>(shape: S, texts: { [K in keyof S]: string }): S {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.describe(texts[k as keyof S])])) as S;
}
