/**
 * `experiments.runTrial` (the package root's programmatic entry, also used by the browser explorable): the same
 * numbers as the trial a worker thread of the pool runs for the same point and seed, single values accepted for
 * sweepable keys, and every invalid input refused with a message naming the field, the value and what is allowed.
 */
import { describe, expect, it } from "vitest";
import { experiments } from "../../src/index.js";
import { planTrials } from "../../src/runner/sweep.js";
import { linrepCurves } from "../../src/experiments/linrep/curves.js";
import type { TrialRecord } from "../../src/results/records.js";
import { InputError } from "../../src/config/errors.js";

const LINREP = { algorithm: ["kfac"], kappaX: [30], kappaF: [2], dX: 20, dY: 6, k: 3, batch: 256, steps: 40 };

/** The record a worker thread of the compiled pool (dist/, built by `pretest`) produces for `trial`. */
async function workerRecord(experiment: string, trial: ReturnType<typeof planTrials>[number]): Promise<TrialRecord> {
  const { runPool } =
    (await import("../../dist/src/runner/pool.js")) as unknown as typeof import("../../src/runner/pool.js");
  const records: TrialRecord[] = [];
  await runPool([trial], { experiment, workers: 1, onResult: (r) => records.push(r) });
  expect(records).toHaveLength(1);
  return records[0];
}

describe("experiments.runTrial", () => {
  it("gives exactly the numbers of the worker-run trial with the same point and seed", async () => {
    const config = linrepCurves.schema.parse(LINREP) as unknown as Record<string, unknown>;
    const [trial] = planTrials(config, linrepCurves.sweepable, 1, 11);
    const fromWorker = await workerRecord("linrep-curves", trial);
    expect(fromWorker.status, fromWorker.error).toBe("done");

    const direct = await experiments.runTrial("linrep-curves", LINREP, trial.seed);
    expect(direct.scalars).toEqual(fromWorker.scalars);
    expect(direct.info).toEqual(fromWorker.info);
    expect(Object.keys(direct.series).sort()).toEqual(Object.keys(fromWorker.series).sort());
    for (const [name, s] of Object.entries(fromWorker.series)) {
      expect(Array.from(direct.series[name].steps)).toEqual(Array.from(s.steps));
      expect(Array.from(direct.series[name].values)).toEqual(Array.from(s.values));
    }
    // The trial really trained: KFAC reaches the default target distance 0.05.
    expect(direct.scalars.finalSubspaceDistance).toBeLessThan(0.05);
  });

  it("accepts a single value or a one-element list for a sweepable key, and fills defaults", async () => {
    const config = { algorithm: "gd", kappa: 10, nOverD: 2, d: 32, N: 64 };
    const single = await experiments.runTrial("single-index-alignment", config, 5);
    const listed = await experiments.runTrial(
      "single-index-alignment",
      { ...config, algorithm: ["gd"], kappa: [10], nOverD: [2] },
      5,
    );
    expect(single).toEqual(listed);
    expect(single.info.eta).toBe(1); // the default: η = null → 1 for one step
    const other = await experiments.runTrial("single-index-alignment", config, 6);
    expect(other.scalars.alignment).not.toBe(single.scalars.alignment);
  });

  it("refuses invalid input with messages naming the field, the value and what is allowed", async () => {
    await expect(experiments.runTrial("linrep-curve", {}, 1)).rejects.toThrow(
      /unknown experiment "linrep-curve"; did you mean linrep-curves/,
    );
    await expect(experiments.runTrial("linrep-curves", { ...LINREP, kappaX: [1, 10] }, 1)).rejects.toThrow(
      /`kappaX`: \[1,10\] is not allowed; allowed: one value/,
    );
    await expect(experiments.runTrial("linrep-curves", { ...LINREP, kappaX: 0.5 }, 1)).rejects.toThrow(
      /kappaX\[0\].*0\.5/s,
    );
    await expect(experiments.runTrial("linrep-curves", LINREP, -1)).rejects.toThrow(/seed must be an integer.*-1/);
    await expect(experiments.runTrial("linrep-curves", [] as never, 1)).rejects.toBeInstanceOf(InputError);
  });

  it("lists the public experiments", () => {
    const names = experiments.list().map((e) => e.name);
    expect(names).toContain("linrep-curves");
    expect(names).toContain("single-index-alignment");
    expect(names).not.toContain("selftest");
  });
});
