/**
 * Runs one trial of an experiment and collects what it reports through its `TrialContext`. A trial that throws
 * becomes a "failed" record carrying the error (message and first stack line), so one bad point never stops a
 * sweep. Used inside worker threads (worker.ts).
 */
import type { Experiment, TrialContext } from "../experiments/types.js";
import type { TrialRecord } from "../results/records.js";
import type { PlannedTrial } from "./sweep.js";

/** Minimum interval between two progress reports of a trial (keeps messages cheap for chatty trials). */
const PROGRESS_INTERVAL_MS = 200;

/** The error of a failed trial as stored: "Error: message (at file:line)". */
function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const where = e.stack
    ?.split("\n")
    .find((l) => l.trim().startsWith("at "))
    ?.trim();
  return `${e.name}: ${e.message}${where ? ` (${where})` : ""}`;
}

/** Runs `trial` of `experiment`; `onProgress` receives fractions in [0, 1] (throttled). Never throws. */
export async function executeTrial(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any experiment
  experiment: Experiment<any, any>,
  trial: PlannedTrial,
  onProgress: (fraction: number) => void = () => {},
): Promise<TrialRecord> {
  const scalars: TrialRecord["scalars"] = {};
  const series: TrialRecord["series"] = {};
  const info: TrialRecord["info"] = {};
  let lastProgress = 0;
  const checkName = (what: string, name: unknown): void => {
    if (typeof name !== "string" || name === "") throw new TypeError(`ctx.${what}: name must be a non-empty string`);
  };
  const ctx: TrialContext = {
    seed: trial.seed,
    scalar(name, value) {
      checkName("scalar", name);
      if (value !== null && typeof value !== "number") {
        throw new TypeError(`ctx.scalar("${name}"): value must be a number or null, got ${typeof value}`);
      }
      scalars[name] = value;
    },
    series(name, steps, values) {
      checkName("series", name);
      if (steps.length !== values.length) {
        throw new RangeError(`ctx.series("${name}"): ${steps.length} steps but ${values.length} values`);
      }
      series[name] = { steps: Float64Array.from(steps), values: Float64Array.from(values) };
    },
    info(key, value) {
      checkName("info", key);
      info[key] = JSON.parse(JSON.stringify(value ?? null)) as unknown;
    },
    progress(fraction) {
      const now = performance.now();
      if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
      lastProgress = now;
      onProgress(Math.min(1, Math.max(0, Number(fraction) || 0)));
    },
  };
  const start = performance.now();
  let status: TrialRecord["status"] = "done";
  let error: string | undefined;
  try {
    await experiment.run(trial.point, ctx);
  } catch (e) {
    status = "failed";
    error = describeError(e);
  }
  return {
    point: trial.point,
    pointIndex: trial.pointIndex,
    repeat: trial.repeat,
    seed: trial.seed,
    status,
    ...(error !== undefined ? { error } : {}),
    durationMs: performance.now() - start,
    scalars,
    series,
    info,
  };
}
