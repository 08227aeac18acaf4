/**
 * `robustness`: its config (defaults, refusals, exit code 2 through the CLI), the cell bookkeeping (good cells,
 * diverged cells, robustness, the diverged fraction) against hand-computed values and a naive recount, the
 * divergence rule, the claims on synthetic records, the heat maps' shared colour scale, kfac-auto through the
 * shared training loop, and a tiny grid (with kfac-auto and the 2c2d CNN) trained end to end on the MNIST digits.
 */
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { robustness } from "../../../src/experiments/robustness/index.js";
import {
  DEFAULT_SECOND_VALUES,
  type RobustnessConfig,
  type RobustnessPoint,
} from "../../../src/experiments/robustness/schema.js";
import { panelsPerRow, summarizeCells } from "../../../src/experiments/robustness/summary.js";
import { renderSvg } from "../../../src/report/render.js";
import { REPEATS_KFAC_AUTO_CELL, isDiverged, type CellRecord } from "../../../src/experiments/robustness/trial.js";
import { KFAC_AUTO, makeKfacAuto } from "../../../src/experiments/robustness/methods.js";
import { robustnessClaims } from "../../../src/experiments/robustness/claims.js";
import { OPTIMIZERS } from "../../../src/experiments/fashion/optimizers.js";
import { loadTrialData } from "../../../src/experiments/fashion/data.js";
import { mlp } from "../../../src/experiments/fashion/networks.js";
import { trainClassifier } from "../../../src/experiments/fashion/train.js";
import { evaluateClaims } from "../../../src/results/claims.js";
import { Matrix } from "../../../src/linalg/matrix.js";
import type { GradientTransformation, UpdateContext } from "../../../src/optim/transform.js";
import { MLP_DEFAULTS } from "../../../src/experiments/fashion/mlp.js";
import { experiments } from "../../../src/experiments/index.js";
import type { Experiment } from "../../../src/experiments/types.js";
import type { TrialRecord } from "../../../src/results/records.js";
import { planTrials } from "../../../src/runner/sweep.js";
import { cli, tempDir } from "../../cli/helpers.js";
import { refusals, runSweep } from "../../helpers/in-process.js";

const e = robustness as unknown as Experiment<unknown, unknown>;

describe("robustness config", () => {
  it("has a 5 × 5 grid per optimizer and architecture by default, plus kfac-auto, and is registered", () => {
    const c = robustness.schema.parse({}) as RobustnessConfig;
    expect(c.architecture).toEqual(["mlp", "cnn"]);
    expect(c.optimizer).toEqual(["sgd", "adam", "kfac", "ekfac", "shampoo", "soap", "muon", "kfac-auto"]);
    expect(c.learningRateFactor).toHaveLength(5);
    expect(c.secondIndex).toEqual([0, 1, 2, 3, 4]);
    expect(c.secondValues.kfac).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(c.kfacAutoDamping).toBe(1);
    expect(c).toMatchObject({ channels: [8, 16], denseWidth: 64, batchNorm: false, trainSize: 5000, epochs: 2 });
    for (const o of OPTIMIZERS) {
      // Each grid holds the optimizer's tuned default, so the best cell is at least as good as the default.
      expect(c.secondValues[o]).toContain(MLP_DEFAULTS[o].second);
      expect(c.secondValues[o]).toEqual(DEFAULT_SECOND_VALUES[o]);
    }
    expect(robustness.sweepable).toEqual(["optimizer", "architecture", "learningRateFactor", "secondIndex"]);
    expect(experiments.map((x) => x.name)).toContain("robustness");
    expect(robustness.schema.safeParse(robustness.quick).success).toBe(true);
  });

  it("the sweep plans every grid cell and kfac-auto's one cell, at their indices in the whole product", () => {
    const input = {
      dataset: "mnist",
      optimizer: ["sgd", "kfac-auto"],
      learningRateFactor: [0.1, 1],
      secondIndex: [0, 1],
    };
    const config = robustness.schema.parse(input) as unknown as Record<string, unknown>;
    const includes = robustness.includes as (point: Record<string, unknown>) => boolean;
    const planned = planTrials(config, robustness.sweepable, 1, 0, includes).map(
      (t) =>
        `${t.pointIndex} ${t.point.optimizer} ${t.point.architecture} ${t.point.learningRateFactor}/${t.point.secondIndex}`,
    );
    const expected: string[] = [];
    let index = 0;
    for (const optimizer of input.optimizer)
      for (const architecture of ["mlp", "cnn"])
        for (const lr of input.learningRateFactor)
          for (const second of input.secondIndex) {
            if (optimizer !== KFAC_AUTO || (lr === 1 && second === 0))
              expected.push(`${index} ${optimizer} ${architecture} ${lr}/${second}`);
            index++;
          }
    expect(planned).toEqual(expected);
    expect(planned).toHaveLength(10); // of 16 points
  });

  it("a kfac-auto point run on its own away from its cell says so and does not train", async () => {
    const config = robustness.schema.parse({ dataset: "mnist", optimizer: [KFAC_AUTO] }) as RobustnessConfig;
    const point = { ...config, optimizer: KFAC_AUTO, architecture: "mlp", learningRateFactor: 3, secondIndex: 0 };
    const info: Record<string, unknown> = {};
    const scalars: Record<string, number | null> = {};
    await robustness.run(point as unknown as RobustnessPoint, {
      seed: 1,
      scalar: (k, v) => void (scalars[k] = v),
      series: () => {},
      info: (k, v) => void (info[k] = v),
      progress: () => {},
    });
    expect(info[REPEATS_KFAC_AUTO_CELL]).toMatch(/kfac-auto has no grid/);
    expect(scalars).toEqual({});
  });

  it("refuses empty grids, indices past a list, and out-of-range hyperparameters, naming the field", () => {
    expect(refusals(e, { learningRateFactor: [] })).toMatch(
      /^learningRateFactor: the learning-rate axis of the grid needs at least one value/m,
    );
    expect(refusals(e, { secondIndex: [] })).toMatch(
      /^secondIndex: the second axis of the grid needs at least one value/m,
    );
    expect(refusals(e, { secondValues: { kfac: [] } })).toMatch(
      /^secondValues\.kfac: needs at least one damping value/m,
    );
    expect(refusals(e, { optimizer: ["kfac"], secondValues: { kfac: [1e-3, 1e-2] } })).toMatch(
      /^secondIndex: secondIndex 4 is past the 2 values of secondValues\.kfac; allowed 0…1/m,
    );
    expect(refusals(e, { secondValues: { sgd: [0, 1] } })).toMatch(
      /^secondValues\.sgd\.1: momentum of sgd must be in \[0, 1\), got 1/m,
    );
    expect(refusals(e, { secondValues: { kfac: [0, 1] } })).toMatch(
      /^secondValues\.kfac\.0: damping of kfac must be > 0, got 0/m,
    );
    expect(refusals(e, { learningRateFactor: [1, -1] })).toMatch(/^learningRateFactor\.1: must be > 0, got -1/m);
    expect(refusals(e, { architecture: ["rnn"] })).toMatch(/^architecture\.0: /m);
    expect(refusals(e, { kfacAutoDamping: 0 })).toMatch(/^kfacAutoDamping: must be > 0, got 0/m);
    expect(refusals(e, { channels: [8, 16, 32] })).toMatch(/^channels: cnn: needs exactly two conv stages/m);
    // kfac-auto trains at learningRateFactor 1, secondIndex 0: a grid without them is refused while it is chosen.
    expect(refusals(e, { learningRateFactor: [0.1, 3] })).toMatch(
      /^learningRateFactor: kfac-auto trains once, at the grid's cell learningRateFactor = 1, secondIndex = 0; learningRateFactor \[0\.1, 3\] lacks 1/m,
    );
    expect(refusals(e, { secondIndex: [1, 2] })).toMatch(/^secondIndex: kfac-auto trains once, .* lacks 0/m);
    expect(robustness.schema.safeParse({ optimizer: ["sgd"], learningRateFactor: [0.1, 3] }).success).toBe(true);
  });

  it("exits with code 2 on an empty grid through the CLI, before creating the output directory", async () => {
    const tmp = tempDir("robustness");
    try {
      const out = join(tmp.dir, "out");
      const r = await cli([
        "run",
        "robustness",
        "--set",
        "dataset=mnist",
        "--set",
        "learningRateFactor=",
        "--out",
        out,
      ]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/learningRateFactor/);
      expect(existsSync(out)).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });
});

/** A finished trial of one cell with the given outcome. */
function trial(
  optimizer: string,
  lrFactor: number,
  secondIndex: number,
  accuracy: number | null,
  diverged = false,
  architecture = "mlp",
): TrialRecord<RobustnessPoint> {
  const cell: CellRecord = {
    optimizer,
    architecture,
    lrFactor,
    learningRate: optimizer === KFAC_AUTO ? null : lrFactor,
    secondIndex,
    secondName: optimizer === "sgd" ? "momentum" : "damping",
    second: secondIndex,
    testAccuracy: accuracy,
    initialLoss: 2.3,
    finalLoss: diverged ? null : 0.5,
    diverged,
  };
  return {
    point: { optimizer, architecture, learningRateFactor: lrFactor, secondIndex } as RobustnessPoint,
    pointIndex: 0,
    repeat: 0,
    seed: 0,
    status: "done",
    durationMs: 0,
    scalars: { testAccuracy: accuracy, diverged: diverged ? 1 : 0 },
    series: {},
    info: { cell },
  };
}

/** A kfac-auto point that repeats its one cell: it did not train and has no cell record. */
function repeatedKfacAutoPoint(lrFactor: number, architecture = "mlp"): TrialRecord<RobustnessPoint> {
  return {
    ...trial(KFAC_AUTO, lrFactor, 0, null, false, architecture),
    scalars: {},
    info: { [REPEATS_KFAC_AUTO_CELL]: "kfac-auto has no grid" },
  };
}

describe("cells, good cells and robustness", () => {
  // kfac: best 0.90; 0.895 and 0.89 are within 1 point, 0.88 is not; one cell diverged (its accuracy is ignored).
  // sgd: two seeds in one cell average to 0.85 (good: the best is 0.855); a cell with one diverged seed is diverged.
  const trials = [
    trial("kfac", 1, 0, 0.9),
    trial("kfac", 1, 1, 0.895),
    trial("kfac", 3, 0, 0.89),
    trial("kfac", 3, 1, 0.88),
    trial("kfac", 10, 0, 0.95, true),
    trial("sgd", 1, 0, 0.84),
    trial("sgd", 1, 0, 0.86),
    trial("sgd", 3, 0, 0.855),
    trial("sgd", 3, 1, 0.9),
    trial("sgd", 3, 1, 0.1, true),
  ];

  it("marks cells good within the margin of the best cell that did not diverge", () => {
    const cells = summarizeCells(trials, 0.01);
    const good = cells.filter((c) => c.good).map((c) => `${c.optimizer}:${c.lrFactor}:${c.secondIndex}`);
    expect(good).toEqual(["kfac:1:0", "kfac:1:1", "kfac:3:0", "sgd:1:0", "sgd:3:0"]);
    const sgdPair = cells.find((c) => c.optimizer === "sgd" && c.lrFactor === 1)!;
    expect(sgdPair.accuracy).toBeCloseTo(0.85, 12);
    expect(sgdPair.seeds).toBe(2);
    const mixed = cells.find((c) => c.optimizer === "sgd" && c.secondIndex === 1)!;
    expect(mixed).toMatchObject({ diverged: true, good: false, accuracy: 0.9 });
  });

  it("summary rows: cells, goodCells, bestAccuracy, robustness = good/cells", () => {
    const rows = robustness.summarize(trials, { goodMargin: 0.01 } as RobustnessConfig);
    expect(rows).toEqual([
      expect.objectContaining({ optimizer: "kfac", architecture: "mlp", cells: 5, goodCells: 3, bestAccuracy: 0.9 }),
      expect.objectContaining({ optimizer: "sgd", architecture: "mlp", cells: 3, goodCells: 2, bestAccuracy: 0.855 }),
    ]);
    expect(rows[0].robustness).toBeCloseTo(3 / 5, 12);
    expect(rows[1].robustness).toBeCloseTo(2 / 3, 12);
    expect(rows[0].divergedCells).toBe(1);
    // A wider margin makes more cells good.
    const loose = robustness.summarize(trials, { goodMargin: 0.05 } as RobustnessConfig);
    expect(loose[0].goodCells).toBe(4);
  });

  it("heat maps: one panel per optimizer × architecture on one shared colour scale; diverged cells marked", () => {
    const config = { goodMargin: 0.01, architecture: ["mlp"], optimizer: ["sgd", "kfac"] } as RobustnessConfig;
    const [plot] = robustness.plots(trials, config);
    type Block = {
      facet: { field: string };
      columns: number;
      resolve: { scale: Record<string, string> };
      spec: { layer: { encoding: { color?: { scale?: { domain: number[] } } } }[] };
    };
    const spec = plot.spec as { vconcat: Block[]; data: { values: { text: string; diverged: boolean }[] } };
    expect(spec.vconcat).toHaveLength(1); // one block per architecture
    const [block] = spec.vconcat;
    expect([block.facet.field, block.columns]).toEqual(["optimizer", 2]);
    expect(block.resolve.scale.color).toBeUndefined(); // colour shared across panels
    const [lo, hi] = block.spec.layer[1].encoding.color!.scale!.domain;
    expect(lo).toBeCloseTo(0.85, 12); // the worst shown cell, over both panels
    expect(hi).toBe(0.9); // diverged cells (0.95) are not shown
    expect(spec.data.values.filter((v) => v.diverged).map((v) => v.text)).toEqual(["×", "×"]);
  });
});

describe("the heat maps' layout", () => {
  it("panels per row: the fewest rows of at most 4, filled evenly", () => {
    expect([1, 3, 4, 5, 7, 8, 9].map(panelsPerRow)).toEqual([1, 3, 4, 3, 4, 4, 3]);
  });

  it("8 optimizers × 2 architectures: two rows of four panels per architecture, the second block below the first", async () => {
    const config = robustness.schema.parse({ dataset: "mnist" }) as RobustnessConfig;
    const trials = config.architecture.flatMap((architecture) =>
      config.optimizer.flatMap((optimizer, o) =>
        [0, 1].map((i) => trial(optimizer, 1, i, 0.8 + 0.01 * o, false, architecture)),
      ),
    );
    const [plot] = robustness.plots(trials, config);
    const svg = await renderSvg(plot.spec);
    // Each panel is a group translated to its place within its architecture's block, framed by a 170×150 background.
    const panelOrigins = (part: string) =>
      [
        ...part.matchAll(
          /<g transform="translate\(([-\d.]+),([-\d.]+)\)"><path class="background"[^>]*d="M0\.5,0\.5h170v150h-170Z"/g,
        ),
      ].map((m) => [Number(m[1]), Number(m[2])]);
    const distinct = (xs: number[]) => new Set(xs).size;
    const blockStart = (k: number) => svg.indexOf(`role-scope concat_${k}_group`);
    const blocks = [svg.slice(blockStart(0), blockStart(1)), svg.slice(blockStart(1))];
    for (const block of blocks) {
      const origins = panelOrigins(block);
      expect(origins).toHaveLength(8);
      expect(distinct(origins.map(([x]) => x))).toBe(4);
      expect(distinct(origins.map(([, y]) => y))).toBe(2);
    }
    // The cnn block starts below the mlp block's two rows.
    const second = svg.match(/role-scope concat_1_group"[^>]*><g transform="translate\(([-\d.]+),([-\d.]+)\)">/);
    expect([Number(second![1]), Number(second![2])]).toEqual([0, expect.any(Number)]);
    expect(Number(second![2])).toBeGreaterThan(2 * 150);
    // About as tall as wide (one row of eight was 3126 × 546).
    const [width, height] = svg
      .match(/width="([\d.]+)" height="([\d.]+)"/)!
      .slice(1)
      .map(Number);
    expect(width).toBeLessThan(1.6 * height);
    expect(width).toBeLessThan(1600);
  });
});

describe("fractions of the grid: good and diverged, against a naive recount", () => {
  // Synthetic grids with seeded outcomes: 2 optimizers × 2 architectures × 5 × 5 cells × 2 seeds, a seed
  // diverging with probability 0.2, accuracies spread over 4 points so the 1-point margin splits the grid.
  let state = 12345;
  const uniform = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const trials: TrialRecord<RobustnessPoint>[] = [];
  for (const optimizer of ["sgd", "kfac"])
    for (const architecture of ["mlp", "cnn"])
      for (const lr of [0.1, 0.3, 1, 3, 10])
        for (const i of [0, 1, 2, 3, 4])
          for (let seed = 0; seed < 2; seed++) {
            const diverged = uniform() < 0.2;
            trials.push(trial(optimizer, lr, i, diverged ? null : 0.86 + 0.04 * uniform(), diverged, architecture));
          }
  // The two kfac-auto cells, each with a point that repeats it (left out of the count).
  trials.push(trial(KFAC_AUTO, 1, 0, 0.87, false, "mlp"), repeatedKfacAutoPoint(3, "mlp"));
  trials.push(trial(KFAC_AUTO, 1, 0, null, true, "cnn"), repeatedKfacAutoPoint(3, "cnn"));

  /** The naive recount: cells by key, a cell diverged if any seed did, its accuracy the mean of the others. */
  function recount(optimizer: string, architecture: string, margin: number) {
    const cells = new Map<string, { diverged: boolean; accuracies: number[] }>();
    for (const t of trials) {
      const c = t.info.cell as CellRecord | undefined;
      if (!c || c.optimizer !== optimizer || c.architecture !== architecture) continue;
      const key = `${c.lrFactor}/${c.secondIndex}`;
      const cell = cells.get(key) ?? { diverged: false, accuracies: [] };
      if (c.diverged) cell.diverged = true;
      else cell.accuracies.push(c.testAccuracy!);
      cells.set(key, cell);
    }
    const means = [...cells.values()].map((c) => ({
      diverged: c.diverged,
      accuracy: c.accuracies.length ? c.accuracies.reduce((a, b) => a + b, 0) / c.accuracies.length : null,
    }));
    const healthy = means.filter((c) => !c.diverged && c.accuracy !== null).map((c) => c.accuracy!);
    const best = healthy.length ? Math.max(...healthy) : null;
    const good = best === null ? 0 : healthy.filter((a) => a >= best - margin).length;
    const diverged = means.filter((c) => c.diverged).length;
    return { cells: means.length, good: good / means.length, diverged: diverged / means.length, best };
  }

  it("robustness = good cells / cells and divergedFraction = diverged cells / cells, per optimizer and architecture", () => {
    for (const margin of [0.01, 0.02]) {
      const rows = robustness.summarize(trials, { goodMargin: margin } as RobustnessConfig);
      expect(rows).toHaveLength(6);
      for (const row of rows) {
        const naive = recount(String(row.optimizer), String(row.architecture), margin);
        expect(row.cells).toBe(naive.cells);
        expect(row.robustness).toBeCloseTo(naive.good, 12);
        expect(row.divergedFraction).toBeCloseTo(naive.diverged, 12);
        expect(row.bestAccuracy).toBe(naive.best);
      }
    }
    // The synthetic grids are not degenerate: both fractions strictly between 0 and 1 for the grid optimizers.
    const [sgdMlp] = robustness.summarize(trials, { goodMargin: 0.01 } as RobustnessConfig);
    expect(sgdMlp.cells).toBe(25);
    expect(sgdMlp.robustness as number).toBeGreaterThan(0);
    expect(sgdMlp.robustness as number).toBeLessThan(1);
    expect(sgdMlp.divergedFraction as number).toBeGreaterThan(0);
    expect(sgdMlp.divergedFraction as number).toBeLessThan(1);
  });

  it("kfac-auto is one cell per architecture: the points that repeat it are left out", () => {
    const rows = robustness.summarize(trials, { goodMargin: 0.01 } as RobustnessConfig);
    const auto = rows.filter((r) => r.optimizer === KFAC_AUTO);
    expect(auto).toEqual([
      expect.objectContaining({ architecture: "mlp", cells: 1, goodCells: 1, bestAccuracy: 0.87, divergedCells: 0 }),
      expect.objectContaining({ architecture: "cnn", cells: 1, goodCells: 0, bestAccuracy: null, divergedCells: 1 }),
    ]);
    expect(auto[0].bestLearningRate).toBeNull();
  });
});

describe("divergence", () => {
  it("is a non-finite loss, a missing loss, or a last epoch's mean loss above the loss at initialisation", () => {
    expect(isDiverged(false, 2.3, 0.5)).toBe(false);
    expect(isDiverged(false, 2.3, 2.3)).toBe(false); // no progress is not divergence
    expect(isDiverged(false, 2.3, 2.31)).toBe(true);
    expect(isDiverged(true, 2.3, 0.5)).toBe(true);
    expect(isDiverged(false, null, 0.5)).toBe(true);
    expect(isDiverged(false, 2.3, null)).toBe(true);
  });
});

describe("robustness claims on synthetic records", () => {
  const claim = (id: string) => robustnessClaims.find((c) => c.id === id)!;
  const config = { goodMargin: 0.01 } as RobustnessConfig;
  // mlp: kfac 3 of 4 cells good, 0 diverged; sgd 1 of 4 good, 2 diverged. cnn: kfac 1 of 4 good, sgd 2 of 4.
  const trials = [
    trial("kfac", 1, 0, 0.9),
    trial("kfac", 1, 1, 0.895),
    trial("kfac", 3, 0, 0.891),
    trial("kfac", 3, 1, 0.85),
    trial("sgd", 1, 0, 0.88),
    trial("sgd", 1, 1, 0.8),
    trial("sgd", 3, 0, null, true),
    trial("sgd", 3, 1, null, true),
    trial("kfac", 1, 0, 0.9, false, "cnn"),
    trial("kfac", 1, 1, 0.8, false, "cnn"),
    trial("kfac", 3, 0, 0.8, false, "cnn"),
    trial("kfac", 3, 1, null, true, "cnn"),
    trial("sgd", 1, 0, 0.85, false, "cnn"),
    trial("sgd", 1, 1, 0.845, false, "cnn"),
    trial("sgd", 3, 0, 0.7, false, "cnn"),
    trial("sgd", 3, 1, 0.7, false, "cnn"),
    trial(KFAC_AUTO, 1, 0, 0.895),
    trial(KFAC_AUTO, 1, 0, 0.85, false, "cnn"),
  ];

  it("kfac-wider passes on an architecture where KFAC's good fraction is ≥ SGD's, and fails the claim otherwise", () => {
    const mlpOnly = trials.filter((t) => t.point.architecture === "mlp");
    expect(claim("kfac-wider").check(mlpOnly, config)).toEqual({
      pass: true,
      measured: "mlp: kfac 3/4 (75%) vs sgd 1/4 (25%)",
    });
    const both = claim("kfac-wider").check(trials, config)!;
    expect(both.pass).toBe(false);
    expect(both.measured).toBe("mlp: kfac 3/4 (75%) vs sgd 1/4 (25%); cnn: kfac 1/4 (25%) vs sgd 2/4 (50%) ✗");
  });

  it("kfac-diverges-less compares the diverged fractions", () => {
    expect(claim("kfac-diverges-less").check(trials, config)).toEqual({
      pass: false,
      measured: "mlp: kfac 0/4 diverged vs sgd 2/4; cnn: kfac 1/4 diverged vs sgd 0/4 ✗",
    });
  });

  it("kfac-auto-untuned: within the margin of KFAC's best cell on every architecture", () => {
    const result = claim("kfac-auto-untuned").check(trials, config)!;
    expect(result.pass).toBe(false); // cnn: 0.85 against 0.90
    expect(result.measured).toBe("mlp: kfac-auto 89.5% vs kfac's best 90%; cnn: kfac-auto 85% vs kfac's best 90% ✗");
    const mlpOnly = trials.filter((t) => t.point.architecture === "mlp");
    expect(claim("kfac-auto-untuned").check(mlpOnly, config)!.pass).toBe(true);
  });

  it("a run without the optimizers a claim compares gives 'not run'", () => {
    const sgdOnly = trials.filter((t) => t.point.optimizer === "sgd");
    const verdicts = evaluateClaims(robustness, sgdOnly, config);
    expect(verdicts.map((v) => v.status)).toEqual(["not run", "not run", "not run"]);
  });
});

describe("kfac-auto through the shared training loop", () => {
  it("curvature: true hands the batch's exact curvature to the update; without it the context has none", async () => {
    const data = await loadTrialData({ dataset: "mnist", trainSize: 64, testSize: 32, dataSeed: 0 });
    const seen: UpdateContext[] = [];
    // A recording transform that never moves the parameters.
    const recorder: GradientTransformation = {
      init: () => null,
      update(grads, state, _params, ctx) {
        seen.push(ctx!);
        const zero = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, new Matrix(g.rows, g.cols)]));
        return { updates: zero, state };
      },
    };
    const run = (curvature: boolean) =>
      trainClassifier({
        network: mlp(784, [8], 10),
        optimizer: recorder,
        layerStats: false,
        curvature,
        train: data.train,
        evaluation: data.test,
        epochs: 1,
        batchSize: 32,
        seed: 1,
      });
    await run(true);
    expect(seen).toHaveLength(2);
    for (const ctx of seen) {
      expect(ctx.curvature).toBeDefined();
      expect(ctx.curvature!.loss).toBe(ctx.loss);
      expect(ctx.curvature!.batchSize).toBe(32);
    }
    seen.length = 0;
    await run(false);
    expect(seen.every((ctx) => ctx.curvature === undefined)).toBe(true);
  });

  it("trains a tiny MLP with kfac-auto (loss falls, accuracy well above chance); refuses without curvature", async () => {
    const data = await loadTrialData({ dataset: "mnist", trainSize: 400, testSize: 300, dataSeed: 0 });
    const losses: number[] = [];
    const options = {
      network: mlp(784, [16], 10),
      layerStats: true,
      train: data.train,
      evaluation: data.test,
      epochs: 2,
      batchSize: 50,
      seed: 3,
    };
    const result = await trainClassifier({
      ...options,
      optimizer: makeKfacAuto(1),
      curvature: true,
      onStep: (_step, loss) => losses.push(loss),
    });
    expect(result.diverged).toBe(false);
    expect(losses).toHaveLength(16);
    expect(result.epochs[1].trainLoss).toBeLessThan(0.6 * losses[0]);
    expect(result.epochs[1].evaluation.accuracy).toBeGreaterThan(0.6);
    await expect(trainClassifier({ ...options, optimizer: makeKfacAuto(1) })).rejects.toThrow(
      /adaptive: true needs the batch's curvature in the update context/,
    );
  }, 60_000);
});

describe("robustness end to end (tiny, MNIST digits)", () => {
  it("trains every cell, stores it in the trial info, and flags an absurd learning rate as diverged", async () => {
    const { config, trials } = await runSweep(robustness, {
      dataset: "mnist",
      optimizer: ["sgd"],
      architecture: ["mlp"],
      learningRateFactor: [1, 1e4],
      secondIndex: [2],
      trainSize: 300,
      testSize: 200,
      hidden: [16],
      batchSize: 50,
      epochs: 2,
    });
    expect(trials).toHaveLength(2);
    const cells = trials.map((t) => t.info.cell as CellRecord);
    expect(cells[0]).toMatchObject({
      optimizer: "sgd",
      lrFactor: 1,
      secondName: "momentum",
      second: 0.9,
      diverged: false,
    });
    expect(cells[0].learningRate).toBeCloseTo(MLP_DEFAULTS.sgd.learningRate, 12);
    expect(cells[0].testAccuracy!).toBeGreaterThan(0.5);
    expect(cells[0].finalLoss!).toBeLessThan(cells[0].initialLoss!);
    expect(cells[1].diverged).toBe(true);
    const [row] = robustness.summarize(trials, config);
    expect(row).toMatchObject({ optimizer: "sgd", architecture: "mlp", cells: 2, goodCells: 1, divergedCells: 1 });
    expect(row.bestAccuracy).toBe(cells[0].testAccuracy);
    expect(row.robustness).toBe(0.5);
    expect(row.divergedFraction).toBe(0.5);
  }, 120_000);

  it("the claims reach a verdict on real trials, agreeing with the summary rows they are read from", async () => {
    const { config, trials } = await runSweep(robustness, {
      dataset: "mnist",
      optimizer: ["sgd", "kfac", "kfac-auto"],
      architecture: ["mlp"],
      learningRateFactor: [1, 1e4],
      secondIndex: [0],
      trainSize: 300,
      testSize: 200,
      hidden: [16],
      batchSize: 50,
      epochs: 2,
    });
    const rows = robustness.summarize(trials, config);
    const row = (o: string) => rows.find((r) => r.optimizer === o)!;
    const verdicts = Object.fromEntries(evaluateClaims(robustness, trials, config).map((v) => [v.claim, v]));
    expect(row("sgd").divergedCells).toBe(1); // lr × 10⁴
    expect(verdicts["kfac-wider"].status).toBe(
      (row("kfac").robustness as number) >= (row("sgd").robustness as number) ? "pass" : "fail",
    );
    expect(verdicts["kfac-diverges-less"].status).toBe(
      (row("kfac").divergedFraction as number) <= (row("sgd").divergedFraction as number) ? "pass" : "fail",
    );
    const auto = row("kfac-auto").bestAccuracy as number;
    expect(verdicts["kfac-auto-untuned"].status).toBe(
      auto >= (row("kfac").bestAccuracy as number) - config.goodMargin ? "pass" : "fail",
    );
    expect(verdicts["kfac-auto-untuned"].measured).toContain(`kfac-auto ${Number((100 * auto).toPrecision(3))}%`);
  }, 120_000);

  it("kfac-auto trains once per architecture (2c2d CNN included); the sweep leaves its other points out", async () => {
    const { config, trials } = await runSweep(robustness, {
      dataset: "mnist",
      optimizer: ["kfac-auto"],
      architecture: ["mlp", "cnn"],
      learningRateFactor: [1, 3],
      secondIndex: [0],
      trainSize: 200,
      testSize: 200,
      hidden: [16],
      channels: [2, 4],
      denseWidth: 8,
      batchSize: 50,
      epochs: 2,
    });
    expect(trials.map((t) => [t.pointIndex, t.point.architecture, t.point.learningRateFactor])).toEqual([
      [0, "mlp", 1],
      [2, "cnn", 1],
    ]);
    for (const t of trials) {
      const cell = t.info.cell as CellRecord;
      expect(cell).toMatchObject({ learningRate: null, secondName: "initial damping", second: 1, diverged: false });
      expect(cell.finalLoss!).toBeLessThan(cell.initialLoss!);
      expect(cell.testAccuracy!).toBeGreaterThan(0.3); // chance is 0.1 after 8 steps on 200 digits
    }
    const rows = robustness.summarize(trials, config);
    expect(rows.map((r) => [r.architecture, r.cells])).toEqual([
      ["mlp", 1],
      ["cnn", 1],
    ]);
  }, 120_000);
});
