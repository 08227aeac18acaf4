/**
 * `time-to-target`: its config (defaults, refusals naming field, value and what is allowed), the random search,
 * the target rule and the best-trial choice on synthetic records against hand-computed values, the claims on
 * synthetic records (one holding, one failing), the sweep's plan (study trials only), a tiny real run of every workload through the experiment's entry
 * point, and a resumed CLI run that reruns only the missing trial.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { timeToTarget } from "../../../src/experiments/time-to-target/index.js";
import type { TimeToTargetConfig, TimeToTargetPoint } from "../../../src/experiments/time-to-target/schema.js";
import {
  SEARCH_SPACES,
  TTT_OPTIMIZERS,
  inStudy,
  trialSetting,
  warmupCosine,
} from "../../../src/experiments/time-to-target/search.js";
import { evaluationSteps } from "../../../src/experiments/time-to-target/train.js";
import { bestTrials, median, studyTrials, targets } from "../../../src/experiments/time-to-target/summary.js";
import type { TrialInfo } from "../../../src/experiments/time-to-target/trial.js";
import { deepAutoencoder, meanImageError } from "../../../src/experiments/time-to-target/workloads.js";
import { Matrix } from "../../../src/linalg/matrix.js";
import type { Dataset } from "../../../src/data/dataset.js";
import { experiments } from "../../../src/experiments/index.js";
import type { Experiment } from "../../../src/experiments/types.js";
import { deriveSeed } from "../../../src/random/rng.js";
import { planRun } from "../../../src/runner/run.js";
import type { TrialRecord } from "../../../src/results/records.js";
import { cli, lastJson, tempDir } from "../../cli/helpers.js";
import { refusals, runSweep } from "../../helpers/in-process.js";

const e = timeToTarget as unknown as Experiment<unknown, unknown>;

describe("time-to-target config", () => {
  it("defaults: three workloads, nine optimizers, five trials × three replicates (the CNN: three trials)", () => {
    const c = timeToTarget.schema.parse({}) as TimeToTargetConfig;
    expect(c.workload).toEqual(["fashion-mlp", "fashion-cnn", "mnist-autoencoder"]);
    expect(c.optimizer).toEqual([...TTT_OPTIMIZERS]);
    expect(c.optimizer).toContain("kfac-auto");
    expect(c.trial).toEqual([0, 1, 2, 3, 4]);
    expect(c.replicate).toEqual([0, 1, 2]);
    expect(c.settings["fashion-mlp"].batchSizes).toEqual([128, 1024]);
    expect(c.settings["fashion-cnn"]).toMatchObject({ trainSize: 2000, batchSizes: [32, 128], trials: 3 });
    expect(experiments.map((x) => x.name)).toContain("time-to-target");
    expect(timeToTarget.schema.safeParse(timeToTarget.quick).success).toBe(true);
  });

  it("refuses bad input, naming the field, the value and what is allowed", () => {
    expect(refusals(e, { workload: ["imagenet"] })).toMatch(/^workload\.0: /m);
    expect(refusals(e, { optimizer: [] })).toMatch(/^optimizer: needs at least one optimizer/m);
    expect(refusals(e, { warmupFraction: 1 })).toMatch(/^warmupFraction: must be in \[0, 1\), got 1/m);
    expect(refusals(e, { settings: { "fashion-cnn": { epochs: 0 } } })).toMatch(
      /^settings\.fashion-cnn\.epochs: must be > 0, got 0/m,
    );
    expect(
      refusals(e, { workload: ["mnist-autoencoder"], settings: { "mnist-autoencoder": { validationSize: 8000 } } }),
    ).toMatch(
      /^settings\.mnist-autoencoder\.validationSize: validationSize 8000 leaves no training examples of the 8000 in mnist-autoencoder's training split; allowed 1…7999/m,
    );
    expect(
      refusals(e, {
        workload: ["mnist-autoencoder"],
        settings: { "mnist-autoencoder": { trainSize: 500 } },
      }),
    ).toMatch(
      /^settings\.mnist-autoencoder\.batchSizes: batch size 1024 is more than the 500 training examples of mnist-autoencoder; allowed 1…500/m,
    );
    expect(refusals(e, { trial: [-1] })).toMatch(/^trial\.0: must be ≥ 0, got -1/m);
  });
});

describe("the random search", () => {
  it("draws each trial from its ranges, the same in every call, different across trials", () => {
    for (const o of TTT_OPTIMIZERS) {
      if (o === "kfac-auto") continue;
      const space = SEARCH_SPACES[o];
      const seen = new Set<number>();
      for (let k = 0; k < 20; k++) {
        const s = trialSetting(o, k, 3);
        expect(trialSetting(o, k, 3)).toEqual(s);
        expect(s.learningRate!).toBeGreaterThanOrEqual(space.learningRate[0]);
        expect(s.learningRate!).toBeLessThanOrEqual(space.learningRate[1]);
        const knob = space.second.name === "momentum" ? 1 - s.second : s.second;
        expect(knob).toBeGreaterThanOrEqual(space.second.range[0]);
        expect(knob).toBeLessThanOrEqual(space.second.range[1]);
        if (space.weightDecay === null) expect(s.weightDecay).toBe(0);
        else expect(s.weightDecay).toBeGreaterThanOrEqual(space.weightDecay[0]);
        expect([128, 1024]).toContain(s.batchSize);
        seen.add(s.learningRate!);
      }
      expect(seen.size).toBe(20);
    }
    expect(trialSetting("sgd", 0, 3)).not.toEqual(trialSetting("sgd", 0, 4));
  });

  it("kfac-auto's study is one trial at the largest batch size, with no learning rate", () => {
    expect(trialSetting("kfac-auto", 0, 0, [64, 512])).toMatchObject({ learningRate: null, batchSize: 512, second: 1 });
    expect(inStudy("kfac-auto", 0, 5)).toBe(true);
    expect(inStudy("kfac-auto", 1, 5)).toBe(false);
    expect(inStudy("sgd", 4, 5)).toBe(true);
    expect(inStudy("sgd", 3, 3)).toBe(false);
  });

  it("the sweep plans only the trials of each study (kfac-auto's trial 0, each workload's trials), at their own indices", () => {
    const input = {
      dataset: "mnist",
      workload: ["fashion-mlp", "mnist-autoencoder"],
      optimizer: ["adam", "kfac-auto"],
      trial: [0, 1, 2],
      replicate: [0],
      settings: { "fashion-mlp": { trials: 3 }, "mnist-autoencoder": { trials: 2 } },
    };
    const config = timeToTarget.schema.parse(input) as unknown as Record<string, unknown>;
    const tmp = tempDir("ttt-plan");
    const request = { config, runSeed: 5, seeds: 2, workers: 1, fresh: false, progress: "none" } as const;
    const plan = planRun({ ...request, experiment: e, outDir: join(tmp.dir, "out") });
    tmp.cleanup();
    // The whole product, workload slowest, then optimizer, trial, replicate; a point is a study trial when its
    // trial is below the workload's trials and, for kfac-auto, is 0.
    const expected: string[] = [];
    let index = 0;
    for (const workload of input.workload)
      for (const optimizer of input.optimizer)
        for (const trial of input.trial) {
          const trials = input.settings[workload as keyof typeof input.settings].trials;
          if (trial < trials && (optimizer !== "kfac-auto" || trial === 0))
            for (const repeat of [0, 1]) expected.push(`${index} ${repeat} ${workload} ${optimizer} ${trial}`);
          index++;
        }
    const planned = plan.trials.map(
      (t) => `${t.pointIndex} ${t.repeat} ${t.point.workload} ${t.point.optimizer} ${t.point.trial}`,
    );
    expect(planned).toEqual(expected);
    expect(planned).toHaveLength(14); // of 24 trials in the product
    expect(plan.todo).toEqual(plan.trials);
    for (const t of plan.trials) expect(t.seed).toBe(deriveSeed(5, t.pointIndex, t.repeat));
  });

  it("warm-up then cosine: 0 at step 0, the peak at the end of the warm-up, 0 at the last step", () => {
    const s = warmupCosine(0.1, 100, 10);
    expect(s(0)).toBe(0);
    expect(s(5)).toBeCloseTo(0.05, 15);
    expect(s(10)).toBeCloseTo(0.1, 15);
    expect(s(55)).toBeCloseTo(0.05, 15); // half-way through the decay: ½(1 + cos(π/2)) = ½
    expect(s(100)).toBeCloseTo(0, 15);
  });

  it("evaluates at step 0 and at equally spaced steps up to the last", () => {
    expect(evaluationSteps(10, 4)).toEqual([0, 3, 5, 8, 10]);
    expect(evaluationSteps(2, 4)).toEqual([0, 1, 2]);
  });
});

/** A finished trial whose validation metric was `values` at steps 0, 10, 20, … and seconds 0, 1, 2, …. */
function record(
  workload: "fashion-mlp" | "mnist-autoencoder",
  optimizer: TimeToTargetPoint["optimizer"],
  trial: number,
  values: number[],
  test: number,
  secondsPerEval = 1,
): TrialRecord<TimeToTargetPoint> {
  const higher = workload === "fashion-mlp";
  const setting: TrialInfo = {
    optimizer,
    learningRate: 0.1,
    secondName: "eps",
    second: 1e-8,
    weightDecay: 0,
    batchSize: 128,
    steps: 10 * (values.length - 1),
    metric: higher ? "accuracy" : "reconstruction error",
    higherIsBetter: higher,
  };
  const steps = Float64Array.from(values, (_, i) => 10 * i);
  return {
    point: { workload, optimizer, trial, replicate: 0 } as TimeToTargetPoint,
    pointIndex: 0,
    repeat: 0,
    seed: 0,
    status: "done",
    durationMs: 0,
    scalars: { skipped: 0, testMetric: test },
    series: {
      validation: { steps, values: Float64Array.from(values) },
      seconds: { steps, values: Float64Array.from(values, (_, i) => i * secondsPerEval) },
    },
    info: { setting },
  };
}

/** A dataset of the given images (labels 0), for the mean-image baseline. */
function dataset(images: number[][]): Dataset {
  const x = new Matrix(images.length, images[0].length, Float64Array.from(images.flat()));
  return { x, y: new Int32Array(images.length), classes: 1 } as Dataset;
}

describe("target rule and best trials (synthetic records)", () => {
  // sgd trial 0: seeds reach best 0.80, 0.84, 0.82 → score 0.82. adam trial 0: 0.85, 0.86, 0.70 → 0.85 (the
  // target: best first-order score). adam trial 1: 0.60 (worse). kfac trial 0 reaches 0.85 at step 10 in two of
  // three seeds; kfac trial 1 reaches it at step 20 in all three (slower median seconds: 2 against 1).
  const trials = [
    record("fashion-mlp", "sgd", 0, [0.1, 0.5, 0.8], 0.79),
    record("fashion-mlp", "sgd", 0, [0.1, 0.84, 0.83], 0.83),
    record("fashion-mlp", "sgd", 0, [0.1, 0.6, 0.82], 0.8),
    record("fashion-mlp", "adam", 0, [0.1, 0.7, 0.85], 0.84),
    record("fashion-mlp", "adam", 0, [0.1, 0.86, 0.8], 0.85),
    record("fashion-mlp", "adam", 0, [0.1, 0.6, 0.7], 0.7),
    record("fashion-mlp", "adam", 1, [0.1, 0.5, 0.6], 0.6),
    record("fashion-mlp", "kfac", 0, [0.1, 0.9, 0.9], 0.88),
    record("fashion-mlp", "kfac", 0, [0.1, 0.86, 0.9], 0.87),
    record("fashion-mlp", "kfac", 0, [0.1, 0.5, 0.84], 0.83),
    record("fashion-mlp", "kfac", 1, [0.1, 0.5, 0.9], 0.9),
    record("fashion-mlp", "kfac", 1, [0.1, 0.5, 0.9], 0.9),
    record("fashion-mlp", "kfac", 1, [0.1, 0.5, 0.9], 0.9),
    // Skipped and failed trials are left out.
    { ...record("fashion-mlp", "kfac-auto", 1, [0.1], 0), scalars: { skipped: 1 } },
    { ...record("fashion-mlp", "sgd", 5, [0.99, 0.99], 0.99), status: "failed" },
  ] as TrialRecord<TimeToTargetPoint>[];

  it("median counts ∞ as a value", () => {
    expect(median([3, Infinity, 1])).toBe(3);
    expect(median([Infinity, Infinity, 1])).toBe(Infinity);
    expect(median([1, 2, 3, 4])).toBe(2.5);
  });

  it("the target is the best first-order median-over-seeds best validation metric", () => {
    const study = studyTrials(trials);
    expect(study.map((t) => `${t.optimizer}:${t.trial}:${t.runs.length}`)).toEqual([
      "sgd:0:3",
      "adam:0:3",
      "adam:1:1",
      "kfac:0:3",
      "kfac:1:3",
    ]);
    expect(targets(study).get("fashion-mlp")).toBe(0.85);
  });

  it("each optimizer's best trial reaches the target fastest (median seconds); steps, spread, test", () => {
    const rows = timeToTarget.summarize(trials, {} as TimeToTargetConfig);
    const by = Object.fromEntries(rows.map((r) => [r.optimizer, r]));
    expect(by.kfac).toMatchObject({
      bestTrial: 0,
      target: 0.85,
      stepsToTarget: 10,
      secondsToTarget: 1,
      reached: "2/3",
      stepsSpread: "10, 1 missed",
      testAccuracy: 0.87,
      trials: 2,
    });
    // adam trial 0: seeds reach 0.85 at steps 20, 10 and never → median 20.
    expect(by.adam).toMatchObject({ bestTrial: 0, stepsToTarget: 20, reached: "2/3", stepsSpread: "10–20, 1 missed" });
    // sgd never reaches 0.85: missed, and its best trial is the best-scoring one.
    expect(by.sgd).toMatchObject({ stepsToTarget: null, secondsToTarget: null, reached: "0/3", testAccuracy: 0.8 });
    expect(bestTrials(trials)).toHaveLength(3);
  });

  it("for a lower-is-better metric the target is the smallest error, reached from above", () => {
    const ae = [
      record("mnist-autoencoder", "adam", 0, [100, 20, 10], 11),
      record("mnist-autoencoder", "kfac", 0, [100, 8, 6], 7),
    ];
    const rows = timeToTarget.summarize(ae, {} as TimeToTargetConfig);
    expect(rows[0]).toMatchObject({ optimizer: "adam", target: 10, stepsToTarget: 20, metric: "reconstruction error" });
    expect(rows[1]).toMatchObject({ optimizer: "kfac", stepsToTarget: 10, testAccuracy: 7 });
    expect(rows).toHaveLength(2);
  });

  it("a workload's reference predictor gets a row after its optimizers, which the claims do not read", () => {
    const baseline = { name: "mean training image", validation: 52.9, test: 53.6 };
    const withBaseline = (r: TrialRecord<TimeToTargetPoint>) => ({ ...r, info: { ...r.info, baseline } });
    const ae = [
      withBaseline(record("mnist-autoencoder", "adam", 0, [100, 60, 40], 41)),
      withBaseline(record("mnist-autoencoder", "kfac", 0, [100, 30, 20], 21)),
    ];
    const rows = timeToTarget.summarize(ae, {} as TimeToTargetConfig);
    expect(rows.map((r) => r.optimizer)).toEqual(["adam", "kfac", "baseline: mean training image"]);
    expect(rows[2]).toMatchObject({
      metric: "reconstruction error",
      target: 40,
      bestValidation: 52.9,
      testAccuracy: 53.6,
      stepsToTarget: null,
      secondsToTarget: null,
    });
    const verdict = timeToTarget
      .claims!.find((c) => c.id === "test-at-least-as-good")!
      .check(ae, {} as TimeToTargetConfig);
    expect(verdict!.measured).toBe("mnist-autoencoder: kfac 21 vs adam 41 ✓");
  });

  it("the mean-image error is Σ_j (μ_j − x_j)² averaged over images, μ the training images' mean", () => {
    const image = (...v: number[]) => v;
    const train = dataset([image(0, 1, 0.5), image(1, 1, 0.5), image(0.5, 0, 0.5)]);
    const test = dataset([image(0, 0, 0), image(1, 1, 1)]);
    // μ = (0.5, 2/3, 0.5): (0.25 + 4/9 + 0.25 + 0.25 + 1/9 + 0.25) / 2.
    expect(meanImageError(train, test)).toBeCloseTo((1 + 5 / 9) / 2, 14);
    // μ is the constant predictor with the least error on the training images themselves.
    const atMean = meanImageError(train, train);
    const shifted = dataset([image(0.1, 1, 0.5), image(1.1, 1, 0.5), image(0.6, 0, 0.5)]);
    expect(meanImageError(shifted, train)).toBeGreaterThan(atMean);
  });
});

describe("claims (synthetic records)", () => {
  const verdicts = (trials: TrialRecord<TimeToTargetPoint>[]) =>
    Object.fromEntries(timeToTarget.claims!.map((c) => [c.id, c.check(trials, {} as TimeToTargetConfig)]));

  it("hold when the layer-wise method needs half the steps, less time, and ends at least as accurate", () => {
    const v = verdicts([
      record("fashion-mlp", "adam", 0, [0.1, 0.5, 0.7, 0.8, 0.85], 0.84),
      record("fashion-mlp", "kfac", 0, [0.1, 0.85, 0.86, 0.87, 0.88], 0.86, 1.5),
    ]);
    expect(v["half-the-steps"]).toMatchObject({ pass: true });
    expect(v["half-the-steps"]!.measured).toBe("fashion-mlp: kfac 10 steps vs adam 40 steps ✓");
    expect(v["less-wall-clock"]).toMatchObject({ pass: true });
    expect(v["test-at-least-as-good"]).toMatchObject({ pass: true });
  });

  it("fail when the layer-wise method is only a little faster per step and slower per second", () => {
    const v = verdicts([
      record("fashion-mlp", "adam", 0, [0.1, 0.5, 0.7, 0.85], 0.86),
      record("fashion-mlp", "shampoo", 0, [0.1, 0.7, 0.85, 0.86], 0.85, 5),
    ]);
    expect(v["half-the-steps"]).toMatchObject({ pass: false });
    expect(v["half-the-steps"]!.measured).toBe("fashion-mlp: shampoo 20 steps vs adam 30 steps ✗");
    expect(v["less-wall-clock"]).toMatchObject({ pass: false });
    expect(v["test-at-least-as-good"]).toMatchObject({ pass: false });
  });

  it("are not run without both kinds of optimizer", () => {
    const v = verdicts([record("fashion-mlp", "adam", 0, [0.1, 0.5, 0.85], 0.86)]);
    expect(v["half-the-steps"]).toBeNull();
  });
});

describe("time-to-target end to end (tiny, MNIST digits)", () => {
  it("the deep autoencoder is 784-1000-500-250-30 and mirrored, logistic units but a linear code", () => {
    const net = deepAutoencoder("float64");
    const p = net.init(0);
    const shapes = Object.values(p)
      .filter((m) => m.rows > 1 && m.cols > 1)
      .map((m) => `${m.rows}x${m.cols}`);
    expect(shapes).toEqual(["1000x784", "500x1000", "250x500", "30x250", "250x30", "500x250", "1000x500", "784x1000"]);
    // Martens' sparse initialisation: 15 nonzero incoming weights per unit, zero biases.
    const decoderFirst = p["7.weight"];
    for (const m of [p["0.weight"], p["13.weight"], decoderFirst]) {
      const perUnit = m.data.subarray(0, m.cols).filter((v) => v !== 0).length;
      expect(perUnit).toBe(15);
    }
    expect(p["0.bias"].data.every((v) => v === 0)).toBe(true);
  });

  it("trains every workload and kfac-auto, records the series, and summarises them", async () => {
    const { config, trials } = await runSweep(timeToTarget, {
      dataset: "mnist",
      workload: ["fashion-mlp", "mnist-autoencoder"],
      optimizer: ["adam", "kfac", "kfac-auto"],
      trial: [0, 1],
      replicate: [0],
      settings: {
        "fashion-mlp": {
          trainSize: 256,
          validationSize: 200,
          testSize: 100,
          epochs: 1,
          evaluations: 2,
          batchSizes: [32],
        },
        "mnist-autoencoder": {
          trainSize: 64,
          validationSize: 50,
          testSize: 50,
          epochs: 1,
          evaluations: 1,
          batchSizes: [32],
          trials: 1,
        },
      },
    });
    // kfac-auto's study is one trial; the autoencoder's studies here are one trial each: the sweep leaves the
    // other points out.
    expect(trials.map((t) => `${t.point.workload}:${t.point.optimizer}:${t.point.trial}`)).toEqual([
      "fashion-mlp:adam:0",
      "fashion-mlp:adam:1",
      "fashion-mlp:kfac:0",
      "fashion-mlp:kfac:1",
      "fashion-mlp:kfac-auto:0",
      "mnist-autoencoder:adam:0",
      "mnist-autoencoder:kfac:0",
      "mnist-autoencoder:kfac-auto:0",
    ]);
    for (const t of trials) {
      expect(t.scalars.skipped).toBe(0);
      const v = t.series.validation;
      expect(Array.from(v.steps)).toEqual(t.point.workload === "fashion-mlp" ? [0, 4, 8] : [0, 2]);
      expect(t.series.seconds.values[0]).toBe(0);
      expect(t.scalars.steps).toBe(t.point.workload === "fashion-mlp" ? 8 : 2);
    }
    // The untrained MLP is near chance; adam's best trial is above it after 8 steps.
    const mlpAdam = trials.filter((t) => t.point.workload === "fashion-mlp" && t.point.optimizer === "adam");
    expect(Math.max(...mlpAdam.map((t) => t.series.validation.values[2]))).toBeGreaterThan(0.3);
    const rows = timeToTarget.summarize(trials, config as TimeToTargetConfig);
    expect(rows.map((r) => `${r.workload}:${r.optimizer}`)).toEqual([
      "fashion-mlp:adam",
      "fashion-mlp:kfac",
      "fashion-mlp:kfac-auto",
      "mnist-autoencoder:adam",
      "mnist-autoencoder:kfac",
      "mnist-autoencoder:kfac-auto",
      "mnist-autoencoder:baseline: mean training image",
    ]);
    // The mean image is a far better reconstruction than the untrained network's (step 0), yet not perfect.
    const baseline = rows.at(-1)!;
    const aeStart = trials
      .filter((t) => t.point.workload === "mnist-autoencoder")
      .map((t) => t.series.validation.values[0]);
    expect(baseline.bestValidation as number).toBeGreaterThan(10);
    expect(baseline.bestValidation as number).toBeLessThan(Math.min(...aeStart) / 2);
    expect(rows.find((r) => r.optimizer === "adam")!.stepsToTarget).not.toBeNull(); // the target is adam's own
    expect(rows.find((r) => r.workload === "mnist-autoencoder")!.metric).toBe("reconstruction error");
    const plots = timeToTarget.plots(trials, config as TimeToTargetConfig);
    expect(plots.map((p) => p.name)).toEqual(["validation-vs-steps", "validation-vs-seconds"]);
  }, 300_000);
});

describe("time-to-target through the CLI", () => {
  it("runs a tiny study, then resumes after losing a trial: only that one reruns, same steps and test metrics", async () => {
    const tmp = tempDir("ttt");
    try {
      const out = join(tmp.dir, "out");
      const args = [
        "run",
        "time-to-target",
        "--set",
        "dataset=mnist",
        "--set",
        "workload=fashion-mlp",
        "--set",
        "optimizer=sgd,kfac",
        "--set",
        "trial=0",
        "--set",
        "replicate=0,1",
        "--set",
        "settings.fashion-mlp.batchSizes=32",
        "--set",
        "settings.fashion-mlp.trainSize=128",
        "--set",
        "settings.fashion-mlp.validationSize=100",
        "--set",
        "settings.fashion-mlp.testSize=100",
        "--set",
        "settings.fashion-mlp.evaluations=2",
        "--workers",
        "1",
        "--out",
        out,
        "--json",
      ];
      const first = await cli(args);
      expect([0, 1], first.stderr).toContain(first.status); // 1: a claim failed at this size
      const a = lastJson(first.stdout) as { trials: { ran: number }; summary: Record<string, unknown>[] };
      expect(a.trials.ran).toBe(4);
      const db = new Database(join(out, "results.sqlite"));
      // A trial killed mid-way leaves nothing (each trial is stored in one transaction).
      for (const table of ["trial", "scalar", "series"]) {
        db.prepare(`DELETE FROM ${table} WHERE point_index = 1 AND repeat = 0`).run();
      }
      db.close();
      const second = await cli(args);
      const b = lastJson(second.stdout) as { trials: { ran: number; skipped: number }; summary: typeof a.summary };
      expect(b.trials).toMatchObject({ ran: 1, skipped: 3 });
      const stable = (rows: typeof a.summary) =>
        rows.map((r) => [r.optimizer, r.target, r.stepsToTarget, r.testAccuracy, r.bestTrial]);
      expect(stable(b.summary)).toEqual(stable(a.summary));
    } finally {
      tmp.cleanup();
    }
  }, 300_000);
});
