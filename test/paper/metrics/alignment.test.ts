import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/random/index.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { svd } from "../../../src/linalg/index.js";
import { Matrix } from "../../../src/linalg/matrix.js";
import { alignment, spikeAlignment, topSingular } from "../../../src/paper/metrics/alignment.js";

describe("alignment metrics", () => {
  it("alignment is |cos| of the angle", () => {
    expect(alignment([1, 0], [-3, 0])).toBe(1);
    expect(alignment([1, 1], [1, 0])).toBeCloseTo(Math.SQRT1_2, 15);
    expect(alignment([0, 0], [1, 0])).toBe(0);
  });

  it("topSingular agrees with the SVD for tall and wide matrices", () => {
    for (const [m, n] of [
      [30, 8],
      [6, 20],
    ]) {
      const M = gaussianMatrix(new Rng(m * n), m, n);
      const ref = svd(M);
      const top = topSingular(M, 2);
      for (let i = 0; i < 2; i++) {
        expect(top.values[i]).toBeCloseTo(ref.S[i], 10);
        expect(alignment(top.vectors[i], ref.V.col(i))).toBeCloseTo(1, 10);
      }
    }
  });

  it("finds a planted rank-one spike and its strength", () => {
    const N = 60;
    const d = 20;
    const rng = new Rng(5);
    const bulk = gaussianMatrix(rng, N, d, 0.01);
    const a = Float64Array.from({ length: N }, () => rng.normal());
    const v = Float64Array.from({ length: d }, (_, i) => (i === 3 ? 1 : 0));
    const M = new Matrix(N, d);
    for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) M.set(i, j, a[i] * v[j] + bulk.get(i, j));
    const other = Float64Array.from({ length: d }, (_, i) => (i === 3 || i === 4 ? 1 : 0));
    const s = spikeAlignment(M, v, other);
    expect(s.alignment).toBeGreaterThan(0.999);
    expect(s.alignmentSigmaBeta).toBeCloseTo(Math.SQRT1_2, 2);
    expect(s.spikeStrength).toBeGreaterThan(20);
  });
});
