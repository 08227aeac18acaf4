/**
 * A small Redis client speaking RESP2 over TCP or TLS, for BullMQ. Reference: the Redis serialization protocol
 * specification, https://redis.io/docs/latest/develop/reference/protocol-spec/
 *
 * Why our own: BullMQ 6 no longer ships a Redis driver (ioredis and node-redis are optional peer dependencies);
 * it accepts any client with the surface of Bun's built-in `RedisClient` (`send(command, args)`, `connected`,
 * `connect`, `close`, `duplicate`, `onconnect`/`onclose` callbacks) and wraps it in its own adapter, which does
 * everything BullMQ-specific (Lua scripts, transactions, reconnection). So this module only has to frame
 * commands, parse replies and log in; it implements exactly that surface.
 *
 * Protocol: a command is an array of bulk strings (`*N\r\n` then `$len\r\n<bytes>\r\n` per argument); replies
 * are `+simple`, `-error`, `:integer`, `$len` bulk (`$-1` nil) and `*N` arrays (`*-1` nil), answered in the
 * order the commands were sent, so pending commands form a FIFO and pipelining comes for free. Bulk replies are
 * returned as UTF-8 strings and errors inside arrays (EXEC results) as `Error` objects, as Bun's client does.
 * Login: `AUTH [user] password` and `SELECT db` before the connection is reported as connected.
 */
import { Socket, connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { RedisTarget } from "./redis-url.js";

type Reply = string | number | null | Error | Reply[];
type Arg = string | number | Buffer;

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

/** The clients duplicated from one root client. */
interface Family {
  members: Set<RespClient>;
  /** Set by `closeAll`: no member connects again. */
  shut: boolean;
}

/** A reply that is not complete in the buffer yet. */
const INCOMPLETE = Symbol("incomplete");

/** Parses one reply at `pos`; returns it with the position after it, or INCOMPLETE. */
function parseReply(buf: Buffer, pos: number): { value: Reply; next: number } | typeof INCOMPLETE {
  const lineEnd = buf.indexOf("\r\n", pos);
  if (lineEnd < 0) return INCOMPLETE;
  const type = buf[pos];
  const line = buf.toString("utf8", pos + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case 0x2b: // +
      return { value: line, next: after };
    case 0x2d: // -
      return { value: new Error(line), next: after };
    case 0x3a: // :
      return { value: Number(line), next: after };
    case 0x24: {
      // $
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buf.length < after + length + 2) return INCOMPLETE;
      return { value: buf.toString("utf8", after, after + length), next: after + length + 2 };
    }
    case 0x2a: {
      // *
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: Reply[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (item === INCOMPLETE) return INCOMPLETE;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`redis: unexpected reply type ${JSON.stringify(String.fromCharCode(type))}`);
  }
}

/** One command in RESP framing. */
export function encodeCommand(command: string, args: readonly Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length + 1}\r\n`)];
  for (const arg of [command, ...args]) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), "utf8");
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

export interface RespClientOptions {
  /** Give up connecting (TCP, TLS and login) after this many milliseconds (default 10,000). */
  connectTimeoutMs?: number;
}

/** A connection to one Redis server (see the module comment for the protocol and the surface). */
export class RespClient {
  /** True once the socket is open and the login succeeded. */
  connected = false;
  onconnect: (() => void) | undefined;
  onclose: ((error?: Error) => void) | undefined;
  onerror: ((error: Error) => void) | undefined;

  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private connecting: Promise<void> | undefined;
  private lastError: Error | undefined;

  /**
   * @param family the clients duplicated from one root, so that `closeAll` can close the connections BullMQ
   *   opened for itself (it leaves a client it was given open, and not every duplicate is closed on shutdown).
   */
  constructor(
    readonly target: RedisTarget,
    private readonly options: RespClientOptions = {},
    private readonly family: Family = { members: new Set(), shut: false },
  ) {
    family.members.add(this);
  }

  /** Opens the connection and logs in; resolves at once when already connected. */
  connect(): Promise<void> {
    if (this.family.shut) return Promise.reject(new Error("Connection closed: the client was shut down"));
    if (this.connected) return Promise.resolve();
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private open(): Promise<void> {
    const { host, port, tls } = this.target;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      const socket = tls ? tlsConnect({ host, port, servername: host }) : tcpConnect({ host, port });
      this.socket = socket;
      this.buffer = Buffer.alloc(0);
      socket.setNoDelay(true);
      socket.on("data", (chunk: Buffer) => this.receive(chunk));
      socket.on("error", (error) => {
        this.lastError = error;
        if (!settled) fail(error);
        else this.onerror?.(error);
      });
      socket.on("close", () => this.closed(socket));
      socket.once(tls ? "secureConnect" : "connect", () => {
        void this.login().then(() => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.connected = true;
          this.onconnect?.();
          resolve();
        }, fail);
      });
    });
  }

  private async login(): Promise<void> {
    const { username, password, db } = this.target;
    if (password !== undefined) {
      await this.write("AUTH", username !== undefined ? [username, password] : [password]);
    }
    if (db !== 0) await this.write("SELECT", [db]);
  }

  private closed(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    const error = new Error(`Connection closed${this.lastError ? `: ${this.lastError.message}` : ""}`);
    for (const p of this.pending.splice(0)) p.reject(error);
    if (wasConnected) this.onclose?.(this.lastError);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let pos = 0;
    while (pos < this.buffer.length) {
      let parsed;
      try {
        parsed = parseReply(this.buffer, pos);
      } catch (e) {
        this.socket?.destroy(e as Error);
        return;
      }
      if (parsed === INCOMPLETE) break;
      pos = parsed.next;
      const waiter = this.pending.shift();
      if (!waiter) continue; // a reply nobody waits for (cannot happen with RESP2 request/response)
      if (parsed.value instanceof Error) waiter.reject(parsed.value);
      else waiter.resolve(parsed.value);
    }
    this.buffer = pos === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(pos);
  }

  private write(command: string, args: readonly Arg[]): Promise<Reply> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error("Connection closed"));
    return new Promise<Reply>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      socket.write(encodeCommand(command, args));
    });
  }

  /** Sends a command (after connecting, when a connection is under way) and resolves with its reply. */
  async send(command: string, args: readonly Arg[] = []): Promise<Reply> {
    if (!this.connected && this.connecting) await this.connecting;
    if (!this.connected) throw new Error("Connection closed");
    return this.write(command, args);
  }

  /** Closes the connection; commands still waiting are rejected with "Connection closed". */
  close(): void {
    this.socket?.destroy();
  }

  /** Same as `close` (BullMQ recognises clients by `connect`, `disconnect` and `duplicate`). */
  disconnect(): void {
    this.close();
  }

  /**
   * A new, not yet connected client for the same server and login. Synchronous: BullMQ duplicates a client it
   * was given to open a worker's blocking connection and expects the copy at once.
   */
  duplicate(): RespClient {
    return new RespClient(this.target, this.options, this.family);
  }

  /**
   * Closes this client and every client duplicated from it (or from its duplicates) for good: no close
   * callback runs (it would make BullMQ's adapter reconnect) and no member connects again.
   */
  closeAll(): void {
    this.family.shut = true;
    for (const client of this.family.members) {
      client.onclose = undefined;
      client.close();
    }
  }
}
