/**
 * memoizeAsync, the per-worker memo of the experiments' data loaders and searches: one load per key, shared by
 * every caller; a failed load is forgotten, so the next call retries it instead of replaying the error.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTrialData } from "../../src/experiments/fashion/data.js";
import { memoizeAsync } from "../../src/experiments/memo.js";

describe("memoizeAsync", () => {
  it("starts one load per key and shares its promise", async () => {
    const started: number[] = [];
    const square = memoizeAsync(
      (n: number) => String(n),
      async (n: number) => {
        started.push(n);
        return n * n;
      },
    );
    const first = square(3);
    expect(square(3)).toBe(first);
    expect(await Promise.all([first, square(4), square(3)])).toEqual([9, 16, 9]);
    expect(started).toEqual([3, 4]);
  });

  it("forgets a load that failed, so the next call with its key loads again", async () => {
    let calls = 0;
    const flaky = memoizeAsync(
      () => "key",
      async () => {
        calls += 1;
        if (calls === 1) throw new Error("transient");
        return calls;
      },
    );
    const failed = flaky(undefined);
    await expect(failed).rejects.toThrow("transient");
    const retried = flaky(undefined);
    expect(retried).not.toBe(failed);
    expect(await retried).toBe(2);
    expect(await flaky(undefined)).toBe(2);
    expect(calls).toBe(2);
  });
});

describe("loadTrialData", () => {
  it("does not keep a failed load: a missing Fashion-MNIST directory fails again with a fresh promise", async () => {
    const dir = mkdtempSync(join(tmpdir(), "layerwise-memo-"));
    try {
      const config = { dataset: "fashion-mnist" as const, dataDir: dir, dataSeed: 0 };
      const first = loadTrialData(config);
      await expect(first).rejects.toThrow();
      const second = loadTrialData(config);
      expect(second).not.toBe(first);
      await expect(second).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
