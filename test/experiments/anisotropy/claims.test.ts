/**
 * The summary and the claims of `anisotropy` on synthetic trial records, where the right verdict is known: rows
 * with the bootstrap interval of each cell, and the interval rules of claims.ts (established, refuted, undecided).
 */
import { describe, expect, it } from "vitest";
import { anisotropy } from "../../../src/experiments/anisotropy/index.js";
import { bootstrapMedian } from "../../../src/experiments/anisotropy/bootstrap.js";
import { growthBounds, sgdGrowthAtLeast } from "../../../src/experiments/anisotropy/claims.js";
import { BOOTSTRAP_SEED } from "../../../src/experiments/anisotropy/summary.js";
import type { AnisotropyConfig, AnisotropyPoint } from "../../../src/experiments/anisotropy/schema.js";
import { evaluateClaims } from "../../../src/results/claims.js";
import { renderSvg } from "../../../src/report/render.js";
import type { TrialRecord } from "../../../src/results/records.js";

const config = anisotropy.schema.parse({}) as AnisotropyConfig;

/** Trials of one cell with these steps to target (null: not reached). */
function cell(
  architecture: "mlp" | "2c2d",
  optimizer: AnisotropyPoint["optimizer"],
  kappa: number,
  steps: (number | null)[],
): TrialRecord<AnisotropyPoint>[] {
  return steps.map((s, replicate) => ({
    point: { ...config, architecture, inputs: "real", optimizer, kappa, replicate } as AnisotropyPoint,
    pointIndex: 0,
    repeat: 0,
    seed: replicate,
    status: "done",
    durationMs: 0,
    scalars: { stepsToTarget: s, finalTrainLoss: 0.1, testAccuracy: 0.8, diverged: 0, budget: 500, lr: 0.1 },
    series: { trainLoss: { steps: Float64Array.of(0, 100, 200), values: Float64Array.of(2.3, 0.5, 0.2) } },
    info: {},
  }));
}

describe("anisotropy summary on synthetic records", () => {
  it("gives each (architecture, inputs, optimizer, κ) its median, bootstrap interval and seed count", () => {
    const steps = [100, 120, 110, null, 130];
    const rows = anisotropy.summarize([...cell("mlp", "kfac", 1, steps), ...cell("mlp", "kfac", 1000, [90])], config);
    const reference = bootstrapMedian(steps, { seed: BOOTSTRAP_SEED });
    expect(rows[0]).toMatchObject({
      architecture: "mlp",
      inputs: "real",
      optimizer: "kfac",
      kappa: 1,
      stepsToTarget: 120,
      stepsLow: reference.low,
      stepsHigh: reference.high,
      seeds: 5,
      reached: 4,
    });
    expect(rows[1]).toMatchObject({ kappa: 1000, stepsToTarget: 90, stepsLow: 90, stepsHigh: 90, seeds: 1 });
  });
});

describe("anisotropy figures", () => {
  it("both compile with Vega-Lite and render, one panel per architecture and inputs", async () => {
    const trials = [
      ...cell("mlp", "kfac", 1, [100, 120]),
      ...cell("mlp", "kfac", 1000, [null, 150]),
      ...cell("2c2d", "sgd", 1, [null, null]),
      ...cell("2c2d", "sgd", 1000, [80, 90]),
    ];
    const plots = anisotropy.plots(trials, config);
    expect(plots.map((p) => p.name)).toEqual(["steps-vs-kappa", "training-loss"]);
    const points = (plots[0].spec.data as { values: { panel: string; steps: number; high: number }[] }).values;
    expect(new Set(points.map((p) => p.panel))).toEqual(new Set(["mlp, real", "2c2d, real"]));
    // A median not reached is drawn at the budget, and so is an interval end that was not reached.
    expect(points.find((p) => p.panel === "2c2d, real")!.steps).toBe(500);
    expect(points[1].high).toBe(500);
    for (const p of plots) expect(await renderSvg(p.spec)).toMatch(/^<svg/);
  }, 60_000);
});

describe("anisotropy claims from the intervals", () => {
  const verdict = (trials: TrialRecord<AnisotropyPoint>[], id: string) =>
    evaluateClaims(anisotropy, trials, config).find((v) => v.claim === id)!;

  it("passes when KFAC's intervals bound its growth by 2× and SGD's show ≥ 5×", () => {
    const trials = [
      ...cell("mlp", "kfac", 1, [100, 102, 98, 101, 99]),
      ...cell("mlp", "kfac", 1000, [150, 152, 148, 151, 149]),
      ...cell("mlp", "sgd", 1, [100, 102, 98, 101, 99]),
      ...cell("mlp", "sgd", 1000, [null, null, null, null, 600]),
    ];
    const v = verdict(trials, "mlp-real");
    expect(v.status).toBe("pass");
    expect(v.measured).toMatch(/within 2× established/);
    expect(v.measured).toMatch(/≥ 5× established/);
    // The other panels were not run.
    expect(verdict(trials, "2c2d-real").status).toBe("not run");
  });

  it("fails, saying refuted, when KFAC's growth is above 2× even at the intervals' ends", () => {
    const trials = [
      ...cell("2c2d", "kfac", 1, [100, 102, 98, 101, 99]),
      ...cell("2c2d", "kfac", 1000, [300, 310, 290, 305, 295]),
      ...cell("2c2d", "sgd", 1, [100, 102, 98, 101, 99]),
      ...cell("2c2d", "sgd", 1000, [900, 910, 890, 905, 895]),
    ];
    const v = verdict(trials, "2c2d-real");
    expect(v.status).toBe("fail");
    expect(v.measured).toMatch(/within 2× refuted/);
  });

  it("fails as undecided when the intervals straddle 2× although the medians are within it", () => {
    const trials = [
      ...cell("mlp", "kfac", 1, [60, 100, 100, 100, 140]),
      ...cell("mlp", "kfac", 1000, [100, 150, 150, 150, 260]),
      ...cell("mlp", "sgd", 1, [100, 100, 100, 100, 100]),
      ...cell("mlp", "sgd", 1000, [null, null, null, null, null]),
    ];
    const v = verdict(trials, "mlp-real");
    expect(v.status).toBe("fail");
    expect(v.measured).toMatch(/within 2× undecided/);
  });

  it("growth bounds: ratios of interval ends; not reached is ∞", () => {
    const c = (kappa: number, low: number | null, high: number | null) => ({ kappa, median: low, low, high });
    expect(growthBounds([c(1, 100, 120), c(1000, 150, 180)])).toEqual({ atMost: 1.8, atLeast: 1.25 });
    expect(growthBounds([c(1, 100, 120), c(1000, 150, null)]).atMost).toBe(Infinity);
    expect(growthBounds([c(1, null, null), c(1000, null, null)])).toEqual({ atMost: Infinity, atLeast: 1 });
    expect(sgdGrowthAtLeast([c(1, 100, 120), c(1000, 600, 700)])).toBe(5);
    expect(sgdGrowthAtLeast([c(1, 100, 120), c(1000, null, null)])).toBe(Infinity);
    expect(sgdGrowthAtLeast([c(1, 100, null), c(1000, 600, 700)])).toBe(0);
  });
});
