/**
 * `anisotropy`: its config (defaults, refusals, exit code 2 through the CLI), the κ map as a trial sees it, and a
 * tiny end-to-end sweep on the embedded MNIST digits checking the summary, the figures and the paper's two
 * expectations (KFAC flat in κ, SGD slower or not reaching the target at κ = 1000 with the κ = 1 step size).
 */
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { anisotropy } from "../../../src/experiments/anisotropy/index.js";
import { anisotropyData } from "../../../src/experiments/anisotropy/data.js";
import { compareCandidates } from "../../../src/experiments/anisotropy/trial.js";
import { stepsSpread } from "../../../src/experiments/anisotropy/summary.js";
import { evaluateClaims } from "../../../src/results/claims.js";
import type { AnisotropyConfig } from "../../../src/experiments/anisotropy/schema.js";
import { experiments } from "../../../src/experiments/index.js";
import type { Experiment } from "../../../src/experiments/types.js";
import { gram, matmul } from "../../../src/linalg/blas.js";
import { eigh } from "../../../src/linalg/eigh.js";
import { solve } from "../../../src/linalg/lu.js";
import { Matrix } from "../../../src/linalg/matrix.js";
import { cli, tempDir } from "../../cli/helpers.js";
import { refusals, runSweep } from "../../helpers/in-process.js";

const e = anisotropy as unknown as Experiment<unknown, unknown>;

describe("anisotropy config", () => {
  it("has the issue's defaults and is registered", () => {
    const c = anisotropy.schema.parse({}) as AnisotropyConfig;
    expect(c.kappa).toEqual([1, 10, 100, 1000]);
    expect(c.optimizer).toEqual(["sgd", "adam", "kfac", "shampoo", "muon"]);
    expect(c).toMatchObject({ pcaDims: 64, hidden: [256], rotate: false, tuneAt: "kappa1" });
    expect(anisotropy.sweepable).toEqual(["optimizer", "kappa"]);
    expect(experiments.map((x) => x.name)).toContain("anisotropy");
    expect(anisotropy.schema.safeParse(anisotropy.quick).success).toBe(true);
  });

  it("refuses κ < 1, pcaDims above the input dimension or the examples, and empty lists, naming the field", () => {
    expect(refusals(e, { kappa: [1, 0.5] })).toMatch(/^kappa\.1: condition number must be ≥ 1, got 0\.5/m);
    expect(refusals(e, { pcaDims: 785 })).toMatch(/^pcaDims: must be ≤ 784, got 785/m);
    expect(refusals(e, { dataset: "mnist", trainSize: 50, pcaDims: 64 })).toMatch(
      /^pcaDims: pcaDims 64 needs more than 64 training examples; trainSize is 50, so allowed 1…49/m,
    );
    expect(refusals(e, { kappa: [] })).toMatch(/^kappa: needs at least one condition number/m);
    expect(refusals(e, { optimizer: [] })).toMatch(/^optimizer: needs at least one optimizer/m);
    expect(refusals(e, { optimizer: ["sgd", "lbfgs"] })).toMatch(/^optimizer\.1: /m);
    expect(refusals(e, { dataset: "mnist", trainSize: 500, trainEvalSize: 600 })).toMatch(
      /^trainEvalSize: trainEvalSize 600 exceeds trainSize 500/m,
    );
  });

  it("exits with code 2 on those configs through the CLI, before creating the output directory", async () => {
    const tmp = tempDir("anisotropy");
    try {
      for (const [set, pattern] of [
        ["kappa=0.5,10", /kappa\[0\]/],
        ["pcaDims=1000", /pcaDims/],
        ["kappa=", /kappa/],
      ] as const) {
        const out = join(tmp.dir, "out");
        const r = await cli(["run", "anisotropy", "--set", "dataset=mnist", "--set", set, "--out", out]);
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr).toMatch(pattern);
        expect(existsSync(out)).toBe(false);
      }
    } finally {
      tmp.cleanup();
    }
  });
});

/** The covariance ZᵀZ/n of rows that are centred (the map centres the training split). */
function covariance(z: Matrix): Matrix {
  const c = gram(z);
  for (let i = 0; i < c.data.length; i++) c.data[i] /= z.rows;
  return c;
}

/** Least-squares one-vs-all linear classifier with a bias (normal equations); its argmax predictions on `test`. */
function linearPredictions(train: Matrix, labels: Int32Array, test: Matrix): number[] {
  const withBias = (x: Matrix) => {
    const out = new Matrix(x.rows, x.cols + 1);
    for (let i = 0; i < x.rows; i++) {
      for (let j = 0; j < x.cols; j++) out.set(i, j, x.get(i, j));
      out.set(i, x.cols, 1);
    }
    return out;
  };
  const a = withBias(train);
  const y = new Matrix(train.rows, 10);
  labels.forEach((c, i) => y.set(i, c, 1));
  const w = solve(gram(a), matmul(a, y, { transA: true }));
  const scores = matmul(withBias(test), w);
  return Array.from({ length: test.rows }, (_, i) => {
    const row = Array.from(scores.row(i));
    return row.indexOf(Math.max(...row));
  });
}

describe("the κ map as a trial sees it", () => {
  const fields = {
    dataset: "mnist" as const,
    trainSize: 1000,
    testSize: 300,
    dataSeed: 0,
    pcaDims: 16,
    rotate: true,
    rotationSeed: 4,
    normalize: "none" as const,
    trainEvalSize: 200,
  };

  it("gives the training covariance condition number κ (within 1%) and leaves a linear classifier unchanged", async () => {
    const plain = await anisotropyData({ ...fields, kappa: 1 });
    const reference = linearPredictions(plain.splits.train.x, plain.splits.train.y, plain.splits.test.x);
    const correct = reference.filter((p, i) => p === plain.splits.test.y[i]).length / reference.length;
    expect(correct).toBeGreaterThan(0.6); // a working classifier, so equality below means something
    for (const kappa of [10, 1000]) {
      const { splits, trainEval } = await anisotropyData({ ...fields, kappa });
      expect(splits.train.x.shape()).toBe("1000×16");
      expect(trainEval.x.rows).toBe(200);
      const { values } = eigh(covariance(splits.train.x));
      expect(values[15] / values[0]).toBeGreaterThan(kappa * 0.99);
      expect(values[15] / values[0]).toBeLessThan(kappa * 1.01);
      expect(linearPredictions(splits.train.x, splits.train.y, splits.test.x)).toEqual(reference);
    }
  });

  it("normalize=trace rescales to mean input variance 1 and keeps the condition number", async () => {
    const { splits } = await anisotropyData({ ...fields, normalize: "trace", kappa: 1000 });
    const { values } = eigh(covariance(splits.train.x));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(1, 10);
    expect(values[15] / values[0]).toBeCloseTo(1000, 6);
    // The log-spaced spectrum κ^{i/15} divided by its mean.
    const raw = Array.from({ length: 16 }, (_, i) => 1000 ** (i / 15));
    const m = raw.reduce((a, b) => a + b, 0) / 16;
    for (let i = 0; i < 16; i++) expect(values[i]).toBeCloseTo(raw[i] / m, 8);
  });
});

describe("step-size search ranking", () => {
  it("prefers fewer steps to target, then a lower final loss; diverged candidates last", () => {
    const c = (stepsToTarget: number | null, finalTrainLoss: number | null) => ({
      learningRate: 1,
      stepsToTarget,
      finalTrainLoss,
    });
    const ranked = [c(null, 0.5), c(30, 0.2), c(null, null), c(20, 0.3), c(20, 0.1), c(null, 0.4)]
      .map((x, i) => ({ x, i }))
      .sort((a, b) => compareCandidates(a.x, b.x))
      .map((r) => r.i);
    expect(ranked).toEqual([4, 3, 1, 5, 0, 2]);
  });

  it("spread of steps over κ: max/min of reached medians, censored when one κ did not reach", () => {
    const rows = [
      { optimizer: "kfac", kappa: 1, stepsToTarget: 30 },
      { optimizer: "kfac", kappa: 1000, stepsToTarget: 45 },
      { optimizer: "sgd", kappa: 1, stepsToTarget: 30 },
      { optimizer: "sgd", kappa: 1000, stepsToTarget: null },
    ];
    expect(stepsSpread(rows)).toEqual({ kfac: { ratio: 1.5, censored: false }, sgd: { ratio: null, censored: true } });
  });
});

describe("anisotropy end to end (tiny, MNIST digits)", () => {
  it("summarises every optimizer × κ, draws both figures, and KFAC is flat in κ while SGD is not", async () => {
    const { config, trials } = await runSweep(anisotropy, {
      dataset: "mnist",
      trainSize: 1000,
      testSize: 200,
      trainEvalSize: 500,
      pcaDims: 16,
      hidden: [32],
      batchSize: 50,
      optimizer: ["sgd", "kfac"],
      kappa: [1, 1000],
      epochs: 5,
      evalEvery: 2,
      tuneEpochs: 2,
      learningRateFactors: [0.3, 1, 3],
      targetLoss: 0.5,
    });
    const rows = anisotropy.summarize(trials, config);
    expect(rows.map((r) => [r.optimizer, r.kappa])).toEqual([
      ["sgd", 1],
      ["sgd", 1000],
      ["kfac", 1],
      ["kfac", 1000],
    ]);
    for (const r of rows) {
      for (const key of ["optimizer", "kappa", "stepsToTarget", "finalTrainLoss", "testAccuracy"]) {
        expect(r).toHaveProperty(key);
      }
      expect(r.budget).toBe(100); // 5 epochs × 1000/50 steps
    }
    // Both reach the target at κ = 1 (the target is reachable), with sensible accuracy.
    const at = (o: string, k: number) => rows.find((r) => r.optimizer === o && r.kappa === k)!;
    expect(at("sgd", 1).stepsToTarget).not.toBeNull();
    expect(at("kfac", 1).stepsToTarget).not.toBeNull();
    expect(at("kfac", 1).testAccuracy as number).toBeGreaterThan(0.7);
    // The step size is searched at κ = 1 and held fixed.
    expect(at("sgd", 1000).lr).toBe(at("sgd", 1).lr);
    // The experiment's own claims (the checks `npm start` reports): KFAC flat in κ, SGD slowed or stopped.
    const verdicts = evaluateClaims(anisotropy, trials, config);
    expect(verdicts.map((v) => [v.claim, v.status, v.measured])).toEqual([
      ["kfac-flat", "pass", expect.any(String)],
      ["sgd-slows", "pass", expect.any(String)],
    ]);
    // The loss curve starts at step 0 and is evaluated every evalEvery steps.
    const curve = trials[2].series.trainLoss;
    expect(Array.from(curve.steps.slice(0, 3))).toEqual([0, 2, 4]);
    expect(curve.values[0]).toBeGreaterThan(1.5); // ≈ ln 10 at initialisation
    const plots = anisotropy.plots(trials, config);
    expect(plots.map((p) => p.name)).toEqual(["steps-vs-kappa", "training-loss"]);
    const steps = (plots[0].spec.data as { values: { optimizer: string; steps: number; outcome: string }[] }).values;
    // A censored run is drawn at the budget.
    for (const p of steps) if (p.outcome !== "reached") expect(p.steps).toBe(100);
  }, 120_000);
});
