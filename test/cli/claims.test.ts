/**
 * Issue 15: verdicts of the paper's claims, computed from the stored results of a run. A stored run that satisfies
 * a claim gives ✓; the same store with one trial's metric doctored gives ✗ (the verdict is recomputed from the
 * store, not remembered); the report opens with the table; `reproduce --json` carries the verdicts; and a failed
 * claim makes `reproduce` exit non-zero. Uses the fast `quadratic` experiment.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, lastJson, tempDir } from "./helpers.js";

const tmp = tempDir("claims");
afterAll(() => tmp.cleanup());

describe("claim verdicts", () => {
  let json: Record<string, unknown>;
  beforeAll(async () => {
    const r = await cli(["reproduce", "--only", "quadratic", "--out", tmp.dir, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    json = lastJson(r.stdout);
  });

  it("reproduce --json carries one passing verdict per claim, with the measured numbers", () => {
    const verdicts = json.verdicts as { experiment: string; claim: string; status: string; measured: string }[];
    expect(verdicts.map((v) => `${v.experiment}/${v.claim}`)).toEqual([
      "quadratic/gd-rate",
      "quadratic/newton-one-step",
    ]);
    for (const v of verdicts) expect(v.status).toBe("pass");
    expect(verdicts[0].measured).toMatch(/15 trials, largest error [\d.]+%/);
    expect(json.report).toBe(join(tmp.dir, "report.html"));
  });

  it("the report opens with the verdict table, each claim linking to its figure, versions last", () => {
    const html = readFileSync(join(tmp.dir, "report.html"), "utf8");
    const table = html.indexOf('<section id="verdicts">');
    expect(table).toBeGreaterThan(0);
    expect(table).toBeLessThan(html.indexOf('<section id="quadratic">'));
    expect(html.indexOf('<section id="quadratic">')).toBeLessThan(html.indexOf('<section id="versions">'));
    expect(html).toContain('<a href="#quadratic-loss-curves">');
    expect(html).toContain('<figure id="quadratic-loss-curves">');
    expect(html).toMatch(/<tr class="pass"><td class="mark">✓<\/td>/);
  });

  it("a doctored store (one trial's measured rate changed) turns the verdict into ✗", async () => {
    const db = new Database(join(tmp.dir, "quadratic", "results.sqlite"));
    const changed = db
      .prepare(
        "UPDATE scalar SET value = value * 0.9 WHERE name = 'measuredRate:gd' AND point_index = 2 AND repeat = 0",
      )
      .run().changes;
    db.close();
    expect(changed).toBe(1);
    const r = await cli(["report", "--out", tmp.dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✗\s+quadratic\/gd-rate\s+15 trials, largest error 10%/);
    expect(r.stdout).toMatch(/✓\s+quadratic\/newton-one-step/);
    expect(readFileSync(join(tmp.dir, "report.html"), "utf8")).toMatch(/<tr class="fail"><td class="mark">✗<\/td>/);
    // reproduce resumes from the doctored store (every trial is stored as done): the claim fails, exit 1.
    const again = await cli(["reproduce", "--only", "quadratic", "--out", tmp.dir]);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain("1 of 2 claims reproduced, 1 failed, 0 not run");
    expect(again.stderr).toMatch(/1 claim\(s\) did not hold at this size: quadratic\/gd-rate \(15 trials/);
  });
});
