/**
 * The RESP client against a real redis-server: every reply type (simple string, error, integer, bulk, nil,
 * arrays, nested arrays, an error inside an EXEC array), pipelined commands answered in order, a reply much
 * larger than one socket read, binary-safe arguments, and the login (AUTH, SELECT).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RespClient } from "../../src/runner/queue/resp.js";
import { type TestRedis, queueTestsEnabled, startRedis } from "../helpers/redis.js";

describe.skipIf(!queueTestsEnabled())("RESP client", () => {
  let redis: TestRedis;
  let client: RespClient;

  beforeAll(async () => {
    redis = await startRedis({ password: "pw" });
    client = new RespClient({ host: "127.0.0.1", port: redis.port, tls: false, password: "pw", db: 2 });
    await client.connect();
  });
  afterAll(async () => {
    client?.closeAll();
    await redis?.stop();
  });

  it("decodes every reply type", async () => {
    expect(await client.send("PING")).toBe("PONG");
    expect(await client.send("SET", ["k", "κ-value"])).toBe("OK");
    expect(await client.send("GET", ["k"])).toBe("κ-value");
    expect(await client.send("GET", ["missing"])).toBeNull();
    expect(await client.send("INCRBY", ["n", -7])).toBe(-7);
    expect(await client.send("RPUSH", ["list", "a", "", "c"])).toBe(3);
    expect(await client.send("LRANGE", ["list", 0, -1])).toEqual(["a", "", "c"]);
    expect(await client.send("EVAL", ["return {1, {2, 'x'}, false}", 0])).toEqual([1, [2, "x"], null]);
    await expect(client.send("INCR", ["k"])).rejects.toThrow(/not an integer/);
  });

  it("keeps pipelined replies in order, with errors inside EXEC's array as Error objects", async () => {
    const replies = await Promise.all([
      client.send("MULTI"),
      client.send("SET", ["t", "1"]),
      client.send("LPUSH", ["t", "x"]), // wrong type: fails inside the transaction
      client.send("EXEC"),
      ...Array.from({ length: 50 }, (_, i) => client.send("ECHO", [String(i)])),
    ]);
    expect(replies.slice(0, 3)).toEqual(["OK", "QUEUED", "QUEUED"]);
    const exec = replies[3] as unknown[];
    expect(exec[0]).toBe("OK");
    expect(exec[1]).toBeInstanceOf(Error);
    expect((exec[1] as Error).message).toMatch(/^WRONGTYPE/);
    expect(replies.slice(4)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it("reads replies spanning many socket reads and sends binary arguments unchanged", async () => {
    const big = "é".repeat(600_000); // 1.2 MB of UTF-8
    await client.send("SET", ["big", big]);
    expect(await client.send("GET", ["big"])).toBe(big);
    const bytes = Buffer.from([0, 13, 10, 255, 36, 42]);
    await client.send("SET", ["bin", bytes]);
    expect(await client.send("STRLEN", ["bin"])).toBe(6);
    expect(await client.send("GETRANGE", ["bin", 4, 5])).toBe("$*");
  });

  it("logs in and selects the database before reporting the connection", async () => {
    expect(await client.send("CLIENT", ["INFO"])).toMatch(/ db=2 /);
    const anonymous = new RespClient({ host: "127.0.0.1", port: redis.port, tls: false, db: 0 });
    await anonymous.connect();
    await expect(anonymous.send("GET", ["k"])).rejects.toThrow(/NOAUTH/);
    anonymous.close();
    const wrong = new RespClient({ host: "127.0.0.1", port: redis.port, tls: false, password: "nope", db: 0 });
    await expect(wrong.connect()).rejects.toThrow(/WRONGPASS/);
    expect(wrong.connected).toBe(false);
  });
});
