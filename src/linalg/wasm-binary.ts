/**
 * Two facts the loader needs from a WebAssembly binary that the JavaScript API does not expose: the limits of
 * an imported memory (to create a memory the module accepts) and the module without its data segments (for the
 * worker threads that share the main thread's memory). Binary format: WebAssembly Core Specification 2.0, §5.5
 * (modules are a magic number, a version and sections "id, u32 LEB128 size, payload"; §5.5.10 imports, §5.5.14
 * data, §5.5.15 data count).
 */

const SECTION_IMPORT = 2;
const SECTION_DATA = 11;
const SECTION_DATA_COUNT = 12;

/** The limits of a memory, in 64 KiB pages. */
export interface MemoryLimits {
  initial: number;
  maximum: number | undefined;
  shared: boolean;
}

/** An unsigned LEB128 integer at `pos`: its value and the position after it. */
function leb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= bytes.length) throw new Error("layerwise: truncated WebAssembly binary");
    const byte = bytes[pos++];
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
}

interface Section {
  id: number;
  /** First byte of the section (its id). */
  start: number;
  /** First byte of the payload. */
  payload: number;
  /** One past the last byte. */
  end: number;
}

function sections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error("layerwise: not a WebAssembly binary (bad magic number)");
  }
  const found: Section[] = [];
  for (let pos = 8; pos < bytes.length;) {
    const [size, payload] = leb(bytes, pos + 1);
    found.push({ id: bytes[pos], start: pos, payload, end: payload + size });
    pos = payload + size;
  }
  return found;
}

/** Skips a name (u32 length + UTF-8 bytes). */
function skipName(bytes: Uint8Array, pos: number): number {
  const [length, next] = leb(bytes, pos);
  return next + length;
}

/** Reads limits (§5.3.7; flag bit 0: a maximum follows, bit 1: shared). */
function readLimits(bytes: Uint8Array, pos: number): [MemoryLimits, number] {
  const flags = bytes[pos];
  const [initial, afterInitial] = leb(bytes, pos + 1);
  if ((flags & 1) === 0) return [{ initial, maximum: undefined, shared: false }, afterInitial];
  const [maximum, next] = leb(bytes, afterInitial);
  return [{ initial, maximum, shared: (flags & 2) !== 0 }, next];
}

/** The limits of the memory the module imports, or undefined when it defines its own. */
export function importedMemoryLimits(bytes: Uint8Array): MemoryLimits | undefined {
  const section = sections(bytes).find((s) => s.id === SECTION_IMPORT);
  if (!section) return undefined;
  let [count, pos] = leb(bytes, section.payload);
  for (; count > 0; count--) {
    pos = skipName(bytes, skipName(bytes, pos)); // module and field names
    const kind = bytes[pos++];
    if (kind === 0x00)
      pos = leb(bytes, pos)[1]; // function: type index
    else if (kind === 0x01)
      pos = readLimits(bytes, pos + 1)[1]; // table: reference type, limits
    else if (kind === 0x02) return readLimits(bytes, pos)[0];
    else if (kind === 0x03)
      pos += 2; // global: value type, mutability
    else throw new Error(`layerwise: unknown WebAssembly import kind ${kind}`);
  }
  return undefined;
}

/**
 * The module without its data (and data count) sections: instantiating it writes nothing into memory, so a
 * worker thread can instantiate it on a memory the main thread is using. Valid only for modules whose code
 * never names a data segment (memory.init / data.drop), as the kernels' code does not; otherwise compiling
 * the result fails.
 */
export function withoutDataSegments(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const kept = sections(bytes).filter((s) => s.id !== SECTION_DATA && s.id !== SECTION_DATA_COUNT);
  const out = new Uint8Array(8 + kept.reduce((sum, s) => sum + s.end - s.start, 0));
  out.set(bytes.subarray(0, 8));
  let pos = 8;
  for (const s of kept) {
    out.set(bytes.subarray(s.start, s.end), pos);
    pos += s.end - s.start;
  }
  return out;
}
