import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/random/rng.js";
import { makeLinrepProblem, type LinrepProblemConfig } from "../../../src/paper/linrep/problem.js";
import { LINREP_ALGORITHMS, trainLinrep, type TrainOptions } from "../../../src/experiments/linrep/train.js";

const config: LinrepProblemConfig = {
  dX: 20,
  dY: 6,
  k: 3,
  kappaX: 100,
  kappaF: 3,
  spectrum: "logspaced",
  rotate: true,
  inputs: "rademacher",
  noise: 0.02,
  transfer: { kappaX: 10, kappaF: 2, noise: 0.1, rotate: true },
};

const base: TrainOptions = {
  algorithm: "kfac",
  steps: 300,
  batch: 1000,
  mode: "online",
  lrG: 1,
  lrF: 1,
  damping: 0,
  sampleSplitting: false,
  orthonormalize: false,
  logEvery: 50,
  nTransfer: 200,
  nTest: 1000,
};

describe("trainLinrep", () => {
  const problem = makeLinrepProblem(new Rng(1), config);

  it("KFAC with η_G = 1 reaches distance 1e-2 within 3 steps at κₓ = 100; SGD has not after 300 at any stable step size", () => {
    const kfac = trainLinrep(problem, { ...base, steps: 20, target: 1e-2 }, new Rng(7));
    expect(kfac.diverged).toBe(false);
    expect(kfac.stepsToTarget).not.toBeNull();
    expect(kfac.stepsToTarget!).toBeLessThanOrEqual(3);
    expect(kfac.subspace[kfac.subspace.length - 1]).toBeLessThanOrEqual(1e-2);
    let stable = 0;
    for (const lr of [0.001, 0.003, 0.01, 0.03]) {
      const log = trainLinrep(problem, { ...base, algorithm: "sgd", lrG: lr, lrF: lr, target: 1e-2 }, new Rng(7));
      expect(log.stepsToTarget).toBeNull();
      if (!log.diverged) {
        stable++;
        expect(log.steps[log.steps.length - 1]).toBe(300);
        expect(log.subspace[log.subspace.length - 1]).toBeGreaterThan(1e-2);
      }
    }
    expect(stable).toBeGreaterThanOrEqual(2); // the grid covers the stable range, not only diverging step sizes
  });

  it("every algorithm reduces the subspace distance with a reasonable step size", () => {
    const settings: Record<string, Partial<TrainOptions>> = {
      sgd: { lrG: 0.005, lrF: 0.005 },
      adam: { lrG: 0.01, lrF: 0.01 },
      "sgd-bn": { lrG: 0.01, lrF: 0.01 },
      amd: { lrG: 0.005, orthonormalize: true },
      "one-sided": { lrG: 0.5, lrF: 1 },
      kfac: { lrG: 0.5, lrF: 1 },
      ngd: { lrG: 1, damping: 1e-3 },
    };
    for (const algorithm of LINREP_ALGORITHMS) {
      const log = trainLinrep(
        problem,
        { ...base, algorithm, steps: 150, batch: 400, logEvery: 50, ...settings[algorithm] },
        new Rng(3),
      );
      expect(log.diverged, algorithm).toBe(false);
      expect(log.subspace[log.subspace.length - 1], algorithm).toBeLessThan(0.9 * log.subspace[0]);
      expect(log.loss[log.loss.length - 1], algorithm).toBeLessThan(log.loss[0]);
    }
  });

  it("logs at step 0, every logEvery steps and the last step; transfer every transferEvery steps and at the end", () => {
    const log = trainLinrep(
      problem,
      { ...base, algorithm: "sgd", lrG: 0.003, lrF: 0.003, steps: 7, logEvery: 3, transferEvery: 2 },
      new Rng(2),
    );
    expect(log.steps).toEqual([0, 3, 6, 7]);
    expect(log.loss).toHaveLength(4);
    expect(log.subspaceFrobenius).toHaveLength(4);
    expect(log.transferSteps).toEqual([0, 2, 4, 6, 7]);
    for (let i = 0; i < 4; i++) {
      // Frobenius ≥ spectral ≥ Frobenius/√k.
      expect(log.subspaceFrobenius[i]).toBeGreaterThanOrEqual(log.subspace[i] - 1e-12);
      expect(log.subspaceFrobenius[i]).toBeLessThanOrEqual(Math.sqrt(config.k) * log.subspace[i] + 1e-12);
    }
    const final = trainLinrep(problem, { ...base, steps: 4, logEvery: 2 }, new Rng(2));
    expect(final.transferSteps).toEqual([4]);
    // A converged KFAC representation transfers almost perfectly: the excess is far below the floor ½ d_Y σ_T².
    expect(final.transferExcess[0]).toBeLessThan(0.5 * 0.5 * config.dY * 0.1 ** 2);
  });

  it("stops at the target after logging it", () => {
    const log = trainLinrep(
      problem,
      { ...base, algorithm: "one-sided", lrG: 0.5, steps: 200, target: 0.05 },
      new Rng(4),
    );
    expect(log.stepsToTarget).not.toBeNull();
    expect(log.steps[log.steps.length - 1]).toBe(log.stepsToTarget);
    expect(log.subspace[log.subspace.length - 1]).toBeLessThanOrEqual(0.05);
    expect(log.subspace.slice(0, -1).every((d) => d > 0.05)).toBe(true);
  });

  it("flags divergence, keeping only finite logged values", () => {
    const log = trainLinrep(problem, { ...base, algorithm: "sgd", lrG: 1, lrF: 1, logEvery: 1 }, new Rng(5));
    expect(log.diverged).toBe(true);
    expect(log.steps.length).toBeLessThan(300);
    for (const v of [...log.loss, ...log.subspace]) expect(Number.isFinite(v)).toBe(true);
  });

  it("offline full-batch gradient descent with a small step decreases the training loss monotonically", () => {
    const log = trainLinrep(
      problem,
      {
        ...base,
        algorithm: "sgd",
        mode: "offline",
        nTrain: 300,
        batch: 300,
        lrG: 0.002,
        lrF: 0.002,
        steps: 100,
        logEvery: 5,
      },
      new Rng(6),
    );
    expect(log.diverged).toBe(false);
    for (let i = 1; i < log.loss.length; i++) expect(log.loss[i]).toBeLessThan(log.loss[i - 1]);
  });

  it("offline minibatches and sample splitting: KFAC still converges to the noise-limited floor", () => {
    for (const sampleSplitting of [false, true]) {
      const log = trainLinrep(
        problem,
        {
          ...base,
          mode: "offline",
          nTrain: 800,
          batch: 100,
          damping: 1e-3,
          sampleSplitting,
          lrG: 0.5,
          steps: 30,
          logEvery: 10,
        },
        new Rng(8),
      );
      expect(log.diverged).toBe(false);
      expect(log.subspace[log.subspace.length - 1]).toBeLessThan(0.05);
    }
    const split = trainLinrep(problem, { ...base, steps: 3, sampleSplitting: true }, new Rng(9));
    const joint = trainLinrep(problem, { ...base, steps: 3, sampleSplitting: false }, new Rng(9));
    expect(split.subspace[1]).not.toBe(joint.subspace[1]);
  });

  it("is reproducible from the seed", () => {
    const a = trainLinrep(
      problem,
      { ...base, algorithm: "adam", lrG: 0.01, lrF: 0.01, steps: 20, logEvery: 5 },
      new Rng(10),
    );
    const b = trainLinrep(
      problem,
      { ...base, algorithm: "adam", lrG: 0.01, lrF: 0.01, steps: 20, logEvery: 5 },
      new Rng(10),
    );
    expect(b).toEqual(a);
  });

  it("refuses bad options with a message naming the field", () => {
    const bad = (o: Partial<TrainOptions>) => () => trainLinrep(problem, { ...base, ...o } as TrainOptions, new Rng(1));
    expect(bad({ algorithm: "lbfgs" as never })).toThrow(/algorithm must be one of sgd, adam, .*got lbfgs/);
    expect(bad({ algorithm: "ngd", damping: 0 })).toThrow(/damping must be > 0 for ngd/);
    expect(bad({ lrG: -1 })).toThrow(/lrG must be a finite number > 0, got -1/);
    expect(bad({ hidden: 21 })).toThrow(/hidden must be ≤ dX \(20\), got 21/);
    expect(bad({ batch: 10 })).toThrow(/batch must be ≥ 20 for kfac: an undamped Σ̂ₓ/);
    expect(bad({ mode: "offline" })).toThrow(/nTrain must be an integer ≥ 1, got undefined/);
    expect(bad({ target: 2 })).toThrow(/target must be in \(0, 1\], got 2/);
    expect(bad({ steps: 0 })).toThrow(/steps must be an integer ≥ 1, got 0/);
  });
});
