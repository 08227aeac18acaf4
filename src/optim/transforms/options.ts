/**
 * Validation of optimizer options at construction. Every optimizer refuses a bad value with a message naming
 * the optimizer, the field, the value and what is allowed, and refuses unknown fields (a typo such as `lr` for
 * `learningRate` would otherwise silently fall back to a default).
 */

/** The error every optimizer constructor throws for a bad option. */
export class OptionError extends RangeError {
  constructor(optimizer: string, field: string, value: unknown, allowed: string) {
    super(`${optimizer}: option ${field} must be ${allowed}, got ${show(value)}`);
    this.name = "OptionError";
  }
}

function show(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "number") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throws unless `options` is an object whose keys all appear in `allowed`. */
export function checkKnownFields(optimizer: string, options: unknown, allowed: readonly string[]): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new OptionError(optimizer, "options", options, "an object");
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new OptionError(
        optimizer,
        key,
        (options as Record<string, unknown>)[key],
        `one of the known fields (${allowed.join(", ")}); unknown field`,
      );
    }
  }
}

/** A finite number in [lo, hi] (or [lo, hi) with `openHigh`, (lo, hi] with `openLow`). */
export function checkNumber(
  optimizer: string,
  field: string,
  value: unknown,
  lo: number,
  hi: number,
  { openLow = false, openHigh = false } = {},
): number {
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (openLow ? value > lo : value >= lo) &&
    (openHigh ? value < hi : value <= hi);
  if (!ok) {
    const range = `${openLow ? "(" : "["}${lo}, ${hi === Infinity ? "∞" : hi}${openHigh || hi === Infinity ? ")" : "]"}`;
    throw new OptionError(optimizer, field, value, `a finite number in ${range}`);
  }
  return value;
}

/** An integer ≥ `min`. */
export function checkInteger(optimizer: string, field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new OptionError(optimizer, field, value, `an integer ≥ ${min}`);
  }
  return value;
}

/** A boolean. */
export function checkBoolean(optimizer: string, field: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new OptionError(optimizer, field, value, "true or false");
  return value;
}

/** One of the listed strings. */
export function checkChoice<T extends string>(
  optimizer: string,
  field: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw new OptionError(optimizer, field, value, `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`);
  }
  return value as T;
}

/**
 * A learning rate: a finite number > 0, or a schedule (a function of the step). The return type is schedule.ts's
 * `LearningRate`, spelled out so that this module stays below schedule.ts (which uses these checks).
 */
export function checkLearningRate(
  optimizer: string,
  field: string,
  value: unknown,
): number | ((step: number) => number) {
  if (typeof value === "function") return value as (step: number) => number;
  return checkNumber(optimizer, field, value, 0, Infinity, { openLow: true });
}

/** The default failure budget of curvature-based optimizers: this many failed refreshes in a row raise. */
export const DEFAULT_MAX_FAILURES = 3;

/** A warning handler: a function of the message (default: `console.warn`). */
export function checkWarningHandler(optimizer: string, value: unknown): (message: string) => void {
  if (value === undefined) return (message) => console.warn(message);
  if (typeof value !== "function") throw new OptionError(optimizer, "onWarning", value, "a function (message) => void");
  return value as (message: string) => void;
}
