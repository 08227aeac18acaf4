/** The optimizers' WebAssembly kernels (asm/optim.ts) against the same expression evaluated in JavaScript. */
import { describe, expect, it } from "vitest";
import { alloc, heap, kernels, mark, release } from "../../src/linalg/wasm.js";
import { Rng } from "../../src/random/index.js";

describe("axpby", () => {
  const special = [0, -0, 1e-310, -1e-310, Infinity, -Infinity, NaN, 1e308, -1e308, 3.5, -2.25];

  it("equals a·x + b·y in JavaScript bit for bit, odd lengths and special values included", () => {
    const rng = new Rng(3);
    for (const n of [0, 1, 2, 7, 64, 1001]) {
      for (const [a, b] of [
        [3.4445, -4.775],
        [1, 1],
        [-0.5, 0],
        [0, 2.0315],
      ]) {
        const x = Float64Array.from({ length: n }, (_, i) => (i < special.length ? special[i] : rng.normal()));
        const y = Float64Array.from({ length: n }, (_, i) =>
          i % 3 === 0 ? special[(i * 5) % special.length] : rng.normal(),
        );
        const top = mark();
        try {
          const px = alloc(n);
          const py = alloc(n);
          const pout = alloc(n);
          heap().set(x, px >>> 3);
          heap().set(y, py >>> 3);
          kernels.axpby(n, a, px, b, py, pout);
          const out = heap().slice(pout >>> 3, (pout >>> 3) + n);
          for (let i = 0; i < n; i++) expect(Object.is(out[i], a * x[i] + b * y[i])).toBe(true);
          // In place over y, then over x: each entry is read before it is written.
          kernels.axpby(n, a, px, b, py, py);
          expect(Array.from(heap().subarray(py >>> 3, (py >>> 3) + n))).toEqual(Array.from(out));
          heap().set(y, py >>> 3);
          kernels.axpby(n, a, px, b, py, px);
          expect(Array.from(heap().subarray(px >>> 3, (px >>> 3) + n))).toEqual(Array.from(out));
        } finally {
          release(top);
        }
      }
    }
  });
});
