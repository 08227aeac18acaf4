/**
 * A run: plan the trials of a sweep, check the output directory (resume or refuse a different run), then run
 * the missing trials on the worker pool, storing each one as it finishes.
 *
 * Resume: running the same experiment with the same resolved config, run seed and seeds into the same output
 * directory skips the trials stored as done and runs the failed and missing ones; `fresh` deletes the stored
 * run first. A directory holding a different run is refused (an `InputError`, before any work).
 */
import { mkdirSync } from "node:fs";
import { renameDeprecatedKeys } from "../config/aliases.js";
import { InputError, show } from "../config/errors.js";
import type { TrialRecord } from "../results/records.js";
import { runPool } from "./pool.js";
import { Progress, type ProgressOptions } from "./progress.js";
import type { AnyExperiment } from "./registry.js";
import { ResultStore, StoreError, trialKey, type RunRecord } from "./store.js";
import { type PlannedTrial, planTrials } from "./sweep.js";
import { packageVersion } from "./version.js";

type Json = Record<string, unknown>;

export interface RunRequest {
  experiment: AnyExperiment;
  /** The resolved config. */
  config: Json;
  runSeed: number;
  seeds: number;
  workers: number;
  outDir: string;
  /** Delete stored results first. */
  fresh: boolean;
  progress: ProgressOptions["mode"];
  /** Where progress goes (default process.stderr). */
  progressStream?: ProgressOptions["stream"];
}

/** A planned run, checked against the output directory but not started. */
export interface RunPlan {
  request: RunRequest;
  trials: PlannedTrial[];
  /** The trials to run (not stored as done, or everything when starting fresh). */
  todo: PlannedTrial[];
  /** Whether the stored run must be deleted before starting. */
  clear: boolean;
  /** With `fresh`: the store is not readable and is renamed aside (kept, not deleted) before starting. */
  setAside?: boolean;
}

/** JSON with object keys sorted, so equal configs compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * A stored run and its trials under today's key names. A store written before a config key was renamed keeps the
 * old names (the stored format does not change); the experiment's alias table moves them on reading, silently,
 * so that an old store resumes and reports.
 */
export function withCurrentKeys<T extends TrialRecord>(
  experiment: AnyExperiment,
  run: RunRecord,
  trials: readonly T[],
): { run: RunRecord; trials: T[] } {
  const aliases = experiment.aliases ?? [];
  if (aliases.length === 0) return { run, trials: [...trials] };
  const rename = (value: Json): Json => renameDeprecatedKeys(value, aliases).config;
  return {
    run: { ...run, config: rename(run.config) },
    trials: trials.map((t) => ({ ...t, point: rename(t.point as Json) })),
  };
}

/** How a stored run differs from the requested one ("" when it does not). */
function difference(storedAsWritten: RunRecord, request: RunRequest): string {
  const stored = withCurrentKeys(request.experiment, storedAsWritten, []).run;
  if (stored.experiment !== request.experiment.name) {
    return `it holds experiment ${stored.experiment}, not ${request.experiment.name}`;
  }
  if (stored.runSeed !== request.runSeed) return `it was run with --seed ${stored.runSeed}, not ${request.runSeed}`;
  if (stored.seeds !== request.seeds) return `it was run with --seeds ${stored.seeds}, not ${request.seeds}`;
  const keys = new Set([...Object.keys(stored.config), ...Object.keys(request.config)]);
  const changed = [...keys].filter((k) => canonicalJson(stored.config[k]) !== canonicalJson(request.config[k]));
  return changed.map((k) => `\`${k}\` was ${show(stored.config[k])}, now ${show(request.config[k])}`).join("; ");
}

/**
 * Plans a run: expands the sweep and compares with what `outDir` already holds. Throws `InputError` when the
 * directory holds a different run and `fresh` is not set, and `StoreError` when its store is not readable
 * (with `fresh`, a broken store is planned to be set aside instead). Creates nothing.
 */
export function planRun(request: RunRequest): RunPlan {
  const { sweepable, includes } = request.experiment;
  const trials = planTrials(request.config, sweepable, request.seeds, request.runSeed, includes);
  if (!ResultStore.exists(request.outDir)) return { request, trials, todo: trials, clear: false };
  let store: ResultStore;
  try {
    store = new ResultStore(request.outDir, { readonly: true });
  } catch (e) {
    if (request.fresh && e instanceof StoreError && e.broken) {
      return { request, trials, todo: trials, clear: false, setAside: true };
    }
    throw e;
  }
  try {
    const stored = store.run();
    if (request.fresh || !stored) return { request, trials, todo: trials, clear: true };
    const diff = difference(stored, request);
    if (diff) {
      throw new InputError(
        `--out ${request.outDir} holds results of a different run: ${diff}. ` +
          `Use --fresh to replace them, or choose another --out.`,
      );
    }
    const done = store.doneKeys();
    return { request, trials, todo: trials.filter((t) => !done.has(trialKey(t.pointIndex, t.repeat))), clear: false };
  } finally {
    store.close();
  }
}

/** What a run did. */
export interface RunResult {
  /** Every stored trial of the run (including those of earlier sessions). */
  trials: TrialRecord[];
  /** Trials run in this session. */
  ran: number;
  /** Trials skipped because they were stored as done. */
  skipped: number;
  /** Stored trials whose status is failed. */
  failed: number;
  run: RunRecord;
}

/** What a trial executor reports while it runs the missing trials of a plan. */
export interface ExecutorHooks {
  onStart: (trial: PlannedTrial) => void;
  onProgress: (trial: PlannedTrial, fraction: number) => void;
  /** Stores a finished trial (done or failed); if it throws, the run stops with that error. */
  onResult: (record: TrialRecord) => void;
}

/**
 * Runs `todo` somewhere and reports through `hooks`; resolves when every trial has been reported. The default
 * runs them on this machine's worker threads; `--queue` hands them to remote workers (runner/queue).
 */
export type TrialExecutor = (todo: readonly PlannedTrial[], hooks: ExecutorHooks) => Promise<void>;

/** The local executor: the worker-thread pool with `request.workers` threads. */
function localExecutor(request: RunRequest): TrialExecutor {
  return (todo, hooks) => runPool(todo, { experiment: request.experiment.name, workers: request.workers, ...hooks });
}

/**
 * Executes a plan: creates the output directory and store, runs the missing trials with `executor` (default:
 * local worker threads), storing each as it finishes, and returns every trial.
 */
export async function executeRun(
  plan: RunPlan,
  executor: TrialExecutor = localExecutor(plan.request),
): Promise<RunResult> {
  const { request, todo, trials } = plan;
  if (plan.setAside) {
    const kept = ResultStore.setAside(request.outDir);
    (request.progressStream ?? process.stderr).write(
      `${request.experiment.name}: the result store was not readable; kept it as ${kept} and started over\n`,
    );
  }
  mkdirSync(request.outDir, { recursive: true });
  const store = new ResultStore(request.outDir);
  try {
    if (plan.clear) store.clear();
    store.beginRun({
      experiment: request.experiment.name,
      config: request.config,
      runSeed: request.runSeed,
      seeds: request.seeds,
      version: packageVersion,
    });
    const progress = new Progress({
      label: request.experiment.name,
      total: trials.length,
      skipped: trials.length - todo.length,
      stream: request.progressStream ?? process.stderr,
      mode: request.progress,
    });
    try {
      await executor(todo, {
        onStart: (t) => progress.started(trialKey(t.pointIndex, t.repeat)),
        onProgress: (t, f) => progress.advanced(trialKey(t.pointIndex, t.repeat), f),
        onResult: (record) => {
          store.writeTrial(record);
          progress.ended(trialKey(record.pointIndex, record.repeat), record.status === "failed");
        },
      });
    } finally {
      progress.finish();
    }
    store.endRun();
    const stored = withCurrentKeys(request.experiment, store.run()!, store.trials());
    return {
      trials: stored.trials,
      ran: todo.length,
      skipped: trials.length - todo.length,
      failed: stored.trials.filter((t) => t.status === "failed").length,
      run: stored.run,
    };
  } finally {
    store.close();
  }
}
