/**
 * Errors of the operating system (a file that cannot be created, a full disk) as the one line a user reads: Node's
 * message already names the call and the path ("EACCES: permission denied, mkdir '/x'"), and a stack trace would
 * add nothing the user can act on.
 */

const HINTS: Record<string, string> = {
  EACCES: "check the permissions, or choose another --out",
  EPERM: "check the permissions, or choose another --out",
  EROFS: "the filesystem is read-only; choose another --out",
  ENOSPC: "the disk is full; free space or choose another --out",
  EDQUOT: "the disk quota is exhausted; free space or choose another --out",
  EMFILE: "too many open files; raise the limit (ulimit -n)",
};

/** A Node system error: has an errno `code` and the failing `syscall`. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && "syscall" in e;
}

/** The message to print for a system error: Node's, plus what to do where that is known. */
export function systemErrorMessage(e: NodeJS.ErrnoException): string {
  const hint = e.code !== undefined ? HINTS[e.code] : undefined;
  return hint ? `${e.message} (${hint})` : e.message;
}
