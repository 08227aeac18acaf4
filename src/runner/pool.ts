/**
 * A pool of worker threads (node:worker_threads) that runs the trials of a sweep over the CPU cores. Each worker
 * loads the package once and runs one trial at a time; the main thread hands out the next trial as soon as a
 * worker finishes, and receives each finished trial (stored by the caller, in the main thread, so the database
 * has one writer). A worker that dies in the middle of a trial (a crash or `process.exit` inside the trial)
 * turns that trial into a failure and is replaced; a worker that cannot even start aborts the run.
 *
 * `ThreadPool` is the long-lived pool (trials submitted one by one, as a queue worker receives them); `runPool`
 * runs a known list of trials on one and closes it.
 *
 * Workers run compiled JavaScript (`pool-worker.js` next to this module in dist/).
 *
 * Threads inside a trial's large matrix products (src/linalg/threads.ts): the pool decides how many each worker
 * uses, so that workers × threads do not exceed the cores (`kernelThreadsPerWorker`); the user overrides it.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { TrialRecord } from "../results/records.js";
import { MAX_THREADS, explicitThreads } from "../linalg/threads.js";
import type { PlannedTrial } from "./sweep.js";

/** What a worker thread of the pool is started with. */
export interface WorkerSetup {
  /** Threads for the large matrix products of its trials (setThreads in the worker). */
  kernelThreads: number;
}

/**
 * Threads per pool worker for large matrix products: the count the user set (setThreads, --threads or
 * LAYERWISE_THREADS) when there is one, else ⌊cores / workers⌋ and at least 1, so that a full pool does not
 * oversubscribe the cores (one worker gets them all; as many workers as cores get one each).
 */
export function kernelThreadsPerWorker(workers: number, cores: number, explicit: number | undefined): number {
  return explicit ?? Math.max(1, Math.floor(cores / workers));
}

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

const WORKER_URL = new URL("./pool-worker.js", import.meta.url);

/** What a caller hears about one trial while it runs. */
export interface TrialHooks {
  /** A worker thread started the trial. */
  onStart?: () => void;
  /** The trial reported a progress fraction in [0, 1]. */
  onProgress?: (fraction: number) => void;
}

interface Task {
  experiment: string;
  trial: PlannedTrial;
  hooks: TrialHooks;
  resolve: (record: TrialRecord) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  task: Task | undefined;
}

/** The record of a trial whose worker thread died under it. */
function lostTrial(trial: PlannedTrial, reason: string): TrialRecord {
  return { ...trial, status: "failed", error: reason, durationMs: 0, scalars: {}, series: {}, info: {} };
}

/**
 * A long-lived pool of at most `size` worker threads, started on demand, each running one trial at a time;
 * trials submitted while all threads are busy wait in order. `run` resolves with the trial's record (a trial
 * that throws, or whose thread dies, resolves as "failed"; the dead thread is replaced when needed). A thread
 * that cannot even start breaks the pool: every waiting and later `run` rejects with that error.
 */
export class ThreadPool {
  private readonly slots = new Set<Slot>();
  private readonly waiting: Task[] = [];
  private broken: Error | undefined;
  private closed = false;

  /**
   * `size` worker threads at most, each splitting its large matrix products over `kernelThreads` threads
   * (default: `kernelThreadsPerWorker(size, cores, the user's count)`).
   */
  constructor(
    readonly size: number,
    readonly kernelThreads: number = kernelThreadsPerWorker(size, availableParallelism(), explicitThreads()),
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`ThreadPool: size must be an integer ≥ 1, got ${size}`);
    if (!Number.isInteger(kernelThreads) || kernelThreads < 1 || kernelThreads > MAX_THREADS)
      throw new RangeError(
        `ThreadPool: kernelThreads must be an integer from 1 to ${MAX_THREADS}, got ${kernelThreads}`,
      );
  }

  /** Runs `trial` of `experiment` on the next free thread. */
  run(experiment: string, trial: PlannedTrial, hooks: TrialHooks = {}): Promise<TrialRecord> {
    return new Promise<TrialRecord>((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      if (this.closed) return reject(new Error("ThreadPool: closed"));
      this.waiting.push({ experiment, trial, hooks, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every thread; trials still waiting or running reject. */
  async close(): Promise<void> {
    this.closed = true;
    this.abandon(new Error("ThreadPool: closed"));
    await Promise.all([...this.slots].map((s) => s.worker.terminate()));
    this.slots.clear();
  }

  private abandon(error: Error): void {
    for (const task of this.waiting.splice(0)) task.reject(error);
    for (const slot of this.slots) {
      slot.task?.reject(error);
      slot.task = undefined;
    }
  }

  /** Hands waiting trials to idle threads, starting threads up to `size`. */
  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.waiting.length === 0) return;
      if (slot.ready && !slot.task) this.start(slot, this.waiting.shift()!);
    }
    // Start threads for the trials that no thread already starting will take.
    let starting = [...this.slots].filter((s) => !s.ready).length;
    while (this.slots.size < this.size && this.waiting.length > starting) {
      this.spawn();
      starting++;
    }
  }

  private start(slot: Slot, task: Task): void {
    slot.task = task;
    task.hooks.onStart?.();
    slot.worker.postMessage({ experiment: task.experiment, trial: task.trial } satisfies ToWorker);
  }

  private spawn(): void {
    const workerData: WorkerSetup = { kernelThreads: this.kernelThreads };
    const slot: Slot = { worker: new Worker(WORKER_URL, { workerData }), ready: false, task: undefined };
    this.slots.add(slot);
    const lose = (reason: string): void => {
      if (!this.slots.delete(slot) || this.closed) return;
      if (!slot.ready) {
        this.broken = new Error(`a worker thread failed to start: ${reason}`);
        this.abandon(this.broken);
        for (const other of this.slots) void other.worker.terminate();
        this.slots.clear();
        return;
      }
      const task = slot.task;
      slot.task = undefined;
      task?.resolve(lostTrial(task.trial, reason));
      this.dispatch();
    };
    slot.worker.on("message", (message: FromWorker) => {
      if (message.type === "ready") {
        slot.ready = true;
        return this.dispatch();
      }
      const task = slot.task;
      if (!task) return;
      if (message.type === "progress") return task.hooks.onProgress?.(message.fraction);
      slot.task = undefined;
      task.resolve(message.record);
      this.dispatch();
    });
    slot.worker.on("error", (e) => lose(`worker thread crashed: ${e instanceof Error ? e.message : String(e)}`));
    slot.worker.on("exit", (code) => lose(`worker thread exited with code ${code} during the trial`));
  }
}

/** Runs every trial of `trials` on `options.workers` threads. Resolves when all are finished. */
export async function runPool(trials: readonly PlannedTrial[], options: PoolOptions): Promise<void> {
  if (trials.length === 0) return;
  const pool = new ThreadPool(Math.max(1, Math.min(options.workers, trials.length)));
  try {
    await Promise.all(
      trials.map((trial) =>
        pool
          .run(options.experiment, trial, {
            onStart: () => options.onStart?.(trial),
            onProgress: (fraction) => options.onProgress?.(trial, fraction),
          })
          .then((record) => options.onResult(record)),
      ),
    );
  } finally {
    await pool.close();
  }
}
