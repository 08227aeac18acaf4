/**
 * Checkpointing optimizer state: `saveState` writes a state (plain data: objects, arrays, numbers, strings,
 * booleans, null, `Matrix`, `Float64Array`) as JSON text `{ format: 2, optimizer, options, state }`, and
 * `loadState` restores it bit for bit. Float64 arrays are stored as base64 of their little-endian IEEE-754 bytes,
 * so NaN payloads, ±Inf and −0 survive; plain numbers that JSON cannot hold (NaN, ±Infinity, −0) are tagged. A
 * square matrix that is exactly (bit for bit) symmetric — the curvature factors and their inverses or roots — is
 * stored as its upper triangle, which halves a KFAC or Shampoo checkpoint.
 * Given the optimizer, `loadState` refuses a state another optimizer wrote and checks the whole tree against a
 * fresh `init` (see state-check.ts), after the optimizer's `upgradeState` (when it has one) brought a state of an
 * earlier version to the current shape. Format 1 (`"layerwise-optim-state/1"`, no optimizer recorded) still loads.
 */
import { Matrix } from "../../linalg/matrix.js";
import type { Params } from "../../nn/types.js";
import type { GradientTransformation } from "../transform.js";
import { checkStateTree } from "./state-check.js";

const FORMAT = 2;
const FORMAT_1 = "layerwise-optim-state/1";

type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

function toBase64(data: Float64Array): string {
  const bytes = new Uint8Array(data.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat64(8 * i, data[i], true);
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

function fromBase64(text: unknown, length: unknown, where: string): Float64Array {
  if (typeof text !== "string") throw new Error(`loadState: ${where} has no base64 data`);
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
    throw new Error(`loadState: ${where} has an invalid length ${JSON.stringify(length)}`);
  }
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new Error(`loadState: ${where} is not valid base64 (the file is corrupt or was edited)`);
  }
  if (binary.length !== 8 * length) {
    throw new Error(`loadState: ${where} holds ${binary.length} bytes, expected ${8 * length}`);
  }
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

/** True when the n×n matrix equals its transpose bit for bit (so its upper triangle restores it exactly). */
function isExactlySymmetric(m: Matrix): boolean {
  if (m.rows !== m.cols || m.rows < 2) return false;
  const n = m.rows;
  const bits = new BigUint64Array(m.data.buffer, m.data.byteOffset, m.data.length);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (bits[i * n + j] !== bits[j * n + i]) return false;
  return true;
}

/** The upper triangle of an n×n matrix, row by row (n(n+1)/2 entries). */
function upperTriangle(m: Matrix): Float64Array {
  const n = m.rows;
  const out = new Float64Array((n * (n + 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) out[k++] = m.data[i * n + j];
  return out;
}

/** The symmetric n×n matrix whose upper triangle, row by row, is `upper`. */
function fromUpperTriangle(n: number, upper: Float64Array): Matrix {
  const m = new Matrix(n, n);
  let k = 0;
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      m.data[i * n + j] = upper[k];
      m.data[j * n + i] = upper[k++];
    }
  return m;
}

function encode(value: unknown, where: string): Encoded {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (Number.isNaN(value)) return { $number: "NaN" };
    if (value === Infinity) return { $number: "Infinity" };
    if (value === -Infinity) return { $number: "-Infinity" };
    if (Object.is(value, -0)) return { $number: "-0" };
    return value;
  }
  if (value instanceof Matrix) {
    if (isExactlySymmetric(value)) return { $symmetric: [value.rows, toBase64(upperTriangle(value))] };
    return { $matrix: [value.rows, value.cols, toBase64(value.data)] };
  }
  if (value instanceof Float64Array) return { $float64: [value.length, toBase64(value)] };
  if (Array.isArray(value)) return value.map((v, i) => encode(v, `${where}[${i}]`));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: { [key: string]: Encoded } = {};
    for (const [k, v] of Object.entries(value as object)) {
      if (v === undefined) continue;
      if (k.startsWith("$")) throw new TypeError(`saveState: key ${where}.${k} starts with "$", which is reserved`);
      out[k] = encode(v, `${where}.${k}`);
    }
    return out;
  }
  throw new TypeError(
    `saveState: ${where} is ${typeof value === "object" ? "an object of an unsupported class" : `a ${typeof value}`}; state must be plain data`,
  );
}

function decode(value: unknown, where: string): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v, i) => decode(v, `${where}[${i}]`));
  const obj = value as Record<string, unknown>;
  if ("$number" in obj) {
    const tags: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };
    const tag = obj.$number as string;
    if (!(tag in tags)) throw new Error(`loadState: ${where} has an unknown number tag ${JSON.stringify(tag)}`);
    return tags[tag];
  }
  if ("$matrix" in obj) {
    const [rows, cols, data] = Array.isArray(obj.$matrix) ? (obj.$matrix as unknown[]) : [];
    const dims = [rows, cols];
    if (!dims.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`loadState: ${where} is a matrix with invalid dimensions ${JSON.stringify(dims)}`);
    }
    return new Matrix(rows as number, cols as number, fromBase64(data, (rows as number) * (cols as number), where));
  }
  if ("$symmetric" in obj) {
    const [n, data] = Array.isArray(obj.$symmetric) ? (obj.$symmetric as unknown[]) : [];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      throw new Error(`loadState: ${where} is a symmetric matrix with an invalid order ${JSON.stringify(n)}`);
    }
    return fromUpperTriangle(n, fromBase64(data, (n * (n + 1)) / 2, where));
  }
  if ("$float64" in obj) {
    const [length, data] = Array.isArray(obj.$float64) ? (obj.$float64 as unknown[]) : [];
    return fromBase64(data, length, where);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decode(v, `${where}.${k}`);
  return out;
}

/** Plain-data options: functions (schedules) are recorded by name, since they cannot be stored. */
function encodeOptions(options: Readonly<Record<string, unknown>> | undefined): Encoded {
  if (options === undefined) return null;
  const out: { [key: string]: Encoded } = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    out[k] = typeof v === "function" ? { $function: v.name || "anonymous" } : encode(v, `options.${k}`);
  }
  return out;
}

/**
 * The state as JSON text (see the module comment for the encoding), recording the optimizer's name and options
 * when given (`optimizer` may be omitted for a transform without a name, e.g. a `chain`). Throws on anything that
 * is not plain data.
 */
export function saveState(state: unknown, optimizer?: Pick<GradientTransformation, "name" | "options">): string {
  return JSON.stringify({
    format: FORMAT,
    optimizer: optimizer?.name ?? null,
    options: encodeOptions(optimizer?.options),
    state: encode(state, "state"),
  });
}

/** What a state file records besides the state. */
export interface StateFileHeader {
  /** 2, or 1 for files written before the optimizer was recorded. */
  format: 1 | 2;
  /** The name of the optimizer that wrote it (null: not recorded). */
  optimizer: string | null;
  /** Its options as recorded (schedules as `{ $function: name }`), null when not recorded. */
  options: unknown;
}

function parseFile(text: string): { header: StateFileHeader; state: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`loadState: not JSON (${(e as Error).message})`);
  }
  const file = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (file.format !== FORMAT && file.format !== FORMAT_1) {
    throw new Error(
      `loadState: not an optimizer state written by saveState (expected format ${FORMAT}, or "${FORMAT_1}")`,
    );
  }
  if (!("state" in file)) throw new Error("loadState: the file has no state");
  const optimizer = typeof file.optimizer === "string" ? file.optimizer : null;
  const header: StateFileHeader = { format: file.format === FORMAT ? 2 : 1, optimizer, options: file.options ?? null };
  return { header, state: decode(file.state, "state") };
}

/** The header of a state file (format, optimizer, options) without checking its state against an optimizer. */
export function readStateHeader(text: string): StateFileHeader {
  return parseFile(text).header;
}

/**
 * The state written by `saveState`, restored bit for bit. Throws on text that `saveState` did not write (not JSON,
 * another format, corrupt base64). Given `optimizer`, also refuses a state that another optimizer wrote and
 * checks the whole tree against `optimizer.init(params)` (keys, types, shapes, counters, finite entries; see
 * state-check.ts), naming the first mismatch by its path (`state.m.w: expected a 3×4 matrix, got 4×3`). Without
 * `params` the shapes of parameter-sized entries are not known and only the structure is checked.
 */
export function loadState<S = unknown>(text: string, optimizer?: GradientTransformation<S>, params?: Params): S {
  const { header, state } = parseFile(text);
  if (optimizer === undefined) return state as S;
  if (header.optimizer !== null && optimizer.name !== undefined && header.optimizer !== optimizer.name) {
    throw new Error(`loadState: the file holds a state of ${header.optimizer}, not of ${optimizer.name}`);
  }
  const template = optimizer.init(params ?? {});
  const current = optimizer.upgradeState ? optimizer.upgradeState(state) : state;
  checkStateTree(current, template, params ?? null, optimizer.name ?? header.optimizer ?? "the optimizer");
  return current as S;
}
