/**
 * Checkpointing optimizer state: `saveState` writes a state (plain data: objects, arrays, numbers, strings,
 * booleans, null, `Matrix`, `Float64Array`) as JSON text, and `loadState` restores it bit for bit. Float64 arrays
 * are stored as base64 of their little-endian IEEE-754 bytes, so NaN payloads, ±Inf and −0 survive; plain numbers
 * that JSON cannot hold (NaN, ±Infinity, −0) are tagged.
 */
import { Matrix } from "../../linalg/matrix.js";

const FORMAT = "layerwise-optim-state/1";

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

function fromBase64(text: string, length: number, where: string): Float64Array {
  const binary = atob(text);
  if (binary.length !== 8 * length) {
    throw new Error(`loadState: ${where} holds ${binary.length} bytes, expected ${8 * length}`);
  }
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
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
  if (value instanceof Matrix) return { $matrix: [value.rows, value.cols, toBase64(value.data)] };
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
    const [rows, cols, data] = obj.$matrix as [number, number, string];
    return new Matrix(rows, cols, fromBase64(data, rows * cols, where));
  }
  if ("$float64" in obj) {
    const [length, data] = obj.$float64 as [number, string];
    return fromBase64(data, length, where);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decode(v, `${where}.${k}`);
  return out;
}

/** The state as JSON text (see the module comment for the encoding). Throws on anything that is not plain data. */
export function saveState(state: unknown): string {
  return JSON.stringify({ format: FORMAT, state: encode(state, "state") });
}

/** The state written by `saveState`, restored bit for bit. Throws on text that `saveState` did not write. */
export function loadState<S = unknown>(text: string): S {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`loadState: not JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || (parsed as { format?: unknown }).format !== FORMAT) {
    throw new Error(`loadState: not an optimizer state written by saveState (expected format "${FORMAT}")`);
  }
  return decode((parsed as { state: unknown }).state, "state") as S;
}
