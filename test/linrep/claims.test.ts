/**
 * The paper's claims about linear representation learning (issue 4), asserted on the real code at small size:
 * the same trial path as `linrep-kappa` (grid-searched step sizes on a separate seed, then training), with
 * d_X = 20, k = 2, d_Y = 6, n = 512 online, σ_ε = 0.1.
 */
import { describe, expect, it } from "vitest";
import { linrepKappa } from "../../src/experiments/linrep/kappa.js";
import { linrepStability, convergentCells } from "../../src/experiments/linrep/stability.js";
import { runLinrepTrial } from "../../src/experiments/linrep/trial.js";
import type { LinrepSharedPoint } from "../../src/experiments/linrep/schema.js";
import type { LinrepAlgorithm } from "../../src/experiments/linrep/train.js";
import type { TrialContext, TrialRecord } from "../../src/experiments/types.js";
import { deriveSeed } from "../../src/random/index.js";
import { median } from "../../src/experiments/linrep/summary.js";

const SMALL = { dX: 20, k: 2, dY: 6, batch: 512, noise: 0.1, nTransfer: 50, nTest: 200 };

/** A recording trial context. */
function recorder(seed: number) {
  const scalars: Record<string, number | null> = {};
  const info: Record<string, unknown> = {};
  const ctx: TrialContext = {
    seed,
    scalar: (name, value) => void (scalars[name] = value),
    series: () => undefined,
    info: (key, value) => void (info[key] = value),
    progress: () => undefined,
  };
  return { ctx, scalars, info };
}

function point(algorithm: LinrepAlgorithm, kappaX: number, kappaF: number, overrides: object = {}): LinrepSharedPoint {
  const config = linrepKappa.schema.parse({ ...SMALL, ...overrides });
  return { ...config, algorithm, kappaX, kappaF };
}

/** Runs the linrep-kappa trial at `seeds` seeds; returns the median steps to target (null: not reached). */
function medianSteps(algorithm: LinrepAlgorithm, kappaX: number, kappaF: number, overrides: object = {}, seeds = 3) {
  const runs = Array.from({ length: seeds }, (_, s) => {
    const r = recorder(deriveSeed(2025, s));
    runLinrepTrial(point(algorithm, kappaX, kappaF, overrides), r.ctx, { stopAtTarget: true });
    return r;
  });
  return median(runs.map((r) => r.scalars.stepsToTarget ?? null));
}

/** Max/min ratio of step counts, and whether the spread is within 2× (or 2 steps when all are < 5). */
function flat(steps: (number | null)[]): boolean {
  if (steps.some((s) => s === null)) return false;
  const xs = steps as number[];
  const lo = Math.max(1, Math.min(...xs));
  const hi = Math.max(...xs);
  return hi < 5 ? hi - lo <= 2 : hi / lo <= 2;
}

describe("claims (issue 4) at small size", () => {
  it("KFAC's steps to target vary by at most 2× across κₓ ∈ {1, 10, 100, 1000} × κ_F ∈ {1, 3, 10}", () => {
    const steps: (number | null)[] = [];
    for (const kappaX of [1, 10, 100, 1000]) {
      for (const kappaF of [1, 3, 10]) steps.push(medianSteps("kfac", kappaX, kappaF, { steps: 100 }, 1));
    }
    expect(steps.every((s) => s !== null)).toBe(true);
    expect(flat(steps)).toBe(true);
  });

  it("SGD's steps to target grow by at least 10× from κₓ = 1 to κₓ = 100 (or miss the budget)", () => {
    const budget = { steps: 600, tuning: { steps: 200 } };
    const easy = medianSteps("sgd", 1, 1, budget, 1);
    const hard = medianSteps("sgd", 100, 1, budget, 1);
    expect(easy).not.toBeNull();
    if (hard !== null) expect(hard / easy!).toBeGreaterThanOrEqual(10);
  });

  it("one-sided is flat in κₓ (≤ 2×) but grows with κ_F", () => {
    const budget = { steps: 600, tuning: { steps: 300 } };
    const byKappaX = [1, 10, 100, 1000].map((kx) => medianSteps("one-sided", kx, 1, budget, 1));
    expect(flat(byKappaX)).toBe(true);
    const illConditionedHead = medianSteps("one-sided", 1, 10, budget, 1);
    expect(illConditionedHead === null || illConditionedHead >= 2 * Math.max(...(byKappaX as number[]))).toBe(true);
  });

  it("NGD with its best damping needs at least as many steps as KFAC at κₓ = 100, and converges on a narrower grid", async () => {
    const kfac = medianSteps("kfac", 100, 3, { steps: 200 }, 1);
    const ngd = medianSteps("ngd", 100, 3, { steps: 200 }, 1);
    expect(kfac).not.toBeNull();
    expect(ngd === null || ngd >= kfac!).toBe(true);

    // The stability grid: every (η, λ) cell is one trial.
    const config = linrepStability.schema.parse({
      ...SMALL,
      steps: 60,
      eta: [0.5, 1, 1.5, 1.9],
      lambda: [1e-4, 1e-2, 1],
    });
    const records: TrialRecord[] = [];
    let index = 0;
    for (const algorithm of ["kfac", "ngd"] as const) {
      for (const eta of config.eta) {
        for (const lambda of config.lambda) {
          const p = { ...config, algorithm, kappaX: 100, kappaF: 3, eta, lambda };
          const r = recorder(deriveSeed(7, index));
          await linrepStability.run(p, r.ctx);
          records.push({
            point: p,
            pointIndex: index++,
            repeat: 0,
            seed: r.ctx.seed,
            status: "done",
            durationMs: 0,
            scalars: r.scalars,
            series: {},
            info: r.info,
          });
        }
      }
    }
    const ranges = convergentCells(linrepStability.summarize(records as never, config as never));
    expect(ranges.kfac.convergent).toBeGreaterThan(ranges.ngd.convergent);
  });
});

describe("measured linear rates against the theory (noise-free, n = 2048)", () => {
  const exact: { algorithm: LinrepAlgorithm; lr: number; damping: number; orthonormalize?: boolean }[] = [
    { algorithm: "kfac", lr: 0.5, damping: 0 },
    { algorithm: "one-sided", lr: 0.2, damping: 0 },
    { algorithm: "amd", lr: 0.004, damping: 0, orthonormalize: true },
  ];
  for (const { algorithm, lr, damping, orthonormalize } of exact) {
    it(`${algorithm}: within 20% of the exact rate (in log ρ)`, () => {
      const r = recorder(99);
      runLinrepTrial(
        point(algorithm, 30, 3, {
          noise: 0,
          batch: 2048,
          steps: 3000,
          target: 1e-6,
          lr: { [algorithm]: lr },
          damping: { [algorithm]: damping },
          orthonormalize: orthonormalize ?? false,
        }),
        r.ctx,
        { stopAtTarget: true },
      );
      expect(r.info.theoryKind).toBe("exact");
      const measured = r.scalars.measuredRate!;
      const theory = r.scalars.theoryRate!;
      expect(Math.abs(Math.log(measured) / Math.log(theory) - 1)).toBeLessThan(0.2);
    });
  }

  for (const { algorithm, lr, damping } of [
    { algorithm: "sgd" as const, lr: 0.004, damping: 0 },
    { algorithm: "ngd" as const, lr: 1, damping: 1 },
  ]) {
    it(`${algorithm}: no faster than its lower bound`, () => {
      const r = recorder(99);
      runLinrepTrial(
        point(algorithm, 30, 3, {
          noise: 0,
          batch: 2048,
          steps: 1500,
          target: 1e-6,
          lr: { [algorithm]: lr },
          damping: { [algorithm]: damping },
        }),
        r.ctx,
        { stopAtTarget: true },
      );
      expect(r.info.theoryKind).toBe("lower-bound");
      expect(r.scalars.measuredRate!).toBeGreaterThanOrEqual(r.scalars.theoryRate! * 0.99);
    });
  }
});
