/**
 * The verdict table: one line per claim (src/experiments/claims.ts) with its measured numbers and ✓ / ✗ /
 * "not run", as plain text for the terminal and as HTML (each claim linking to its figure) for the report.
 */
import { type Verdict, verdictMark } from "../results/claims.js";
import { escapeHtml } from "./escape.js";

/** The anchor of an experiment's figure in a report (`<figure id=…>`), or of its section without a figure. */
export function figureAnchor(experiment: string, figure: string | null): string {
  return figure ? `${experiment}-${figure}` : experiment;
}

/** Counts of passed, failed and not-run verdicts. */
export function tally(verdicts: readonly Verdict[]): { pass: number; fail: number; notRun: number } {
  return {
    pass: verdicts.filter((v) => v.status === "pass").length,
    fail: verdicts.filter((v) => v.status === "fail").length,
    notRun: verdicts.filter((v) => v.status === "not run").length,
  };
}

/** One sentence summing up the verdicts. */
export function verdictSummary(verdicts: readonly Verdict[]): string {
  const t = tally(verdicts);
  return `${t.pass} of ${verdicts.length} claims reproduced, ${t.fail} failed, ${t.notRun} not run`;
}

/** The verdict table as aligned plain text (mark, experiment/claim, measured; the statement on its own line). */
export function verdictText(verdicts: readonly Verdict[]): string {
  if (verdicts.length === 0) return "(no claims)";
  const marks = verdicts.map((v) => verdictMark(v.status));
  const names = verdicts.map((v) => `${v.experiment}/${v.claim}`);
  const wm = Math.max(...marks.map((m) => m.length));
  const wn = Math.max(...names.map((n) => n.length));
  const lines = verdicts.map(
    (v, i) => `${marks[i].padEnd(wm)}  ${names[i].padEnd(wn)}  ${v.measured}\n${" ".repeat(wm + 2)}${v.statement}`,
  );
  return [...lines, verdictSummary(verdicts)].join("\n");
}

/** The verdict table as HTML; each claim links to its figure in the same report. */
export function verdictHtml(verdicts: readonly Verdict[]): string {
  if (verdicts.length === 0) return "";
  const rows = verdicts
    .map((v) => {
      const cls = v.status === "pass" ? "pass" : v.status === "fail" ? "fail" : "notrun";
      const anchor = escapeHtml(figureAnchor(v.experiment, v.figure));
      return (
        `<tr class="${cls}"><td class="mark">${escapeHtml(verdictMark(v.status))}</td>` +
        `<td class="claim"><a href="#${anchor}">${escapeHtml(v.statement)}</a></td>` +
        `<td class="claim">${escapeHtml(v.measured)}</td><td class="claim">${escapeHtml(v.experiment)}</td>` +
        `<td class="claim">${escapeHtml(v.section)}</td></tr>`
      );
    })
    .join("\n");
  return `<section id="verdicts"><h2>What this run reproduced</h2>
<p>${escapeHtml(verdictSummary(verdicts))}. Each claim is checked on the stored trials of this run, at the size it ran; click a claim for its figure.</p>
<table class="verdicts"><thead><tr><th></th><th>claim</th><th>measured</th><th>experiment</th><th>paper section</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
}
