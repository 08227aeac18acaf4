/**
 * `layerwise worker --queue URL [--concurrency N] [--stall-interval MS]`: consumes trials from a queued run's
 * Redis until stopped (SIGINT/SIGTERM finish the running trials first; a second signal exits at once).
 */
import { availableParallelism } from "node:os";
import { InputError } from "../config/errors.js";
import { QueueConnectionError, checkConnection } from "../runner/queue/connection.js";
import { parseQueueUrl, redactedUrl } from "../runner/queue/redis-url.js";
import { startTrialWorker } from "../runner/queue/consumer.js";
import { packageVersion } from "../runner/version.js";
import { integerFlag, parseFlags } from "./args.js";

export const WORKER_HELP = `Usage: layerwise worker --queue URL [--concurrency N] [--stall-interval MS]

Runs trials of queued runs ("layerwise run ... --queue URL", on any machine) until stopped with Ctrl-C or
SIGTERM, which let the running trials finish. Start one on every machine that should work on the sweep.

Options:
  --queue URL           the Redis holding the queue: redis://[user:password@]host:port[/db],
                        or rediss://... for TLS
  --concurrency N       trials at once, one worker thread each (default: number of CPU cores)
  --stall-interval MS   lock time and stalled-job check interval in milliseconds (default 30000): the
                        trials of a worker that dies are run again by another worker after one to
                        two intervals; use the same value on every worker (200 to 3600000)
  --help                show this help

Only trials queued by the same layerwise version (${packageVersion}) and of registered experiments run; others
are refused with a message and stored as failed by the coordinator.
Exit codes: 0 stopped, 2 invalid input, 1 Redis unreachable, login refused, or the worker broke.`;

const say = (text: string): void => void process.stderr.write(`${text}\n`);

/** The `worker` command; resolves with the exit code when the worker stops. */
export async function workerCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("worker", argv, {
    help: { type: "boolean", short: "h" },
    queue: { type: "string" },
    concurrency: { type: "string" },
    "stall-interval": { type: "string" },
  });
  if (values.help) return (process.stdout.write(`${WORKER_HELP}\n`), 0);
  if (positionals.length > 0) throw new InputError(`worker: unexpected argument ${positionals.join(" ")}`);
  if (typeof values.queue !== "string") {
    throw new InputError("worker: --queue is required, e.g. --queue redis://host:6379 (see layerwise worker --help)");
  }
  const target = parseQueueUrl(values.queue);
  const concurrency = integerFlag("concurrency", values.concurrency, availableParallelism(), 1, 1024);
  const stallIntervalMs = integerFlag("stall-interval", values["stall-interval"], 30_000, 200, 3_600_000);

  try {
    await checkConnection(target);
  } catch (e) {
    if (!(e instanceof QueueConnectionError)) throw e;
    say(`layerwise: ${e.message}`);
    return 1;
  }
  const worker = startTrialWorker(target, { concurrency, stallIntervalMs, log: (line) => say(`worker: ${line}`) });
  say(
    `layerwise ${packageVersion} worker: trials from ${redactedUrl(target)}, ${concurrency} at a time, ` +
      `stall interval ${stallIntervalMs} ms (Ctrl-C to stop)`,
  );

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        say(`worker: ${signal} again, exiting now`);
        process.exit(130);
      }
      stopping = true;
      say(`worker: ${signal}, finishing the running trials`);
      void worker.close().then(() => resolve(0));
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
  const broken = worker.fatal.then(async (error) => {
    say(`layerwise: worker: ${error.message}`);
    await worker.close().catch(() => {});
    return 1;
  });
  const code = await Promise.race([stopped, broken]);
  say(`worker: stopped after ${worker.processed} trials`);
  return code;
}
