/**
 * Environmental faults and bad input through the real CLI: each ends with exit 1 or 2, the path or URL and the
 * reason on stderr, no stack trace, and nothing hangs (every run here has a hard time limit).
 */
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/config/errors.js";
import { parseQueueUrl } from "../../src/runner/queue/redis-url.js";
import { isSystemError, systemErrorMessage } from "../../src/cli/system-errors.js";
import { ROOT, tempDir } from "../cli/helpers.js";
import { type TestRedis, freePort, queueTestsEnabled, startRedis } from "../helpers/redis.js";

const BIN = join(ROOT, "bin", "layerwise.js");
const tmp = tempDir("faults");
chmodSync(tmp.dir, 0o755); // the unprivileged child below must reach its subdirectories
afterAll(() => tmp.cleanup());

type CliOutcome = Pick<SpawnSyncReturns<string>, "status" | "signal" | "stderr">;

/**
 * The CLI, asynchronously (this process's fake servers must answer meanwhile, and a test worker must not block),
 * killed after 60 s so that a hang fails the test instead of stalling the suite; `uid` runs it as that user.
 */
function cli(args: string[], options: { uid?: number } = {}): Promise<CliOutcome> {
  const user = options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {};
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], ...user });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.once("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stderr });
    }),
  );
}

/** Exit `code`, every pattern on stderr, and no stack trace. */
function expectFailure(r: CliOutcome, code: number, ...patterns: (string | RegExp)[]): void {
  expect(r.signal, "timed out").toBeNull();
  expect(r.status, r.stderr).toBe(code);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const QUICK = ["run", "selftest", "--set", "steps=2"];

describe("--out that cannot hold results", () => {
  for (const dir of ["/proc/x", "/proc/self/x", "/sys/x", "/sys/kernel/x"]) {
    it(`${dir}: refused at once (Node's recursive mkdir spins on procfs)`, async () => {
      expectFailure(
        await cli([...QUICK, "--out", dir]),
        2,
        `--out ${dir}:`,
        /is on (procfs|sysfs), a kernel filesystem/,
      );
    });
  }

  // root passes every permission check: run the CLI as nobody then — which needs a checkout nobody can read
  // (one under a private home folder is not; the test then says so instead of failing on the checkout).
  const uid = process.getuid?.() === 0 ? 65534 : undefined;
  const readable =
    uid === undefined ||
    spawnSync(process.execPath, ["-e", `require("fs").accessSync(${JSON.stringify(BIN)}, 4)`], { uid, gid: uid })
      .status === 0;
  it.skipIf(!readable)(
    `a directory the user cannot write, and one under a parent the user cannot write${readable ? "" : " (skipped: running as root and user nobody cannot read " + BIN + ")"}`,
    async () => {
      const ro = join(tmp.dir, "read-only");
      mkdirSync(join(ro, "existing"), { recursive: true });
      chmodSync(join(ro, "existing"), 0o555);
      chmodSync(ro, 0o555);
      expectFailure(
        await cli([...QUICK, "--out", join(ro, "existing")], { uid }),
        2,
        "cannot write the directory: permission denied (EACCES)",
      );
      expectFailure(
        await cli([...QUICK, "--out", join(ro, "new", "deeper")], { uid }),
        2,
        `cannot write its parent ${ro}`,
      );
      chmodSync(ro, 0o755);
    },
  );
});

describe("system errors reach the user as one line", () => {
  it("names the call, the path and what to do, without a stack", async () => {
    const file = join(tmp.dir, "plain-file");
    writeFileSync(file, "x");
    let error: unknown;
    try {
      mkdirSync(join(file, "sub"));
    } catch (e) {
      error = e;
    }
    expect(isSystemError(error)).toBe(true);
    expect(systemErrorMessage(error as NodeJS.ErrnoException)).toBe(`ENOTDIR: not a directory, mkdir '${file}/sub'`);
    const denied = Object.assign(new Error("EACCES: permission denied, mkdir '/x'"), {
      code: "EACCES",
      syscall: "mkdir",
    });
    expect(systemErrorMessage(denied)).toBe(
      "EACCES: permission denied, mkdir '/x' (check the permissions, or choose another --out)",
    );
    expect(isSystemError(new Error("plain"))).toBe(false);
  });
});

describe("a result store that is not one", () => {
  it("garbage: exit 2 with the path and what to do; --fresh keeps it aside and starts over", async () => {
    const out = join(tmp.dir, "garbage");
    mkdirSync(out);
    writeFileSync(join(out, "results.sqlite"), "this is not a database, it is a text file\n".repeat(200));
    expectFailure(
      await cli([...QUICK, "--out", out]),
      2,
      `${join(out, "results.sqlite")} is not a readable result store`,
      "SQLITE_NOTADB",
      "rerun with --fresh",
    );
    expectFailure(await cli(["report", "--out", out]), 2, "is not a readable result store");
    expectFailure(await cli(["export", "--format", "csv", "--out", out]), 2, "is not a readable result store");
    const fresh = await cli([...QUICK, "--out", out, "--fresh"]);
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(fresh.stderr).toMatch(/the result store was not readable; kept it as .*results\.sqlite\.broken-/);
    expect(readdirSync(out).filter((f) => f.startsWith("results.sqlite.broken-"))).toHaveLength(1);
  });

  it("another SQLite database under that name", async () => {
    const out = join(tmp.dir, "foreign");
    mkdirSync(out);
    const db = new Database(join(out, "results.sqlite"));
    db.exec("CREATE TABLE other (x)");
    db.close();
    expectFailure(await cli([...QUICK, "--out", out]), 2, "is not a readable result store", "no such table");
  });
});

describe("--queue: every wait has a time-out; a wrong URL is exit 2", () => {
  let redis: TestRedis | undefined;
  const servers: Server[] = [];
  /** A TCP server on a free port that answers with `reply` (or never, for null). */
  async function fakeServer(reply: string | null): Promise<number> {
    const port = await freePort();
    const server = createServer((s) => {
      s.on("error", () => undefined);
      if (reply !== null) s.on("data", () => s.write(reply));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return port;
  }
  beforeAll(async () => {
    if (queueTestsEnabled()) redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    for (const s of servers) s.close();
  });

  it.skipIf(!queueTestsEnabled())("a database index the server does not have", async () => {
    const out = join(tmp.dir, "q-db");
    expectFailure(
      await cli([...QUICK, "--queue", `${redis!.url}/99`, "--out", out]),
      2,
      `--queue ${redis!.url}/99: database 99 does not exist on that server`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(!queueTestsEnabled())("the worker refuses the same database index before it starts", async () => {
    const r = await cli(["worker", "--queue", `${redis!.url}/99`]);
    expectFailure(r, 2, "database 99 does not exist on that server");
  });

  it("a server that is not Redis", async () => {
    const port = await fakeServer("HTTP/1.1 400 Bad Request\r\n\r\n");
    expectFailure(await cli([...QUICK, "--queue", `redis://127.0.0.1:${port}`]), 2, "not a Redis server");
  });

  it("a server that accepts and never answers: exit 1 after the connect time-out", async () => {
    const port = await fakeServer(null);
    const r = await cli([...QUICK, "--queue", `redis://127.0.0.1:${port}`]);
    expectFailure(r, 1, "ETIMEDOUT", "cannot reach Redis");
  });

  it("a port out of range is named as such", async () => {
    expectFailure(await cli([...QUICK, "--queue", "redis://127.0.0.1:99999"]), 2, "port 99999 must be 1–65535");
  });

  it("property: any port is accepted exactly when it is in 1..65535, else named in the message", async () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.boolean(), (port, withDb) => {
        const url = `redis://127.0.0.1:${port}${withDb ? "/3" : ""}`;
        if (port >= 1 && port <= 65535) {
          expect(parseQueueUrl(url).port).toBe(port);
        } else {
          expect(() => parseQueueUrl(url)).toThrow(InputError);
          expect(() => parseQueueUrl(url)).toThrow(`port ${port} must be 1–65535`);
        }
      }),
      { seed: 24, numRuns: 300 },
    );
  });
});
