/**
 * Benchmarks of queued runs (`layerwise run --queue`), against a throwaway redis-server on 127.0.0.1 and real
 * `layerwise worker` processes, through the same code path as the CLI minus argument parsing and figures
 * (planRun + executeQueuedRun: BullMQ queue, events, SQLite store):
 * - overhead per trial through the queue: slope of wall time over the number of no-op trials with one worker
 *   process (one trial at a time), target ≤ 10 ms; the local worker pool's slope, measured in the same run, is
 *   the peer;
 * - speed-up of 2 worker processes over 1 (one trial at a time each) on a CPU-bound sweep, target ≥ 1.7×; the
 *   local pool's 2-thread over 1-thread speed-up on the same sweep, measured in the same run, shows how much
 *   parallelism the machine offered meanwhile.
 * No numpy peer: there is no comparable numpy operation; the table shows the target instead.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRedis } from "../test/helpers/redis.js";
import { executeQueuedRun } from "../src/runner/queue/coordinator.js";
import { parseQueueUrl, type RedisTarget } from "../src/runner/queue/redis-url.js";
import { executeRun, planRun } from "../src/runner/run.js";
import { selftest } from "../src/runner/selftest.js";
import { printTable } from "./numpy.js";

const BIN = fileURLToPath(new URL("../../bin/layerwise.js", import.meta.url));

/** Distinct run seeds, so no repeat finds the jobs of an earlier one. */
let nextSeed = 1;

/** Wall time (ms) of a selftest sweep of `points` trials into a fresh directory, queued or local. */
async function sweep(
  points: number,
  overrides: Record<string, unknown>,
  how: { queue: RedisTarget } | { workers: number },
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "layerwise-bench-queue-"));
  try {
    const config = selftest.schema.parse({ x: Array.from({ length: points }, (_, i) => i + 1), ...overrides });
    const plan = planRun({
      experiment: selftest,
      config,
      runSeed: nextSeed++,
      seeds: 1,
      workers: "workers" in how ? how.workers : 1,
      outDir: dir,
      fresh: false,
      progress: "none",
    });
    const t0 = performance.now();
    const result = "queue" in how ? await executeQueuedRun(plan, how.queue) : await executeRun(plan);
    const ms = performance.now() - t0;
    if (result.failed > 0 || result.trials.length !== points) throw new Error("bench: the sweep did not complete");
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts a `layerwise worker` process taking one trial at a time. */
function startWorker(url: string): ChildProcess {
  return spawn(process.execPath, [BIN, "worker", "--queue", url, "--concurrency", "1"], { stdio: "ignore" });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs: number[]): number => Math.min(...xs);

export default async function bench(): Promise<void> {
  const redis = await startRedis();
  const target = parseQueueUrl(redis.url);
  const workers: ChildProcess[] = [];
  try {
    const noop = { steps: 1, work: 0 };
    // About 50 ms of CPU per trial (100 steps × 150 units of 1000 logistic-map iterations).
    const cpu = { steps: 100, work: 150 };
    const CPU_TRIALS = 40;

    workers.push(startWorker(redis.url));
    await sweep(8, noop, { queue: target }); // warm-up: worker thread started, scripts loaded
    const small: number[] = [];
    const large: number[] = [];
    const localSmall: number[] = [];
    const localLarge: number[] = [];
    for (let r = 0; r < 3; r++) {
      small.push(await sweep(100, noop, { queue: target }));
      large.push(await sweep(600, noop, { queue: target }));
      localSmall.push(await sweep(100, noop, { workers: 1 }));
      localLarge.push(await sweep(600, noop, { workers: 1 }));
    }
    const overhead = (median(large) - median(small)) / 500;
    const localOverhead = (median(localLarge) - median(localSmall)) / 500;

    const one: number[] = [];
    const localOne: number[] = [];
    const localTwo: number[] = [];
    for (let r = 0; r < 2; r++) {
      one.push(await sweep(CPU_TRIALS, cpu, { queue: target }));
      localOne.push(await sweep(CPU_TRIALS, cpu, { workers: 1 }));
      localTwo.push(await sweep(CPU_TRIALS, cpu, { workers: 2 }));
    }
    workers.push(startWorker(redis.url));
    await sweep(8, cpu, { queue: target }); // warm-up of the second worker
    const two: number[] = [];
    for (let r = 0; r < 2; r++) two.push(await sweep(CPU_TRIALS, cpu, { queue: target }));

    printTable("queue (selftest trials through BullMQ on a local redis-server, worker processes)", [
      { measure: "overhead per no-op trial, 1 worker process (ms)", ours: overhead, target: "≤ 10" },
      { measure: "peer: overhead per no-op trial, local pool, 1 thread (ms)", ours: localOverhead, target: "" },
      { measure: `${CPU_TRIALS} CPU-bound trials, 1 worker process (ms)`, ours: best(one), target: "" },
      { measure: `${CPU_TRIALS} CPU-bound trials, 2 worker processes (ms)`, ours: best(two), target: "" },
      { measure: "speed-up 2 worker processes / 1 (×)", ours: best(one) / best(two), target: "≥ 1.7" },
      {
        measure: "control: local pool, same sweep, 2 threads / 1 (×)",
        ours: best(localOne) / best(localTwo),
        target: "(machine)",
      },
    ]);
  } finally {
    await Promise.all(workers.map(stop));
    await redis.stop();
  }
}
