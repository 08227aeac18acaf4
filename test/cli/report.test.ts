/**
 * Outputs through the real CLI: `run --json` prints the contract object last on stdout; figures are valid
 * SVG (well-formed XML) and PNG; report.html embeds every figure; `report` rebuilds them; `export` prints CSV
 * and JSON that agree with the store.
 */
import { readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertWellFormedXml } from "../helpers/xml.js";
import { cli, lastJson, tempDir } from "./helpers.js";

const tmp = tempDir("report");
afterAll(() => tmp.cleanup());
const out = join(tmp.dir, "run");
let stdout = "";

beforeAll(async () => {
  const r = await cli([
    "run",
    "selftest",
    "--set",
    "x=1,2",
    "--seeds",
    "3",
    "--set",
    "steps=25",
    "--out",
    out,
    "--json",
  ]);
  expect(r.status, r.stderr).toBe(0);
  stdout = r.stdout;
});

/** PNG signature, then the IHDR chunk with width and height (big-endian). */
function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("run --json", () => {
  it("prints exactly one JSON object, on the last stdout line, with the contract's fields", () => {
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const json = lastJson(stdout);
    expect(json.experiment).toBe("selftest");
    expect(json.config).toEqual({ x: [1, 2], steps: 25, work: 0, failOn: [], crashOn: [] });
    expect(json.outDir).toBe(out);
    const summary = json.summary as Record<string, number>[];
    expect(summary.map((r) => [r.x, r.trials])).toEqual([
      [1, 3],
      [2, 3],
    ]);
  });
});

describe("figures and report.html", () => {
  const figureFiles = () => readdirSync(join(out, "figures")).sort();

  it("writes each figure as well-formed SVG and a non-trivial PNG", () => {
    expect(figureFiles()).toEqual(["walks.png", "walks.svg"]);
    const svg = readFileSync(join(out, "figures", "walks.svg"), "utf8");
    assertWellFormedXml(svg);
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const png = readFileSync(join(out, "figures", "walks.png"));
    const { width, height } = pngSize(png);
    expect(width).toBeGreaterThan(300);
    expect(height).toBeGreaterThan(200);
    expect(png.length).toBeGreaterThan(10_000);
  });

  it("the XML checker rejects malformed documents (so the check above can fail)", () => {
    expect(() => assertWellFormedXml("<svg><g></svg>")).toThrow();
    expect(() => assertWellFormedXml('<svg a="1" a="2"/>')).toThrow();
    expect(() => assertWellFormedXml("<svg>&nbsp;</svg>")).toThrow();
    expect(() => assertWellFormedXml("<svg/><svg/>")).toThrow();
  });

  it("report.html is self-contained and embeds every figure, the config, the summary and the versions", () => {
    const html = readFileSync(join(out, "report.html"), "utf8");
    for (const f of figureFiles().filter((f) => f.endsWith(".svg"))) {
      const svg = readFileSync(join(out, "figures", f));
      expect(html).toContain(`data:image/svg+xml;base64,${svg.toString("base64")}`);
    }
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain("&#34;failOn&#34;"); // the resolved config, escaped
    expect(html).toContain("meanFinal");
    expect(html).toContain("better-sqlite3");
  });

  it("layerwise report rebuilds the figures and the report from the store", async () => {
    rmSync(join(out, "figures"), { recursive: true });
    rmSync(join(out, "report.html"));
    const r = await cli(["report", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(figureFiles()).toEqual(["walks.png", "walks.svg"]);
    expect(statSync(join(out, "report.html")).size).toBeGreaterThan(10_000);
  });

  it("layerwise report over a directory of runs writes a combined report linking each run", async () => {
    const r = await cli(["report", "--out", tmp.dir]);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(join(tmp.dir, "report.html"), "utf8");
    expect(html).toContain('<section id="selftest">');
    expect(html).toContain("run/figures/walks.png");
  });
});

describe("layerwise export", () => {
  it("CSV has one row per metric value and agrees with the JSON export", async () => {
    const csv = await cli(["export", "--out", out, "--format", "csv"]);
    const json = await cli(["export", "--out", out, "--format", "json"]);
    expect(csv.status).toBe(0);
    expect(json.status).toBe(0);
    const doc = JSON.parse(json.stdout) as {
      run: { experiment: string };
      trials: { seed: number; scalars: Record<string, number>; series: { walk: { values: number[] } } }[];
    };
    expect(doc.run.experiment).toBe("selftest");
    expect(doc.trials).toHaveLength(6);
    const lines = csv.stdout.trim().split("\n");
    expect(lines[0]).toBe("point_index,repeat,seed,status,x,metric,step,value,error");
    // per trial: 2 scalars (final, chaos) + 25 walk values
    expect(lines).toHaveLength(1 + 6 * (2 + 25));
    const finals = lines.filter((l) => l.split(",")[5] === "final").map((l) => Number(l.split(",")[7]));
    expect(finals).toEqual(doc.trials.map((t) => t.scalars.final));
    const lastWalk = lines.filter((l) => l.split(",")[5] === "walk" && l.split(",")[6] === "24");
    expect(lastWalk.map((l) => Number(l.split(",")[7]))).toEqual(doc.trials.map((t) => t.series.walk.values[24]));
    expect(finals).toEqual(doc.trials.map((t) => t.series.walk.values[24])); // final = last walk position
  });
});
