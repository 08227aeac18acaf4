import { describe, expect, it } from "vitest";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix, haarOrthogonal, rademacherMatrix, uniformMatrix } from "../../src/random/matrices.js";

/** ‖QᵀQ − I‖_max for Q with orthonormal columns, by naive loops. */
function orthogonalityError(q: { rows: number; cols: number; get(i: number, j: number): number }): number {
  let worst = 0;
  for (let a = 0; a < q.cols; a++) {
    for (let b = 0; b < q.cols; b++) {
      let s = 0;
      for (let i = 0; i < q.rows; i++) s += q.get(i, a) * q.get(i, b);
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

describe("random matrices", () => {
  it("have the requested shapes and entry distributions", () => {
    const rng = new Rng(1);
    const g = gaussianMatrix(rng, 300, 200, 2);
    expect([g.rows, g.cols]).toEqual([300, 200]);
    const mean = g.data.reduce((a, b) => a + b, 0) / g.data.length;
    const variance = g.data.reduce((a, b) => a + (b - mean) ** 2, 0) / g.data.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 4)).toBeLessThan(0.05);
    expect(rademacherMatrix(rng, 10, 10).data.every((v) => v === 1 || v === -1)).toBe(true);
    expect(uniformMatrix(rng, 10, 10, -2, 3).data.every((v) => v >= -2 && v < 3)).toBe(true);
  });

  it("Haar orthogonal matrices are orthogonal to machine precision, square and thin", () => {
    const rng = new Rng(2);
    for (const [n, k] of [
      [1, 1],
      [5, 5],
      [50, 50],
      [120, 7],
    ]) {
      const q = haarOrthogonal(rng, n, k);
      expect([q.rows, q.cols]).toEqual([n, k]);
      expect(orthogonalityError(q)).toBeLessThan(1e-13 * n);
    }
    expect(() => haarOrthogonal(rng, 3, 4)).toThrow(/k ≤ n/);
  });

  it("Haar matrices have the Haar moments E[Q₁₁] = 0, E[Q₁₁²] = 1/n, E[tr Q] = 0, E[(tr Q)²] = 1", () => {
    // Without the sign fix of the QR factor the diagonal is biased positive and E[tr Q] > 0 (Mezzadri 2007).
    const rng = new Rng(3);
    const n = 4;
    const trials = 20_000;
    let q11 = 0;
    let q11sq = 0;
    let tr = 0;
    let trSq = 0;
    for (let t = 0; t < trials; t++) {
      const q = haarOrthogonal(rng, n);
      const trace = q.get(0, 0) + q.get(1, 1) + q.get(2, 2) + q.get(3, 3);
      q11 += q.get(0, 0);
      q11sq += q.get(0, 0) ** 2;
      tr += trace;
      trSq += trace * trace;
    }
    expect(Math.abs(q11 / trials)).toBeLessThan(0.015);
    expect(Math.abs(q11sq / trials - 1 / n)).toBeLessThan(0.01);
    expect(Math.abs(tr / trials)).toBeLessThan(0.03);
    expect(Math.abs(trSq / trials - 1)).toBeLessThan(0.05);
  });

  it("is reproducible: the same seed gives the same matrix", () => {
    expect(haarOrthogonal(new Rng(9), 6).data).toEqual(haarOrthogonal(new Rng(9), 6).data);
  });
});
