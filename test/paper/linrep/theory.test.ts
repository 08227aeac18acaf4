/**
 * Checks src/paper/linrep/theory.ts against population (infinite-batch, noise-free) iterations implemented here from
 * the update equations alone: the measured linear rate of the subspace distance must match the exact
 * alternating-scheme rate and respect the joint-GD bound.
 */
import { describe, expect, it } from "vitest";
import { Matrix } from "../../../src/linalg/matrix.js";
import { matmul, inv } from "../../../src/linalg/index.js";
import { Rng, haarOrthogonal, gaussianMatrix } from "../../../src/random/index.js";
import { makeCovariance, spectrum } from "../../../src/random/covariance.js";
import {
  alternatingRate,
  complementFactors,
  contractionFactor,
  jointGradientRateBound,
  predictedStepsToTarget,
  type AlternatingStep,
  type LinrepGeometry,
} from "../../../src/paper/linrep/theory.js";

interface Population {
  sigma: Matrix;
  Gstar: Matrix;
  Fstar: Matrix;
  fSingular: Float64Array;
}

function population(seed: number, d: number, k: number, dY: number, kappaX: number, kappaF: number): Population {
  const rng = new Rng(seed);
  const sigma = makeCovariance(rng, spectrum(d, { kind: "logspaced", kappa: kappaX }), true).sigma;
  const Gstar = haarOrthogonal(rng, d, k).transpose();
  const fSingular = spectrum(k, { kind: "logspaced", kappa: kappaF });
  const U = haarOrthogonal(rng, dY, k);
  const V = haarOrthogonal(rng, k, k);
  const Fstar = matmul(matmul(U, Matrix.diag(fSingular)), V, { transB: true });
  return { sigma, Gstar, Fstar, fSingular };
}

const lin = (a: number, A: Matrix, b: number, B: Matrix): Matrix =>
  new Matrix(
    A.rows,
    A.cols,
    A.data.map((v, i) => a * v + b * B.data[i]),
  );

/** Population least-squares head F = F★G★ΣGᵀ(GΣGᵀ)⁻¹. */
function lsHead(p: Population, G: Matrix): Matrix {
  const sGt = matmul(p.sigma, G, { transB: true });
  return matmul(matmul(matmul(p.Fstar, p.Gstar), sGt), inv(matmul(G, sGt)));
}

/** ∇_G L = Fᵀ(FG − F★G★)Σ and the residual R = FG − F★G★. */
function residual(p: Population, F: Matrix, G: Matrix): Matrix {
  return lin(1, matmul(F, G), -1, matmul(p.Fstar, p.Gstar));
}

/** One G step of eq. 5 with preconditioners P (left) and Q (right), then the least-squares head. */
function alternatingStep(p: Population, G: Matrix, F: Matrix, step: AlternatingStep): { G: Matrix; F: Matrix } {
  let grad = matmul(matmul(F, residual(p, F, G), { transA: true }), p.sigma);
  if (step.left === "gauss-newton") grad = matmul(inv(matmul(F, F, { transA: true })), grad);
  if (step.right === "covariance") {
    const q = p.sigma.clone();
    for (let i = 0; i < q.rows; i++) q.data[i * q.rows + i] += step.damping ?? 0;
    grad = matmul(grad, inv(q));
  }
  const Gn = lin(1, G, -step.eta, grad);
  return { G: Gn, F: lsHead(p, Gn) };
}

/** Joint gradient descent on (F, G) with one step size. */
function jointStep(p: Population, G: Matrix, F: Matrix, eta: number): { G: Matrix; F: Matrix } {
  const R = residual(p, F, G);
  const gG = matmul(matmul(F, R, { transA: true }), p.sigma);
  const gF = matmul(matmul(R, p.sigma), G, { transB: true });
  return { G: lin(1, G, -eta, gG), F: lin(1, F, -eta, gF) };
}

/** Spectral subspace distance ‖(I − G★ᵀG★)U‖₂, U an orthonormal basis of row(G) by Gram–Schmidt. */
function distance(G: Matrix, Gstar: Matrix): number {
  const { rows: k, cols: d } = G;
  const U = G.clone();
  for (let i = 0; i < k; i++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += U.data[i * d + c] * U.data[j * d + c];
        for (let c = 0; c < d; c++) U.data[i * d + c] -= dot * U.data[j * d + c];
      }
    }
    let n = 0;
    for (let c = 0; c < d; c++) n += U.data[i * d + c] ** 2;
    for (let c = 0; c < d; c++) U.data[i * d + c] /= Math.sqrt(n);
  }
  // M = U − (U G★ᵀ) G★ (rows of U projected off row(G★)); ‖M‖₂² = λ_max(M Mᵀ) by power iteration.
  const M = lin(1, U, -1, matmul(matmul(U, Gstar, { transB: true }), Gstar));
  const MMt = matmul(M, M, { transB: true });
  let v = new Float64Array(k).fill(1);
  let lambda = 0;
  for (let it = 0; it < 500; it++) {
    const w = new Float64Array(k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) w[i] += MMt.data[i * k + j] * v[j];
    const n = Math.hypot(...w);
    if (n === 0) return 0;
    lambda = n;
    v = w.map((x) => x / n);
  }
  return Math.sqrt(lambda);
}

/** Starts near the solution, G = G★ + ε·(complement noise), F the least-squares head. */
function nearSolution(p: Population, seed: number, eps = 1e-3): { G: Matrix; F: Matrix } {
  const noise = gaussianMatrix(new Rng(seed), p.Gstar.rows, p.Gstar.cols, eps);
  const proj = matmul(matmul(noise, p.Gstar, { transB: true }), p.Gstar);
  const G = lin(1, p.Gstar, 1, lin(1, noise, -1, proj));
  return { G, F: lsHead(p, G) };
}

/** Runs `step` until the distance falls below 1e-10 (or maxSteps) and returns the geometric-mean rate over the second half. */
function measuredRate(
  p: Population,
  start: { G: Matrix; F: Matrix },
  step: (G: Matrix, F: Matrix) => { G: Matrix; F: Matrix },
  maxSteps: number,
): number {
  let { G, F } = start;
  const dist = [distance(G, p.Gstar)];
  while (dist.length <= maxSteps && dist[dist.length - 1] > 1e-10) {
    ({ G, F } = step(G, F));
    dist.push(distance(G, p.Gstar));
  }
  const t1 = dist.length - 1;
  const t0 = Math.floor(t1 / 2);
  return Math.pow(dist[t1] / dist[t0], 1 / (t1 - t0));
}

const geometry = (p: Population): LinrepGeometry => ({
  sigma: p.sigma,
  Gstar: p.Gstar,
  headSingularValues: p.fSingular,
});

describe("alternating-scheme rate (exact, population)", () => {
  const p = population(11, 10, 2, 5, 20, 2);
  const sMax = 2; // σ_max(F★) = κ_F
  const cases: { name: string; step: AlternatingStep; maxSteps: number }[] = [
    {
      name: "SGD step on G (amd)",
      step: { eta: 1 / (sMax * sMax * 20), left: "identity", right: "identity" },
      maxSteps: 3000,
    },
    {
      name: "one-sided, λ = 0",
      step: { eta: 0.6 / (sMax * sMax), left: "identity", right: "covariance" },
      maxSteps: 600,
    },
    {
      name: "one-sided, λ = 2",
      step: { eta: 0.6 / (sMax * sMax), left: "identity", right: "covariance", damping: 2 },
      maxSteps: 3000,
    },
    { name: "kfac, λ = 0, η = 0.4", step: { eta: 0.4, left: "gauss-newton", right: "covariance" }, maxSteps: 200 },
    {
      name: "kfac, λ = 1, η = 0.9",
      step: { eta: 0.9, left: "gauss-newton", right: "covariance", damping: 1 },
      maxSteps: 3000,
    },
  ];
  for (const { name, step, maxSteps } of cases) {
    it(`${name}: measured rate matches max |1 − η mᵢ νⱼ| within 3% in log-rate`, () => {
      const theory = alternatingRate(geometry(p), step);
      expect(theory.kind).toBe("exact");
      const measured = measuredRate(p, nearSolution(p, 5), (G, F) => alternatingStep(p, G, F, step), maxSteps);
      expect(Math.abs(Math.log(measured) / Math.log(theory.rate) - 1)).toBeLessThan(0.03);
    });
  }

  it("the rate is set by the Schur complement of Σ, not by Σ restricted to the complement", () => {
    const step: AlternatingStep = { eta: 1 / (sMax * sMax * 20), left: "identity", right: "identity" };
    const measured = measuredRate(p, nearSolution(p, 5), (G, F) => alternatingStep(p, G, F, step), 3000);
    // The naive guess: eigenvalues of Σ₂₂ = G⊥ΣG⊥ᵀ, obtained as Schur complement factors of a Σ whose
    // off-diagonal block is dropped — equivalently complementFactors with Q⁻¹ = identity on an axis-aligned copy.
    const naive = contractionFactor(
      step.eta,
      p.fSingular.map((s) => s * s),
      restrictedSpectrum(p),
    );
    const exact = alternatingRate(geometry(p), step).rate;
    expect(Math.abs(Math.log(measured / exact))).toBeLessThan(Math.abs(Math.log(measured / naive)) / 3);
  });

  it("kfac at λ = 0 gives |1 − η| whatever the condition numbers; one-sided at λ = 0 gives max |1 − η σᵢ²|", () => {
    const q = population(3, 12, 3, 6, 1000, 10);
    const g = geometry(q);
    for (const eta of [0.3, 1, 1.5]) {
      expect(alternatingRate(g, { eta, left: "gauss-newton", right: "covariance" }).rate).toBeCloseTo(
        Math.abs(1 - eta),
        8,
      );
      const expected = Math.max(...Array.from(q.fSingular, (s) => Math.abs(1 - eta * s * s)));
      expect(alternatingRate(g, { eta, left: "identity", right: "covariance" }).rate).toBeCloseTo(expected, 8);
    }
  });

  it("complement factors of an axis-aligned Σ with G★ on the first axes are Σ's remaining eigenvalues", () => {
    const s = [9, 7, 5, 3, 2, 1];
    const sigma = Matrix.diag(s);
    const Gstar = Matrix.fromRows([
      [1, 0, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0],
    ]);
    expect(Array.from(complementFactors(sigma, Gstar, "identity"))).toEqual(
      [1, 2, 3, 5].map((v) => expect.closeTo(v, 10)),
    );
    // Q = Σ + λI: νⱼ = sⱼ/(sⱼ + λ).
    expect(Array.from(complementFactors(sigma, Gstar, "covariance", 1))).toEqual(
      [1, 2, 3, 5].map((v) => expect.closeTo(v / (v + 1), 10)),
    );
  });
});

/** Eigenvalues of G⊥ΣG⊥ᵀ (Σ restricted to the complement, ignoring the coupling), via an axis-aligned rotation. */
function restrictedSpectrum(p: Population): Float64Array {
  // Build Σ' = P★ΣP★ + P⊥ΣP⊥ (drop the cross blocks): its Schur complement on the complement is Σ₂₂.
  const d = p.sigma.rows;
  const pStar = matmul(p.Gstar, p.Gstar, { transA: true });
  const pPerp = lin(1, Matrix.identity(d), -1, pStar);
  const diagBlocks = lin(1, matmul(matmul(pStar, p.sigma), pStar), 1, matmul(matmul(pPerp, p.sigma), pPerp));
  return complementFactors(diagBlocks, p.Gstar, "identity");
}

describe("joint gradient descent (lower bound)", () => {
  it("contracts the subspace distance no faster than 1 − η σ_min(F)² μ_min", () => {
    const p = population(21, 10, 2, 5, 10, 2);
    const eta = 1 / (4 * 10 * 1.5);
    const bound = jointGradientRateBound(geometry(p), eta);
    expect(bound.kind).toBe("lower-bound");
    const start = nearSolution(p, 9);
    const measured = measuredRate(p, { G: start.G, F: p.Fstar }, (G, F) => jointStep(p, G, F, eta), 4000);
    expect(measured).toBeLessThan(1);
    expect(measured).toBeGreaterThanOrEqual(bound.rate - 1e-4);
  });
});

describe("predictedStepsToTarget", () => {
  it("is the ceiling of log(target/d₀)/log ρ, with the edge cases", () => {
    expect(predictedStepsToTarget(0.5, 1, 0.05)).toBe(5); // 0.5⁴ = 0.0625 > 0.05 ≥ 0.5⁵
    expect(predictedStepsToTarget(0.9, 0.8, 0.05)).toBe(Math.ceil(Math.log(0.05 / 0.8) / Math.log(0.9)));
    expect(predictedStepsToTarget(0, 1, 0.05)).toBe(1);
    expect(predictedStepsToTarget(1, 1, 0.05)).toBeNull();
    expect(predictedStepsToTarget(0.5, 0.01, 0.05)).toBe(0);
  });
});
