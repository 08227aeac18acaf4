/** Unpacks the MNIST digits packed by site/mnist-plugin.ts (the format is described there). */

/** One digit class as the `mnist` package exposes it: `length` images of 784 pixels, concatenated in `raw`. */
export interface DigitClass {
  raw: Float64Array;
  length: number;
}

export function decodeMnist(bytes: Uint8Array): DigitClass[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== "LWMN") throw new Error("mnist: not a packed digits file");
  const classes = view.getUint32(4, true);
  const pixels = view.getUint32(8, true);
  const paletteSize = view.getUint32(12, true);
  const palette = Array.from({ length: paletteSize }, (_, i) => view.getFloat64(16 + 8 * i, true));
  let at = 16 + 8 * paletteSize;
  const counts = Array.from({ length: classes }, (_, c) => view.getUint32(at + 4 * c, true));
  at += 4 * classes + 4;
  const digits: DigitClass[] = [];
  for (const count of counts) {
    const raw = new Float64Array(count * pixels);
    for (let i = 0; i < raw.length;) {
      const code = bytes[at++];
      if (code === 0)
        i += bytes[at++]; // a run of zeros (the array starts zeroed)
      else raw[i++] = palette[code];
    }
    digits.push({ raw, length: count });
  }
  if (at > bytes.length) throw new Error("mnist: the packed digits file is cut short");
  if (at < bytes.length) throw new Error(`mnist: ${bytes.length - at} bytes left over after the last digit`);
  return digits;
}
