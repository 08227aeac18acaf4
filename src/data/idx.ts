/**
 * The IDX file format of the MNIST family (LeCun et al., "THE MNIST DATABASE of handwritten digits", file-format
 * section), read with every field checked.
 *
 * Layout (all integers big-endian): two zero bytes, a type code (0x08 = unsigned byte, the only type these
 * datasets use), the number of dimensions D, then D uint32 sizes, then the ∏ sizes data bytes in row-major order.
 * Files are usually gzipped; a gzip stream is inflated as it is read, and the bytes are checked against the
 * header as they arrive, so a header that promises too little or too much data is refused without buffering the
 * whole file first.
 */

/** A malformed, truncated or unreadable IDX file; the message names the file and what is wrong. */
export class IdxFormatError extends Error {
  override name = "IdxFormatError";
}

/** The decoded contents of an IDX file of unsigned bytes. */
export interface IdxArray {
  /** The sizes from the header, e.g. [60000, 28, 28] for images or [60000] for labels. */
  dims: number[];
  /** The ∏ dims data bytes, row-major. */
  data: Uint8Array;
}

/** The type code of unsigned-byte data (the only one the MNIST-family files use). */
const UBYTE = 0x08;
/** At most this many dimensions (a sanity bound: the datasets use 1 or 3). */
const MAX_DIMS = 4;
/** At most this many data bytes (1 GiB): a corrupt header could otherwise ask for an absurd allocation. */
const MAX_BYTES = 2 ** 30;

/**
 * Incremental IDX decoder: feed it chunks in order (`push`), then `finish()`. Checks the magic number and type,
 * that the header's sizes are positive and bounded, and that the data has exactly ∏ dims bytes (no more, no less).
 * `file` only labels the error messages.
 */
export class IdxDecoder {
  private header = new Uint8Array(4 + 4 * MAX_DIMS);
  private headerFilled = 0;
  private headerLength = 4;
  private dims: number[] | null = null;
  private data: Uint8Array | null = null;
  private dataFilled = 0;

  constructor(private readonly file: string) {}

  /** Consumes the next chunk of the (already decompressed) file. */
  push(chunk: Uint8Array): void {
    let offset = 0;
    while (this.dims === null && offset < chunk.length) {
      const take = Math.min(this.headerLength - this.headerFilled, chunk.length - offset);
      this.header.set(chunk.subarray(offset, offset + take), this.headerFilled);
      this.headerFilled += take;
      offset += take;
      if (this.headerFilled === this.headerLength) this.parseHeaderSoFar();
    }
    if (offset === chunk.length) return;
    const data = this.data!;
    const rest = chunk.length - offset;
    if (this.dataFilled + rest > data.length) {
      throw new IdxFormatError(
        `${this.file}: more data than the header announces (${this.describeDims()} = ${data.length} bytes); ` +
          "the file is corrupt",
      );
    }
    data.set(chunk.subarray(offset), this.dataFilled);
    this.dataFilled += rest;
  }

  /** Ends the stream: returns the array, or throws if the header or the data is incomplete. */
  finish(): IdxArray {
    if (this.dims === null) {
      throw new IdxFormatError(
        `${this.file}: truncated header (${this.headerFilled} bytes, need ${this.headerLength}); not a complete IDX file`,
      );
    }
    const data = this.data!;
    if (this.dataFilled !== data.length) {
      throw new IdxFormatError(
        `${this.file}: truncated: the header announces ${this.describeDims()} = ${data.length} data bytes, ` +
          `the file holds ${this.dataFilled}`,
      );
    }
    return { dims: this.dims, data };
  }

  /** Called each time the header buffer reaches `headerLength`: first the magic, then the sizes. */
  private parseHeaderSoFar(): void {
    const h = this.header;
    if (this.headerLength === 4) {
      if (h[0] !== 0 || h[1] !== 0) {
        const got = Array.from(h.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
        throw new IdxFormatError(`${this.file}: bad magic number ${got}; an IDX file starts with 00 00 <type> <dims>`);
      }
      if (h[2] !== UBYTE) {
        throw new IdxFormatError(
          `${this.file}: unsupported IDX type code 0x${h[2].toString(16).padStart(2, "0")}; only 0x08 (unsigned byte) is supported`,
        );
      }
      const d = h[3];
      if (d < 1 || d > MAX_DIMS) {
        throw new IdxFormatError(`${this.file}: ${d} dimensions in the header; allowed 1 to ${MAX_DIMS}`);
      }
      this.headerLength = 4 + 4 * d;
      return;
    }
    const view = new DataView(h.buffer, h.byteOffset, this.headerLength);
    const dims: number[] = [];
    for (let i = 4; i < this.headerLength; i += 4) dims.push(view.getUint32(i, false));
    this.dims = dims;
    const count = dims.reduce((a, b) => a * b, 1);
    if (dims.some((n) => n === 0) || count > MAX_BYTES) {
      throw new IdxFormatError(
        `${this.file}: implausible sizes ${this.describeDims()} in the header; each must be ≥ 1 and their product ≤ ${MAX_BYTES}`,
      );
    }
    this.data = new Uint8Array(count);
  }

  private describeDims(): string {
    return (this.dims ?? []).join("×");
  }
}

/** Decodes a complete IDX file held in memory (already decompressed). */
export function decodeIdx(bytes: Uint8Array, file = "IDX data"): IdxArray {
  const decoder = new IdxDecoder(file);
  decoder.push(bytes);
  return decoder.finish();
}

/** True when `bytes` starts with the gzip magic number 1f 8b (RFC 1952 §2.3.1). */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads the IDX file at `path`, gunzipping it on the fly when it starts with the gzip magic (whatever its name).
 * Errors name the file: missing/unreadable (the system error), corrupt gzip data, or any IDX check above.
 */
export async function readIdxFile(path: string): Promise<IdxArray> {
  // Imported here so the rest of src/data stays usable in a browser bundle.
  const { open } = await import("node:fs/promises");
  const { createGunzip } = await import("node:zlib");
  const handle = await open(path, "r");
  try {
    const start = new Uint8Array(2);
    const { bytesRead } = await handle.read(start, 0, 2, 0);
    const source = handle.createReadStream({ start: 0, autoClose: false });
    const stream = isGzip(start.subarray(0, bytesRead)) ? source.pipe(createGunzip()) : source;
    source.on("error", (e) => stream.destroy(e));
    const decoder = new IdxDecoder(path);
    try {
      for await (const chunk of stream) decoder.push(chunk as Uint8Array);
    } catch (e) {
      if (e instanceof IdxFormatError) throw e;
      const reason = e instanceof Error ? e.message : String(e);
      throw new IdxFormatError(`${path}: cannot decompress (${reason}); the gzip data is corrupt or truncated`);
    } finally {
      source.destroy();
    }
    return decoder.finish();
  } finally {
    await handle.close();
  }
}
