/**
 * The quadratic experiment's claims, by running it at small size: GD contracts at exactly the theoretical rate
 * (κ−1)/(κ+1), never slower than the bound; the full inverse preconditioner converges in one step; the diagonal
 * preconditioner fixes an axis-aligned spectrum but not a rotated one.
 */
import { describe, expect, it } from "vitest";
import {
  GD_RATE_TOLERANCE,
  measuredRate,
  quadratic,
  theoryRate,
  type QuadraticPoint,
} from "../../../src/experiments/quadratic/index.js";
import type { TrialRecord } from "../../../src/results/records.js";
import { executeTrial } from "../../../src/runner/trial.js";
import { planTrials } from "../../../src/runner/sweep.js";

async function runSweep(overrides: Record<string, unknown>, seeds = 1): Promise<TrialRecord<QuadraticPoint>[]> {
  const config = quadratic.schema.parse(overrides) as Record<string, unknown>;
  const out = [];
  for (const t of planTrials(config, quadratic.sweepable, seeds, 7)) {
    const record = await executeTrial(quadratic, t);
    expect(record.status, record.error).toBe("done");
    out.push(record as TrialRecord<QuadraticPoint>);
  }
  return out;
}

describe("quadratic", () => {
  it("measuredRate recovers the rate of a geometric sequence", () => {
    const rel = Float64Array.from({ length: 50 }, (_, t) => 0.9 ** (2 * t));
    expect(measuredRate(rel)).toBeCloseTo(0.9, 12);
  });

  it("GD contracts at (κ−1)/(κ+1) and stays under the bound L_t ≤ ρ^{2t} L_0", async () => {
    const trials = await runSweep({ kappa: [10, 100], d: 30, steps: 800 });
    for (const t of trials) {
      const rho = theoryRate(t.point.kappa);
      expect(t.scalars["theoryRate:gd"]).toBeCloseTo(rho, 12);
      expect(Math.abs(t.scalars["measuredRate:gd"]! - rho) / rho).toBeLessThan(GD_RATE_TOLERANCE);
      const loss = t.series["loss:gd"].values;
      for (let s = 0; s < loss.length; s++) expect(loss[s]).toBeLessThanOrEqual(rho ** (2 * s) * (1 + 1e-9) + 1e-28);
      // Steps to target within the bound's prediction ln(target)/(2 ln ρ), and at least half of it.
      const bound = Math.log(1e-6) / (2 * Math.log(rho));
      const steps = t.scalars["stepsToTarget:gd"]!;
      expect(steps).toBeLessThanOrEqual(Math.ceil(bound));
      expect(steps).toBeGreaterThan(bound / 2);
    }
    // The experiment's own claim, on the same trials.
    expect(quadratic.claims!.find((c) => c.id === "gd-rate")!.check(trials, {} as never)?.pass).toBe(true);
  });

  it("the full inverse preconditioner converges in one step whatever κ", async () => {
    const trials = await runSweep({ kappa: [10, 1e4], d: 20, steps: 5 });
    for (const t of trials) {
      expect(t.scalars["stepsToTarget:preconditioned"]).toBe(1);
      expect(t.series["loss:preconditioned"].values[1]).toBeLessThan(1e-20);
    }
    expect(quadratic.claims!.find((c) => c.id === "newton-one-step")!.check(trials, {} as never)?.pass).toBe(true);
  });

  it("the diagonal preconditioner removes an axis-aligned spectrum but not a rotated one", async () => {
    const [aligned] = await runSweep({ kappa: [100], d: 20, steps: 50, rotate: false });
    expect(aligned.scalars["stepsToTarget:diagonal"]).toBe(1);
    const [rotated] = await runSweep({ kappa: [100], d: 20, steps: 2000, rotate: true });
    expect(rotated.scalars["stepsToTarget:diagonal"]).toBeGreaterThan(50);
    // Its measured rate matches its own theory (κ_D−1)/(κ_D+1).
    expect(rotated.scalars["measuredRate:diagonal"]).toBeCloseTo(rotated.scalars["theoryRate:diagonal"]!, 3);
  });

  it("summarize gives one row per (algorithm, κ) with the contract's fields, averaged over seeds", async () => {
    const trials = await runSweep({ kappa: [10, 30], d: 10, steps: 300 }, 2);
    const config = quadratic.schema.parse({ kappa: [10, 30], d: 10, steps: 300 });
    const rows = quadratic.summarize(trials, config);
    expect(rows.map((r) => `${r.algorithm}@${r.kappa}`)).toEqual([
      "gd@10",
      "diagonal@10",
      "preconditioned@10",
      "gd@30",
      "diagonal@30",
      "preconditioned@30",
    ]);
    for (const r of rows)
      expect(Object.keys(r).sort()).toEqual(["algorithm", "kappa", "measuredRate", "stepsToTarget", "theoryRate"]);
    const gd10 = trials.filter((t) => t.point.kappa === 10).map((t) => t.scalars["stepsToTarget:gd"]!);
    expect(rows[0].stepsToTarget).toBe((gd10[0] + gd10[1]) / 2);
    expect(quadratic.plots(trials, config).map((p) => p.name)).toEqual(["loss-curves", "steps-to-target"]);
  });
});
