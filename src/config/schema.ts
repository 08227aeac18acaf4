/**
 * Looking inside an experiment's zod (v4) config schema: which keys exist (for "did you mean" suggestions) and
 * what type a key expects (so `--set kappa=1,10,100` becomes a list of numbers and `--set rotate=false` a
 * boolean). Wrappers that do not change the value's type (default, optional, nullable, readonly, catch, pipe
 * input) are looked through.
 */
import type { z } from "zod";

/** The kinds of values `--set` knows how to parse from text. */
export type FieldKind = "number" | "boolean" | "string" | "array" | "object" | "other";

/** What `--set` needs to know about a config field. */
export interface FieldInfo {
  kind: FieldKind;
  /** The element's info for arrays. */
  element?: FieldInfo;
  /** The allowed values for an enum (or a literal). */
  options?: readonly (string | number | boolean)[];
  /** The object's fields for objects. */
  shape?: Record<string, z.ZodType>;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string | number>;
  values?: readonly (string | number | boolean)[];
  options?: readonly z.ZodType[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(["default", "prefault", "optional", "nullable", "readonly", "catch", "nonoptional"]);

/** The schema without the wrappers that keep the value's type. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = defOf(s);
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType;
    else if (def.type === "pipe" && def.in) s = def.in;
    else return s;
  }
}

/** Describes a schema for `--set` parsing. */
export function fieldInfo(schema: z.ZodType): FieldInfo {
  const s = unwrap(schema);
  const def = defOf(s);
  switch (def.type) {
    case "number":
    case "int":
    case "bigint":
      return { kind: "number" };
    case "boolean":
      return { kind: "boolean" };
    case "string":
      return { kind: "string" };
    case "enum":
      return { kind: "string", options: Object.values(def.entries ?? {}) };
    case "literal":
      return { kind: typeof def.values?.[0] === "number" ? "number" : "string", options: def.values };
    case "array":
      return { kind: "array", element: def.element ? fieldInfo(def.element) : { kind: "other" } };
    case "object":
      return { kind: "object", shape: def.shape };
    default:
      return { kind: "other" };
  }
}

/** The field at `path` (e.g. ["optimizer", "lr"]) of an object schema, or undefined when there is none. */
export function fieldAt(schema: z.ZodType, path: readonly string[]): FieldInfo | undefined {
  let info = fieldInfo(schema);
  for (const key of path) {
    if (info.kind !== "object" || !info.shape || !Object.hasOwn(info.shape, key)) return undefined;
    info = fieldInfo(info.shape[key]);
  }
  return info;
}

/** Every key path of an object schema in dotted form ("lr", "optimizer", "optimizer.lr", …). */
export function keyPaths(schema: z.ZodType, prefix = ""): string[] {
  const info = fieldInfo(schema);
  if (info.kind !== "object" || !info.shape) return [];
  const out: string[] = [];
  for (const [key, child] of Object.entries(info.shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path, ...keyPaths(child, path));
  }
  return out;
}
