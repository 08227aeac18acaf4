/**
 * The paper's single-index claims, checked by running the real experiment code at a small size (d = 128,
 * N = 256; the spike's direction does not depend on N, only the bulk does, and theory holds for d ≥ 96 to the
 * stated tolerance — at d = 64 a single seed can drift by 0.05 at κ = 100, n/d = 4) through the experiments' own
 * claim checks (src/experiments/single-index/claims.ts, the same ones `layerwise reproduce` reports).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { singleIndexAlignment } from "../../../src/experiments/single-index/alignment.js";
import { singleIndexRisk } from "../../../src/experiments/single-index/risk.js";
import type { Experiment } from "../../../src/experiments/types.js";
import type { TrialRecord } from "../../../src/results/records.js";
import { runExperimentInProcess } from "../../helpers/experiment.js";

/** The verdict of `experiment`'s claim `id` on a run; the claim must have had what it needs. */
function verdict<C, P>(experiment: Experiment<C, P>, id: string, run: { config: C; trials: TrialRecord<P>[] }) {
  const v = experiment.claims!.find((c) => c.id === id)!.check(run.trials, run.config);
  expect(v, `claim ${id} had what it needs`).not.toBeNull();
  return v!;
}

describe("single-index claims (real code, d = 128, 3 seeds)", () => {
  let alignment: Awaited<ReturnType<typeof runExperimentInProcess<unknown, unknown>>>;
  beforeAll(async () => {
    alignment = await runExperimentInProcess(
      singleIndexAlignment as Experiment<unknown, unknown>,
      { d: 128, N: 256, algorithm: ["gd", "kfac"], kappa: [1, 10, 100], nOverD: [4, 8, 16, 32] },
      3,
    );
    expect(alignment.trials).toHaveLength(72);
  }, 300_000);

  it("GD's alignment is within 0.03 of its population limit cos(β★, Σβ★) < 0.9 at n/d = 32 (κ = 10, 100)", () => {
    const v = verdict(singleIndexAlignment as Experiment<unknown, unknown>, "gd-limit", alignment);
    expect(v.pass, v.measured).toBe(true);
    expect(v.measured).toMatch(/^κ = 10: .*; κ = 100: /);
  });

  it("KFAC's alignment is ≥ 0.97 at n/d = 32 (κ = 10, 100)", () => {
    const v = verdict(singleIndexAlignment as Experiment<unknown, unknown>, "kfac-aligned", alignment);
    expect(v.pass, v.measured).toBe(true);
  });

  it("the finite-n/d predictions are within 0.05 of simulation (mean of 3 seeds) for every n/d ≥ 4", () => {
    const v = verdict(singleIndexAlignment as Experiment<unknown, unknown>, "finite-theory", alignment);
    expect(v.pass, v.measured).toBe(true);
    expect(v.measured).toMatch(/^24 settings/);
  });

  it("KFAC's readout test MSE is below GD's, and GD's below random features', for κ ≥ 10 (η tuned on a separate seed)", async () => {
    const run = await runExperimentInProcess(
      singleIndexRisk as Experiment<unknown, unknown>,
      { d: 64, N: 256, testSamples: 2048, algorithm: ["gd", "kfac", "random-features"], kappa: [10, 100], nOverD: [8] },
      1,
      7,
    );
    const gd = run.trials.find((t) => (t.point as { algorithm: string }).algorithm === "gd")!;
    expect(typeof gd.info.eta).toBe("number");
    for (const id of ["kfac-beats-gd", "gd-learns"]) {
      const v = verdict(singleIndexRisk as Experiment<unknown, unknown>, id, run);
      expect(v.pass, v.measured).toBe(true);
    }
  });
});
