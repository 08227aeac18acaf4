/**
 * Issue 8, item 1: the theory rates `linrep-kappa` prints must be comparable with what it measures. Runs the
 * experiment's own trials (grid-searched step sizes, noisy online batches) at a small size and checks, through
 * the experiment's own claim, that every row with an exact theory rate and a measured rate agrees within 25% in
 * log-rate, and that rows without an observable linear phase are not labelled "exact".
 */
import { describe, expect, it } from "vitest";
import { linrepKappa } from "../../../src/experiments/linrep/kappa.js";
import { runExperimentInProcess } from "../../helpers/experiment.js";

describe("linrep-kappa: measured rates against the theory at the head reached", () => {
  it("agree within 25% in log-rate wherever both exist (d_X = 20, k = 2, d_Y = 6, n = 512)", async () => {
    const { config, trials } = await runExperimentInProcess(linrepKappa, {
      dX: 20,
      k: 2,
      dY: 6,
      batch: 512,
      nTest: 200,
      nTransfer: 50,
      steps: 600,
      algorithm: ["amd", "one-sided", "kfac"],
      kappaX: [1, 10, 100],
      kappaF: [1, 3],
      tuning: { steps: 200 },
    });
    const rows = linrepKappa.summarize(trials, config);
    const compared = rows.filter((r) => r.theoryKind === "exact");
    // Enough rows with a linear phase that the check means something.
    expect(compared.length).toBeGreaterThanOrEqual(6);
    for (const r of compared) {
      const ratio = Math.log(r.measuredRate as number) / Math.log(r.theoryRate as number);
      expect(ratio, JSON.stringify(r)).toBeGreaterThanOrEqual(0.8);
      expect(ratio, JSON.stringify(r)).toBeLessThanOrEqual(1.25);
    }
    // A row labelled exact always has both numbers; rows without a phase carry no theory rate to compare.
    for (const r of rows) {
      if (r.theoryKind === "exact") expect(r.measuredRate).not.toBeNull();
      if (r.theoryKind === "exact (no linear phase)") expect(r.theoryRate).toBeNull();
    }
    const verdict = linrepKappa.claims!.find((c) => c.id === "theory-rates")!.check(trials, config);
    expect(verdict?.pass).toBe(true);
  }, 120_000);

  it("still agree when only every third step is logged (the theory follows the head between logged steps)", async () => {
    const { config, trials } = await runExperimentInProcess(linrepKappa, {
      dX: 20,
      k: 2,
      dY: 6,
      batch: 512,
      nTest: 200,
      nTransfer: 50,
      steps: 600,
      logEvery: 3,
      algorithm: ["amd", "one-sided"],
      kappaX: [10, 100],
      kappaF: [3],
      tuning: { steps: 200 },
    });
    const rows = linrepKappa.summarize(trials, config);
    expect(rows.filter((r) => r.theoryKind === "exact").length).toBeGreaterThanOrEqual(3);
    const verdict = linrepKappa.claims!.find((c) => c.id === "theory-rates")!.check(trials, config);
    expect(verdict?.pass, verdict?.measured).toBe(true);
  }, 120_000);
});
