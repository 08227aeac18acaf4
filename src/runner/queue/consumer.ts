/**
 * The worker side of a queued run (`layerwise worker --queue URL`): a BullMQ worker that takes trial jobs and
 * runs them on this machine's worker-thread pool (runner/pool.ts), `concurrency` at a time.
 *
 * A job is checked before it runs (runner/queue/jobs.ts): a job queued by another package version, for an
 * unknown experiment, or with a point the experiment's schema refuses fails at once, without retries
 * (BullMQ's `UnrecoverableError`), with a message saying why; the coordinator stores that trial as failed. A
 * trial that throws is a normal result with status "failed", as in a local run.
 *
 * Crash safety is BullMQ's: a worker holds a lock on each job it runs and renews it every half `stallIntervalMs`;
 * when a worker dies (kill -9, a lost machine) its locks expire, and another worker's stalled-job check (every
 * `stallIntervalMs`) puts the jobs back in the queue, up to `MAX_STALLS` times per job.
 */
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { ThreadPool } from "../pool.js";
import { lookupExperiment } from "../registry.js";
import { packageVersion } from "../version.js";
import { closeClient, queueClient } from "./connection.js";
import { QUEUE_NAME, type TrialJob, type WireRecord, encodeRecord, trialJobSchema, validatePoint } from "./jobs.js";
import type { RedisTarget } from "./redis-url.js";

/** Times a job may be put back after its worker died before it counts as failed. */
const MAX_STALLS = 10;

export interface TrialWorkerOptions {
  /** Trials run at once (worker threads). */
  concurrency: number;
  /** Lock duration and stalled-job check interval, in milliseconds. */
  stallIntervalMs: number;
  /** Called with a line for the log when a job is refused or a trial fails. */
  log?: (line: string) => void;
}

/** A running queue worker. */
export interface TrialWorker {
  /** Trials finished (done or failed) so far. */
  readonly processed: number;
  /** Stops taking jobs, lets the running trials finish, closes the pool and the connections. */
  close(): Promise<void>;
  /** Resolves with an error when the worker cannot go on (its thread pool broke); never resolves otherwise. */
  readonly fatal: Promise<Error>;
}

/** Checks a job's data; throws `UnrecoverableError` (no retry) saying what is wrong. */
function admit(data: unknown): { job: TrialJob; point: Record<string, unknown> } {
  const parsed = trialJobSchema.safeParse(data);
  if (!parsed.success) throw new UnrecoverableError(`malformed trial job: ${parsed.error.issues[0]?.message}`);
  const job = parsed.data;
  if (job.version !== packageVersion) {
    throw new UnrecoverableError(
      `a layerwise ${packageVersion} worker refused a trial queued by layerwise ${job.version}: ` +
        `run workers of the coordinator's version`,
    );
  }
  const experiment = lookupExperiment(job.experiment);
  if (!experiment)
    throw new UnrecoverableError(`unknown experiment "${job.experiment}" (not registered in this worker)`);
  try {
    return { job, point: validatePoint(experiment, job.point) };
  } catch (e) {
    throw new UnrecoverableError((e as Error).message);
  }
}

/** Starts a worker consuming trials from the queue at `target`. */
export function startTrialWorker(target: RedisTarget, options: TrialWorkerOptions): TrialWorker {
  const pool = new ThreadPool(options.concurrency);
  const client = queueClient(target);
  const log = options.log ?? (() => {});
  let processed = 0;
  let reportFatal!: (e: Error) => void;
  const fatal = new Promise<Error>((resolve) => {
    reportFatal = resolve;
  });

  const runJob = async (job: Job): Promise<WireRecord> => {
    let admitted;
    try {
      admitted = admit(job.data);
    } catch (e) {
      log(`refused job ${job.id}: ${(e as Error).message}`);
      throw e;
    }
    const { job: data, point } = admitted;
    const trial = { pointIndex: data.pointIndex, repeat: data.repeat, seed: data.seed, point };
    let lastProgress: Promise<unknown> = Promise.resolve();
    let record;
    try {
      record = await pool.run(data.experiment, trial, {
        onProgress: (fraction) => {
          lastProgress = job.updateProgress(fraction).catch(() => {});
        },
      });
    } catch (e) {
      reportFatal(e as Error);
      throw e;
    }
    await lastProgress;
    processed++;
    if (record.status === "failed") {
      log(`${data.experiment} point ${data.pointIndex} repeat ${data.repeat} failed: ${record.error}`);
    }
    return encodeRecord(record);
  };

  const worker = new Worker(QUEUE_NAME, runJob, {
    connection: client,
    concurrency: options.concurrency,
    lockDuration: options.stallIntervalMs,
    stalledInterval: options.stallIntervalMs,
    maxStalledCount: MAX_STALLS,
  });
  worker.on("error", (e) => log(`queue: ${e.message}`));

  return {
    get processed() {
      return processed;
    },
    fatal,
    async close() {
      try {
        await worker.close();
      } finally {
        await pool.close();
        await closeClient(client);
      }
    },
  };
}
