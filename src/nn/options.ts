/**
 * Checks for the options of layers, networks and passes: every value a caller hands in is validated here, at the
 * boundary, with a message naming where, the field, the value given and what is allowed.
 */
import { show, unknownKeyMessage } from "../config/errors.js";

/** Refuses anything but a plain options object whose keys are all in `allowed` (catches typos such as `bais`). */
export function checkKeys(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new RangeError(`${where}: ${unknownKeyMessage(key, allowed)}`);
  }
}

/** An integer ≥ `min` (default 1). */
export function integerOption(where: string, field: string, value: unknown, min = 1): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${where}: ${field} must be an integer ≥ ${min}, got ${show(value)}`);
  }
  return value;
}

/** `value` when it is a boolean, `fallback` when it is undefined. */
export function booleanOption(where: string, field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`${where}: ${field} must be true or false, got ${show(value)}`);
  return value;
}

/** A finite number in the open/closed interval described by `test` and `allowed` (words for the message). */
export function numberOption(
  where: string,
  field: string,
  value: unknown,
  test: (v: number) => boolean,
  allowed: string,
): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !test(value)) {
    throw new RangeError(`${where}: ${field} must be ${allowed}, got ${show(value)}`);
  }
  return value;
}

/** A size given as one integer (used for both dimensions) or a pair [height, width], each ≥ `min`. */
export function pairOption(where: string, field: string, value: unknown, min: number): [number, number] {
  if (typeof value === "number") {
    const v = integerOption(where, field, value, min);
    return [v, v];
  }
  if (Array.isArray(value) && value.length === 2) {
    return [integerOption(where, `${field}[0]`, value[0], min), integerOption(where, `${field}[1]`, value[1], min)];
  }
  throw new RangeError(`${where}: ${field} must be an integer ≥ ${min} or a pair [height, width], got ${show(value)}`);
}

/** One of `choices`. */
export function choiceOption<T extends string>(where: string, field: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw new RangeError(
      `${where}: ${field} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${show(value)}`,
    );
  }
  return value as T;
}
