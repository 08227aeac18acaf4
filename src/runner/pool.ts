/**
 * A pool of worker threads (node:worker_threads) that runs the trials of a sweep over the CPU cores. Each worker
 * loads the package once and runs one trial at a time; the main thread hands out the next trial as soon as a
 * worker finishes, and receives each finished trial (stored by the caller, in the main thread, so the database
 * has one writer). A worker that dies in the middle of a trial (a crash or `process.exit` inside the trial)
 * turns that trial into a failure and is replaced; a worker that cannot even start aborts the run.
 *
 * Workers run compiled JavaScript (`worker.js` next to this module in dist/).
 */
import { Worker } from "node:worker_threads";
import type { TrialRecord } from "../experiments/types.js";
import type { PlannedTrial } from "./sweep.js";

/** Main thread → worker. */
export interface ToWorker {
  experiment: string;
  trial: PlannedTrial;
}

/** Worker → main thread. */
export type FromWorker =
  { type: "ready" } | { type: "progress"; fraction: number } | { type: "done"; record: TrialRecord };

export interface PoolOptions {
  experiment: string;
  workers: number;
  /** Called when a worker starts a trial. */
  onStart?: (trial: PlannedTrial) => void;
  /** Called with a trial's progress fraction in [0, 1]. */
  onProgress?: (trial: PlannedTrial, fraction: number) => void;
  /** Called for every finished trial, done or failed; if it throws, the run stops with that error. */
  onResult: (record: TrialRecord) => void;
}

const WORKER_URL = new URL("./worker.js", import.meta.url);

/** Runs every trial of `trials` on `options.workers` threads. Resolves when all are finished. */
export function runPool(trials: readonly PlannedTrial[], options: PoolOptions): Promise<void> {
  const queue = [...trials];
  const size = Math.max(1, Math.min(options.workers, queue.length));
  const live = new Set<Worker>();
  let settled = false;

  return new Promise<void>((resolve, reject) => {
    if (queue.length === 0) return resolve();

    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      for (const w of live) void w.terminate();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const finishIfIdle = (): void => {
      if (!settled && live.size === 0 && queue.length === 0) {
        settled = true;
        resolve();
      }
    };

    const spawn = (): void => {
      const worker = new Worker(WORKER_URL);
      live.add(worker);
      let current: PlannedTrial | undefined;
      let ready = false;

      const next = (): void => {
        current = queue.shift();
        if (!current) {
          live.delete(worker);
          void worker.terminate();
          finishIfIdle();
          return;
        }
        options.onStart?.(current);
        worker.postMessage({ experiment: options.experiment, trial: current } satisfies ToWorker);
      };

      const lose = (reason: string): void => {
        live.delete(worker);
        if (settled) return;
        if (!ready) return fail(new Error(`a worker thread failed to start: ${reason}`));
        if (current) {
          const t = current;
          current = undefined;
          try {
            options.onResult({
              ...t,
              status: "failed",
              error: reason,
              durationMs: 0,
              scalars: {},
              series: {},
              info: {},
            });
          } catch (e) {
            return fail(e);
          }
        }
        if (queue.length > 0) spawn();
        else finishIfIdle();
      };

      worker.on("message", (message: FromWorker) => {
        if (settled) return;
        if (message.type === "ready") {
          ready = true;
          return next();
        }
        if (!current) return;
        if (message.type === "progress") {
          options.onProgress?.(current, message.fraction);
          return;
        }
        current = undefined;
        try {
          options.onResult(message.record);
        } catch (e) {
          return fail(e);
        }
        next();
      });
      worker.on("error", (e) => lose(`worker thread crashed: ${e instanceof Error ? e.message : String(e)}`));
      worker.on("exit", (code) => {
        if (live.has(worker)) lose(`worker thread exited with code ${code} during the trial`);
      });
    };

    for (let i = 0; i < size; i++) spawn();
  });
}
