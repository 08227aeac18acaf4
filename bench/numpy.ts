/**
 * Runs a numpy reference script (bench/peer/*.py) and returns the JSON it prints on its last stdout line.
 * numpy is the reference peer for benchmarks only; it is never used at run time.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** Absolute path of bench/peer/<name> in the source tree (works from dist/bench too). */
export function peerScript(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/bench → ../../bench/peer ; bench → ./peer
  const fromDist = join(here, "..", "..", "bench", "peer", name);
  const fromSrc = join(here, "peer", name);
  return here.includes(`${"dist"}`) ? fromDist : fromSrc;
}

/**
 * Runs `python3 bench/peer/<script> ...args` (or another interpreter: `python`) with extra environment (for
 * example OPENBLAS_NUM_THREADS=1) and parses the last line of stdout as JSON. Throws with python's stderr when it
 * fails.
 */
export function runNumpy<T>(
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
  python = "python3",
): T {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  const result = spawnSync(python, [peerScript(script), ...args], { env: childEnv, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`numpy peer ${script} failed (exit ${result.status}):\n${result.stderr}`);
  }
  const lines = result.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}

/**
 * The first of `python3` and the system's /usr/bin/python3 (where Debian's python3-torch installs) that imports
 * torch, or undefined: PyTorch is an optional benchmark peer.
 */
export function pythonWithTorch(): string | undefined {
  return ["python3", "/usr/bin/python3"].find(
    (python) => spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0,
  );
}

/** Median wall time in milliseconds of `fn` over `repeats` runs after `warmup` runs. */
export function timeMs(fn: () => void, repeats = 5, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Prints a table of rows (objects with the same keys) as aligned plain text. */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n## ${title}\n`);
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]);
  const cell = (v: string | number): string => (typeof v === "number" ? formatNumber(v) : v);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  console.log(keys.map((k, i) => k.padEnd(widths[i])).join("  "));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(keys.map((k, i) => cell(r[k]).padEnd(widths[i])).join("  "));
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
