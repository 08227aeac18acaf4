import { naiveMatmul as mul } from "../../helpers/naive.js";
import { describe, expect, it } from "vitest";
import { Matrix } from "../../../src/linalg/matrix.js";
import { inv } from "../../../src/linalg/lu.js";
import { Rng } from "../../../src/random/rng.js";
import { gaussianMatrix } from "../../../src/random/matrices.js";
import { makeLinrepProblem, type LinrepProblemConfig } from "../../../src/paper/linrep/problem.js";
import { ridge } from "../../../src/paper/metrics/regression.js";
import { subspaceDistance } from "../../../src/paper/metrics/subspace.js";
import { linearNetGradients } from "../../../src/paper/linrep/linear-net.js";
import {
  alternatingStep,
  amdStep,
  headStep,
  leastSquaresHead,
  representationStep,
} from "../../../src/paper/linrep/alternating.js";

function scaled(A: Matrix, s: number): Matrix {
  return new Matrix(
    A.rows,
    A.cols,
    A.data.map((v) => v * s),
  );
}

function expectClose(A: Matrix, B: Matrix, tol: number): void {
  expect(A.shape()).toBe(B.shape());
  let worst = 0;
  for (let t = 0; t < A.data.length; t++)
    worst = Math.max(worst, Math.abs(A.data[t] - B.data[t]) / (1 + Math.abs(B.data[t])));
  expect(worst).toBeLessThan(tol);
}

const config: LinrepProblemConfig = {
  dX: 7,
  dY: 5,
  k: 2,
  kappaX: 30,
  kappaF: 5,
  spectrum: "logspaced",
  rotate: true,
  inputs: "rademacher",
  noise: 0.2,
  transfer: { kappaX: 1, kappaF: 1, noise: 0, rotate: false },
};

describe("equation-5 family on the linear network", () => {
  const problem = makeLinrepProblem(new Rng(31), config);
  const rng = new Rng(32);
  const batch = problem.sample(rng, 60);
  const n = 60;
  const G = gaussianMatrix(rng, 2, 7);
  const F = gaussianMatrix(rng, 5, 2);
  const Sxx = scaled(mul(batch.X, batch.X, true), 1 / n);
  const Syx = scaled(mul(batch.Y, batch.X, true), 1 / n);

  it("with η_F = 1 and Q_F = Σ̂_z the head step is the least-squares head", () => {
    const head = headStep(G, F, batch, { eta: 1, right: "hidden" });
    const ls = ridge(mul(batch.X, G, false, true), batch.Y, 0).transpose();
    expectClose(head, ls, 1e-10);
    expectClose(leastSquaresHead(G, batch), ls, 1e-12);
  });

  it("KFAC (P_G = FᵀF, Q_G = Σ̂ₓ, λ = 0) gives G₊ = (1−η)G + η (FᵀF)⁻¹Fᵀ Σ̂_yx Σ̂ₓ⁻¹", () => {
    const eta = 0.7;
    const { G: next } = representationStep(G, F, batch, { eta, left: "backward", right: "input", damping: 0 });
    const target = mul(mul(mul(inv(mul(F, F, true)), F, false, true), Syx), inv(Sxx));
    const expected = new Matrix(2, 7);
    for (let t = 0; t < expected.data.length; t++) expected.data[t] = (1 - eta) * G.data[t] + eta * target.data[t];
    expectClose(next, expected, 1e-9);
  });

  it("one-sided (P_G = I, Q_G = Σ̂ₓ + λI) satisfies (G − G₊)(Σ̂ₓ + λI) = η ∇_G L̂", () => {
    const [eta, lambda] = [0.3, 0.05];
    const { G: next } = representationStep(G, F, batch, { eta, left: "identity", right: "input", damping: lambda });
    const diff = new Matrix(
      2,
      7,
      G.data.map((v, t) => v - next.data[t]),
    );
    const lhs = mul(diff, Sxx);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 7; j++) lhs.set(i, j, lhs.get(i, j) + lambda * diff.get(i, j));
    const { dG } = linearNetGradients({ G, F }, batch.X, batch.Y);
    expectClose(lhs, scaled(dG, eta), 1e-10);
  });

  it("SGD (P = Q = I) is a plain gradient step on G, then on F at G₊", () => {
    const batchF = problem.sample(rng, 40);
    const step = alternatingStep({ G, F }, batch, batchF, {
      eta: 0.01,
      left: "identity",
      right: "identity",
      damping: 0,
      etaF: 0.02,
      headRight: "identity",
    });
    const { dG } = linearNetGradients({ G, F }, batch.X, batch.Y);
    const G1 = new Matrix(
      2,
      7,
      G.data.map((v, t) => v - 0.01 * dG.data[t]),
    );
    expectClose(step.G, G1, 1e-14);
    const { dF } = linearNetGradients({ G: G1, F }, batchF.X, batchF.Y);
    expectClose(
      step.F,
      new Matrix(
        5,
        2,
        F.data.map((v, t) => v - 0.02 * dF.data[t]),
      ),
      1e-14,
    );
  });

  it("noise-free KFAC with η_G = 1 recovers row(G★) in one step from any G, whatever κₓ and κ_F", () => {
    const clean = makeLinrepProblem(new Rng(33), { ...config, noise: 0, kappaX: 1000, kappaF: 10 });
    const b = clean.sample(new Rng(34), 40);
    const { G: next } = representationStep(G, F, b, { eta: 1, left: "backward", right: "input", damping: 0 });
    expect(subspaceDistance(G, clean.Gstar)).toBeGreaterThan(0.5);
    expect(subspaceDistance(next, clean.Gstar)).toBeLessThan(1e-9);
  });

  it("alternating minimisation–descent: least-squares head, gradient step on G, orthonormal rows after QR", () => {
    const plain = amdStep({ G, F }, batch, batch, { eta: 0.05, orthonormalize: false });
    const ortho = amdStep({ G, F }, batch, batch, { eta: 0.05, orthonormalize: true });
    expectClose(plain.F, leastSquaresHead(G, batch), 1e-14);
    // Re-orthonormalisation is a reparametrisation: the network F G is unchanged.
    expectClose(mul(ortho.F, ortho.G), mul(plain.F, plain.G), 1e-12);
    const GGt = mul(ortho.G, ortho.G, false, true);
    expectClose(GGt, Matrix.identity(2), 1e-12);
    expect(subspaceDistance(plain.G, ortho.G)).toBeLessThan(1e-12); // ortho.G has orthonormal rows
    const { G: manual } = representationStep(G, plain.F, batch, {
      eta: 0.05,
      left: "identity",
      right: "identity",
      damping: 0,
    });
    expectClose(plain.G, manual, 1e-14);
  });
});
