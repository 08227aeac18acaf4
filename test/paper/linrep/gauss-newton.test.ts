import { describe, expect, it } from "vitest";
import { Matrix } from "../../../src/linalg/matrix.js";
import { Rng } from "../../../src/random/rng.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { linearNetGradients } from "../../../src/paper/linrep/linear-net.js";
import { gaussNewtonStep, twoLayerGaussNewton } from "../../../src/paper/linrep/gauss-newton.js";

describe("full Gauss–Newton for the two-layer linear network", () => {
  const rng = new Rng(41);
  const [n, dX, dH, dY] = [9, 4, 2, 3];
  const X = gaussianMatrix(rng, n, dX);
  const Y = gaussianMatrix(rng, n, dY);
  const G = gaussianMatrix(rng, dH, dX);
  const F = gaussianMatrix(rng, dY, dH);
  const nF = dY * dH;
  const N = nF + dH * dX;
  const M = twoLayerGaussNewton(G, F, X);

  it("equals JᵀJ/n built from the per-sample Jacobians of the outputs", () => {
    // ŷ_i = F G x_i: ∂ŷ_ie/∂F_ab = δ_ea (G x_i)_b, ∂ŷ_ie/∂G_cd = F_ec x_id.
    const ref = new Matrix(N, N);
    for (let i = 0; i < n; i++) {
      const z = new Float64Array(dH);
      for (let b = 0; b < dH; b++) for (let d = 0; d < dX; d++) z[b] += G.get(b, d) * X.get(i, d);
      for (let e = 0; e < dY; e++) {
        const J = new Float64Array(N);
        for (let b = 0; b < dH; b++) J[e * dH + b] = z[b];
        for (let c = 0; c < dH; c++) for (let d = 0; d < dX; d++) J[nF + c * dX + d] = F.get(e, c) * X.get(i, d);
        for (let p = 0; p < N; p++) for (let q = 0; q < N; q++) ref.data[p * N + q] += (J[p] * J[q]) / n;
      }
    }
    for (let t = 0; t < N * N; t++) expect(M.data[t]).toBeCloseTo(ref.data[t], 12);
  });

  it("its G block is FᵀF ⊗ Σ̂ₓ: KFAC's two factors are exact for this model", () => {
    for (let c = 0; c < dH; c++)
      for (let d = 0; d < dX; d++)
        for (let c2 = 0; c2 < dH; c2++)
          for (let d2 = 0; d2 < dX; d2++) {
            let ftf = 0;
            for (let a = 0; a < dY; a++) ftf += F.get(a, c) * F.get(a, c2);
            let sxx = 0;
            for (let i = 0; i < n; i++) sxx += (X.get(i, d) * X.get(i, d2)) / n;
            expect(M.get(nF + c * dX + d, nF + c2 * dX + d2)).toBeCloseTo(ftf * sxx, 12);
          }
  });

  it("annihilates the symmetry directions (F A, −A G): a d_h²-dimensional null space", () => {
    for (let r = 0; r < dH; r++)
      for (let s = 0; s < dH; s++) {
        // A = e_r e_sᵀ: (F A)_{ab} = F_ar δ_bs, (A G)_{cd} = δ_cr G_sd.
        const v = new Float64Array(N);
        for (let a = 0; a < dY; a++) v[a * dH + s] = F.get(a, r);
        for (let d = 0; d < dX; d++) v[nF + r * dX + d] = -G.get(s, d);
        for (let p = 0; p < N; p++) {
          let mv = 0;
          for (let q = 0; q < N; q++) mv += M.get(p, q) * v[q];
          expect(Math.abs(mv)).toBeLessThan(1e-12);
        }
      }
  });

  it("a damped step solves (JᵀJ/n + λI) δ = ∇θ and θ₊ = θ − ηδ", () => {
    const [eta, lambda] = [0.5, 0.1];
    const step = gaussNewtonStep({ G, F }, { X, Y }, { eta, damping: lambda });
    const { dF, dG } = linearNetGradients({ G, F }, X, Y);
    const delta = new Float64Array(N);
    for (let t = 0; t < nF; t++) delta[t] = (F.data[t] - step.F.data[t]) / eta;
    for (let t = 0; t < dH * dX; t++) delta[nF + t] = (G.data[t] - step.G.data[t]) / eta;
    const grad = [...dF.data, ...dG.data];
    for (let p = 0; p < N; p++) {
      let s = lambda * delta[p];
      for (let q = 0; q < N; q++) s += M.get(p, q) * delta[q];
      expect(s).toBeCloseTo(grad[p], 10);
    }
  });

  it("refuses no damping (the matrix is singular) and a non-positive step size", () => {
    expect(() => gaussNewtonStep({ G, F }, { X, Y }, { eta: 1, damping: 0 })).toThrow(
      /damping must be a finite number > 0, got 0/,
    );
    expect(() => gaussNewtonStep({ G, F }, { X, Y }, { eta: -1, damping: 1 })).toThrow(/eta must be/);
  });
});
