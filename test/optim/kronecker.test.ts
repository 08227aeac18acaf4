import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/linalg/matrix.js";
import { Rng } from "../../src/random/rng.js";
import { gaussianMatrix } from "../../src/random/matrices.js";
import { kroneckerPrecondition } from "../../src/optim/kronecker.js";

/** A random SPD matrix M Mᵀ + I/10. */
function spd(rng: Rng, n: number): Matrix {
  const M = gaussianMatrix(rng, n, n);
  const S = new Matrix(n, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? 0.1 : 0;
      for (let t = 0; t < n; t++) s += M.get(i, t) * M.get(j, t);
      S.set(i, j, s);
    }
  return S;
}

/** Solves a dense system by Gaussian elimination (the test's own reference). */
function gaussSolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((r, i) => r[n] / r[i]);
}

describe("Kronecker-factored preconditioning", () => {
  it("equals the explicit Kronecker solve (B ⊗ A + ...)⁻¹ vec(∇) with damped factors", () => {
    const rng = new Rng(12);
    const [p, q] = [3, 4];
    const A = spd(rng, p);
    const B = spd(rng, q);
    const grad = gaussianMatrix(rng, p, q);
    const [la, lb] = [0.3, 0.7];
    const out = kroneckerPrecondition(grad, { left: A, right: B, leftDamping: la, rightDamping: lb });
    // (A+λ_a I) Δ (B+λ_b I) = ∇ is linear in Δ: vec_row(A' Δ B') = (A' ⊗ B'ᵀ) vec_row(Δ); B' symmetric.
    const K: number[][] = [];
    for (let i = 0; i < p; i++)
      for (let j = 0; j < q; j++) {
        const row: number[] = [];
        for (let i2 = 0; i2 < p; i2++)
          for (let j2 = 0; j2 < q; j2++)
            row.push((A.get(i, i2) + (i === i2 ? la : 0)) * (B.get(j2, j) + (j === j2 ? lb : 0)));
        K.push(row);
      }
    const ref = gaussSolve(K, Array.from(grad.data));
    for (let t = 0; t < ref.length; t++) expect(out.data[t]).toBeCloseTo(ref[t], 10);
  });

  it("with no factors is the identity (a copy), and one factor acts on one side only", () => {
    const rng = new Rng(13);
    const grad = gaussianMatrix(rng, 2, 3);
    const same = kroneckerPrecondition(grad, {});
    expect(same).not.toBe(grad);
    expect(Array.from(same.data)).toEqual(Array.from(grad.data));
    const D = Matrix.diag([2, 4]);
    const left = kroneckerPrecondition(grad, { left: D });
    for (let j = 0; j < 3; j++) {
      expect(left.get(0, j)).toBeCloseTo(grad.get(0, j) / 2, 14);
      expect(left.get(1, j)).toBeCloseTo(grad.get(1, j) / 4, 14);
    }
    const right = kroneckerPrecondition(grad, { right: Matrix.diag([1, 2, 5]), rightDamping: 1 });
    for (let i = 0; i < 2; i++) expect(right.get(i, 2)).toBeCloseTo(grad.get(i, 2) / 6, 14);
  });

  it("refuses factors of the wrong size and singular undamped factors", () => {
    const grad = new Matrix(2, 3);
    expect(() => kroneckerPrecondition(grad, { left: Matrix.identity(3) })).toThrow(/left factor is 3×3, need 2×2/);
    expect(() => kroneckerPrecondition(grad, { right: new Matrix(3, 3) })).toThrow(/positive definite/);
  });
});
