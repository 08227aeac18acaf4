/**
 * What a run leaves behind, as the platform stores it and the report reads it: one trial's record, a figure
 * and a summary row. Experiments produce them; the runner stores them; the report renders them.
 */

/** One stored trial, as `summarize` and `plots` receive it. */
export interface TrialRecord<Point = Record<string, unknown>> {
  /** The point's config: the resolved config with every sweepable list replaced by one value. */
  point: Point;
  pointIndex: number;
  repeat: number;
  seed: number;
  status: "done" | "failed";
  /** The error message when status is "failed". */
  error?: string;
  durationMs: number;
  scalars: Record<string, number | null>;
  series: Record<string, { steps: Float64Array; values: Float64Array }>;
  info: Record<string, unknown>;
}

/** A named figure: a Vega-Lite specification with its data inlined (`data.values`). */
export interface PlotSpec {
  /** File-name stem, e.g. "loss-curves" → loss-curves.svg / loss-curves.png. */
  name: string;
  title: string;
  /** One sentence saying what to look at in the figure (shown first in the report's caption). */
  caption?: string;
  /** A Vega-Lite (v6) top-level specification. */
  spec: Record<string, unknown>;
}

/** A row of the summary table: plain JSON values. */
export type SummaryRow = Record<string, string | number | boolean | null>;
