/**
 * Checks of an output directory before anything is written to it, so an impossible `--out` is one clear refusal
 * (exit 2, the path and the reason) instead of a stack trace, or a spin: Node's recursive mkdir loops forever
 * under /proc, where creating a directory fails with ENOENT however often it is retried.
 */
import { W_OK, X_OK } from "node:constants";
import { accessSync, existsSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../config/errors.js";

/** Kernel filesystems that hold no user files (statfs f_type magic numbers, linux/magic.h). */
const VIRTUAL_FILESYSTEMS: Record<number, string> = {
  0x9fa0: "procfs",
  0x62656572: "sysfs",
  0x1cd1: "devpts",
  0x64626720: "debugfs",
  0x74726163: "tracefs",
  0x73636673: "securityfs",
  0x27e0eb: "cgroupfs",
  0x63677270: "cgroup2fs",
  0xcafe4a11: "bpffs",
};

/** The reason for an errno code, in words. */
function reason(code: string | undefined): string {
  if (code === "EACCES" || code === "EPERM") return `permission denied (${code})`;
  if (code === "EROFS") return "the filesystem is read-only (EROFS)";
  return code ?? "not accessible";
}

/**
 * Throws `InputError` unless `dir` can hold output: `existing` is `dir` or its nearest existing ancestor (a
 * directory). It must not be on a kernel filesystem, and with `write` it must be writable, as must a result
 * store already in `dir`. `shown` is the flag's value as the user typed it.
 */
export function checkOutputPlace(shown: string, dir: string, existing: string, write: boolean): void {
  let fsType: number | undefined;
  try {
    fsType = statfsSync(existing).type;
  } catch {
    fsType = undefined; // statfs unsupported here: the access checks below still apply
  }
  const virtual = fsType === undefined ? undefined : VIRTUAL_FILESYSTEMS[fsType];
  if (virtual) {
    throw new InputError(
      `--out ${shown}: ${existing} is on ${virtual}, a kernel filesystem that cannot hold files; choose a directory on a disk`,
    );
  }
  if (!write) return;
  const targets = [existing, ...(existing === dir ? [join(dir, "results.sqlite")] : [])].filter((p) => existsSync(p));
  for (const path of targets) {
    try {
      accessSync(path, path === existing ? W_OK | X_OK : W_OK);
    } catch (e) {
      const what = path === dir ? "the directory" : path === existing ? `its parent ${existing}` : path;
      throw new InputError(
        `--out ${shown}: cannot write ${what}: ${reason((e as NodeJS.ErrnoException).code)}; ` +
          `choose a directory you can write, or change its permissions`,
      );
    }
  }
}
