/**
 * `time-to-target` on the queue (`--queue`, a real redis-server and two `layerwise worker` processes): a tiny
 * study gives the same summary as the same run on local worker threads, except the wall-clock columns (seconds
 * are measured, not computed). One trial per optimizer, so the best trial (ranked by measured seconds) cannot
 * differ between the two runs.
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastJson, tempDir } from "../../cli/helpers.js";
import { type TestRedis, queueTestsEnabled, startRedis } from "../../helpers/redis.js";
import { run, startWorker, stopWorker } from "../../runner/queue/helpers.js";

const TINY = [
  "run",
  "time-to-target",
  "--set",
  "dataset=mnist",
  "--set",
  "workload=fashion-mlp",
  "--set",
  "optimizer=adam,kfac,kfac-auto",
  "--set",
  "trial=0",
  "--set",
  "replicate=0,1,2",
  "--set",
  "settings.fashion-mlp.trainSize=128",
  "--set",
  "settings.fashion-mlp.validationSize=100",
  "--set",
  "settings.fashion-mlp.testSize=100",
  "--set",
  "settings.fashion-mlp.evaluations=2",
  "--set",
  "settings.fashion-mlp.batchSizes=32",
  "--json",
];

/** Summary rows without the measured wall-clock columns. */
const deterministic = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith("seconds"))));

describe.skipIf(!queueTestsEnabled())("time-to-target on the queue", () => {
  const tmp = tempDir("ttt-queue");
  let redis: TestRedis;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    workers.push(startWorker(redis.url), startWorker(redis.url));
  });
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
    tmp.cleanup();
  });

  it("a queued run has the same summary (steps, targets, test metrics) as a local run", async () => {
    const l = await run([...TINY, "--workers", "2", "--out", join(tmp.dir, "local")]);
    expect([0, 1], l.stderr).toContain(l.status); // 1: a claim failed at this size
    const q = await run([...TINY, "--queue", redis.url, "--out", join(tmp.dir, "queued")]);
    expect([0, 1], q.stderr).toContain(q.status);
    const [lj, qj] = [lastJson(l.stdout), lastJson(q.stdout)];
    expect(qj.trials).toEqual({ total: 9, ran: 9, skipped: 0, failed: 0 });
    const rows = qj.summary as Record<string, unknown>[];
    expect(rows.map((r) => r.optimizer)).toEqual(["adam", "kfac", "kfac-auto"]);
    expect(deterministic(rows)).toEqual(deterministic(lj.summary as Record<string, unknown>[]));
  }, 300_000);
});
