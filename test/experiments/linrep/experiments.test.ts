/**
 * The linrep experiments' configs (defaults, refusals with messages naming the field) and one tiny end-to-end
 * run of each experiment's run → summarize → plots, plus one CLI spawn for the exit code of a bad config.
 */
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { linrepCurves } from "../../../src/experiments/linrep/curves.js";
import { linrepKappa } from "../../../src/experiments/linrep/kappa.js";
import { linrepStability } from "../../../src/experiments/linrep/stability.js";
import { LINREP_ALGORITHMS } from "../../../src/experiments/linrep/train.js";
import { linearPhaseRate } from "../../../src/experiments/linrep/rates.js";
import { median } from "../../../src/experiments/linrep/summary.js";
import { candidateGrid, objective, stepScale } from "../../../src/experiments/linrep/tuning.js";
import { makeLinrepProblem } from "../../../src/paper/linrep/problem.js";
import { problemConfig, type LinrepSharedPoint } from "../../../src/experiments/linrep/schema.js";
import { Rng } from "../../../src/random/index.js";
import type { TrainLog } from "../../../src/experiments/linrep/train.js";
import type { Experiment } from "../../../src/experiments/types.js";
import { experiments } from "../../../src/experiments/index.js";
import { runExperimentInProcess } from "../../helpers/experiment.js";
import { cli } from "../../cli/helpers.js";

const messages = (experiment: Experiment<unknown, unknown>, input: unknown): string[] => {
  const result = experiment.schema.safeParse(input);
  expect(result.success).toBe(false);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("linrep configs", () => {
  it("fill the issue's defaults", () => {
    const kappa = linrepKappa.schema.parse({}) as unknown as Record<string, unknown>;
    expect(kappa).toMatchObject({ dX: 50, k: 4, dY: 10, batch: 1024, noise: 0.1, target: 0.05, steps: 2000 });
    expect(kappa.kappaX).toEqual([1, 10, 100, 1000]);
    expect(kappa.kappaF).toEqual([1, 3, 10]);
    expect(kappa.algorithm).toEqual([...LINREP_ALGORITHMS]);
    const curves = linrepCurves.schema.parse({}) as unknown as Record<string, unknown>;
    expect(curves).toMatchObject({ kappaX: [100], kappaF: [3], mode: "online" });
    for (const e of [linrepCurves, linrepKappa, linrepStability]) {
      for (const key of ["algorithm", "kappaX", "kappaF"]) expect(e.sweepable).toContain(key);
    }
  });

  it("refuse bad values with messages naming the field, the value and what is allowed", () => {
    const e = linrepKappa as Experiment<unknown, unknown>;
    expect(messages(e, { k: 60 }).join("\n")).toMatch(/^k: k \(60\) must be ≤ dX \(50\)/m);
    expect(messages(e, { k: 12 }).join("\n")).toMatch(/^k: .*≤ dY \(10\)/m);
    expect(messages(e, { kappaX: [10, 0.5] }).join("\n")).toMatch(
      /^kappaX\.1: condition number must be ≥ 1, got 0\.5/m,
    );
    expect(messages(e, { noise: -0.1 }).join("\n")).toMatch(/^noise: must be ≥ 0, got -0\.1/m);
    expect(messages(e, { algorithm: ["kfac", "lbfgs"] }).join("\n")).toMatch(
      /^algorithm\.1: unknown algorithm "lbfgs"; allowed: sgd, /m,
    );
    expect(messages(e, { damping: { ngd: 0 } }).join("\n")).toMatch(/^damping\.ngd: ngd needs damping > 0/m);
    expect(messages(e, { target: 1.5 }).join("\n")).toMatch(/^target: target subspace distance must be in \(0, 1\)/m);
    expect(messages(e, { learningRate: { kfca: 1 } }).length).toBeGreaterThan(0);
    expect(messages(e, { mode: "offline", nTrain: 100 }).join("\n")).toMatch(
      /^nTrain: nTrain \(100\) must be ≥ batch/m,
    );
  });

  it("accept their quick (npm start) overrides", () => {
    for (const e of [linrepCurves, linrepKappa, linrepStability] as Experiment<unknown, unknown>[]) {
      expect(e.schema.safeParse(e.quick).success).toBe(true);
    }
  });

  it("are registered for the CLI", () => {
    const names = experiments.map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(["linrep-curves", "linrep-kappa", "linrep-stability"]));
  });
});

describe("rates and medians", () => {
  it("linearPhaseRate fits ln tan θ from the first distance ≤ 0.25 while above the floor; null below 3 points", () => {
    const tan = (d: number) => d / Math.sqrt(1 - d * d);
    const sin = (t: number) => t / Math.sqrt(1 + t * t);
    // tan θ halves each step from step 2 on: the fitted rate is exactly 0.5.
    const steps = [0, 1, 2, 3, 4, 5, 6];
    const d = [0.9, 0.6, ...[0.2, 0.1, 0.05, 0.025, 0.0125].map((_, i) => sin(tan(0.2) * 0.5 ** i))];
    const r = linearPhaseRate(steps, d, 0.02);
    expect(r.startStep).toBe(2);
    expect([r.from, r.to]).toEqual([2, 5]); // the last point is below the floor 0.02
    expect(r.rate).toBeCloseTo(0.5, 12);
    // Two points in the phase: no rate (and no fallback to step 0).
    expect(linearPhaseRate([0, 1, 2], [0.9, 0.2, 0.1], 0.05).rate).toBeNull();
    expect(linearPhaseRate([0, 1], [0.9, 0.8], 0.05)).toMatchObject({ rate: null, startStep: null });
  });

  it("median counts null as not reached", () => {
    expect(median([3, null, 5])).toBe(5);
    expect(median([3, null, null])).toBeNull();
    expect(median([4, 2, 6, 8])).toBe(5);
  });
});

describe("grid search", () => {
  const config = linrepKappa.schema.parse({ dX: 10, k: 2, dY: 4 });
  const at = (algorithm: LinrepSharedPoint["algorithm"], extra: object = {}): LinrepSharedPoint => ({
    ...config,
    ...extra,
    algorithm,
    kappaX: 100,
    kappaF: 3,
  });
  const problem = makeLinrepProblem(new Rng(1), problemConfig(at("sgd")));

  it("centres each algorithm's grid on its natural scale 1/(σ_max(F★)² λ_max(Σ)) or 1/σ_max(F★)²", () => {
    expect(stepScale("sgd", problem)).toBeCloseTo(1 / (9 * 100), 10);
    expect(stepScale("one-sided", problem)).toBeCloseTo(1 / 9, 10);
    const grid = candidateGrid(at("kfac"), problem);
    expect(grid.map((c) => c.lr)).toEqual([0.25, 0.25, 0.5, 0.5, 1, 1, 1.5, 1.5]);
    expect(new Set(grid.map((c) => c.damping)).size).toBe(2);
    expect(candidateGrid(at("ngd"), problem).every((c) => c.damping > 0)).toBe(true);
    // A value fixed in the config replaces its axis.
    expect(candidateGrid(at("kfac", { learningRate: { kfac: 0.7 }, damping: { kfac: 0 } }), problem)).toEqual([
      { lr: 0.7, damping: 0 },
    ]);
  });

  it("ranks runs by steps to target, then final distance; diverged runs last", () => {
    const log = (stepsToTarget: number | null, last: number, diverged = false): TrainLog => ({
      steps: [0, 1],
      loss: [1, 1],
      subspace: [1, last],
      subspaceFrobenius: [1, last],
      transferSteps: [],
      transferExcess: [],
      stepsToTarget,
      diverged,
    });
    const scores = [log(null, 0.2), log(5, 0.04), log(null, 0.1), log(3, 0.05), log(null, 0, true)].map(objective);
    const order = scores.map((s, i) => [s, i] as const).sort(([x], [y]) => (x[0] === y[0] ? x[1] - y[1] : x[0] - y[0]));
    expect(order.map(([, i]) => i)).toEqual([3, 1, 2, 0, 4]);
  });
});

const TINY = {
  dX: 8,
  k: 2,
  dY: 4,
  batch: 64,
  nTransfer: 20,
  nTest: 50,
  tuning: { steps: 10, learningRateFactors: [0.5, 1] },
};

describe("experiments end to end (tiny)", () => {
  it("linrep-kappa: summary rows carry the issue's fields and the figure has the theory layer", async () => {
    const e = linrepKappa as Experiment<unknown, unknown>;
    const { config, trials } = await runExperimentInProcess(e, {
      ...TINY,
      algorithm: ["kfac", "sgd"],
      kappaX: [1, 10],
      kappaF: [1],
      steps: 30,
    });
    const rows = e.summarize(trials, config);
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      for (const key of ["algorithm", "kappaX", "kappaF", "stepsToTarget", "measuredRate", "theoryRate"])
        expect(r).toHaveProperty(key);
    }
    const kfac = rows.find((r) => r.algorithm === "kfac")!;
    // KFAC jumps to the target in a step or two: its exact theory has no linear phase to compare with.
    expect(kfac.theoryKind).toBe("exact (no linear phase)");
    expect(kfac.asymptoticRate).not.toBeNull();
    expect(typeof kfac.lr).toBe("number");
    const plots = e.plots(trials, config);
    expect(plots.map((p) => p.name)).toEqual(["steps-vs-kappa", "rates-vs-kappa"]);
    expect(JSON.stringify(plots[0].spec)).toContain("strokeDash");
  });

  it("linrep-curves: series for loss, subspace and transfer, and the summary's final metrics", async () => {
    const e = linrepCurves as Experiment<unknown, unknown>;
    const { config, trials } = await runExperimentInProcess(e, {
      ...TINY,
      algorithm: ["one-sided", "adam"],
      steps: 20,
      logEvery: 5,
      transferEvery: 10,
    });
    for (const t of trials) {
      expect(Object.keys(t.series)).toEqual(expect.arrayContaining(["loss", "subspace", "transferExcess"]));
      expect(t.series.subspace.steps[0]).toBe(0);
    }
    const rows = e.summarize(trials, config);
    for (const key of ["algorithm", "finalLoss", "finalSubspaceDistance", "finalTransferExcess", "stepsToTarget"]) {
      expect(rows[0]).toHaveProperty(key);
    }
    expect(e.plots(trials, config).map((p) => p.name)).toEqual([
      "subspace-distance",
      "training-loss",
      "transfer-excess",
    ]);
  });

  it("linrep-stability: one row per (algorithm, η, λ) cell", async () => {
    const e = linrepStability as Experiment<unknown, unknown>;
    const { config, trials } = await runExperimentInProcess(e, { ...TINY, steps: 10, eta: [0.5, 1], lambda: [1e-2] });
    const rows = e.summarize(trials, config);
    expect(rows).toHaveLength(4);
    expect(e.plots(trials, config)[0].name).toBe("stability");
  });
});

describe("CLI", () => {
  const built = existsSync(new URL("../../dist/src/experiments/linrep/kappa.js", import.meta.url));
  it.runIf(built)("exits 2 with a message naming k for k > dX", async () => {
    const r = await cli(["run", "linrep-kappa", "--set", "k=60", "--out", "/tmp/linrep-cli-test"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/k \(60\) must be ≤ dX \(50\)/);
  });
});
