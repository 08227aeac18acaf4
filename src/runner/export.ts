/**
 * Export of stored results (`layerwise export`):
 * - JSON: `{ run, trials }`, every trial with its point, status, error, scalars, series (`{steps, values}`
 *   arrays) and info: the whole store in one document.
 * - CSV: one tidy table, one row per metric value: `point_index, repeat, seed, status, <swept keys…>, metric,
 *   step, value, error` (scalars have an empty step; a failed trial without metrics has one row with its error),
 *   ready for pandas/R/spreadsheets.
 */
import type { TrialRecord } from "../results/records.js";
import type { RunRecord } from "./store.js";

/** The run and its trials as one JSON document. */
export function exportJson(run: RunRecord, trials: readonly TrialRecord[]): string {
  return JSON.stringify({
    run,
    trials: trials.map((t) => ({
      ...t,
      series: Object.fromEntries(
        Object.entries(t.series).map(([name, s]) => [name, { steps: [...s.steps], values: [...s.values] }]),
      ),
    })),
  });
}

/** A CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : typeof value === "number" ? String(value) : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The trials as a tidy CSV table (see the module comment); `swept` names the point columns. */
export function exportCsv(trials: readonly TrialRecord[], swept: readonly string[]): string {
  const header = ["point_index", "repeat", "seed", "status", ...swept, "metric", "step", "value", "error"];
  const lines = [header.map(csvField).join(",")];
  for (const t of trials) {
    const prefix = [t.pointIndex, t.repeat, t.seed, t.status, ...swept.map((k) => t.point[k])].map(csvField);
    const error = csvField(t.error);
    const rows: string[] = [];
    for (const [name, value] of Object.entries(t.scalars))
      rows.push([...prefix, csvField(name), "", csvField(value), error].join(","));
    for (const [name, s] of Object.entries(t.series)) {
      const metric = csvField(name);
      for (let i = 0; i < s.values.length; i++) {
        rows.push([...prefix, metric, String(s.steps[i]), String(s.values[i]), error].join(","));
      }
    }
    if (rows.length === 0) rows.push([...prefix, "", "", "", error].join(","));
    lines.push(...rows);
  }
  return `${lines.join("\n")}\n`;
}
