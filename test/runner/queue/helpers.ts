/** Helpers for the queue tests: worker processes, the stored trial count, and exported trials to compare runs. */
import Database from "better-sqlite3";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cli, cliAsync } from "../../cli/helpers.js";

/** Runs the CLI to completion with `env` added to the environment (asynchronously: see cli/helpers). */
export const run = cli;

/** Starts `layerwise worker` on `url` (one trial at a time unless `extra` says otherwise). */
export function startWorker(url: string, extra: string[] = []): ChildProcess {
  return cliAsync(["worker", "--queue", url, "--concurrency", "1", "--stall-interval", "1000", ...extra]);
}

/** Stops a worker with SIGTERM (it finishes its trial) and waits for it to exit; returns its exit code. */
export function stopWorker(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

/** Trials stored in `dir` (0 while the store or its schema does not exist yet). */
export function storedCount(dir: string): number {
  if (!existsSync(join(dir, "results.sqlite"))) return 0;
  try {
    const db = new Database(join(dir, "results.sqlite"), { readonly: true, timeout: 1000 });
    try {
      return (db.prepare("SELECT count(*) AS n FROM trial").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

/** The trials `layerwise export --format json` prints for `dir`, without their (machine-dependent) durations. */
export async function exportedTrials(dir: string): Promise<Record<string, unknown>[]> {
  const r = await run(["export", "--format", "json", "--out", dir]);
  if (r.status !== 0) throw new Error(`export failed: ${r.stderr}`);
  const trials = (JSON.parse(r.stdout) as { trials: Record<string, unknown>[] }).trials;
  return trials.map(({ durationMs: _d, ...rest }) => rest);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `predicate` every 20 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
