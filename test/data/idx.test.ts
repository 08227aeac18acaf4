import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  DATA_DIR_ENV,
  DatasetNotFoundError,
  IdxDecoder,
  decodeIdx,
  fashionMnistDir,
  loadFashionMnist,
  readIdxFile,
} from "../../src/data/index.js";
import { InputError } from "../../src/config/errors.js";
import { idxBytes, writeFakeFashion } from "../helpers/fashion-data.js";

const root = mkdtempSync(join(tmpdir(), "layerwise-idx-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let fileCount = 0;
function writeFile(bytes: Uint8Array, name = `f${fileCount++}`): string {
  const path = join(root, name);
  writeFileSync(path, bytes);
  return path;
}

const images = Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 37) % 256);

describe("IDX reader", () => {
  it("reads a valid file, raw and gzipped, with the header's dimensions and bytes in order", async () => {
    const bytes = idxBytes([3, 4, 5], images);
    for (const path of [writeFile(bytes), writeFile(gzipSync(bytes))]) {
      const idx = await readIdxFile(path);
      expect(idx.dims).toEqual([3, 4, 5]);
      expect(Array.from(idx.data)).toEqual(images);
    }
  });

  it("decodes the same array whatever the chunking (byte by byte)", () => {
    const bytes = idxBytes([3, 4, 5], images);
    const decoder = new IdxDecoder("bytes");
    for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
    const idx = decoder.finish();
    expect(idx.dims).toEqual([3, 4, 5]);
    expect(Array.from(idx.data)).toEqual(images);
  });

  it("gunzips large files in many chunks", async () => {
    const n = 300_000; // several zlib output chunks (16 KiB each)
    const data = Array.from({ length: n }, (_, i) => (i * 7919) % 251);
    const idx = await readIdxFile(writeFile(gzipSync(idxBytes([n], data))));
    expect(idx.data.length).toBe(n);
    expect(idx.data[n - 1]).toBe(((n - 1) * 7919) % 251);
    expect(idx.data[123_457]).toBe((123_457 * 7919) % 251);
  });

  it("refuses a bad magic number, an unsupported type and implausible sizes", async () => {
    const bad = idxBytes([3], [1, 2, 3]);
    bad[0] = 0x42;
    await expect(readIdxFile(writeFile(bad, "badmagic"))).rejects.toThrow(/badmagic: bad magic number 42 00 08 01/);
    await expect(readIdxFile(writeFile(idxBytes([3], [1, 2, 3], 0x0d), "float"))).rejects.toThrow(
      /float: unsupported IDX type code 0x0d/,
    );
    expect(() => decodeIdx(idxBytes([0, 28], []), "zero")).toThrow(/zero: implausible sizes 0×28/);
    expect(() => decodeIdx(idxBytes([65536, 65536], []), "huge")).toThrow(/huge: implausible sizes/);
    const noDims = idxBytes([1], [5]);
    noDims[3] = 0;
    expect(() => decodeIdx(noDims, "nodims")).toThrow(/nodims: 0 dimensions/);
  });

  it("refuses truncated headers, truncated data and trailing data, naming the file and the sizes", async () => {
    const bytes = idxBytes([3, 4, 5], images);
    await expect(readIdxFile(writeFile(bytes.subarray(0, 10), "shorthead"))).rejects.toThrow(
      /shorthead: truncated header \(10 bytes, need 16\)/,
    );
    await expect(readIdxFile(writeFile(gzipSync(bytes.subarray(0, 50)), "short.gz"))).rejects.toThrow(
      /short\.gz: truncated: the header announces 3×4×5 = 60 data bytes, the file holds 34/,
    );
    const extra = new Uint8Array(bytes.length + 1);
    extra.set(bytes);
    await expect(readIdxFile(writeFile(extra, "long"))).rejects.toThrow(/long: more data than the header announces/);
  });

  it("refuses a corrupt or cut gzip stream", async () => {
    const gz = gzipSync(idxBytes([3, 4, 5], images));
    await expect(readIdxFile(writeFile(gz.subarray(0, gz.length - 12), "cut.gz"))).rejects.toThrow(
      /cut\.gz: cannot decompress .*corrupt or truncated/,
    );
    const flipped = gz.slice();
    flipped[20] ^= 0xff;
    await expect(readIdxFile(writeFile(flipped, "flipped.gz"))).rejects.toThrow(/flipped\.gz: /);
  });

  it("names a missing file", async () => {
    await expect(readIdxFile(join(root, "nothing-here"))).rejects.toThrow(/nothing-here/);
  });
});

/** A directory of `root` with a tiny Fashion-MNIST look-alike: n images of 28×28 and their labels. */
const fakeFashion = (name: string, labels: { train: number[]; test: number[] }, side = 28) =>
  writeFakeFashion(join(root, name), labels, side);

describe("Fashion-MNIST loader", () => {
  it("loads the four files from dataDir, pixels scaled to [0, 1], labels as class indices", async () => {
    const dir = fakeFashion("good", { train: [0, 9, 3], test: [5, 1] });
    const data = await loadFashionMnist({ dataDir: dir });
    expect(data.name).toBe("fashion-mnist");
    expect(data.imageShape).toEqual([1, 28, 28]);
    expect(data.train.x.shape()).toBe("3×784");
    expect(data.test.x.shape()).toBe("2×784");
    expect(Array.from(data.train.y)).toEqual([0, 9, 3]);
    expect(Array.from(data.test.y)).toEqual([5, 1]);
    expect(data.train.x.get(1, 10)).toBeCloseTo(((784 + 10 + 3) % 256) / 255, 15);
    expect(data.test.x.get(0, 0)).toBeCloseTo(2 / 255, 15);
  });

  it("refuses labels outside 0…9, a label count that does not match, and images that are not 28×28", async () => {
    await expect(loadFashionMnist({ dataDir: fakeFashion("label10", { train: [0, 10], test: [1] }) })).rejects.toThrow(
      /label10.*train-labels-idx1-ubyte: label 10 at index 1 is outside 0…9/,
    );
    const mismatch = fakeFashion("mismatch", { train: [0, 1], test: [1] });
    writeFileSync(join(mismatch, "train-labels-idx1-ubyte"), idxBytes([3], [0, 1, 2]));
    await expect(loadFashionMnist({ dataDir: mismatch })).rejects.toThrow(
      /expected 2 labels \(one per image\), found 3/,
    );
    await expect(loadFashionMnist({ dataDir: fakeFashion("side", { train: [0], test: [1] }, 27) })).rejects.toThrow(
      /expected n×28×28 images, found 1×27×27/,
    );
  });

  it("a missing directory or file is an input error naming the directory and the install command", async () => {
    const missing = join(root, "no-such-dir");
    const error = await loadFashionMnist({ dataDir: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect(error).toBeInstanceOf(InputError); // so the CLI exits with code 2
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain("apt-get install dataset-fashion-mnist");
    const partial = fakeFashion("partial", { train: [0], test: [1] });
    rmSync(join(partial, "t10k-images-idx3-ubyte.gz"));
    await expect(loadFashionMnist({ dataDir: partial })).rejects.toThrow(/missing t10k-images-idx3-ubyte\.gz/);
  });

  it("takes the directory from dataDir, else $LAYERWISE_DATA_DIR, else the Debian path", () => {
    const saved = process.env[DATA_DIR_ENV];
    try {
      process.env[DATA_DIR_ENV] = "/from/env";
      expect(fashionMnistDir("/explicit")).toBe("/explicit");
      expect(fashionMnistDir()).toBe("/from/env");
      delete process.env[DATA_DIR_ENV];
      expect(fashionMnistDir()).toBe("/usr/share/datasets/fashion-mnist");
    } finally {
      if (saved === undefined) delete process.env[DATA_DIR_ENV];
      else process.env[DATA_DIR_ENV] = saved;
    }
  });
});
