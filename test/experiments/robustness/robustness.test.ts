/**
 * `robustness`: its config (defaults, refusals, exit code 2 through the CLI), the cell bookkeeping (good cells,
 * diverged cells, robustness) against hand-computed values, the heat maps' shared colour scale, and a tiny grid
 * trained end to end on the embedded MNIST digits.
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
import { summarizeCells } from "../../../src/experiments/robustness/summary.js";
import type { CellRecord } from "../../../src/experiments/robustness/trial.js";
import { MLP_DEFAULTS } from "../../../src/experiments/fashion/mlp.js";
import { experiments } from "../../../src/experiments/index.js";
import type { Experiment } from "../../../src/experiments/types.js";
import type { TrialRecord } from "../../../src/results/records.js";
import { cli, tempDir } from "../../cli/helpers.js";
import { refusals, runSweep } from "../../helpers/in-process.js";

const e = robustness as unknown as Experiment<unknown, unknown>;

describe("robustness config", () => {
  it("has a 5 × 5 grid per optimizer and architecture by default and is registered", () => {
    const c = robustness.schema.parse({}) as RobustnessConfig;
    expect(c.architecture).toEqual(["mlp", "cnn"]);
    expect(c.optimizer).toEqual(["sgd", "adam", "kfac", "ekfac", "shampoo", "soap", "muon"]);
    expect(c.learningRateFactor).toHaveLength(5);
    expect(c.secondIndex).toEqual([0, 1, 2, 3, 4]);
    expect(c.secondValues.kfac).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1]);
    for (const o of c.optimizer) {
      // Each grid holds the optimizer's tuned default, so the best cell is at least as good as the default.
      expect(c.secondValues[o]).toContain(MLP_DEFAULTS[o].second);
      expect(c.secondValues[o]).toEqual(DEFAULT_SECOND_VALUES[o]);
    }
    expect(robustness.sweepable).toEqual(["optimizer", "architecture", "learningRateFactor", "secondIndex"]);
    expect(experiments.map((x) => x.name)).toContain("robustness");
    expect(robustness.schema.safeParse(robustness.quick).success).toBe(true);
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
  optimizer: "sgd" | "kfac",
  lrFactor: number,
  secondIndex: number,
  accuracy: number | null,
  diverged = false,
): TrialRecord<RobustnessPoint> {
  const cell: CellRecord = {
    optimizer,
    architecture: "mlp",
    lrFactor,
    learningRate: lrFactor,
    secondIndex,
    secondName: optimizer === "sgd" ? "momentum" : "damping",
    second: secondIndex,
    testAccuracy: accuracy,
    initialLoss: 2.3,
    finalLoss: diverged ? null : 0.5,
    diverged,
  };
  return {
    point: { optimizer, architecture: "mlp", learningRateFactor: lrFactor, secondIndex } as RobustnessPoint,
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
    const [plot] = robustness.plots(trials, { goodMargin: 0.01 } as RobustnessConfig);
    const spec = plot.spec as {
      facet: { row: { field: string }; column: { field: string } };
      resolve: { scale: Record<string, string> };
      spec: { layer: { encoding: { color?: { scale?: { domain: number[] } } } }[] };
      data: { values: { text: string; diverged: boolean }[] };
    };
    expect([spec.facet.row.field, spec.facet.column.field]).toEqual(["architecture", "optimizer"]);
    expect(spec.resolve.scale.color).toBeUndefined(); // colour shared across panels
    const [lo, hi] = spec.spec.layer[1].encoding.color!.scale!.domain;
    expect(lo).toBeCloseTo(0.85, 12); // the worst shown cell, over both panels
    expect(hi).toBe(0.9); // diverged cells (0.95) are not shown
    expect(spec.data.values.filter((v) => v.diverged).map((v) => v.text)).toEqual(["×", "×"]);
  });
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
    expect(row).toMatchObject({ optimizer: "sgd", architecture: "mlp", cells: 2, goodCells: 1 });
    expect(row.bestAccuracy).toBe(cells[0].testAccuracy);
    expect(row.robustness).toBe(0.5);
  }, 120_000);
});
