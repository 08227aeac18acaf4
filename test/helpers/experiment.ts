/** Runs an experiment's sweep in-process (no workers, no store), as the platform would, for tests. */
import type { Experiment, TrialContext, TrialRecord } from "../../src/experiments/types.js";
import { planTrials } from "../../src/runner/sweep.js";

/**
 * Validates `input` with the experiment's schema, runs every trial of the sweep (`seeds` repeats per point, seeds
 * derived as the platform derives them from `runSeed`) and returns the resolved config and the trial records.
 */
export async function runExperimentInProcess<C, P>(
  experiment: Experiment<C, P>,
  input: object,
  seeds = 1,
  runSeed = 0,
): Promise<{ config: C; trials: TrialRecord<P>[] }> {
  const config = experiment.schema.parse(input);
  const planned = planTrials(config as Record<string, unknown>, experiment.sweepable, seeds, runSeed);
  const trials: TrialRecord<P>[] = [];
  for (const t of planned) {
    const record: TrialRecord<P> = {
      point: t.point as P,
      pointIndex: t.pointIndex,
      repeat: t.repeat,
      seed: t.seed,
      status: "done",
      durationMs: 0,
      scalars: {},
      series: {},
      info: {},
    };
    const ctx: TrialContext = {
      seed: t.seed,
      scalar: (name, value) => void (record.scalars[name] = value),
      series: (name, s, v) =>
        void (record.series[name] = { steps: Float64Array.from(s), values: Float64Array.from(v) }),
      info: (key, value) => void (record.info[key] = value),
      progress: () => undefined,
    };
    await experiment.run(t.point as P, ctx);
    trials.push(record);
  }
  return { config, trials };
}
