/**
 * Issue 8, item 4: configs are discoverable. `run <experiment> --help` lists every key with type, default, allowed
 * values or range, sweepability and meaning, generated from the zod schema; `list --json` describes every
 * experiment; `--out` naming a file is refused with exit 2.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { configHelp } from "../../src/config/help.js";
import { keyPaths } from "../../src/config/schema.js";
import { experiments } from "../../src/experiments/index.js";
import { cli, tempDir } from "./helpers.js";

const tmp = tempDir("config-help");
afterAll(() => tmp.cleanup());

describe("configHelp", () => {
  it("reads type, default, range, allowed values, nesting, sweepability and meaning from the schema", () => {
    const schema = z.strictObject({
      kappa: z.array(z.number().min(1)).min(1).default([1, 10]).describe("condition numbers"),
      steps: z.int().min(1).max(100).default(5).describe("steps"),
      target: z.number().gt(0).lt(1).default(0.5),
      mode: z.enum(["online", "offline"]).default("online"),
      eta: z.number().positive().nullable().default(null),
      nTrain: z.int().min(1).optional(),
      group: z.strictObject({ on: z.boolean().default(true).describe("switch") }).default({ on: true }),
    });
    const rows = configHelp(schema, ["kappa"]);
    const by = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(rows.map((r) => r.key)).toEqual(["kappa", "steps", "target", "mode", "eta", "nTrain", "group", "group.on"]);
    expect(by.kappa).toEqual({
      key: "kappa",
      type: "list of number",
      default: [1, 10],
      allowed: "each ≥ 1; ≥ 1 items",
      sweepable: true,
      description: "condition numbers",
    });
    expect(by.steps).toMatchObject({ type: "integer", default: 5, allowed: "≥ 1, ≤ 100", sweepable: false });
    expect(by.target.allowed).toBe("> 0, < 1");
    expect(by.mode.allowed).toBe("online | offline");
    expect(by.eta).toMatchObject({ type: "number, or null", default: null, allowed: "> 0" });
    expect("default" in by.nTrain).toBe(false);
    expect(by["group.on"]).toMatchObject({ type: "boolean", default: true, description: "switch" });
  });

  it("documents every key of every experiment (each has a one-line meaning)", () => {
    for (const e of experiments) {
      const rows = configHelp(e.schema, e.sweepable);
      expect(rows.map((r) => r.key)).toEqual(keyPaths(e.schema));
      for (const r of rows) expect(r.description, `${e.name}: ${r.key}`).not.toBe("");
      for (const key of e.sweepable) expect(rows.find((r) => r.key === key)?.sweepable).toBe(true);
    }
  });
});

describe("CLI", () => {
  it("run linrep-kappa --help lists kappaX and kappaF with their defaults, as sweepable", async () => {
    const r = await cli(["run", "linrep-kappa", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^kappaX\s+list of number\s+1,10,100,1000\s+yes\s+each ≥ 1, ≤ 1e8; ≥ 1 items$/m);
    expect(r.stdout).toMatch(/^kappaF\s+list of number\s+1,3,10\s+yes/m);
    expect(r.stdout).toMatch(/^tuning\.steps\s+integer\s+300\s+≥ 1, ≤ 1e5$/m);
    expect(r.stdout).toContain("condition number κ_F of the true head F★");
  });

  it("run with an unknown experiment and --help is refused with exit 2", async () => {
    const r = await cli(["run", "linrep-kapa", "--help"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("did you mean linrep-kappa");
  });

  it("list --json describes every experiment: name, sweepable keys, claims and config keys", async () => {
    const r = await cli(["list", "--json"]);
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as {
      name: string;
      sweepable: string[];
      claims: unknown[];
      config: { key: string }[];
    }[];
    expect(list.map((e) => e.name)).toEqual(experiments.map((e) => e.name));
    const kappa = list.find((e) => e.name === "linrep-kappa")!;
    expect(kappa.sweepable).toEqual(["algorithm", "kappaX", "kappaF"]);
    expect(kappa.claims.length).toBeGreaterThan(0);
    expect(kappa.config.map((c) => c.key)).toContain("tuning.learningRateFactors");
  });

  it("--out naming an existing file exits 2 with a message, for run and report", async () => {
    const file = join(tmp.dir, "a-file");
    writeFileSync(file, "x");
    const run = await cli(["run", "quadratic", "--out", file]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`layerwise: --out ${file}: is a file, not a directory; choose a directory\n`);
    const report = await cli(["report", "--out", join(file, "sub")]);
    expect(report.status).toBe(2);
    expect(report.stderr).toContain(`lies under ${file}, which is a file`);
  });

  it("lists the library's names, and takes an old key once with one deprecation line; both names exit 2", async () => {
    const help = await cli(["run", "linrep-kappa", "--help"]);
    expect(help.status).toBe(0);
    const keys = help.stdout.split("\n").map((line) => line.split(/\s+/)[0]);
    expect(keys).toEqual(expect.arrayContaining(["learningRate.kfac", "headLearningRate", "damping.kfac"]));
    expect(keys.filter((k) => k === "lr" || k.startsWith("lr.") || k === "lrF")).toEqual([]);
    const tiny = ["algorithm=amd", "kappaX=1", "kappaF=1", "dX=4", "dY=2", "k=1", "steps=5", "logEvery=5", "batch=8"]
      .concat(["nTest=20", "nTransfer=20"])
      .flatMap((s) => ["--set", s]);
    const old = await cli(
      ["run", "linrep-kappa", ...tiny, "--set", "lr.amd=0.1", "--set", "lr.amd=0.2"].concat([
        "--out",
        join(tmp.dir, "old-keys"),
      ]),
    );
    expect(old.status, old.stderr).toBe(0);
    const deprecations = old.stderr.split("\n").filter((line) => line.includes("deprecated"));
    expect(deprecations).toEqual(["lr is deprecated, use learningRate (accepted until 0.3)"]);
    const both = await cli(
      ["run", "linrep-kappa", "--set", "lr.amd=0.1", "--set", "learningRate.kfac=0.2"].concat([
        "--out",
        join(tmp.dir, "both-keys"),
      ]),
    );
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("config gives both `lr` and `learningRate`");
  });
});
