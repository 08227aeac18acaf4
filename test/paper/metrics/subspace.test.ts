import { describe, expect, it } from "vitest";
import { Matrix } from "../../../src/linalg/matrix.js";
import { Rng } from "../../../src/random/rng.js";
import { gaussianMatrix, haarOrthogonal } from "../../../src/random/matrices.js";
import { subspaceDistance } from "../../../src/paper/metrics/subspace.js";

/** Rows of G★ = e₀, e₁ in R^d, and G with row i rotated towards e_{2+i} by angle θᵢ. */
function rotated(d: number, thetas: number[]): { G: Matrix; Gstar: Matrix } {
  const k = thetas.length;
  const Gstar = new Matrix(k, d);
  const G = new Matrix(k, d);
  thetas.forEach((t, i) => {
    Gstar.set(i, i, 1);
    G.set(i, i, Math.cos(t));
    G.set(i, k + i, Math.sin(t));
  });
  return { G, Gstar };
}

/** The same rotation in a random orthonormal frame: G ↦ G Qᵀ, G★ ↦ G★ Qᵀ. */
function inFrame(M: Matrix, Q: Matrix): Matrix {
  const out = new Matrix(M.rows, Q.rows);
  for (let i = 0; i < M.rows; i++)
    for (let j = 0; j < Q.rows; j++) {
      let s = 0;
      for (let t = 0; t < M.cols; t++) s += M.get(i, t) * Q.get(j, t);
      out.set(i, j, s);
    }
  return out;
}

describe("subspace distance", () => {
  it("a rotation by θ has distance sin θ (spectral) and the Frobenius norm of the sines", () => {
    const thetas = [0.3, 1.1, 0.05];
    const { G, Gstar } = rotated(8, thetas);
    const Q = haarOrthogonal(new Rng(4), 8);
    const Gr = inFrame(G, Q);
    const Gs = inFrame(Gstar, Q);
    expect(subspaceDistance(Gr, Gs)).toBeCloseTo(Math.sin(1.1), 12);
    const fro = Math.sqrt(thetas.reduce((a, t) => a + Math.sin(t) ** 2, 0));
    expect(subspaceDistance(Gr, Gs, { norm: "frobenius" })).toBeCloseTo(fro, 12);
  });

  it("depends only on the row space: mixing G's rows by an invertible matrix changes nothing", () => {
    const { G, Gstar } = rotated(6, [0.4, 0.2]);
    const A = Matrix.fromRows([
      [3, 1],
      [-2, 0.5],
    ]);
    const AG = new Matrix(2, 6);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 6; j++) AG.set(i, j, A.get(i, 0) * G.get(0, j) + A.get(i, 1) * G.get(1, j));
    expect(subspaceDistance(AG, Gstar)).toBeCloseTo(Math.sin(0.4), 12);
  });

  it("keeps full relative precision for tiny angles, is 0 at G★ and 1 for orthogonal spaces", () => {
    const { G, Gstar } = rotated(5, [1e-9, 3e-10]);
    expect(subspaceDistance(G, Gstar) / 1e-9).toBeCloseTo(1, 6);
    const orth = rotated(5, [Math.PI / 2, Math.PI / 2]);
    expect(subspaceDistance(orth.G, orth.Gstar)).toBeCloseTo(1, 12);
    const Gs = haarOrthogonal(new Rng(2), 7, 3).transpose();
    expect(subspaceDistance(Gs, Gs)).toBeLessThan(1e-14);
    const random = gaussianMatrix(new Rng(3), 3, 7);
    const d = subspaceDistance(random, Gs);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThanOrEqual(1);
  });

  it("is symmetric for equal dimensions and, for d_h > k, measures whether row(G) contains row(G★)", () => {
    const { G, Gstar } = rotated(8, [0.3, 0.7]); // G has orthonormal rows too
    expect(subspaceDistance(Gstar, G)).toBeCloseTo(subspaceDistance(G, Gstar), 14);
    // Over-parameterised: G★'s rows plus one more direction contain row(G★) exactly.
    const wide = new Matrix(3, 8);
    wide.data.set(Gstar.data, 0);
    wide.set(2, 5, 2);
    wide.set(2, 0, 1);
    expect(subspaceDistance(wide, Gstar)).toBeLessThan(1e-14);
    // Replace one of G★'s rows by a rotated copy: the missed part of row(G★) has sine sin θ.
    const tilted = new Matrix(3, 8);
    tilted.data.set(G.data.subarray(0, 8), 0); // row 0 rotated by 0.3 towards e₂
    tilted.set(1, 1, 1);
    tilted.set(2, 7, 1);
    expect(subspaceDistance(tilted, Gstar)).toBeCloseTo(Math.sin(0.3), 12);
  });

  it("refuses mismatched shapes", () => {
    expect(() => subspaceDistance(new Matrix(2, 5), new Matrix(2, 6))).toThrow(/equal columns/);
  });
});
