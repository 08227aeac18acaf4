/**
 * `anisotropy`: its config (defaults, refusals, exit code 2 through the CLI), the κ map as a trial sees it (fixed
 * trace, condition number κ, real and Gaussian inputs, MLP and image shapes), and a tiny end-to-end sweep on the
 * embedded MNIST digits checking the summary, the figures and that every claim gets a verdict. The bootstrap and
 * the claims' interval rules are tested in bootstrap.test.ts and claims.test.ts.
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
    expect(c.kappa).toEqual([1, 30, 1000]);
    expect(c.optimizer).toEqual(["sgd", "kfac", "kfac-low-damping"]);
    expect(c.architecture).toEqual(["mlp", "2c2d"]);
    expect(c.inputs).toEqual(["real", "gaussian"]);
    expect(c.replicate).toHaveLength(5);
    expect(c).toMatchObject({ pcaDims: 64, hidden: [256], rotate: false, tuneAt: "kappa1", normalize: "trace" });
    expect(c.cnn).toMatchObject({ channels: [32, 64], denseWidth: 1024, batchSize: 32, learningRateFactors: [1] });
    expect(anisotropy.sweepable).toEqual(["architecture", "inputs", "optimizer", "kappa", "replicate"]);
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
    expect(refusals(e, { dataset: "mnist", cnn: { trainSize: 100, trainEvalSize: 200 } })).toMatch(
      /^cnn\.trainEvalSize: cnn\.trainEvalSize 200 exceeds the CNN's 100 training examples/m,
    );
    expect(refusals(e, { architecture: ["cnn"] })).toMatch(/^architecture\.0: /m);
    expect(refusals(e, { inputs: [] })).toMatch(/^inputs: needs at least one kind of inputs/m);
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
    architecture: "mlp" as const,
    inputs: "real" as const,
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

  it("normalize=trace: tr Σ̂ = d at every κ, the eigenvalue ratio is κ, the spectrum is the log-spaced one over its mean", async () => {
    for (const kappa of [1, 30, 1000]) {
      const { splits } = await anisotropyData({ ...fields, normalize: "trace", kappa });
      const { values } = eigh(covariance(splits.train.x));
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(16, 8);
      expect(values[15] / values[0]).toBeCloseTo(kappa, 6);
      const raw = Array.from({ length: 16 }, (_, i) => kappa ** (i / 15));
      const m = raw.reduce((a, b) => a + b, 0) / 16;
      for (let i = 0; i < 16; i++) expect(values[i]).toBeCloseTo(raw[i] / m, 8);
    }
  });

  it("2c2d: images (784 pixels) with tr Σ̂ = 784, rank pcaDims, non-zero eigenvalue ratio κ, same linear classifier", async () => {
    const image = { ...fields, architecture: "2c2d" as const, normalize: "trace" as const };
    const flat = await anisotropyData({ ...fields, normalize: "trace", kappa: 100 });
    const { splits } = await anisotropyData({ ...image, kappa: 100 });
    expect(splits.imageShape).toEqual([1, 28, 28]);
    expect(splits.train.x.shape()).toBe("1000×784");
    const { values } = eigh(covariance(splits.train.x));
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(784, 6);
    const nonzero = Array.from(values).slice(784 - 16);
    expect(values[784 - 17]).toBeLessThan(1e-9 * nonzero[15]);
    expect(nonzero[15] / nonzero[0]).toBeCloseTo(100, 5);
    // The image is an isometric embedding of the principal components, scaled: distances keep their ratios.
    const d = (x: Matrix, i: number, j: number) => Math.hypot(...x.row(i).map((v, c) => v - x.get(j, c)));
    expect(d(splits.train.x, 0, 1) / d(splits.train.x, 0, 2)).toBeCloseTo(
      d(flat.splits.train.x, 0, 1) / d(flat.splits.train.x, 0, 2),
      8,
    );
  });

  it("Gaussian inputs: the same latents and teacher labels at every κ, variances in the ratio κ, a linear teacher", async () => {
    const gaussian = { ...fields, inputs: "gaussian" as const, rotate: false, normalize: "trace" as const };
    const one = await anisotropyData({ ...gaussian, kappa: 1 });
    const big = await anisotropyData({ ...gaussian, kappa: 1000 });
    expect(Array.from(big.splits.train.y)).toEqual(Array.from(one.splits.train.y));
    expect(new Set(one.splits.train.y).size).toBe(10);
    const variance = (x: Matrix, j: number) => {
      let s = 0;
      for (let i = 0; i < x.rows; i++) s += x.get(i, j) ** 2;
      return s / x.rows;
    };
    // Principal axes not rotated: coordinate 0 has the largest variance, coordinate 15 the smallest (n = 1000).
    const ratio = variance(big.splits.train.x, 0) / variance(big.splits.train.x, 15);
    expect(ratio).toBeGreaterThan(1000 * 0.8);
    expect(ratio).toBeLessThan(1000 * 1.25);
    // Coordinate j at κ = 1000 is coordinate j at κ = 1 times one constant per coordinate (the same latent).
    const c = big.splits.train.x.get(0, 3) / one.splits.train.x.get(0, 3);
    for (let i = 1; i < 20; i++) expect(big.splits.train.x.get(i, 3) / one.splits.train.x.get(i, 3)).toBeCloseTo(c, 8);
    // The labels are a linear function of the inputs: least squares on them predicts the test labels well.
    const predicted = linearPredictions(big.splits.train.x, big.splits.train.y, big.splits.test.x);
    const correct = predicted.filter((p, i) => p === big.splits.test.y[i]).length / predicted.length;
    expect(correct).toBeGreaterThan(0.6);
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
  it("summarises every architecture × inputs × optimizer × κ with intervals, draws both figures, and gives every claim a verdict", async () => {
    const { config, trials } = await runSweep(anisotropy, {
      dataset: "mnist",
      trainSize: 400,
      testSize: 100,
      trainEvalSize: 200,
      pcaDims: 8,
      hidden: [16],
      batchSize: 50,
      architecture: ["mlp", "2c2d"],
      inputs: ["real", "gaussian"],
      optimizer: ["sgd", "kfac", "kfac-low-damping"],
      kappa: [1, 100],
      replicate: [0, 1],
      epochs: 3,
      evalEvery: 2,
      tuneEpochs: 1,
      learningRateFactors: [0.3, 1],
      targetLoss: 1.5,
      cnn: {
        channels: [2, 4],
        denseWidth: 8,
        trainSize: 200,
        trainEvalSize: 100,
        epochs: 1,
        batchSize: 20,
        targetLoss: 2,
      },
    });
    const rows = anisotropy.summarize(trials, config);
    expect(rows).toHaveLength(2 * 2 * 3 * 2);
    expect(rows.slice(0, 2).map((r) => [r.architecture, r.inputs, r.optimizer, r.kappa])).toEqual([
      ["mlp", "real", "sgd", 1],
      ["mlp", "real", "sgd", 100],
    ]);
    for (const r of rows) {
      for (const key of ["architecture", "inputs", "optimizer", "kappa", "stepsToTarget", "stepsLow", "stepsHigh"]) {
        expect(r).toHaveProperty(key);
      }
      expect(r.seeds).toBe(2);
      expect(r.budget).toBe(r.architecture === "mlp" ? 24 : 10); // 3 epochs × 400/50; 1 epoch × 200/20
      if (r.stepsToTarget !== null) {
        expect(r.stepsLow as number).toBeLessThanOrEqual(r.stepsToTarget as number);
        if (r.stepsHigh !== null) expect(r.stepsHigh as number).toBeGreaterThanOrEqual(r.stepsToTarget as number);
      }
    }
    const at = (a: string, o: string, k: number) =>
      rows.find((r) => r.architecture === a && r.inputs === "real" && r.optimizer === o && r.kappa === k)!;
    // The MLP reaches the (loose) target at κ = 1; the step size is searched at κ = 1 and held fixed.
    expect(at("mlp", "kfac", 1).stepsToTarget).not.toBeNull();
    expect(at("mlp", "sgd", 100).lr).toBe(at("mlp", "sgd", 1).lr);
    // The diagnosis arm searches as KFAC (the same step size); the CNN's one candidate is used as it is.
    expect(at("mlp", "kfac-low-damping", 1).lr).toBe(at("mlp", "kfac", 1).lr);
    expect(at("2c2d", "sgd", 1).lr).toBe(0.05);
    // Every claim is decided (pass or fail), none "not run", and says how its intervals decided it.
    const verdicts = evaluateClaims(anisotropy, trials, config);
    expect(verdicts).toHaveLength(8);
    for (const v of verdicts) {
      expect(v.status).not.toBe("not run");
      expect(v.measured).toMatch(/within 2× (established|refuted|undecided)/);
    }
    // The loss curve starts at step 0 and is evaluated every evalEvery steps.
    const curve = trials[0].series.trainLoss;
    expect(Array.from(curve.steps.slice(0, 3))).toEqual([0, 2, 4]);
    expect(curve.values[0]).toBeGreaterThan(1.5); // ≈ ln 10 at initialisation
    const plots = anisotropy.plots(trials, config);
    expect(plots.map((p) => p.name)).toEqual(["steps-vs-kappa", "training-loss"]);
    const steps = (plots[0].spec.data as { values: { steps: number; budget: number; outcome: string }[] }).values;
    // A censored median is drawn at its panel's budget.
    for (const p of steps) if (p.outcome !== "reached") expect(p.steps).toBe(p.budget);
  }, 300_000);
});
