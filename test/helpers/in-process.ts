/** Runs an experiment's sweep in-process (no worker pool) at a tiny size, as the platform would. */
import type { Experiment, TrialContext } from "../../src/experiments/types.js";
import type { TrialRecord } from "../../src/results/records.js";

/**
 * Every point of `input` (the cartesian product of the sweepable lists, first key slowest) that the experiment
 * `includes` run once with the seed `seed + pointIndex`, collected into trial records.
 */
export async function runSweep<C, P>(
  experiment: Experiment<C, P>,
  input: object,
  seed = 1,
): Promise<{ config: C; trials: TrialRecord<P>[] }> {
  const config = experiment.schema.parse(input);
  let points: Record<string, unknown>[] = [{}];
  for (const key of experiment.sweepable) {
    const values = (config as Record<string, unknown>)[key] as unknown[];
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  const trials: TrialRecord<P>[] = [];
  for (const [pointIndex, values] of points.entries()) {
    const point = { ...config, ...values } as P;
    if (experiment.includes && !experiment.includes(point)) continue;
    const record: TrialRecord<P> = {
      point,
      pointIndex,
      repeat: 0,
      seed: seed + pointIndex,
      status: "done",
      durationMs: 0,
      scalars: {},
      series: {},
      info: {},
    };
    const ctx: TrialContext = {
      seed: record.seed,
      scalar: (name, value) => void (record.scalars[name] = value),
      series: (name, steps, values) =>
        void (record.series[name] = { steps: Float64Array.from(steps), values: Float64Array.from(values) }),
      info: (key, value) => void (record.info[key] = JSON.parse(JSON.stringify(value ?? null)) as unknown),
      progress: () => {},
    };
    await experiment.run(point, ctx);
    trials.push(record);
  }
  return { config, trials };
}

/** The zod issues of `input` as "path: message" lines (the parse must fail). */
export function refusals(experiment: Experiment<unknown, unknown>, input: unknown): string {
  const result = experiment.schema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
}
