import { describe, expect, it } from "vitest";
import { allFinite } from "../../src/optim/transforms/params.js";

/** The definition, entry by entry. */
const naiveAllFinite = (data: Float64Array): boolean => data.every((x) => Number.isFinite(x));

describe("allFinite", () => {
  it("agrees with Number.isFinite entry by entry for every length and position of a bad entry", () => {
    for (let n = 0; n <= 9; n++) {
      const clean = Float64Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (i * 30));
      expect(allFinite(clean)).toBe(naiveAllFinite(clean));
      for (let at = 0; at < n; at++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const data = clean.slice();
          data[at] = bad;
          expect(allFinite(data), `n ${n}, entry ${at} = ${bad}`).toBe(false);
        }
      }
    }
  });

  it("is true for finite entries whose sum overflows, and for signed zeros and subnormals", () => {
    const huge = new Float64Array(8).fill(Number.MAX_VALUE);
    expect(allFinite(huge)).toBe(true);
    expect(allFinite(Float64Array.from([-0, 0, Number.MIN_VALUE, -Number.MAX_VALUE, 5e-324]))).toBe(true);
  });
});
