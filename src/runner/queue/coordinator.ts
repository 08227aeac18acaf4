/**
 * The coordinator side of a queued run (`layerwise run ... --queue URL`): the same plan, store, progress and
 * outputs as a local run (runner/run.ts), with a trial executor that hands the missing trials to BullMQ and
 * collects the results that workers on other machines return.
 *
 * - Enqueue: one job per missing trial, with deterministic ids (runner/queue/jobs.ts), so a restarted
 *   coordinator re-adds nothing that is still queued, running or finished. Jobs of this run that failed in the
 *   queue earlier are removed and queued again (as a local resume reruns failed trials); with `--fresh`,
 *   every earlier job of the run is dropped first.
 * - Collect: BullMQ's queue events (completed, failed, active, progress) drive storing and the progress bar. A
 *   scan of the outstanding jobs' states right after enqueueing, and then every few seconds, collects what
 *   finished while no coordinator listened (a crash, a restart) or what an event stream lost, and re-adds a job
 *   that disappeared from Redis. A trial is stored once, in one SQLite transaction, then its job is removed.
 * - A job that fails in the queue (a worker of another version refused it, a malformed point, a job that
 *   stalled too often) is stored as a failed trial with the queue's reason, as a trial that throws locally.
 */
import { Queue, QueueEvents } from "bullmq";
import type { TrialRecord } from "../../results/records.js";
import { type RunPlan, type RunResult, type TrialExecutor, executeRun } from "../run.js";
import type { PlannedTrial } from "../sweep.js";
import { packageVersion } from "../version.js";
import { checkConnection, closeClient, queueClient } from "./connection.js";
import { QUEUE_NAME, decodeRecord, failedRecord, jobId, runId, trialJob } from "./jobs.js";
import type { RedisTarget } from "./redis-url.js";

/** How often outstanding jobs are checked without waiting for an event. */
const SCAN_INTERVAL_MS = 3000;
/** Jobs added or looked up per round trip batch. */
const BATCH = 500;
/** Finished jobs nobody collected (a coordinator that never came back) are dropped by BullMQ after a week. */
const KEEP_FINISHED = { age: 7 * 24 * 3600 };
/** Attempts per job: a worker process that fails a job for its own reasons (not a trial error) is retried. */
const ATTEMPTS = 3;

/** Runs `items` through `f` in batches of `BATCH` concurrent calls. */
async function batched<T, R>(items: readonly T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(...(await Promise.all(items.slice(i, i + BATCH).map(f))));
  return out;
}

export interface QueuedRunOptions {
  /** Where warnings go (Redis connection lost, for example); default process.stderr. */
  warnings?: NodeJS.WritableStream;
}

/** The executor of a queued run of `plan` on the Redis at `target`. */
export function queuedExecutor(plan: RunPlan, target: RedisTarget, options: QueuedRunOptions = {}): TrialExecutor {
  const { request } = plan;
  const run = runId({
    experiment: request.experiment.name,
    config: request.config,
    runSeed: request.runSeed,
    seeds: request.seeds,
    version: packageVersion,
  });
  const warnings = options.warnings ?? process.stderr;

  return async (todo, hooks) => {
    if (todo.length === 0) return;
    const byId = new Map<string, PlannedTrial>(todo.map((t) => [jobId(run, t), t]));
    const outstanding = new Set(byId.keys());
    const client = queueClient(target);
    const eventsClient = queueClient(target);
    const queue = new Queue(QUEUE_NAME, { connection: client });
    const events = new QueueEvents(QUEUE_NAME, { connection: eventsClient });
    let lastWarning = "";
    const warn = (e: Error): void => {
      if (e.message === lastWarning) return;
      lastWarning = e.message;
      warnings.write(`layerwise: queue: ${e.message} (retrying)\n`);
    };
    queue.on("error", warn);
    events.on("error", warn);

    let finish!: () => void;
    let abort!: (e: Error) => void;
    const finished = new Promise<void>((resolve, reject) => {
      finish = resolve;
      abort = reject;
    });

    /** Stores a finished trial once, then drops its job. */
    const settle = (id: string, record: TrialRecord): void => {
      if (!outstanding.delete(id)) return;
      try {
        hooks.onResult(record);
      } catch (e) {
        return abort(e instanceof Error ? e : new Error(String(e)));
      }
      queue.remove(id).catch(() => {}); // the age limit drops it later if this fails
      if (outstanding.size === 0) finish();
    };
    const completed = (id: string, trial: PlannedTrial, returnvalue: unknown): void => {
      let record: TrialRecord;
      try {
        record = decodeRecord(trial, returnvalue);
      } catch (e) {
        record = failedRecord(trial, `queue: the worker returned an unusable result (${(e as Error).message})`);
      }
      settle(id, record);
    };
    const failed = (id: string, trial: PlannedTrial, reason: string | undefined): void =>
      settle(id, failedRecord(trial, `queue: ${reason ?? "the job failed"}`));

    const add = (ids: readonly string[]): Promise<unknown> =>
      batched(ids, (id) =>
        queue.add("trial", trialJob(request.experiment.name, packageVersion, byId.get(id)!), {
          jobId: id,
          attempts: ATTEMPTS,
          removeOnComplete: KEEP_FINISHED,
          removeOnFail: KEEP_FINISHED,
        }),
      );

    /** Collects outstanding jobs that finished, and re-adds those that vanished. */
    let scanning = false;
    const scan = async (): Promise<void> => {
      if (scanning) return;
      scanning = true;
      try {
        const ids = [...outstanding];
        const states = await batched(ids, (id) => queue.getJobState(id));
        const done = ids.flatMap((id, i) =>
          states[i] === "completed" || states[i] === "failed" ? [{ id, completed: states[i] === "completed" }] : [],
        );
        const jobs = await batched(done, ({ id }) => queue.getJob(id));
        for (const [i, { id, completed: ok }] of done.entries()) {
          const job = jobs[i];
          if (!job) continue;
          if (ok) completed(id, byId.get(id)!, job.returnvalue);
          else failed(id, byId.get(id)!, job.failedReason);
        }
        await add(ids.filter((id, i) => states[i] === "unknown" && outstanding.has(id)));
      } finally {
        scanning = false;
      }
    };

    events.on("active", ({ jobId: id }) => {
      const trial = byId.get(id);
      if (trial && outstanding.has(id)) hooks.onStart(trial);
    });
    events.on("progress", ({ jobId: id, data }) => {
      const trial = byId.get(id);
      if (trial && outstanding.has(id) && typeof data === "number") hooks.onProgress(trial, data);
    });
    events.on("completed", ({ jobId: id, returnvalue }) => {
      const trial = byId.get(id);
      if (trial) completed(id, trial, returnvalue);
    });
    events.on("failed", ({ jobId: id }) => {
      const trial = byId.get(id);
      if (!trial || !outstanding.has(id)) return;
      // Only a final failure counts (a retried attempt goes back to waiting); read the reason from the job.
      void (async () => {
        if ((await queue.getJobState(id)) !== "failed") return;
        failed(id, trial, (await queue.getJob(id))?.failedReason);
      })().catch(warn);
    });

    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      const ids = [...outstanding];
      const states = await batched(ids, (id) => queue.getJobState(id));
      // Earlier failures rerun; with --fresh, earlier results are dropped too.
      const stale = ids.filter((_, i) => states[i] === "failed" || (plan.clear && states[i] === "completed"));
      await batched(stale, (id) => queue.remove(id));
      await add(ids);
      await scan();
      timer = setInterval(() => void scan().catch(warn), SCAN_INTERVAL_MS);
      await finished;
    } finally {
      clearInterval(timer);
      await Promise.allSettled([events.close(), queue.close()]);
      await Promise.all([closeClient(client), closeClient(eventsClient)]);
    }
  };
}

/**
 * Runs `plan` through the queue at `target`: checks that Redis answers (a `QueueConnectionError` otherwise,
 * before anything is created), then executes the plan like a local run with the queued executor.
 */
export async function executeQueuedRun(
  plan: RunPlan,
  target: RedisTarget,
  options: QueuedRunOptions = {},
): Promise<RunResult> {
  await checkConnection(target);
  return executeRun(plan, queuedExecutor(plan, target, options));
}
