/**
 * Connecting to the queue's Redis through ioredis, BullMQ's standard client: a check made before any work (so an
 * unreachable server, a wrong password or a refused certificate is one clear error, exit 1, with nothing
 * created), and the clients handed to BullMQ.
 */
import { isIP } from "node:net";
import { Redis, type RedisOptions } from "ioredis";
import { InputError } from "../../config/errors.js";
import { type RedisTarget, redactedUrl } from "./redis-url.js";

/** Redis cannot be used: unreachable, login refused, TLS failure. The CLI prints the message and exits 1. */
export class QueueConnectionError extends Error {
  override name = "QueueConnectionError";
}

/** Replies that mean the login (not the network) is wrong. */
const LOGIN_ERRORS = /^(WRONGPASS|NOAUTH|NOPERM)|invalid (username|password)/i;

/**
 * The error `error` got while talking to `target`, as a message a user can act on: an `InputError` (exit 2) when
 * the URL itself is wrong (no such database, not a Redis server at that port), else a `QueueConnectionError`.
 */
function explain(target: RedisTarget, error: Error): Error {
  const where = redactedUrl(target);
  const code = (error as NodeJS.ErrnoException).code;
  if (/DB index is out of range/i.test(error.message)) {
    return new InputError(
      `--queue ${where}: database ${target.db} does not exist on that server (${error.message}); ` +
        `Redis has databases 0 to its "databases" setting − 1 (default 0..15)`,
    );
  }
  if (/Protocol error/i.test(error.message)) {
    return new InputError(
      `--queue ${where}: not a Redis server (it answered something that is not the Redis protocol); ` +
        `check the host and port`,
    );
  }
  if (LOGIN_ERRORS.test(error.message)) {
    return new QueueConnectionError(
      `Redis at ${where} refused the login (${error.message}); check the user name and password in --queue ` +
        `(redis://user:password@host:port)`,
    );
  }
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "ETIMEDOUT") {
    return new QueueConnectionError(
      `cannot reach Redis at ${where} (${code}): is redis-server running there, listening on that address, ` +
        `and not blocked by a firewall?`,
    );
  }
  if (code?.startsWith("ERR_TLS") || code?.startsWith("ERR_SSL") || /certificate|TLS|SSL/i.test(error.message)) {
    return new QueueConnectionError(`TLS connection to Redis at ${where} failed: ${error.message}`);
  }
  return new QueueConnectionError(`cannot use Redis at ${where}: ${error.message}`);
}

/**
 * The ioredis options for `target`: address, ACL login, database, and TLS for `rediss://`. TLS verifies the
 * server's certificate against Node's CAs (a private CA is added with NODE_EXTRA_CA_CERTS) and its name against
 * the host; a host name is also sent for SNI (an IP address may not be, RFC 6066 section 3).
 */
export function clientOptions(target: RedisTarget): RedisOptions {
  const { host, port, username, password, db, tls } = target;
  return {
    host,
    port,
    db,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls: isIP(host) === 0 ? { servername: host } : {} } : {}),
  };
}

/**
 * Connects, logs in, sends PING and selects the database with a client that never retries; throws
 * `QueueConnectionError` (or `InputError` for a wrong URL, see `explain`) with a clear message when any of it
 * fails or takes longer than `timeoutMs`.
 */
export async function checkConnection(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...clientOptions(target),
    // SELECT is sent below, where its refusal is an answer to wait for (ioredis's own SELECT only emits an event).
    db: 0,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // PING below is the check; ioredis's own ready check (INFO) would wrap a refused login in its own message.
    enableReadyCheck: false,
  });
  // ioredis reports the cause (a socket or TLS error, a refused AUTH) as an event and rejects what was waiting
  // with a generic "Connection is closed."; the first event is the one to explain.
  let cause: Error | undefined;
  client.on("error", (e: Error) => (cause ??= e));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: "ETIMEDOUT" })),
      timeoutMs,
    );
  });
  try {
    const reply = await Promise.race([client.connect().then(() => client.ping()), timeout]);
    if (reply !== "PONG") throw new Error(`unexpected reply to PING: ${JSON.stringify(reply)}`);
    if (target.db !== 0) await Promise.race([client.select(target.db), timeout]);
  } catch (e) {
    // A reply error (SELECT refused) is the cause itself; a socket error arrives as an event before the rejection.
    const error = e instanceof Error && e.name === "ReplyError" ? e : (cause ?? e);
    throw explain(target, error instanceof Error ? error : new Error(String(error)));
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * A client for BullMQ (it connects by itself and reconnects after a lost connection). BullMQ closes the
 * connections it duplicates from it but leaves this one open: close it with `closeClient` after the queue,
 * events or worker using it.
 */
export function queueClient(target: RedisTarget): Redis {
  // BullMQ refuses clients that give up on a command after a few reconnection attempts (its workers block).
  return new Redis({ ...clientOptions(target), maxRetriesPerRequest: null });
}

/**
 * Closes a client from `queueClient`: QUIT (replies still due arrive first) when connected, otherwise at once;
 * it does not reconnect afterwards, so nothing keeps the process alive.
 */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === "ready") await client.quit().catch(() => {});
  client.disconnect();
}
