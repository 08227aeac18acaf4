/**
 * `rediss://`: a queued run over TLS to a redis-server serving TLS only, with a certificate from a private CA
 * (made here with openssl). With the CA given to Node (NODE_EXTRA_CA_CERTS) the run works and matches a local
 * run; without it the certificate is refused: a clear TLS error, exit 1, nothing created.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, lastJson, tempDir } from "../../cli/helpers.js";
import { type TestRedis, queueTestsEnabled, startRedis } from "../../helpers/redis.js";
import { run, stopWorker } from "./helpers.js";

const BIN = join(ROOT, "bin", "layerwise.js");
const opensslAvailable = spawnSync("openssl", ["version"]).status === 0;
const SWEEP = ["run", "selftest", "--set", "x=1,2,3", "--seeds", "2"];

/** Runs `openssl args` in `dir`; throws with its stderr when it fails. */
function openssl(dir: string, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** A CA and a server certificate for 127.0.0.1 signed by it. */
function makeCertificates(dir: string): { certFile: string; keyFile: string; caFile: string } {
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=layerwise test CA",
  ]);
  openssl(dir, [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ]);
  const ext = join(dir, "san.ext");
  spawnSync("sh", ["-c", `printf 'subjectAltName=IP:127.0.0.1\\n' > ${JSON.stringify(ext)}`]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    ext,
  ]);
  return { certFile: join(dir, "server.pem"), keyFile: join(dir, "server.key"), caFile: join(dir, "ca.pem") };
}

describe.skipIf(!queueTestsEnabled() || !opensslAvailable)("queued runs over TLS (rediss://)", () => {
  const tmp = tempDir("queue-tls");
  let redis: TestRedis;
  let worker: ChildProcess | undefined;
  let ca: string;

  beforeAll(async () => {
    const files = makeCertificates(tmp.dir);
    ca = files.caFile;
    redis = await startRedis({ tls: files, password: "tls-password" });
  });
  afterAll(async () => {
    if (worker) await stopWorker(worker);
    await redis?.stop();
    tmp.cleanup();
  });

  it("runs a sweep over TLS with the same summary as a local run", async () => {
    worker = spawn(process.execPath, [BIN, "worker", "--queue", redis.url, "--concurrency", "2"], {
      cwd: ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca },
      stdio: "ignore",
    });
    const queued = await run([...SWEEP, "--queue", redis.url, "--out", join(tmp.dir, "queued"), "--json"], {
      NODE_EXTRA_CA_CERTS: ca,
    });
    expect(queued.status, queued.stderr).toBe(0);
    const local = await run([...SWEEP, "--out", join(tmp.dir, "local"), "--json"]);
    expect(local.status, local.stderr).toBe(0);
    expect(lastJson(queued.stdout).summary).toEqual(lastJson(local.stdout).summary);
  });

  it("refuses a certificate it cannot verify: a clear TLS error, exit 1, nothing created", async () => {
    const out = join(tmp.dir, "untrusted");
    const r = await run([...SWEEP, "--queue", redis.url, "--out", out], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`TLS connection to Redis at rediss://default:***@127.0.0.1:${redis.port} failed`);
    expect(existsSync(out)).toBe(false);
  });
});
