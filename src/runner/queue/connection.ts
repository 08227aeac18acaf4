/**
 * Connecting to the queue's Redis: a check made before any work (so an unreachable server or a wrong password
 * is one clear error, exit 1, with nothing created), and the clients handed to BullMQ.
 */
import { type RedisTarget, redactedUrl } from "./redis-url.js";
import { RespClient } from "./resp.js";

/** Redis cannot be used: unreachable, login refused, TLS failure. The CLI prints the message and exits 1. */
export class QueueConnectionError extends Error {
  override name = "QueueConnectionError";
}

/** Replies and socket errors that mean the login (not the network) is wrong. */
const LOGIN_ERRORS = /^(WRONGPASS|NOAUTH|NOPERM)|invalid (username|password)|without any password configured/i;

/** The error `error` got while talking to `target`, as a message a user can act on. */
function explain(target: RedisTarget, error: Error): QueueConnectionError {
  const where = redactedUrl(target);
  const code = (error as NodeJS.ErrnoException).code;
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
 * Connects, logs in and sends PING; throws `QueueConnectionError` with a clear message when any of it fails
 * within `timeoutMs`.
 */
export async function checkConnection(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new RespClient(target, { connectTimeoutMs: timeoutMs });
  try {
    await client.connect();
    const reply = await client.send("PING");
    if (reply !== "PONG") throw new Error(`unexpected reply to PING: ${JSON.stringify(reply)}`);
  } catch (e) {
    throw explain(target, e instanceof Error ? e : new Error(String(e)));
  } finally {
    client.close();
  }
}

/** A client for BullMQ (it connects by itself); close it, and what BullMQ duplicated from it, with `closeAll`. */
export function queueClient(target: RedisTarget): RespClient {
  return new RespClient(target);
}
