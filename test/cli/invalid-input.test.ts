/**
 * Invalid input through the real CLI: exit code 2, a message naming the field/flag and what is allowed, and no
 * output directory created.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, tempDir } from "./helpers.js";

const tmp = tempDir("invalid");
afterAll(() => tmp.cleanup());

let n = 0;
/** Runs `args` with a fresh --out and checks exit 2, no directory, and that stderr matches every pattern. */
async function refuses(args: string[], ...patterns: (string | RegExp)[]): Promise<string> {
  const out = join(tmp.dir, `out-${n++}`);
  const r = await cli([...args, "--out", out]);
  expect(r.status, r.stderr).toBe(2);
  expect(existsSync(out)).toBe(false);
  expect(r.stdout).toBe("");
  for (const p of patterns) expect(r.stderr).toMatch(p);
  return r.stderr;
}

describe("layerwise run refuses invalid input with exit code 2", () => {
  it("unknown --set key: names the key and the closest valid names", async () => {
    await refuses(["run", "selftest", "--set", "step=3"], "unknown key `step`", "did you mean `steps`");
  });

  it("wrong type: names the field, the value and the expected type", async () => {
    await refuses(["run", "selftest", "--set", "steps=many"], "field `steps`", '"many"', "expected a number");
    await refuses(["run", "selftest", "--set", "steps=2.5"], "field `steps`", "2.5", "expected an integer");
    await refuses(["run", "selftest", "--set", "x=1,two"], "field `x[1]`", '"two"');
  });

  it("out-of-range value: names the field, the value and the allowed range", async () => {
    await refuses(["run", "selftest", "--set", "steps=0"], "field `steps`", /0 is out of range; allowed: >= 1/);
  });

  it("a list for a key that cannot be swept: names the key and the sweepable keys", async () => {
    await refuses(["run", "selftest", "--set", "steps=1,2"], "`steps` takes a single value", "can be swept: x");
  });

  it("unknown experiment: suggests the closest name", async () => {
    await refuses(["run", "selftset"], 'unknown experiment "selftset"', "did you mean selftest");
  });

  it("malformed --config: names the file and the line and column of the error", async () => {
    const file = join(tmp.dir, "bad.json");
    writeFileSync(file, '{\n  "x": [1, 2,],\n  "steps": 3\n}\n');
    await refuses(["run", "selftest", "--config", file], file, "malformed JSON at line 2, column 14");
  });

  it("unknown key in --config: suggests the closest", async () => {
    const file = join(tmp.dir, "typo.json");
    writeFileSync(file, JSON.stringify({ stpes: 3 }));
    await refuses(["run", "selftest", "--config", file], "unknown key `stpes`", "did you mean `steps`");
  });

  it("bad thread count: --threads or LAYERWISE_THREADS, naming the value", async () => {
    await refuses(["run", "selftest", "--threads", "0"], "--threads 0: expected an integer from 1 to 1024");
    const out = join(tmp.dir, `out-${n++}`);
    const r = await cli(["run", "selftest", "--out", out], { LAYERWISE_THREADS: "1.5" });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('LAYERWISE_THREADS must be an integer from 1 to 1024, got "1.5"');
    expect(existsSync(out)).toBe(false);
  });

  it("bad flags: unknown flag, bad integer, missing value", async () => {
    await refuses(["run", "selftest", "--seedz", "2"], "unknown flag --seedz", "--seeds");
    await refuses(["run", "selftest", "--workers", "0"], "--workers 0", "integer from 1");
    await refuses(["run", "selftest", "--seeds", "two"], "--seeds two", "integer from 1");
    await refuses(["run", "selftest", "--set", "steps"], "expected key=value");
  });
});

describe("layerwise help and other commands", () => {
  it("prints help for each command with exit 0", async () => {
    for (const command of ["run", "list", "report", "export", "reproduce"]) {
      const r = await cli([command, "--help"]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`layerwise ${command}`);
    }
    expect((await cli(["--help"])).stdout).toContain("Commands:");
  });

  it("refuses an unknown command and export without --format", async () => {
    expect((await cli(["frobnicate"])).status).toBe(2);
    const r = await cli(["export", "--out", join(tmp.dir, "none")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--format");
  });
});
