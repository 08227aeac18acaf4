/** `layerwise reproduce` (what `npm start` runs), limited to the quadratic experiment to stay fast. */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, tempDir } from "./helpers.js";

const tmp = tempDir("reproduce");
afterAll(() => tmp.cleanup());

describe("layerwise reproduce", () => {
  it("runs the quick settings into DIR/<experiment> and writes one combined report embedding every figure", async () => {
    const r = await cli(["reproduce", "--only", "quadratic", "--out", tmp.dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`report: ${join(tmp.dir, "report.html")}`);
    expect(existsSync(join(tmp.dir, "quadratic", "results.sqlite"))).toBe(true);
    const html = readFileSync(join(tmp.dir, "report.html"), "utf8");
    expect(html).toContain('<section id="quadratic">');
    const svgs = readdirSync(join(tmp.dir, "quadratic", "figures")).filter((f) => f.endsWith(".svg"));
    expect(svgs.sort()).toEqual(["loss-curves.svg", "steps-to-target.svg"]);
    for (const f of svgs) {
      const svg = readFileSync(join(tmp.dir, "quadratic", "figures", f));
      expect(html).toContain(svg.toString("base64"));
    }
    // one row per (algorithm, κ): 3 algorithms × 5 values of κ
    const summary = JSON.parse(readFileSync(join(tmp.dir, "quadratic", "summary.json"), "utf8")) as unknown[];
    expect(summary).toHaveLength(15);
  });

  it("refuses an unknown experiment in --only with exit 2", async () => {
    const r = await cli(["reproduce", "--only", "quadratc", "--out", join(tmp.dir, "x")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("did you mean quadratic");
  });
});
