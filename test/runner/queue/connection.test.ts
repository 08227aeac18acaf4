/**
 * The connection layer against a real redis-server: the database and login of the URL reach Redis (a key
 * written through /2 is found in database 2 and not in 0), the check passes on a good URL, and a server that
 * accepts TCP but never answers is reported as unreachable within the check's time limit instead of hanging.
 */
import { type Server, type Socket, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  QueueConnectionError,
  checkConnection,
  closeClient,
  queueClient,
} from "../../../src/runner/queue/connection.js";
import { parseQueueUrl } from "../../../src/runner/queue/redis-url.js";
import { type TestRedis, queueTestsEnabled, startRedis } from "../../helpers/redis.js";
import { waitFor } from "./helpers.js";

describe.skipIf(!queueTestsEnabled())("queue connection", () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startRedis({ password: "pw" });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("logs in and selects the URL's database", async () => {
    const inDb2 = queueClient(parseQueueUrl(`redis://default:pw@127.0.0.1:${redis.port}/2`));
    const inDb0 = queueClient(parseQueueUrl(`redis://default:pw@127.0.0.1:${redis.port}`));
    try {
      expect(await inDb2.set("layerwise-db-probe", "κ")).toBe("OK");
      expect(await inDb2.get("layerwise-db-probe")).toBe("κ");
      expect(await inDb0.get("layerwise-db-probe")).toBeNull();
      expect(await inDb0.call("SELECT", "2")).toBe("OK");
      expect(await inDb0.get("layerwise-db-probe")).toBe("κ");
    } finally {
      await Promise.all([closeClient(inDb2), closeClient(inDb0)]);
    }
    // Closed for good: the connection ends and is not re-opened.
    await waitFor(() => inDb2.status === "end" && inDb0.status === "end", 5000, "both clients to end");
  });

  it("the check passes with the right password and names a wrong one", async () => {
    await expect(checkConnection(parseQueueUrl(`redis://:pw@127.0.0.1:${redis.port}`))).resolves.toBeUndefined();
    const wrong = checkConnection(parseQueueUrl(`redis://:nope@127.0.0.1:${redis.port}`));
    await expect(wrong).rejects.toBeInstanceOf(QueueConnectionError);
    await expect(wrong).rejects.toThrow(`Redis at redis://:***@127.0.0.1:${redis.port} refused the login (WRONGPASS`);
  });

  it("a server that never answers is unreachable after the time limit, not a hang", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      await expect(checkConnection(parseQueueUrl(`redis://127.0.0.1:${port}`), 300)).rejects.toThrow(
        `cannot reach Redis at redis://127.0.0.1:${port} (ETIMEDOUT)`,
      );
      expect(Date.now() - t0).toBeLessThan(5000); // bounded by the limit, with generous slack for a loaded machine
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
