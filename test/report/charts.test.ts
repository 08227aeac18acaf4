import { describe, expect, it } from "vitest";
import { lineChart, meanStd, scalarBands, seriesBands } from "../../src/report/charts.js";
import { renderFigure } from "../../src/report/render.js";
import { algorithmColor } from "../../src/report/colors.js";
import type { TrialRecord } from "../../src/results/records.js";

function trial(
  algorithm: string,
  repeat: number,
  values: number[],
  status: "done" | "failed" = "done",
): TrialRecord<{ algorithm: string }> {
  return {
    point: { algorithm },
    pointIndex: 0,
    repeat,
    seed: repeat,
    status,
    durationMs: 1,
    scalars: { final: values[values.length - 1] },
    series: {
      loss: { steps: Float64Array.from(values, (_, i) => i), values: Float64Array.from(values) },
    },
    info: {},
  };
}

describe("algorithmColor", () => {
  it("gives the optimizers that share a figure distinct colours, and unknown names a stable one", () => {
    const sharing = ["sgd", "adam", "adamw", "kfac", "ekfac", "shampoo", "soap", "muon", "kfac-auto"];
    expect(new Set(sharing.map(algorithmColor)).size).toBe(sharing.length);
    expect(algorithmColor("my-optimizer")).toBe(algorithmColor("my-optimizer"));
    expect(sharing.map(algorithmColor)).not.toContain(algorithmColor("my-optimizer"));
  });
});

describe("meanStd", () => {
  it("matches the textbook formulas (Bessel-corrected) and skips non-finite values", () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    const mean = xs.reduce((a, b) => a + b) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
    const r = meanStd([...xs, NaN, Infinity]);
    expect(r.n).toBe(8);
    expect(r.mean).toBeCloseTo(5, 14);
    expect(r.std).toBeCloseTo(Math.sqrt(variance), 14);
    expect(meanStd([3])).toEqual({ mean: 3, std: 0, n: 1 });
    expect(meanStd([]).n).toBe(0);
  });
});

describe("seriesBands and scalarBands", () => {
  const trials = [
    trial("gd", 0, [4, 2, 1]),
    trial("gd", 1, [6, 4, 3]),
    trial("kfac", 0, [4, 1, 0.5]),
    trial("kfac", 1, [100, 100, 100], "failed"),
  ];
  it("averages each step over seeds per group and skips failed trials", () => {
    const rows = seriesBands(trials, "loss", (t) => ({ algorithm: t.point.algorithm }));
    const gd = rows.filter((r) => r.algorithm === "gd");
    expect(gd.map((r) => r.step)).toEqual([0, 1, 2]);
    expect(gd.map((r) => r.mean)).toEqual([5, 3, 2]);
    expect(gd[0].std).toBeCloseTo(Math.SQRT2, 14);
    expect(gd[0].lo).toBeCloseTo(5 - Math.SQRT2, 14);
    expect(gd[0].hi).toBeCloseTo(5 + Math.SQRT2, 14);
    const kfac = rows.filter((r) => r.algorithm === "kfac");
    expect(kfac.map((r) => [r.mean, r.n])).toEqual([
      [4, 1],
      [1, 1],
      [0.5, 1],
    ]);
  });
  it("log option: geometric mean with a multiplicative band", () => {
    const rows = seriesBands(trials, "loss", (t) => ({ algorithm: t.point.algorithm }), { log: true });
    const gd = rows.filter((r) => r.algorithm === "gd");
    expect(gd[0].mean).toBeCloseTo(Math.sqrt(4 * 6), 12); // geometric mean of 4 and 6
    const s = Math.abs(Math.log10(6) - Math.log10(4)) / Math.SQRT2; // sample std of the two log10 values
    expect(gd[0].std).toBeCloseTo(s, 12);
    expect(gd[0].lo).toBeCloseTo(Math.sqrt(24) / 10 ** s, 12);
    expect(gd[0].hi).toBeCloseTo(Math.sqrt(24) * 10 ** s, 12);
  });
  it("summarises a scalar per group", () => {
    const rows = scalarBands(trials, "final", (t) => ({ algorithm: t.point.algorithm }));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ algorithm: "gd", mean: 2, n: 2 });
  });
});

describe("lineChart rendered by render.ts", () => {
  it("produces an SVG with one colour per algorithm, dashed theory and a PNG with the PNG signature", async () => {
    const trials = [trial("gd", 0, [4, 2, 1]), trial("gd", 1, [6, 4, 3]), trial("kfac", 0, [4, 1, 0.5])];
    const rows = seriesBands(trials, "loss", (t) => ({ algorithm: t.point.algorithm }));
    const spec = lineChart({
      title: "Loss",
      rows,
      x: "step",
      y: "mean",
      color: "algorithm",
      band: { lo: "lo", hi: "hi" },
      logY: true,
      theoryRows: [
        { step: 0, y: 4 },
        { step: 2, y: 0.25 },
      ],
    });
    expect((spec.data as { values: unknown[] }).values).toHaveLength(rows.length + 2);
    const { svg, png } = await renderFigure(spec);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain(algorithmColor("gd"));
    expect(svg).toContain(algorithmColor("kfac"));
    expect(svg).toContain("stroke-dasharray");
    expect(svg).toContain("DejaVu Sans");
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(5000);
  });
  it("supports facets", async () => {
    const rows = [
      { algorithm: "gd", kappa: 10, step: 0, mean: 1 },
      { algorithm: "gd", kappa: 10, step: 1, mean: 0.5 },
      { algorithm: "gd", kappa: 100, step: 0, mean: 1 },
      { algorithm: "gd", kappa: 100, step: 1, mean: 0.9 },
    ];
    const spec = lineChart({ title: "F", rows, x: "step", y: "mean", color: "algorithm", facet: { column: "kappa" } });
    const { svg } = await renderFigure(spec);
    expect(svg).toContain("kappa");
  });
  it("draws a facet field with a single value as one unfaceted panel named in the subtitle", async () => {
    const rows = [
      { algorithm: "gd", workload: "mlp", kappa: 10, step: 0, mean: 1 },
      { algorithm: "gd", workload: "mlp", kappa: 10, step: 1, mean: 0.5 },
      { algorithm: "gd", workload: "mlp", kappa: 100, step: 0, mean: 1 },
      { algorithm: "gd", workload: "mlp", kappa: 100, step: 1, mean: 0.9 },
    ];
    const single = lineChart({
      title: "F",
      rows,
      x: "step",
      y: "mean",
      color: "algorithm",
      facet: { column: "workload" },
    });
    expect(single.facet).toBeUndefined();
    expect(single.title).toEqual({ text: "F", subtitle: "workload: mlp" });
    // kappa still separates the curves within the panel, and the panel is the figure's own size.
    expect(JSON.stringify(single.layer)).toContain('"field":"kappa"');
    const { svg } = await renderFigure(single);
    expect(svg).toContain("workload: mlp");
    const both = lineChart({
      title: "F",
      rows,
      x: "step",
      y: "mean",
      color: "algorithm",
      facet: { column: "kappa", row: "workload" },
    });
    expect(both.facet).toEqual({ column: { field: "kappa", type: "ordinal" } });
    expect(both.title).toEqual({ text: "F", subtitle: "workload: mlp" });
  });
});
