/** Runs an experiment's sweep in-process (no workers, no store), through the platform's own trial runner. */
import type { Experiment } from "../../src/experiments/types.js";
import type { TrialRecord } from "../../src/results/records.js";
import { executeTrial } from "../../src/runner/trial.js";
import { planTrials } from "../../src/runner/sweep.js";

/**
 * Validates `input` with the experiment's schema, runs every trial of the sweep (`seeds` repeats per point, seeds
 * derived as the platform derives them from `runSeed`) and returns the resolved config and the trial records.
 * Points the experiment does not `include` are left out, as the platform leaves them out; `keep` limits the run
 * to some points of the sweep (their indices and seeds stay those of the whole sweep).
 * Throws if a trial fails.
 */
export async function runExperimentInProcess<C, P>(
  experiment: Experiment<C, P>,
  input: object,
  seeds = 1,
  runSeed = 0,
  keep: (point: P) => boolean = () => true,
): Promise<{ config: C; trials: TrialRecord<P>[] }> {
  const config = experiment.schema.parse(input);
  const trials: TrialRecord<P>[] = [];
  const includes = experiment.includes as ((point: Record<string, unknown>) => boolean) | undefined;
  for (const t of planTrials(config as Record<string, unknown>, experiment.sweepable, seeds, runSeed, includes)) {
    if (!keep(t.point as P)) continue;
    // Let the test runner's own messages through between long synchronous trials.
    await new Promise((done) => setImmediate(done));
    const record = await executeTrial(experiment, t);
    if (record.status !== "done") throw new Error(`trial ${t.pointIndex} failed: ${record.error}`);
    trials.push(record as TrialRecord<P>);
  }
  return { config, trials };
}
