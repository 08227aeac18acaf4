/**
 * Turns a stored run into its outputs in the run's directory: `summary.json`, `figures/<name>.svg|.png` and a
 * self-contained `report.html`; and several runs into one combined report (`layerwise reproduce`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { SummaryRow, TrialRecord } from "../results/records.js";
import type { AnyExperiment } from "./registry.js";
import type { RunRecord } from "./store.js";
import { versions } from "./version.js";
import { evaluateClaims, type Verdict } from "../results/claims.js";
import { comparePaperOrder, type ReportSection, reportHtml } from "../report/html.js";
import { renderFigure } from "../report/render.js";

/** What `writeExperimentOutputs` produced. */
export interface ExperimentOutputs {
  summary: SummaryRow[];
  section: ReportSection;
  /** The verdicts of the experiment's claims on this run. */
  verdicts: Verdict[];
  /** Absolute or cwd-relative paths of the written files. */
  files: { report: string; summary: string; figures: string[] };
}

/**
 * Summarises, plots and reports a run stored in `outDir`; PNGs are rendered at `pngScale`× the SVG size. Throws
 * if the experiment's summary or plots fail.
 */
export async function writeExperimentOutputs(
  outDir: string,
  experiment: AnyExperiment,
  run: RunRecord,
  trials: TrialRecord[],
  pngScale = 2,
): Promise<ExperimentOutputs> {
  const summary = experiment.summarize(trials, run.config);
  const plots = experiment.plots(trials, run.config);
  const figureDir = join(outDir, "figures");
  mkdirSync(figureDir, { recursive: true });
  const figures: ReportSection["figures"] = [];
  const files: string[] = [];
  for (const plot of plots) {
    const { svg, png } = await renderFigure(plot.spec, pngScale);
    const svgFile = join(figureDir, `${plot.name}.svg`);
    const pngFile = join(figureDir, `${plot.name}.png`);
    writeFileSync(svgFile, svg);
    writeFileSync(pngFile, png);
    files.push(svgFile, pngFile);
    figures.push({ name: plot.name, title: plot.title, caption: plot.caption, svg, png: relative(outDir, pngFile) });
  }
  const failed = trials.filter((t) => t.status === "failed");
  const verdicts = evaluateClaims(experiment, trials, run.config);
  const section: ReportSection = {
    experiment: experiment.name,
    description: experiment.description,
    config: run.config,
    facts: {
      "run seed": run.runSeed,
      "seeds per point": run.seeds,
      trials: trials.length,
      failed: failed.length,
      started: run.startedAt,
      ended: run.endedAt ?? "(not finished)",
      "layerwise version": run.version,
    },
    summary,
    figures,
    failures: failed.map((t) => ({ point: JSON.stringify(t.point), error: t.error ?? "" })),
    verdicts,
    paperOrder: experiment.paperOrder,
  };
  const summaryFile = join(outDir, "summary.json");
  writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  const reportFile = join(outDir, "report.html");
  writeFileSync(reportFile, reportHtml(`layerwise: ${experiment.name}`, [section], versions()));
  return { summary, section, verdicts, files: { report: reportFile, summary: summaryFile, figures: files } };
}

/**
 * Writes one report for several experiments at `<dir>/report.html`, figures linked relative to `dir`, the
 * experiments in the paper's order (`paperOrder`; demos last).
 */
export function writeCombinedReport(dir: string, sections: { outDir: string; section: ReportSection }[]): string {
  const ordered = [...sections].sort((a, b) => comparePaperOrder(a.section.paperOrder, b.section.paperOrder));
  const adjusted = ordered.map(({ outDir, section }) => ({
    ...section,
    figures: section.figures.map((f) => ({ ...f, png: relative(dir, join(outDir, f.png)) })),
  }));
  const file = join(dir, "report.html");
  writeFileSync(file, reportHtml("layerwise: reproduction report", adjusted, versions()));
  return file;
}
