/**
 * The two experiments' configs (zod schemas), summaries and figures, and the CLI end to end at a tiny size.
 */
import { afterAll, describe, expect, it } from "vitest";
import { singleIndexAlignment } from "../../../src/experiments/single-index/alignment.js";
import { singleIndexRisk } from "../../../src/experiments/single-index/risk.js";
import { findExperiment } from "../../../src/experiments/index.js";
import { cli, lastJson, tempDir } from "../../cli/helpers.js";

function issuePaths(exp: typeof singleIndexAlignment | typeof singleIndexRisk, config: object): string[] {
  const r = exp.schema.safeParse(config);
  expect(r.success).toBe(false);
  return r.success ? [] : r.error.issues.map((i) => i.path.join("."));
}

describe("single-index configs", () => {
  it("fills the documented defaults", () => {
    const c = singleIndexAlignment.schema.parse({});
    expect(c).toMatchObject({ d: 256, N: 1024, activation: "tanh", link: "tanh", noise: 0.1 });
    expect(c.kappa).toEqual([1, 10, 100]);
    expect(c.nOverD).toEqual([0.5, 1, 2, 4, 8, 16, 32]);
    expect(c.algorithm).toEqual(["gd", "kfac", "adam", "gd-bn"]);
    const r = singleIndexRisk.schema.parse({});
    expect(r.kappa).toEqual([1, 3, 10, 30, 100]);
    expect(r.algorithm).toEqual(["gd", "kfac", "adam", "gd-bn", "random-features", "linear-ridge"]);
    for (const key of ["algorithm", "kappa", "nOverD"]) {
      expect(singleIndexAlignment.sweepable).toContain(key);
      expect(singleIndexRisk.sweepable).toContain(key);
    }
    expect(findExperiment("single-index-alignment")).toBe(singleIndexAlignment);
    expect(findExperiment("single-index-risk")).toBe(singleIndexRisk);
  });

  it("refuses bad values, naming the field", () => {
    expect(issuePaths(singleIndexAlignment, { d: 0 })).toEqual(["d"]);
    expect(issuePaths(singleIndexAlignment, { N: 0 })).toEqual(["N"]);
    expect(issuePaths(singleIndexAlignment, { d: 2.5 })).toEqual(["d"]);
    expect(issuePaths(singleIndexAlignment, { kappa: [10, 0.5] })).toEqual(["kappa.1"]);
    expect(issuePaths(singleIndexRisk, { nOverD: [0] })).toEqual(["nOverD.0"]);
    expect(issuePaths(singleIndexRisk, { nOverD: [-1] })).toEqual(["nOverD.0"]);
    expect(issuePaths(singleIndexAlignment, { link: "sin" })).toEqual(["link"]);
    expect(issuePaths(singleIndexAlignment, { activation: "hermite" })).toEqual(["activation"]);
    expect(issuePaths(singleIndexAlignment, { algorithm: ["sgd"] })).toEqual(["algorithm.0"]);
    expect(issuePaths(singleIndexAlignment, { noise: -0.1 })).toEqual(["noise"]);
    expect(issuePaths(singleIndexAlignment, { eta: 0 })).toEqual(["eta"]);
    expect(issuePaths(singleIndexAlignment, { link: "hermite" })).toEqual(["linkHermite"]);
    expect(issuePaths(singleIndexAlignment, { init: "symmetric", N: 7 })).toEqual(["N"]);
    expect(issuePaths(singleIndexAlignment, { bogus: 1 })).toEqual([""]);
    expect(singleIndexAlignment.schema.safeParse({ link: "hermite", linkHermite: [0, 1, 0.5] }).success).toBe(true);
  });
});

describe("single-index trials", () => {
  it("with steps > 1 and no η, tunes η on the grid (stored with ctx.info) and reports no one-step theory", () => {
    const cfg = singleIndexAlignment.schema.parse({ d: 12, N: 16, steps: 3, etaGrid: [0.5, 2], testSamples: 64 });
    const scalars: Record<string, number | null> = {};
    const info: Record<string, unknown> = {};
    singleIndexAlignment.run(
      { ...cfg, algorithm: "kfac", kappa: 10, nOverD: 4 },
      {
        seed: 5,
        scalar: (k, v) => (scalars[k] = v),
        series: () => undefined,
        info: (k, v) => (info[k] = v),
        progress: () => undefined,
      },
    );
    const unit = Math.sqrt(16);
    expect([0.5 * unit, 2 * unit]).toContain(info.eta);
    expect(info.etaScores).toHaveLength(2);
    expect(scalars.theory).toBeNull();
    expect(scalars.lossAfter as number).toBeLessThan(scalars.lossBefore as number);
  });
});

describe("single-index CLI (tiny size)", () => {
  const { dir, cleanup } = tempDir("single-index");
  afterAll(cleanup);

  it("exits 2 on a bad config, with the field in the message", async () => {
    const r = await cli(["run", "single-index-alignment", "--set", "kappa=0.5", "--out", `${dir}/bad`]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/kappa/);
  });

  it("runs single-index-alignment and reports the promised summary rows", async () => {
    const r = await cli([
      "run",
      "single-index-alignment",
      ...["--set", "d=24", "--set", "N=32", "--set", "kappa=1,10", "--set", "nOverD=2,8"],
      ...["--set", "algorithm=gd,kfac,adam", "--seeds", "2", "--workers", "2", "--json", "--out", `${dir}/a`],
    ]);
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout) as { summary: Record<string, unknown>[] };
    expect(out.summary).toHaveLength(12);
    for (const row of out.summary) {
      for (const key of ["algorithm", "kappa", "nOverD", "alignment", "alignmentStd", "theory"])
        expect(row).toHaveProperty(key);
      expect(row.theory === null).toBe(row.algorithm === "adam");
      expect(row.alignment as number).toBeGreaterThan(0);
      expect(row.alignment as number).toBeLessThanOrEqual(1);
    }
  });

  it("runs single-index-risk and reports test MSE rows plus the noise floor", async () => {
    const r = await cli([
      "run",
      "single-index-risk",
      ...["--set", "d=16", "--set", "N=32", "--set", "kappa=10", "--set", "etaGrid=1,4", "--set", "testSamples=256"],
      ...["--workers", "2", "--json", "--out", `${dir}/r`],
    ]);
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout) as { summary: Record<string, unknown>[] };
    const algorithms = out.summary.map((row) => row.algorithm);
    expect(algorithms).toEqual(["gd", "kfac", "adam", "gd-bn", "random-features", "linear-ridge", "bayes"]);
    for (const row of out.summary) {
      for (const key of ["algorithm", "kappa", "testMSE", "testMSEStd"]) expect(row).toHaveProperty(key);
      expect(row.testMSE as number).toBeGreaterThan(0);
    }
    expect(out.summary.find((row) => row.algorithm === "bayes")?.testMSE).toBeCloseTo(0.01, 12);
  });
});
