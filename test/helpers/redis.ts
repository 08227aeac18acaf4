/**
 * A throwaway redis-server for tests: Debian's `redis-server` on a free 127.0.0.1 port, persistence off, stopped
 * by the test. When the binary is missing the queue tests are skipped on a developer's machine but FAIL in CI
 * (CI=true), where .ci/run installs it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer, connect } from "node:net";

/** Whether `redis-server` can be run here. */
export function redisServerAvailable(): boolean {
  return spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
}

/** True when the queue tests should run: redis-server exists, or we are in CI (where its absence must fail). */
export function queueTestsEnabled(): boolean {
  return redisServerAvailable() || process.env.CI === "true";
}

/** A free TCP port on 127.0.0.1 (bound and released; nothing else on this machine races for it in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Resolves once something accepts TCP connections on `port` (or rejects after `timeoutMs`). */
async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TestRedis {
  port: number;
  /** `redis://[default:password@]127.0.0.1:port` (`rediss://` with TLS). */
  url: string;
  stop(): Promise<void>;
}

export interface TestRedisOptions {
  /** Require this password (`--requirepass`). */
  password?: string;
  /** Serve TLS only, with this certificate and key (PEM files); clients need not present certificates. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/** Starts redis-server; throws when it is missing or does not start. */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  if (!redisServerAvailable()) {
    throw new Error("redis-server is not installed (apt-get install redis-server); the queue tests need it");
  }
  const port = await freePort();
  const args = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  if (options.tls) {
    const { certFile, keyFile, caFile } = options.tls;
    args.push("--port", "0", "--tls-port", String(port), "--tls-cert-file", certFile, "--tls-key-file", keyFile);
    args.push("--tls-ca-cert-file", caFile, "--tls-auth-clients", "no");
  } else {
    args.push("--port", String(port));
  }
  if (options.password !== undefined) args.push("--requirepass", options.password);
  const child = spawn("redis-server", args, { stdio: "ignore" });
  await waitForPort(port, child);
  const login = options.password !== undefined ? `default:${encodeURIComponent(options.password)}@` : "";
  return {
    port,
    url: `${options.tls ? "rediss" : "redis"}://${login}127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
