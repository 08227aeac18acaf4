/** Helpers for tests that spawn the real CLI (`node bin/layerwise.js`, compiled to dist/ by `pretest`). */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin", "layerwise.js");

/** What a finished CLI process left: its exit code and its whole stdout and stderr. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI to completion, with `env` added to the environment. Asynchronous on purpose: a spawnSync blocks
 * the test worker's event loop for the whole run, and on a loaded machine vitest's own messages to that worker
 * then time out.
 */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runNode([BIN, ...args], env);
}

/** Runs `node ...args` in the repository root to completion, asynchronously (as `cli`). */
export function runNode(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<CliResult> {
  return runProcess(process.execPath, args, env, cwd);
}

/** Runs `command` asynchronously (a test worker never blocks on it) and collects its exit status and output. */
export function runProcess(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  cwd = ROOT,
): Promise<CliResult> {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Starts the CLI without waiting. */
export function cliAsync(args: string[]) {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
}

/** A fresh temporary directory and a function removing it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `layerwise-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The last non-empty stdout line parsed as JSON. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

/** Starts `layerwise explore --port 0` and resolves with its URL and a function stopping it. */
export async function startExplore(): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = cliAsync(["explore", "--port", "0"]);
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving the explorable at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`layerwise explore exited with ${code}: ${out}`)));
  });
  const stop = () =>
    new Promise<number | null>((resolve) => {
      child.removeAllListeners("exit");
      child.on("exit", (code) => resolve(code));
      child.kill("SIGINT");
    });
  return { url, stop };
}
