/**
 * Fashion-MNIST for the tests: tiny look-alike directories written on the spot, and whether the real dataset is
 * installed (tests that need it skip with a visible reason when it is not, except under CI=true with the default
 * location, where its absence is a failure so CI cannot skip them silently; CI's second pass points
 * $LAYERWISE_DATA_DIR at an empty directory on purpose).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, it } from "vitest";
import { DATA_DIR_ENV, FASHION_MNIST_INSTALL, fashionMnistDir, hasFashionMnist } from "../../src/data/fashion-mnist.js";

/** An IDX file of unsigned bytes written by hand: 00 00 08 D, D big-endian sizes, the data. */
export function idxBytes(dims: number[], data: ArrayLike<number>, typeCode = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = typeCode;
  header[3] = dims.length;
  const view = new DataView(header.buffer);
  dims.forEach((n, i) => view.setUint32(4 + 4 * i, n, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(Uint8Array.from(data), header.length);
  return out;
}

/**
 * Writes a tiny Fashion-MNIST look-alike into `dir` (created): images side×side (gzipped) with the given labels
 * (uncompressed, which the loader also accepts). Returns `dir`.
 */
export function writeFakeFashion(dir: string, labels: { train: number[]; test: number[] }, side = 28): string {
  mkdirSync(dir, { recursive: true });
  for (const [split, prefix] of [
    ["train", "train"],
    ["test", "t10k"],
  ] as const) {
    const y = labels[split];
    const pixels = Array.from({ length: y.length * side * side }, (_, i) => (i + y.length) % 256);
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(idxBytes([y.length, side, side], pixels)));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idxBytes([y.length], y));
  }
  return dir;
}

/** Whether the real Fashion-MNIST is where runs look for it ($LAYERWISE_DATA_DIR, else the Debian path). */
export const fashionInstalled = await hasFashionMnist();

/** Where the tests looked, and how to get the files there. */
const missing = `Fashion-MNIST is not in ${fashionMnistDir()} (\`${FASHION_MNIST_INSTALL}\`, or set $${DATA_DIR_ENV})`;

/** CI installs the dataset at the default location, so there its absence is a failure, not a skip. */
const required = process.env.CI === "true" && !process.env[DATA_DIR_ENV];

/**
 * `describe` for tests that need the real Fashion-MNIST: runs them when it is installed; otherwise skips them with
 * the reason in the suite's name, or, when it is required (above), adds a failing test instead.
 */
export function describeWithFashion(name: string, body: () => void): void {
  describe.skipIf(!fashionInstalled)(fashionInstalled ? name : `${name} [skipped: ${missing}]`, body);
  if (!fashionInstalled && required) {
    describe(name, () => {
      it("needs Fashion-MNIST, which CI installs", () => {
        throw new Error(`under CI=true the real dataset is required, but ${missing}`);
      });
    });
  }
}
