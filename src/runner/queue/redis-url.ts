/**
 * The `--queue` flag: a Redis URL `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS), parsed and
 * checked at the boundary so a typo is reported (exit 2) before anything runs. The password never appears in
 * messages: `redactedUrl` prints `***` in its place.
 */
import { InputError } from "../../config/errors.js";

/** Where the queue lives and how to log in. */
export interface RedisTarget {
  host: string;
  port: number;
  /** TLS (`rediss://`). */
  tls: boolean;
  /** ACL user name (Redis 6+); absent: the default user. */
  username?: string;
  password?: string;
  /** Logical database number (SELECT). */
  db: number;
}

const DEFAULT_PORT = 6379;

/** Parses the `--queue` URL; throws `InputError` naming the flag, the value and what is allowed. */
export function parseQueueUrl(raw: string, flag = "queue"): RedisTarget {
  const bad = (why: string): InputError =>
    new InputError(
      `--${flag} ${redactedText(raw)}: ${why}; expected redis://[user:password@]host:port[/db] or rediss://... (TLS)`,
    );
  // WHATWG URL parsing refuses a port above 65535 as "not a URL": name the port instead.
  const port = /^[a-z]+:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):(\d+)(?:\/|$)/i.exec(raw)?.[1];
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) throw bad(`port ${port} must be 1–65535`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad("not a URL");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw bad(`unsupported scheme "${url.protocol}"`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw bad("missing the host");
  const portNumber = url.port === "" ? DEFAULT_PORT : Number(url.port);
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
    throw bad(`port ${url.port} must be 1–65535`);
  }
  const path = url.pathname.replace(/^\//, "");
  const db = path === "" ? 0 : Number(path);
  if (!/^\d*$/.test(path) || !Number.isSafeInteger(db)) throw bad(`database "${path}" is not a number`);
  if (url.search !== "" || url.hash !== "") throw bad("query strings and fragments are not supported");
  const username = url.username === "" ? undefined : decodeURIComponent(url.username);
  const password = url.password === "" ? undefined : decodeURIComponent(url.password);
  return {
    host,
    port: portNumber,
    tls: url.protocol === "rediss:",
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
  };
}

/** The URL with the password replaced by `***` (for messages and logs). */
export function redactedUrl(target: RedisTarget): string {
  const login =
    target.username !== undefined || target.password !== undefined
      ? `${target.username ?? ""}${target.password !== undefined ? ":***" : ""}@`
      : "";
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  return `${target.tls ? "rediss" : "redis"}://${login}${host}:${target.port}${target.db !== 0 ? `/${target.db}` : ""}`;
}

/** A possibly malformed URL with anything between "://" and "@" after the first ":" masked. */
function redactedText(raw: string): string {
  return raw.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}
