/**
 * The HTML report: one self-contained file (no external scripts, styles, fonts or images). It opens with the
 * verdict table (which claims the run reproduced, each linking to its figure), then per experiment every figure
 * (SVG embedded as a data URI, so figures cannot clash with each other's element ids) with a one-sentence
 * caption, the summary table, the resolved config, run facts and failures; the versions that produced it last.
 */
import type { Verdict } from "../results/claims.js";
import type { SummaryRow } from "../results/records.js";
import { escapeHtml } from "./escape.js";
import { verdictHtml } from "./verdicts.js";

/** Everything the report shows about one experiment's run. */
export interface ReportSection {
  experiment: string;
  description: string;
  config: Record<string, unknown>;
  facts: Record<string, string | number>;
  summary: SummaryRow[];
  /** Each figure's SVG text, the path of its PNG relative to the report, and what to look at in it. */
  figures: { name: string; title: string; caption?: string; svg: string; png: string }[];
  failures: { point: string; error: string }[];
  /** The verdicts of the experiment's claims on this run. */
  verdicts: Verdict[];
  /** The experiment's place in the paper (`Experiment.paperOrder`); sections without one come last. */
  paperOrder?: string;
}

/** Compares dotted section numbers ("2.1" < "2.10" < "3"); missing ones sort last. */
export function comparePaperOrder(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** A cell value as text: integers as they are, other numbers with 4 significant digits. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6
      ? String(Number(value.toPrecision(4)))
      : value.toExponential(3);
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return "<p><em>No rows.</em></p>";
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const head = keys.map((k) => `<th>${escapeHtml(k)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${keys.map((k) => `<td>${escapeHtml(formatCell(r[k]))}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function keyValues(values: Record<string, string | number>): string {
  const rows = Object.entries(values)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join("");
  return `<table class="kv">${rows}</table>`;
}

function section(s: ReportSection): string {
  const figures = s.figures
    .map(
      (f) =>
        `<figure id="${escapeHtml(`${s.experiment}-${f.name}`)}"><img alt="${escapeHtml(f.title)}" src="data:image/svg+xml;base64,${Buffer.from(f.svg).toString("base64")}">` +
        `<figcaption>${f.caption ? `<strong>${escapeHtml(f.caption)}</strong> ` : ""}${escapeHtml(f.title)} (<code>${escapeHtml(f.png)}</code>)</figcaption></figure>`,
    )
    .join("\n");
  const failures =
    s.failures.length === 0
      ? ""
      : `<h3>Failed trials (${s.failures.length})</h3>${table(s.failures.map((f) => ({ point: f.point, error: f.error })))}`;
  return `<section id="${escapeHtml(s.experiment)}">
<h2>${escapeHtml(s.experiment)}</h2>
<p>${escapeHtml(s.description)}</p>
${keyValues(s.facts)}
<h3>Summary</h3>
${table(s.summary)}
<h3>Figures</h3>
${figures || "<p><em>No figures.</em></p>"}
${failures}
<h3>Resolved config</h3>
<pre>${escapeHtml(JSON.stringify(s.config, null, 2))}</pre>
</section>`;
}

const STYLE = `body{font-family:"DejaVu Sans",Verdana,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
th{background:#f3f3f3}table.kv th{text-align:left}figure{margin:1em 0}figure img{max-width:100%}
figcaption{font-size:.85em;color:#555}pre{background:#f7f7f7;padding:.5em;overflow:auto;font-size:.85em}
nav a{margin-right:1em}section{border-top:2px solid #ddd;margin-top:2em}
table.verdicts td.claim{text-align:left}table.verdicts td.mark{font-weight:bold;text-align:center}
tr.pass td.mark{color:#1a7f37}tr.fail td.mark{color:#cf222e}tr.fail{background:#fff0f0}tr.notrun td.mark{color:#777}`;

/** A complete, self-contained HTML document for `sections`. */
export function reportHtml(
  title: string,
  sections: readonly ReportSection[],
  versions: Record<string, string>,
): string {
  const nav = sections.map((s) => `<a href="#${escapeHtml(s.experiment)}">${escapeHtml(s.experiment)}</a>`).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Generated ${escapeHtml(new Date().toISOString())}.</p>
${verdictHtml(sections.flatMap((s) => s.verdicts))}
<nav>${nav}</nav>
${sections.map(section).join("\n")}
<section id="versions"><h2>Versions</h2>
${keyValues(versions)}
</section>
</body>
</html>
`;
}
