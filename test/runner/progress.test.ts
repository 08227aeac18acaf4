import { afterEach, describe, expect, it, vi } from "vitest";
import { Progress, formatDuration } from "../../src/runner/progress.js";

/** A writable stand-in that records what is written. */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    chunks,
    stream: { isTTY, columns: 100, write: (c: string) => (chunks.push(c), true) } as unknown as NodeJS.WritableStream,
  };
}

afterEach(() => vi.useRealTimers());

describe("Progress", () => {
  it("ETA = remaining work × elapsed / work done, counting in-flight fractions", () => {
    vi.useFakeTimers({ toFake: ["performance", "setInterval", "clearInterval"] });
    const { stream, chunks } = sink(false);
    const p = new Progress({ label: "demo", total: 5, skipped: 1, stream, mode: "lines", intervalMs: 0 });
    p.started("a");
    p.started("b");
    vi.advanceTimersByTime(2000);
    p.ended("a", false); // 1 trial done in 2 s
    p.advanced("b", 0.5); // plus half a trial
    // work done 1.5 in 2 s; remaining 5 − 1 − 1.5 = 2.5 trials → 2.5 × 2 / 1.5 s
    expect(p.eta()).toBeCloseTo((2.5 * 2) / 1.5, 9);
    p.ended("b", true);
    p.finish();
    expect(chunks[0]).toBe("[demo] resuming: 1 trials already done\n");
    // 2 of the 4 remaining trials in 2 s: 2 more take 2 s
    expect(chunks[chunks.length - 1]).toBe("[demo] 3/5 trials, 1 failed, 2s elapsed, ETA 2s\n");
  });

  it("redraws one line with a bar on a terminal and prints nothing when quiet", () => {
    const tty = sink(true);
    const bar = new Progress({ label: "demo", total: 2, skipped: 0, stream: tty.stream, mode: "bar" });
    bar.started("a");
    bar.ended("a", false);
    bar.finish();
    expect(tty.chunks[0].startsWith("\r\x1b[2K")).toBe(true);
    expect(tty.chunks.join("")).toContain("1/2 trials");
    expect(tty.chunks[tty.chunks.length - 1]).toBe("\n");
    const quiet = sink(false);
    const none = new Progress({ label: "demo", total: 2, skipped: 0, stream: quiet.stream, mode: "none" });
    none.ended("a", false);
    none.finish();
    expect(quiet.chunks).toEqual([]);
  });

  it("formats durations", () => {
    expect(formatDuration(42.4)).toBe("42s");
    expect(formatDuration(187)).toBe("3m07s");
    expect(formatDuration(3720)).toBe("1h02m");
    expect(formatDuration(NaN)).toBe("?");
  });
});
