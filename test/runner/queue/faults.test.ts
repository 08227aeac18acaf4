/**
 * Faults during a queued run, through the real CLI and a real redis-server:
 * - kill -9 of one of two workers in the middle of the sweep: its trial is put back after the stall interval and
 *   run by the other worker; the summary and stored numbers equal those of a local run;
 * - kill -9 of the coordinator, workers going on meanwhile, then the same command again: it collects what
 *   finished while it was down, duplicates nothing, and ends with the summary of a local run.
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAsync, lastJson, tempDir } from "../../cli/helpers.js";
import { type TestRedis, queueTestsEnabled, startRedis } from "../../helpers/redis.js";
import { exportedTrials, run, sleep, startWorker, stopWorker, storedCount, waitFor } from "./helpers.js";

// 10 points × 2 seeds = 20 trials of about 0.1–0.2 s of CPU each.
const SWEEP = ["run", "selftest", "--set", "x=1,2,3,4,5,6,7,8,9,10", "--seeds", "2", "--set", "steps=40"];
const WORK = ["--set", "work=2000"];

/** Waits for a child to exit; resolves with its exit code. */
const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once("exit", (code) => resolve(code)));

/** Collects a child's stdout. */
function stdoutOf(child: ChildProcess): () => string {
  let text = "";
  child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
  return () => text;
}

describe.skipIf(!queueTestsEnabled())("queued runs survive faults", () => {
  const tmp = tempDir("queue-faults");
  let redis: TestRedis;
  const workers: ChildProcess[] = [];
  const reference = join(tmp.dir, "reference");
  let referenceSummary: unknown;

  beforeAll(async () => {
    redis = await startRedis();
    const r = await run([...SWEEP, ...WORK, "--workers", "2", "--out", reference, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    referenceSummary = lastJson(r.stdout).summary;
  });
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
    tmp.cleanup();
  });

  it("kill -9 of one of two workers mid-run loses nothing: same summary and numbers as a local run", async () => {
    const out = join(tmp.dir, "worker-killed");
    const victim = startWorker(redis.url);
    const survivor = startWorker(redis.url);
    workers.push(victim, survivor);
    const coordinator = cliAsync([...SWEEP, ...WORK, "--queue", redis.url, "--out", out, "--json"]);
    const stdout = stdoutOf(coordinator);
    await waitFor(() => storedCount(out) >= 4, 60_000, "4 stored trials");
    victim.kill("SIGKILL");
    await exited(victim);
    expect(storedCount(out)).toBeLessThan(20); // killed in the middle, not after the end
    expect(await exited(coordinator)).toBe(0);
    const json = lastJson(stdout());
    expect(json.summary).toEqual(referenceSummary);
    expect(json.trials).toEqual({ total: 20, ran: 20, skipped: 0, failed: 0 });
    expect(await exportedTrials(out)).toEqual(await exportedTrials(reference));
  });

  it("a coordinator killed and restarted with the same command collects what finished meanwhile", async () => {
    const out = join(tmp.dir, "coordinator-killed");
    workers.push(startWorker(redis.url));
    const args = [...SWEEP, ...WORK, "--queue", redis.url, "--out", out, "--json"];
    const first = cliAsync(args);
    await waitFor(() => storedCount(out) >= 3, 60_000, "3 stored trials");
    first.kill("SIGKILL");
    await exited(first);
    const storedAtKill = storedCount(out);
    expect(storedAtKill).toBeLessThan(20);
    await sleep(1500); // the workers go on finishing queued trials while no coordinator listens

    const again = await run(args);
    expect(again.status, again.stderr).toBe(0);
    const json = lastJson(again.stdout);
    expect(json.summary).toEqual(referenceSummary);
    expect(json.trials).toEqual({ total: 20, ran: 20 - storedAtKill, skipped: storedAtKill, failed: 0 });
    const trials = await exportedTrials(out);
    expect(new Set(trials.map((t) => `${String(t.pointIndex)}/${String(t.repeat)}`)).size).toBe(20);
    expect(trials).toEqual(await exportedTrials(reference));
  });
});
