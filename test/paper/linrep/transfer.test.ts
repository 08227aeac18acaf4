import { describe, expect, it } from "vitest";
import { Matrix } from "../../../src/linalg/matrix.js";
import { Rng } from "../../../src/random/rng.js";
import { makeLinrepProblem, type LinrepProblemConfig } from "../../../src/paper/linrep/problem.js";
import { transferExcess, transferLoss } from "../../../src/paper/linrep/transfer.js";

const config: LinrepProblemConfig = {
  dX: 8,
  dY: 5,
  k: 3,
  kappaX: 10,
  kappaF: 3,
  spectrum: "logspaced",
  rotate: true,
  inputs: "gaussian",
  noise: 0.1,
  transfer: { kappaX: 4, kappaF: 2, noise: 0.5, rotate: true },
};

describe("transfer loss", () => {
  const problem = makeLinrepProblem(new Rng(8), config);
  const task = problem.transferTask;

  it("with G = G★ the excess matches least squares' closed form ½ d_Y σ² k/(n_T − k − 1) (Gaussian inputs)", () => {
    const nT = 40;
    const reps = 300;
    const rng = new Rng(1);
    let mean = 0;
    for (let r = 0; r < reps; r++) mean += transferExcess(problem.Gstar, task, rng, nT, 500) / reps;
    const expected = (0.5 * config.dY * 0.25 * config.k) / (nT - config.k - 1);
    expect(mean / expected).toBeGreaterThan(0.9);
    expect(mean / expected).toBeLessThan(1.1);
  });

  it("the noisy test loss minus the floor ½ d_Y σ_T² agrees with the excess on a large test set", () => {
    const res = transferLoss(problem.Gstar, task, new Rng(2), 200, 40000);
    expect(res.floor).toBeCloseTo(0.5 * config.dY * 0.25, 14);
    expect(Math.abs(res.mse - res.floor - res.excess)).toBeLessThan(0.02 * res.floor);
  });

  it("with isotropic Σ_T a representation orthogonal to G★ leaves the whole signal ½‖F_T‖_F² as excess", () => {
    const iso = makeLinrepProblem(new Rng(8), { ...config, transfer: { ...config.transfer, kappaX: 1 } });
    const task = iso.transferTask;
    // Rows of G orthogonal to row(G★): project random rows off G★.
    const G = new Matrix(config.k, config.dX);
    const rng = new Rng(5);
    for (let t = 0; t < G.data.length; t++) G.data[t] = rng.normal();
    const Gs = iso.Gstar;
    for (let i = 0; i < config.k; i++)
      for (let r = 0; r < config.k; r++) {
        let dot = 0;
        for (let j = 0; j < config.dX; j++) dot += G.get(i, j) * Gs.get(r, j);
        for (let j = 0; j < config.dX; j++) G.set(i, j, G.get(i, j) - dot * Gs.get(r, j));
      }
    // Signal power ½ tr(M Σ Mᵀ) with M = F_T G★, by naive loops.
    const S = task.cov.sigma;
    let signal = 0;
    for (let a = 0; a < config.dY; a++) {
      const m = new Float64Array(config.dX);
      for (let j = 0; j < config.dX; j++)
        for (let c = 0; c < config.k; c++) m[j] += task.Fstar.get(a, c) * Gs.get(c, j);
      for (let i = 0; i < config.dX; i++) for (let j = 0; j < config.dX; j++) signal += 0.5 * m[i] * S.get(i, j) * m[j];
    }
    const excess = transferExcess(G, task, new Rng(6), 400, 20000);
    let fro = 0;
    for (const v of task.Fstar.data) fro += v * v;
    expect(signal).toBeCloseTo(0.5 * fro, 10);
    // Independent features cannot explain any signal; the fitted head only adds its own (small) variance.
    expect(excess / signal).toBeGreaterThan(0.97);
    expect(excess / signal).toBeLessThan(1.05);
  });

  it("refuses too few transfer samples for a least-squares head", () => {
    expect(() => transferExcess(problem.Gstar, task, new Rng(1), 2, 10)).toThrow(/nT must be an integer ≥ d_h \(3\)/);
  });
});
