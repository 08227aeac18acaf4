/**
 * Invalid user input (flags, `--set`, `--config`, experiment names) and its messages. Every message names the
 * field or flag, the value given, and what is allowed; the CLI prints it and exits with code 2 before any work.
 */
import type { z } from "zod";
import { closest } from "./suggest.js";

/** Input the user must fix; the CLI exits with code 2 and prints `message`. */
export class InputError extends Error {
  override name = "InputError";
}

/** `["a", "b", 0]` → `a.b[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || "(config)";
}

/** The value at `path` inside `input`, or undefined. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** A value as it should appear in a message: JSON, shortened. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The type of a value in words (for "expected number, got "abc" (a string)"). */
function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}

/** A bound with its comparison, e.g. ">= 1" or "< 10". */
function bound(op: "min" | "max", limit: unknown, inclusive: boolean | undefined): string {
  const sign = op === "min" ? (inclusive === false ? ">" : ">=") : inclusive === false ? "<" : "<=";
  return `${sign} ${String(limit)}`;
}

/**
 * One readable line per zod issue: `field `kappa[0]`: 0 is out of range: allowed >= 1`. `input` is the object
 * that was validated (to quote the offending value); `keys` lists the valid key paths (for "did you mean").
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown, keys: readonly string[]): string {
  return tightestBounds(issues)
    .map((issue) => {
      const field = formatPath(issue.path);
      const value = valueAt(input, issue.path);
      switch (issue.code) {
        case "too_small":
        case "too_big": {
          const op = issue.code === "too_small" ? "min" : "max";
          const limit = issue.code === "too_small" ? issue.minimum : issue.maximum;
          if (issue.origin === "array" || issue.origin === "set") {
            return `field \`${field}\`: ${show(value)} has ${(value as unknown[])?.length ?? 0} items; allowed: ${bound(op, limit, issue.inclusive)} items`;
          }
          if (issue.origin === "string") {
            return `field \`${field}\`: ${show(value)} has the wrong length; allowed: ${bound(op, limit, issue.inclusive)} characters`;
          }
          return `field \`${field}\`: ${show(value)} is out of range; allowed: ${bound(op, limit, issue.inclusive)}`;
        }
        case "invalid_type": {
          const expected = issue.expected === "int" ? "an integer" : `a ${issue.expected}`;
          return `field \`${field}\`: expected ${expected}, got ${show(value)} (${typeName(value)})`;
        }
        case "invalid_value":
          return `field \`${field}\`: ${show(value)} is not allowed; allowed: ${issue.values.map((v) => show(v)).join(", ")}`;
        case "unrecognized_keys": {
          const prefix = issue.path.length > 0 ? `${formatPath(issue.path)}.` : "";
          return issue.keys.map((k) => unknownKeyMessage(prefix + k, keys)).join("\n");
        }
        case "custom":
          // A cross-field rule's message names the values it compares (the field may even be unset).
          return `field \`${field}\`: ${issue.message}`;
        case "not_multiple_of":
          return `field \`${field}\`: ${show(value)} is not allowed; allowed: multiples of ${String(issue.divisor)}`;
        default:
          return `field \`${field}\`: ${show(value)} is not allowed: ${issue.message}`;
      }
    })
    .join("\n");
}

/**
 * The issues with, per field and side, only the tightest bound: an integer field has zod's safe-integer bound
 * besides its own, and a value beyond both would otherwise be told two different limits.
 */
function tightestBounds(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const limitOf = (i: z.core.$ZodIssue): number | null =>
    i.code === "too_big" ? Number(i.maximum) : i.code === "too_small" ? Number(i.minimum) : null;
  return issues.filter((issue) => {
    const limit = limitOf(issue);
    if (limit === null) return true;
    const key = `${issue.code}:${formatPath(issue.path)}`;
    return !issues.some((other) => {
      const l = limitOf(other);
      if (other === issue || l === null || `${other.code}:${formatPath(other.path)}` !== key) return false;
      return issue.code === "too_big" ? l < limit : l > limit;
    });
  });
}

/** "unknown key `kapa`; did you mean `kappa`?" (or the list of valid keys when nothing is close). */
export function unknownKeyMessage(key: string, keys: readonly string[]): string {
  const near = closest(key, keys);
  if (near.length > 0) return `unknown key \`${key}\`; did you mean ${near.map((k) => `\`${k}\``).join(" or ")}?`;
  return `unknown key \`${key}\`; valid keys: ${keys.join(", ")}`;
}
