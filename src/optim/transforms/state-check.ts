/**
 * Checking a loaded optimizer state against a fresh `init` of the optimizer that is to continue from it, so a
 * corrupt, edited or foreign state is refused at load time with the path of the first mismatch instead of
 * producing NaN updates (or running on with another optimizer's moments) later. The template's shape rules:
 * - a number that is a non-negative integer in the template (a counter) must be one in the state; any other
 *   number must be finite;
 * - a matrix or float array must have the template's shape and finite entries;
 * - an object with keys must have exactly those keys; an empty object (a record filled per parameter as the
 *   steps go, e.g. KFAC's layers) may have any keys that name a parameter, each holding finite plain data;
 * - `null` (filled at the first step, e.g. momentum buffers) may stay null or hold finite plain data; a record
 *   of matrices keyed by parameters must then have the parameters' shapes.
 */
import { Matrix } from "../../linalg/matrix.js";
import type { Params } from "../../nn/types.js";

/** Throws a "loadState: path: …" error at the first place where `value` does not fit `template`. */
export function checkStateTree(value: unknown, template: unknown, params: Params | null, optimizer: string): void {
  check(value, template, "state", params, optimizer);
}

function fail(path: string, expected: string, value: unknown): never {
  throw new Error(`loadState: ${path}: expected ${expected}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Matrix) return `a ${value.rows}×${value.cols} matrix`;
  if (value instanceof Float64Array) return `a float array of length ${value.length}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Matrix) && !(v instanceof Float64Array);

function checkFinite(path: string, data: Float64Array): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`loadState: ${path}: entry ${i} is ${data[i]}; expected finite`);
  }
}

function check(value: unknown, template: unknown, path: string, params: Params | null, opt: string): void {
  if (template === null) return checkOpen(value, path, params, true);
  if (typeof template === "number") {
    const counter = Number.isSafeInteger(template) && template >= 0;
    if (counter && !(typeof value === "number" && Number.isSafeInteger(value) && value >= 0)) {
      fail(path, "a non-negative integer", value);
    }
    if (typeof value !== "number" || !Number.isFinite(value)) fail(path, "a finite number", value);
    return;
  }
  if (typeof template === "boolean" || typeof template === "string") {
    if (typeof value !== typeof template) fail(path, `a ${typeof template}`, value);
    return;
  }
  if (template instanceof Matrix) {
    if (!(value instanceof Matrix) || value.rows !== template.rows || value.cols !== template.cols) {
      fail(path, `a ${template.rows}×${template.cols} matrix`, value);
    }
    return checkFinite(path, value.data);
  }
  if (template instanceof Float64Array) {
    if (!(value instanceof Float64Array) || value.length !== template.length) {
      fail(path, `a float array of length ${template.length}`, value);
    }
    return checkFinite(path, value);
  }
  if (Array.isArray(template)) {
    if (!Array.isArray(value) || value.length !== template.length) fail(path, `a list of ${template.length}`, value);
    template.forEach((t, i) => check(value[i], t, `${path}[${i}]`, params, opt));
    return;
  }
  if (!isRecord(template)) return;
  const keys = Object.keys(template);
  if (keys.length === 0) return checkOpen(value, path, params, false);
  if (!isRecord(value)) fail(path, `an object with keys ${keys.join(", ")}`, value);
  for (const key of keys) {
    if (!(key in value)) throw new Error(`loadState: ${path}.${key} is missing (a ${opt} state has it)`);
    check(value[key], template[key], `${path}.${key}`, params, opt);
  }
  for (const key of Object.keys(value)) {
    if (!(key in template)) {
      throw new Error(`loadState: ${path}.${key} is not part of a ${opt} state (expected keys ${keys.join(", ")})`);
    }
  }
}

/** A value the template leaves open: null (where allowed) or finite plain data, keyed by parameters. */
function checkOpen(value: unknown, path: string, params: Params | null, nullable: boolean): void {
  if (value === null && nullable) return;
  if (!isRecord(value)) {
    if (nullable) return checkPlain(value, path);
    fail(path, "an object", value);
  }
  for (const [key, v] of Object.entries(value)) {
    const p = params?.[key];
    if (params && !p) {
      throw new Error(
        `loadState: ${path}.${key}: no parameter is named "${key}" (parameters: ${Object.keys(params).join(", ")})`,
      );
    }
    // A record of matrices in a slot that init left null is a per-parameter buffer (momentum): shaped as θ.
    if (nullable && p && v instanceof Matrix && (v.rows !== p.rows || v.cols !== p.cols)) {
      fail(`${path}.${key}`, `a ${p.rows}×${p.cols} matrix (the parameter's shape)`, v);
    }
    checkPlain(v, `${path}.${key}`);
  }
}

/** Finite plain data. */
function checkPlain(value: unknown, path: string): void {
  if (value === null || typeof value === "boolean" || typeof value === "string") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(path, "a finite number", value);
    return;
  }
  if (value instanceof Matrix) return checkFinite(path, value.data);
  if (value instanceof Float64Array) return checkFinite(path, value);
  if (Array.isArray(value)) return value.forEach((v, i) => checkPlain(v, `${path}[${i}]`));
  if (isRecord(value)) for (const [k, v] of Object.entries(value)) checkPlain(v, `${path}.${k}`);
}
