/**
 * Command-line flag parsing for the `layerwise` commands (node:util parseArgs, strict), turning every mistake
 * into an `InputError` that names the flag, the value, and what is allowed.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { InputError } from "../config/errors.js";
import { closest } from "../config/suggest.js";
import { MAX_THREADS, explicitThreads, setThreads } from "../linalg/threads.js";
import { checkOutputPlace } from "./out-dir.js";

export type FlagSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * `--seeds -3` as `--seeds=-3`: parseArgs takes a value that starts with a dash for a flag ("ambiguous"), but a
 * negative number after a flag that takes a value is that value, and its own check then says what is allowed.
 */
function joinNegativeValues(argv: readonly string[], flags: FlagSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = /^--([^=]+)$/.exec(argv[i])?.[1];
    const next = argv[i + 1];
    if (flag && flags[flag]?.type === "string" && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

/** Parses `argv` against `flags`; unknown flags are refused with the closest known ones. */
export function parseFlags(command: string, argv: readonly string[], flags: FlagSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(argv, flags),
      options: flags,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (e) {
    const err = e as Error & { code?: string };
    const match = /'(-{1,2}[^' ]+)/.exec(err.message);
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && match) {
      const near = closest(
        match[1].replace(/^-+/, ""),
        Object.keys(flags).filter((f) => f !== "help"),
      );
      const hint = near.length > 0 ? `; did you mean ${near.map((f) => `--${f}`).join(" or ")}?` : "";
      throw new InputError(`${command}: unknown flag ${match[1]}${hint} (see layerwise ${command} --help)`);
    }
    throw new InputError(`${command}: ${err.message.split("\n")[0]} (see layerwise ${command} --help)`);
  }
}

/** An integer flag in [min, max], or `fallback` when absent. */
export function integerFlag(
  name: string,
  raw: string | boolean | string[] | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const text = String(raw).trim();
  const value = Number(text);
  if (text === "" || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`--${name} ${String(raw)}: expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** A flag whose value must be one of `allowed`. */
export function choiceFlag<T extends string>(name: string, raw: unknown, allowed: readonly T[]): T {
  if (typeof raw !== "string" || !(allowed as readonly string[]).includes(raw)) {
    throw new InputError(
      `--${name} ${raw === undefined ? "(missing)" : String(raw)}: allowed values: ${allowed.join(", ")}`,
    );
  }
  return raw as T;
}

/**
 * The `--out` directory, resolved: refused (InputError) when it, or the nearest ancestor that exists, is not a
 * directory — for example `--out /etc/passwd` —, lies on a kernel filesystem (/proc, /sys) or, for `write`
 * access, cannot be written (see out-dir.ts), so that nothing is created and no run starts.
 */
export function outDirFlag(
  raw: string | boolean | string[] | undefined,
  fallback: string,
  access: "write" | "read" = "write",
): string {
  const dir = resolve(typeof raw === "string" ? raw : fallback);
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  if (existsSync(probe) && !statSync(probe).isDirectory()) {
    const what = probe === dir ? "is a file, not a directory" : `lies under ${probe}, which is a file`;
    throw new InputError(`--out ${typeof raw === "string" ? raw : fallback}: ${what}; choose a directory`);
  }
  checkOutputPlace(typeof raw === "string" ? raw : fallback, dir, probe, access === "write");
  return dir;
}

/**
 * `--threads N`: threads for each trial's large matrix products (setThreads). Without the flag, checks
 * LAYERWISE_THREADS so that a bad value is reported as invalid input before any work starts.
 */
export function applyThreadsFlag(raw: string | boolean | string[] | undefined): void {
  if (raw !== undefined) return setThreads(integerFlag("threads", raw, 1, 1, MAX_THREADS));
  try {
    explicitThreads();
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}
