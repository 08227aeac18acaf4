/**
 * The pieces of the queue that need no Redis: the --queue URL and the client options made from it, job ids,
 * the result wire format (bit-exact, NaN and ±Infinity included), and point validation on the worker.
 */
import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/config/errors.js";
import type { TrialRecord } from "../../../src/results/records.js";
import { clientOptions } from "../../../src/runner/queue/connection.js";
import { decodeRecord, encodeRecord, jobId, runId, validatePoint } from "../../../src/runner/queue/jobs.js";
import { parseQueueUrl, redactedUrl } from "../../../src/runner/queue/redis-url.js";
import { selftest } from "../../../src/runner/selftest.js";

describe("--queue URL", () => {
  it("parses host, port, login, database and TLS", () => {
    expect(parseQueueUrl("redis://10.0.0.5:6380")).toEqual({ host: "10.0.0.5", port: 6380, tls: false, db: 0 });
    expect(parseQueueUrl("rediss://alice:p%40ss%2Fw@queue.lab:6390/3")).toEqual({
      host: "queue.lab",
      port: 6390,
      tls: true,
      username: "alice",
      password: "p@ss/w",
      db: 3,
    });
    expect(parseQueueUrl("redis://:secret@[::1]")).toEqual({
      host: "::1",
      port: 6379,
      tls: false,
      password: "secret",
      db: 0,
    });
  });

  it("refuses other schemes, bad ports and databases, naming the flag and hiding the password", () => {
    const message = (url: string): string => {
      try {
        parseQueueUrl(url);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as Error).message;
      }
      throw new Error(`${url} was accepted`);
    };
    expect(message("http://h:1")).toContain('--queue http://h:1: unsupported scheme "http:"');
    expect(message("redis://h:0")).toContain("port 0 must be 1–65535");
    expect(message("redis://h:99999")).toContain("--queue redis://h:99999: port 99999 must be 1–65535");
    expect(message("redis://u:p@[::1]:70000/2")).toContain("port 70000 must be 1–65535");
    expect(message("redis://h:1/x")).toContain('database "x" is not a number');
    expect(message("redis://h:1?tls=1")).toContain("query strings");
    expect(message("nonsense")).toContain("not a URL");
    expect(message("redis://bob:hunter2@h:1/x")).not.toContain("hunter2");
  });

  it("redacts the password for messages", () => {
    expect(redactedUrl(parseQueueUrl("rediss://alice:secret@h:7/2"))).toBe("rediss://alice:***@h:7/2");
    expect(redactedUrl(parseQueueUrl("redis://:secret@[::1]:7"))).toBe("redis://:***@[::1]:7");
    expect(redactedUrl(parseQueueUrl("redis://h"))).toBe("redis://h:6379");
  });
});

describe("Redis client options from the --queue URL", () => {
  it("carry the address, login and database, and TLS only for rediss://", () => {
    expect(clientOptions(parseQueueUrl("redis://10.0.0.5:6380"))).toEqual({ host: "10.0.0.5", port: 6380, db: 0 });
    expect(clientOptions(parseQueueUrl("rediss://alice:p%40ss@queue.lab:6390/3"))).toEqual({
      host: "queue.lab",
      port: 6390,
      db: 3,
      username: "alice",
      password: "p@ss",
      tls: { servername: "queue.lab" },
    });
  });

  it("send no SNI name for an IP address (RFC 6066 allows host names only)", () => {
    expect(clientOptions(parseQueueUrl("rediss://:pw@127.0.0.1:6380")).tls).toEqual({});
    expect(clientOptions(parseQueueUrl("rediss://[::1]:6380")).tls).toEqual({});
  });
});

describe("job ids", () => {
  const identity = { experiment: "selftest", config: { x: [1, 2], steps: 3 }, runSeed: 0, seeds: 2, version: "1.0.0" };

  it("are deterministic and ignore the key order of the config", () => {
    const reordered = { ...identity, config: { steps: 3, x: [1, 2] } };
    expect(runId(reordered)).toBe(runId(identity));
    expect(runId(identity)).toMatch(/^[0-9a-f]{16}$/);
    expect(jobId(runId(identity), { pointIndex: 3, repeat: 1 })).toBe(`${runId(identity)}-3-1`);
  });

  it("differ when anything that identifies the run differs", () => {
    const ids = new Set([
      runId(identity),
      runId({ ...identity, runSeed: 1 }),
      runId({ ...identity, seeds: 3 }),
      runId({ ...identity, version: "1.0.1" }),
      runId({ ...identity, config: { x: [1, 2], steps: 4 } }),
      runId({ ...identity, experiment: "quadratic" }),
    ]);
    expect(ids.size).toBe(6);
  });
});

describe("result wire format", () => {
  const trial = { pointIndex: 2, repeat: 1, seed: 12345, point: { x: 3 } };
  const record: TrialRecord = {
    ...trial,
    status: "done",
    durationMs: 12.5,
    scalars: { a: 0.1 + 0.2, b: null, c: NaN, d: Infinity, e: -Infinity, f: -0, g: 5e-324 },
    series: {
      loss: { steps: Float64Array.from([0, 2, 4]), values: Float64Array.from([1 / 3, NaN, -Infinity]) },
    },
    info: { lr: 0.01, grid: [1, 2] },
  };

  it("round-trips through JSON bit for bit, non-finite numbers included", () => {
    const back = decodeRecord(trial, JSON.stringify(encodeRecord(record)));
    expect(back).toEqual(record);
    expect(Object.is(back.scalars.f, -0)).toBe(true);
    const bits = (a: Float64Array) => Array.from(new BigUint64Array(a.buffer));
    expect(bits(back.series.loss.values)).toEqual(bits(record.series.loss.values));
  });

  it("takes the trial's identity from the coordinator's plan, not from the worker", () => {
    const other = { pointIndex: 9, repeat: 0, seed: 1, point: { x: 99 } };
    const back = decodeRecord(trial, { ...encodeRecord({ ...record, ...other }) });
    expect(back).toMatchObject(trial);
  });

  it("refuses malformed results", () => {
    expect(() => decodeRecord(trial, { status: "done" })).toThrow(/malformed result/);
    const wire = encodeRecord(record);
    const uneven = { ...wire, series: { loss: { steps: wire.series.loss.steps, values: "AAAAAAAAAAA=" } } };
    expect(() => decodeRecord(trial, uneven)).toThrow(/unequal lengths/);
    expect(() => decodeRecord(trial, { ...wire, scalars: { a: "1e3" } })).toThrow(/malformed result/);
  });
});

describe("point validation on the worker", () => {
  const point = { x: 2, steps: 10, work: 0, failOn: [], crashOn: [] };

  it("accepts a resolved point unchanged and fills defaults of a partial one", () => {
    expect(validatePoint(selftest, point)).toEqual(point);
    expect(validatePoint(selftest, { x: 2 })).toEqual(point);
  });

  it("refuses unknown keys and out-of-range values with the field named", () => {
    expect(() => validatePoint(selftest, { ...point, steps: 0 })).toThrow(/field `steps`: 0 is out of range/);
    expect(() => validatePoint(selftest, { ...point, code: "x" })).toThrow(
      /invalid point for selftest: unknown key `code`; valid keys: x, steps, work, failOn, crashOn/,
    );
    expect(() => validatePoint(selftest, { ...point, x: "2" })).toThrow(/field `x\[0\]`/);
  });
});
