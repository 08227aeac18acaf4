/** `layerwise run quadratic --json` through the real CLI: one JSON object, last on stdout, per the contract. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, lastJson, tempDir } from "./helpers.js";

const tmp = tempDir("quadratic");
afterAll(() => tmp.cleanup());

describe("layerwise run quadratic --json", () => {
  it("prints the contract object with one summary row per (algorithm, κ) and writes both figures", async () => {
    const out = join(tmp.dir, "q");
    const r = await cli([
      "run",
      "quadratic",
      "--set",
      "kappa=10,100",
      "--set",
      "d=20",
      "--seeds",
      "2",
      "--out",
      out,
      "--json",
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const json = lastJson(r.stdout);
    expect(json.experiment).toBe("quadratic");
    expect(json.outDir).toBe(out);
    expect(json.config).toMatchObject({ kappa: [10, 100], d: 20, algorithms: ["gd", "diagonal", "preconditioned"] });
    const summary = json.summary as { algorithm: string; kappa: number; measuredRate: number; theoryRate: number }[];
    expect(summary).toHaveLength(6);
    const gd100 = summary.find((s) => s.algorithm === "gd" && s.kappa === 100)!;
    expect(gd100.theoryRate).toBeCloseTo(99 / 101, 12);
    expect(Math.abs(gd100.measuredRate - gd100.theoryRate)).toBeLessThan(2e-3);
    for (const f of ["loss-curves", "steps-to-target"]) {
      expect(existsSync(join(out, "figures", `${f}.svg`))).toBe(true);
      expect(existsSync(join(out, "figures", `${f}.png`))).toBe(true);
    }
  });
});
