import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TrialRecord } from "../../src/results/records.js";
import { deriveSeed } from "../../src/random/rng.js";
import { ResultStore } from "../../src/runner/store.js";
import { expandPoints, planTrials } from "../../src/runner/sweep.js";
import { exportCsv } from "../../src/runner/export.js";

const dir = mkdtempSync(join(tmpdir(), "layerwise-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sweep expansion", () => {
  it("is the cartesian product in the order of sweepable, first key slowest, with derived seeds", () => {
    const config = { a: [1, 2], b: ["x", "y", "z"], c: 7 };
    expect(expandPoints(config, ["a", "b"]).map((p) => `${p.a}${p.b}${p.c}`)).toEqual([
      "1x7",
      "1y7",
      "1z7",
      "2x7",
      "2y7",
      "2z7",
    ]);
    const trials = planTrials(config, ["a", "b"], 2, 42);
    expect(trials).toHaveLength(12);
    expect(trials[3]).toMatchObject({ pointIndex: 1, repeat: 1, seed: deriveSeed(42, 1, 1), point: { a: 1, b: "y" } });
    expect(new Set(trials.map((t) => t.seed)).size).toBe(12);
  });

  it("leaves out the points `includes` refuses; the others keep their index and seed in the whole product", () => {
    const config = { a: [1, 2], b: ["x", "y", "z"], c: 7 };
    const all = planTrials(config, ["a", "b"], 2, 42);
    const kept = planTrials(config, ["a", "b"], 2, 42, (p) => p.a === 2 || p.b === "x");
    expect(kept).toEqual(all.filter((t) => t.point.a === 2 || t.point.b === "x"));
    expect(kept.map((t) => `${t.pointIndex}.${t.repeat}`)).toEqual([
      "0.0",
      "0.1",
      "3.0",
      "3.1",
      "4.0",
      "4.1",
      "5.0",
      "5.1",
    ]);
  });
});

function record(pointIndex: number, repeat: number, extra: Partial<TrialRecord> = {}): TrialRecord {
  return {
    point: { k: pointIndex },
    pointIndex,
    repeat,
    seed: 1000 + pointIndex,
    status: "done",
    durationMs: 3.5,
    scalars: { a: 1.25, missing: null, big: -Infinity },
    series: {
      range: { steps: Float64Array.of(0, 1, 2), values: Float64Array.of(0.1, -2, Math.PI) },
      sparse: { steps: Float64Array.of(0, 10, 20), values: Float64Array.of(5, 6, 7) },
    },
    info: { eta: 0.5, grid: [1, 2] },
    ...extra,
  };
}

describe("ResultStore", () => {
  it("round-trips runs, trials, scalars (null, ±Infinity) and series exactly", () => {
    const store = new ResultStore(dir);
    expect(store.run()).toBeUndefined();
    store.beginRun({ experiment: "demo", config: { k: [0, 1] }, runSeed: 3, seeds: 2, version: "9.9.9" });
    store.writeTrial(record(1, 0));
    store.writeTrial(record(0, 1, { status: "failed", error: "boom", scalars: {}, series: {} }));
    store.endRun();
    const run = store.run()!;
    expect(run).toMatchObject({ experiment: "demo", config: { k: [0, 1] }, runSeed: 3, seeds: 2, version: "9.9.9" });
    expect(run.endedAt).not.toBeNull();
    const trials = store.trials();
    expect(trials.map((t) => [t.pointIndex, t.repeat, t.status])).toEqual([
      [0, 1, "failed"],
      [1, 0, "done"],
    ]);
    expect(trials[0].error).toBe("boom");
    expect(trials[1]).toEqual(record(1, 0));
    expect(store.doneKeys()).toEqual(new Set(["1/0"]));
    store.close();
  });

  it("writing a trial again replaces it (each trial stored once); clear empties the store", () => {
    const store = new ResultStore(dir);
    store.writeTrial(record(0, 1, { scalars: { a: 2 }, series: {} }));
    const trials = store.trials();
    expect(trials).toHaveLength(2);
    expect(trials[0].status).toBe("done");
    expect(trials[0].scalars).toEqual({ a: 2 });
    expect(store.doneKeys()).toEqual(new Set(["0/1", "1/0"]));
    store.clear();
    expect(store.trials()).toEqual([]);
    expect(store.run()).toBeUndefined();
    store.close();
  });
});

describe("CSV export", () => {
  it("quotes fields holding commas or quotes (RFC 4180)", () => {
    const csv = exportCsv([record(0, 0, { status: "failed", error: 'bad, "very"', scalars: {}, series: {} })], ["k"]);
    expect(csv.trim().split("\n")[1]).toBe('0,0,1000,failed,0,,,,"bad, ""very"""');
  });
});
