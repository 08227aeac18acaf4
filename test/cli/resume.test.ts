/**
 * Crash safety, resume and determinism through the real CLI and the real SQLite store:
 * - kill -9 in the middle of a 40-trial sweep, then the same command: every trial is stored exactly once and
 *   the stored numbers equal those of an uninterrupted run;
 * - 1 worker and 2 workers store identical numbers;
 * - failed trials are recorded (exit 1) and rerun on resume; a different config into the same --out is refused.
 */
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, cliAsync, lastJson, tempDir } from "./helpers.js";

const tmp = tempDir("resume");
afterAll(() => tmp.cleanup());

// 10 points × 4 seeds = 40 trials of roughly 20–60 ms of CPU each.
const SWEEP = ["run", "selftest", "--set", "x=1,2,3,4,5,6,7,8,9,10", "--seeds", "4", "--set", "steps=40"];
const WORK = ["--set", "work=1000"];

interface Row {
  point_index: number;
  repeat: number;
  seed: number;
  status: string;
  final: number;
  chaos: number;
  walk: Buffer;
}

/** Every stored trial with its metrics, straight from SQL (independent of the store's reader). */
function storedRows(dir: string): Row[] {
  const db = new Database(join(dir, "results.sqlite"), { readonly: true });
  try {
    return db
      .prepare(
        `SELECT t.point_index, t.repeat, t.seed, t.status,
                (SELECT value FROM scalar s WHERE s.point_index = t.point_index AND s.repeat = t.repeat AND s.name = 'final') AS final,
                (SELECT value FROM scalar s WHERE s.point_index = t.point_index AND s.repeat = t.repeat AND s.name = 'chaos') AS chaos,
                (SELECT vals FROM series w WHERE w.point_index = t.point_index AND w.repeat = t.repeat AND w.name = 'walk') AS walk
         FROM trial t ORDER BY t.point_index, t.repeat`,
      )
      .all() as Row[];
  } finally {
    db.close();
  }
}

function doneCount(dir: string): number {
  if (!existsSync(join(dir, "results.sqlite"))) return 0;
  try {
    const db = new Database(join(dir, "results.sqlite"), { readonly: true, timeout: 1000 });
    try {
      return (db.prepare("SELECT count(*) AS n FROM trial").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // the schema may not exist yet
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("crash safety and resume", () => {
  const reference = join(tmp.dir, "reference");

  it("an uninterrupted run with 1 worker stores 40 trials", async () => {
    const r = await cli([...SWEEP, ...WORK, "--workers", "1", "--out", reference, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const rows = storedRows(reference);
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => r.seed)).size).toBe(40);
  });

  it("kill -9 during the sweep, then the same command: every trial once, numbers equal the uninterrupted run", async () => {
    const out = join(tmp.dir, "killed");
    const args = [...SWEEP, ...WORK, "--workers", "2", "--out", out, "--json"];
    const child = cliAsync(args);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const deadline = Date.now() + 60_000;
    while (doneCount(out) < 6 && Date.now() < deadline) await sleep(5);
    child.kill("SIGKILL");
    await exited;
    const stored = doneCount(out);
    expect(stored).toBeGreaterThanOrEqual(6);
    expect(stored).toBeLessThan(40); // killed in the middle, not after the end

    const r = await cli(args);
    expect(r.status, r.stderr).toBe(0);
    const trials = lastJson(r.stdout).trials as Record<string, number>;
    expect(trials.skipped).toBe(stored);
    expect(trials.ran).toBe(40 - stored);

    const rows = storedRows(out);
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => `${r.point_index}/${r.repeat}`)).size).toBe(40);
    expect(rows).toEqual(storedRows(reference));
  });

  it("2 workers store exactly the numbers of 1 worker", async () => {
    const out = join(tmp.dir, "two-workers");
    const r = await cli([...SWEEP, ...WORK, "--workers", "2", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(storedRows(out)).toEqual(storedRows(reference));
  });
});

describe("failures and resume rules", () => {
  const out = join(tmp.dir, "failing");
  const args = ["run", "selftest", "--set", "x=1,2,3", "--set", "failOn=2", "--seeds", "2", "--out", out, "--json"];

  it("a throwing trial is recorded as failed with its error, the sweep finishes, and the exit code is 1", async () => {
    const r = await cli(args);
    expect(r.status).toBe(1);
    const json = lastJson(r.stdout);
    expect(json.trials).toMatchObject({ total: 6, failed: 2 });
    const rows = storedRows(out);
    expect(rows.filter((t) => t.status === "failed").map((t) => t.point_index)).toEqual([1, 1]);
    const db = new Database(join(out, "results.sqlite"), { readonly: true });
    const errors = db.prepare("SELECT error FROM trial WHERE status = 'failed'").all() as { error: string }[];
    db.close();
    for (const e of errors) expect(e.error).toContain("asked to fail at x=2");
  });

  it("the same command reruns only the failed trials", async () => {
    const r = await cli(args);
    expect(r.status).toBe(1);
    expect(lastJson(r.stdout).trials).toMatchObject({ total: 6, ran: 2, skipped: 4, failed: 2 });
  });

  it("a trial that ends its worker thread is recorded as failed, the worker is replaced and the sweep finishes", async () => {
    const crashing = join(tmp.dir, "crashing");
    const r = await cli([
      "run",
      "selftest",
      "--set",
      "x=1,2,3,4",
      "--set",
      "crashOn=2,3",
      "--workers",
      "2",
      "--out",
      crashing,
    ]);
    expect(r.status).toBe(1);
    const rows = storedRows(crashing);
    expect(rows.map((t) => t.status)).toEqual(["done", "failed", "failed", "done"]);
    const db = new Database(join(crashing, "results.sqlite"), { readonly: true });
    const errors = db.prepare("SELECT error FROM trial WHERE status = 'failed'").all() as { error: string }[];
    db.close();
    for (const e of errors) expect(e.error).toContain("exited with code 3");
  });

  it("a different config into the same --out is refused (exit 2); --fresh starts over", async () => {
    const changed = ["run", "selftest", "--set", "x=1,3", "--seeds", "2", "--out", out, "--json"];
    const refused = await cli(changed);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("holds results of a different run");
    expect(refused.stderr).toContain("`x` was [1,2,3], now [1,3]");
    const fresh = await cli([...changed, "--fresh"]);
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(lastJson(fresh.stdout).trials).toMatchObject({ total: 4, ran: 4, skipped: 0, failed: 0 });
    expect(storedRows(out)).toHaveLength(4);
  });
});
