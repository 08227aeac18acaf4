/**
 * Queued runs through the real CLI, a real redis-server and two `layerwise worker` processes. Everything logs in
 * as an ACL user restricted as the README recommends (BullMQ's keys only, no dangerous commands but INFO), so
 * the recommendation is tested too:
 * - a queued run prints the same JSON summary and stores the same numbers as a local run with the same seeds;
 *   the same command again resumes (nothing rerun);
 * - a trial that throws is stored as failed, as locally;
 * - workers refuse jobs of another package version, of unknown experiments and with invalid points;
 * - a wrong password or an unreachable Redis: a clear error, exit 1, nothing created; a malformed URL: exit 2.
 */
import { Queue } from "bullmq";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeClient, queueClient } from "../../../src/runner/queue/connection.js";
import { parseQueueUrl } from "../../../src/runner/queue/redis-url.js";
import { packageVersion } from "../../../src/runner/version.js";
import { lastJson, tempDir } from "../../cli/helpers.js";
import { type TestRedis, freePort, queueTestsEnabled, startRedis } from "../../helpers/redis.js";
import { exportedTrials, run, startWorker, stopWorker, waitFor } from "./helpers.js";

const PASSWORD = "s3cret/pw";
const SWEEP = ["run", "selftest", "--set", "x=1,2,3,4,5,6", "--seeds", "2", "--set", "steps=40", "--set", "work=100"];

describe.skipIf(!queueTestsEnabled())("queued runs", () => {
  const tmp = tempDir("queue");
  let redis: TestRedis;
  /** The restricted ACL user's URL. */
  let url: string;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis({ password: "admin-password" });
    const admin = queueClient(parseQueueUrl(redis.url));
    const rules = ["on", `>${PASSWORD}`, "~bull:*", "&*", "+@all", "-@dangerous", "+info"];
    expect(await admin.call("ACL", "SETUSER", "layerwise", ...rules)).toBe("OK");
    await closeClient(admin);
    url = `redis://layerwise:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}`;
    workers.push(startWorker(url), startWorker(url));
  });
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
    tmp.cleanup();
  });

  it("a queued run prints the same summary and stores the same numbers as a local run", async () => {
    const local = join(tmp.dir, "local");
    const queued = join(tmp.dir, "queued");
    const l = await run([...SWEEP, "--workers", "2", "--out", local, "--json"]);
    expect(l.status, l.stderr).toBe(0);
    const q = await run([...SWEEP, "--queue", url, "--out", queued, "--json"]);
    expect(q.status, q.stderr).toBe(0);
    const lj = lastJson(l.stdout);
    const qj = lastJson(q.stdout);
    expect(qj.summary).toEqual(lj.summary);
    expect(qj.config).toEqual(lj.config);
    expect(qj.trials).toEqual({ total: 12, ran: 12, skipped: 0, failed: 0 });
    expect(qj.outDir).toBe(queued);
    expect(existsSync(join(queued, "report.html"))).toBe(true);
    expect(await exportedTrials(queued)).toEqual(await exportedTrials(local));

    const again = await run([...SWEEP, "--queue", url, "--out", queued, "--json"]);
    expect(again.status, again.stderr).toBe(0);
    expect(lastJson(again.stdout).trials).toEqual({ total: 12, ran: 0, skipped: 12, failed: 0 });
    expect(lastJson(again.stdout).summary).toEqual(lj.summary);
  });

  it("a trial that throws on a worker is stored as failed with its error (exit 1)", async () => {
    const out = join(tmp.dir, "failing");
    const r = await run([
      "run",
      "selftest",
      "--set",
      "x=1,2,3",
      "--set",
      "failOn=2",
      "--queue",
      url,
      "--out",
      out,
      "--json",
    ]);
    expect(r.status).toBe(1);
    expect(lastJson(r.stdout).trials).toMatchObject({ total: 3, failed: 1 });
    const failed = (await exportedTrials(out)).filter((t) => t.status === "failed");
    expect(failed.map((t) => t.pointIndex)).toEqual([1]);
    expect(String(failed[0].error)).toContain("asked to fail at x=2");
  });

  it("workers refuse jobs of another version, of unknown experiments and with invalid points, without retrying", async () => {
    const client = queueClient(parseQueueUrl(url));
    const queue = new Queue("layerwise-trials", { connection: client });
    try {
      const point = { x: 1, steps: 5, work: 0, failOn: [], crashOn: [] };
      const base = { version: packageVersion, experiment: "selftest", pointIndex: 0, repeat: 0, seed: 1, point };
      const jobs = {
        "refuse-version": { ...base, version: "0.0.0-elsewhere" },
        "refuse-experiment": { ...base, experiment: "rm-rf" },
        "refuse-point": { ...base, point: { ...point, steps: -3 } },
        "refuse-extra-key": { ...base, point: { ...point, code: "process.exit()" } },
      };
      for (const [id, data] of Object.entries(jobs)) await queue.add("trial", data, { jobId: id, attempts: 3 });
      await waitFor(
        async () =>
          (await Promise.all(Object.keys(jobs).map((id) => queue.getJobState(id)))).every((s) => s === "failed"),
        30_000,
        "the refused jobs to fail",
      );
      const reason = async (id: string) => (await queue.getJob(id))!;
      const version = await reason("refuse-version");
      expect(version.failedReason).toContain(
        `layerwise ${packageVersion} worker refused a trial queued by layerwise 0.0.0-elsewhere`,
      );
      expect(version.attemptsMade).toBe(1);
      expect((await reason("refuse-experiment")).failedReason).toContain('unknown experiment "rm-rf"');
      expect((await reason("refuse-point")).failedReason).toMatch(
        /invalid point for selftest: field `steps`: -3 is out of range/,
      );
      expect((await reason("refuse-extra-key")).failedReason).toContain("invalid point for selftest");
    } finally {
      await queue.close();
      await closeClient(client);
    }
  });

  it("a wrong password is a clear error, exit 1, and nothing is created", async () => {
    const out = join(tmp.dir, "wrong-password");
    const wrong = url.replace(encodeURIComponent(PASSWORD), "not-the-password");
    const r = await run([...SWEEP, "--queue", wrong, "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Redis at redis://layerwise:***@127.0.0.1:${redis.port} refused the login`);
    expect(r.stderr).not.toContain("not-the-password");
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(existsSync(out)).toBe(false);
    const w = await run(["worker", "--queue", wrong]);
    expect(w.status).toBe(1);
    expect(w.stderr).toContain("refused the login");
  });

  it("an unreachable Redis is a clear error, exit 1, and nothing is created", async () => {
    const port = await freePort();
    const out = join(tmp.dir, "unreachable");
    const r = await run([...SWEEP, "--queue", `redis://127.0.0.1:${port}`, "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot reach Redis at redis://127.0.0.1:${port} (ECONNREFUSED)`);
    expect(existsSync(out)).toBe(false);
  });

  it("a malformed --queue URL is invalid input (exit 2) naming the flag", async () => {
    const r = await run([...SWEEP, "--queue", "http://127.0.0.1:6379", "--out", join(tmp.dir, "bad-url")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--queue http://127.0.0.1:6379: unsupported scheme "http:"');
    const w = await run(["worker", "--queue", "redis://127.0.0.1:0"]);
    expect(w.status).toBe(2);
    expect(w.stderr).toContain("port 0 must be 1–65535");
  });
});
