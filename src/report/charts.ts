/**
 * Chart helpers shared by every experiment's `plots`: statistics over seeds (mean ± standard deviation) and
 * Vega-Lite (v6) line charts with uncertainty bands, log axes, facets, dashed theory curves, and one colour per
 * algorithm taken from `algorithmScale` so an algorithm looks the same in every figure.
 *
 * Specs keep their data inline (`data.values`), so a spec alone regenerates its figure.
 */
import type { TrialRecord } from "../results/records.js";
import { algorithmScale } from "./colors.js";

/** The font every figure uses; `render.ts` ships it (DejaVu Sans from the dejavu-fonts-ttf package). */
export const FIGURE_FONT = "DejaVu Sans";

/** Vega config applied to every figure: the shipped font everywhere, so SVG and PNG text agree. */
export const FIGURE_CONFIG = {
  font: FIGURE_FONT,
  title: { font: FIGURE_FONT, fontSize: 14 },
  axis: { labelFont: FIGURE_FONT, titleFont: FIGURE_FONT },
  legend: { labelFont: FIGURE_FONT, titleFont: FIGURE_FONT },
  header: { labelFont: FIGURE_FONT, titleFont: FIGURE_FONT },
} as const;

/** Mean, standard deviation and count of a sample. */
export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

/**
 * Sample mean and sample standard deviation s = sqrt(Σ(xᵢ − x̄)² / (n − 1)) (Bessel-corrected; 0 when n = 1).
 * Non-finite values (NaN, ±Infinity, e.g. a diverged run) are left out and `n` counts the values used; an
 * empty sample gives `{ mean: NaN, std: NaN, n: 0 }`. Two-pass algorithm for accuracy.
 */
export function meanStd(values: readonly number[]): MeanStd {
  let n = 0;
  let sum = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = sum / n;
  let ss = 0;
  for (const v of values) if (Number.isFinite(v)) ss += (v - mean) * (v - mean);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}

/** A group's identity: the fields (algorithm, κ, …) that distinguish one curve from another. */
export type Group = Record<string, string | number>;

/** The statistics of a band at one x value. */
export interface BandStats {
  mean: number;
  std: number;
  lo: number;
  hi: number;
  n: number;
}

/** A row of a band: the group's fields plus the statistics at one x value. */
export type BandRow = Group & BandStats;

/** Groups `trials` that finished by `groupBy`, keeping the first-seen order of groups. */
function groupTrials<P>(
  trials: readonly TrialRecord<P>[],
  groupBy: (t: TrialRecord<P>) => Group,
): { group: Group; trials: TrialRecord<P>[] }[] {
  const groups = new Map<string, { group: Group; trials: TrialRecord<P>[] }>();
  for (const t of trials) {
    if (t.status !== "done") continue;
    const group = groupBy(t);
    const key = JSON.stringify(group);
    let entry = groups.get(key);
    if (!entry) groups.set(key, (entry = { group, trials: [] }));
    entry.trials.push(t);
  }
  return [...groups.values()];
}

/** Options of `seriesBands`. */
export interface BandOptions {
  /**
   * Statistics in log space, for quantities plotted on a log axis (losses, distances): mean = 10^m,
   * lo = 10^(m − s), hi = 10^(m + s) where m ± s are the mean and std of log10 of the values (the geometric mean
   * and a multiplicative band that stays positive); `std` is s, in decades. Non-positive values are left out.
   */
  log?: boolean;
}

/** The row statistics of one sample, in linear or log space. */
function bandStats(values: readonly number[], log: boolean): BandStats {
  if (!log) {
    const { mean, std, n } = meanStd(values);
    return { mean, std, lo: mean - std, hi: mean + std, n };
  }
  const { mean, std, n } = meanStd(values.filter((v) => v > 0).map(Math.log10));
  return { mean: 10 ** mean, std, lo: 10 ** (mean - std), hi: 10 ** (mean + std), n };
}

/**
 * Mean ± standard deviation over seeds of the per-step series `series`, one curve per group: for each group
 * and each step s, the statistics (see `meanStd`) of the values the group's finished trials recorded at step s.
 * Rows are `{ ...group, step, mean, std, lo: mean − std, hi: mean + std, n }`, sorted by step within a group
 * (with `options.log`, geometric statistics instead: see `BandOptions`).
 * Failed trials and trials without the series are skipped.
 */
export function seriesBands<P>(
  trials: readonly TrialRecord<P>[],
  series: string,
  groupBy: (t: TrialRecord<P>) => Group,
  options: BandOptions = {},
): (BandRow & { step: number })[] {
  const rows: (BandRow & { step: number })[] = [];
  for (const { group, trials: members } of groupTrials(trials, groupBy)) {
    const byStep = new Map<number, number[]>();
    for (const t of members) {
      const s = t.series[series];
      if (!s) continue;
      for (let i = 0; i < s.steps.length; i++) {
        let values = byStep.get(s.steps[i]);
        if (!values) byStep.set(s.steps[i], (values = []));
        values.push(s.values[i]);
      }
    }
    const steps = [...byStep.keys()].sort((a, b) => a - b);
    for (const step of steps) rows.push({ ...group, step, ...bandStats(byStep.get(step)!, options.log ?? false) });
  }
  return rows;
}

/**
 * Mean ± standard deviation over seeds of the scalar metric `scalar`, one row per group:
 * `{ ...group, mean, std, lo, hi, n }`. `null` values (not reached) are left out of the statistics; `n` counts
 * the values used. Useful for "metric versus swept parameter" charts (put the parameter in the group).
 * `options.log`: geometric statistics, as in `seriesBands`.
 */
export function scalarBands<P>(
  trials: readonly TrialRecord<P>[],
  scalar: string,
  groupBy: (t: TrialRecord<P>) => Group,
  options: BandOptions = {},
): BandRow[] {
  return groupTrials(trials, groupBy).map(({ group, trials: members }) => {
    const values = members.map((t) => t.scalars[scalar]).filter((v): v is number => typeof v === "number");
    return { ...group, ...bandStats(values, options.log ?? false) };
  });
}

/** Options of `lineChart`. Field names refer to keys of `rows`. */
export interface LineChartOptions {
  title: string;
  rows: readonly Record<string, unknown>[];
  /** Field on the x axis (e.g. "step"). */
  x: string;
  /** Field on the y axis (e.g. "mean"). */
  y: string;
  /** Field holding the algorithm name: one colour per algorithm, from `algorithmScale`. */
  color: string;
  /** Fields of the lower and upper edge of a shaded band (e.g. `{ lo: "lo", hi: "hi" }` from `seriesBands`). */
  band?: { lo: string; hi: string };
  logX?: boolean;
  logY?: boolean;
  /** Small multiples: a column and/or row of panels, one per value of these fields. */
  facet?: { column?: string; row?: string };
  xTitle?: string;
  /** The y axis title; a list is drawn one line per entry (a rotated title longer than the panel pads the figure). */
  yTitle?: string | string[];
  /**
   * Theory curves, drawn dashed: each row has the `x` field, the value in field `y`, the facet fields when
   * faceted, and optionally the `color` field (then the curve takes that algorithm's colour; otherwise black)
   * and a `label` field separating several black curves.
   */
  theoryRows?: readonly Record<string, unknown>[];
  /**
   * Censored observations (for example runs that did not reach a target within the budget), drawn as hollow
   * triangles in the algorithm's colour: each row has the `x` field, the value in field `y`, the `color` field and
   * the facet fields when faceted.
   */
  censoredRows?: readonly Record<string, unknown>[];
  /** Dash pattern of the theory curves (default [6, 4]). */
  strokeDash?: number[];
  /** Which axes get their own scale in each facet panel (default: y only). */
  independent?: { x?: boolean; y?: boolean };
  /** Size of one panel in pixels (default 360 × 240). */
  width?: number;
  height?: number;
}

/** The data layer a combined row belongs to (data and theory share one inline table so facets work). */
const LAYER = "_layer";

/**
 * A Vega-Lite spec of lines (one per algorithm and per other distinguishing field of the rows, via `detail`),
 * optional mean ± std bands, optional dashed theory curves, optional log axes and facets.
 */
export function lineChart(opts: LineChartOptions): Record<string, unknown> {
  const theory = opts.theoryRows ?? [];
  const censored = opts.censoredRows ?? [];
  const names = [...opts.rows, ...theory, ...censored]
    .map((r) => r[opts.color])
    .filter((v): v is string | number => v !== undefined && v !== null)
    .map(String);
  const colorScale = algorithmScale(names);
  const values: Record<string, unknown>[] = [
    ...opts.rows.map((r) => ({ ...r, [LAYER]: "data" })),
    ...theory.map((r) => ({ ...r, [LAYER]: r[opts.color] === undefined ? "theory-black" : "theory-color" })),
    ...censored.map((r) => ({ ...r, [LAYER]: "censored" })),
  ];

  // A facet field with one value in every row would draw a single panel under a header that repeats it: the
  // value goes to the subtitle instead, and the panel is drawn unfaceted.
  const faceting = [opts.facet?.column, opts.facet?.row].filter((f): f is string => f !== undefined);
  const distinct = new Map(
    faceting.map((f) => [f, [...new Set(values.filter((r) => r[f] !== undefined).map((r) => String(r[f])))]]),
  );
  const facetFields = faceting.filter((f) => distinct.get(f)!.length > 1);
  const subtitle = faceting
    .filter((f) => distinct.get(f)!.length === 1)
    .map((f) => `${f}: ${distinct.get(f)![0]}`)
    .join(", ");

  const x = {
    field: opts.x,
    type: "quantitative",
    title: opts.xTitle ?? opts.x,
    // A log x axis spans the data (a "nice" domain can add empty decades on either side).
    ...(opts.logX ? { scale: { type: "log", nice: false } } : {}),
  };
  const yScale = opts.logY ? { scale: { type: "log" } } : { scale: { zero: false } };
  // Legend swatches are solid strokes whatever mark a layer uses (a band's pale fill would hide the colour).
  const legend = { symbolType: "stroke", symbolStrokeWidth: 3, symbolOpacity: 1 };
  const color = { field: opts.color, type: "nominal", title: opts.color, scale: colorScale, legend };
  // Curves differ by every field other than x, y, the band and the facets (e.g. κ within one panel).
  const exclude = new Set([opts.x, opts.y, opts.color, LAYER, "mean", "std", "lo", "hi", "n", ...faceting]);
  if (opts.band) exclude.add(opts.band.lo).add(opts.band.hi);
  const detailFields = [...new Set(opts.rows.flatMap((r) => Object.keys(r)))].filter((k) => !exclude.has(k));
  const detail = detailFields.map((field) => ({ field, type: "nominal" }));
  const only = (layer: string) => ({ filter: `datum.${LAYER} === '${layer}'` });

  const layers: Record<string, unknown>[] = [];
  if (opts.band) {
    layers.push({
      transform: [only("data")],
      mark: { type: "area", opacity: 0.18 },
      encoding: {
        x,
        y: { field: opts.band.lo, type: "quantitative", ...yScale },
        y2: { field: opts.band.hi },
        color,
        detail,
      },
    });
  }
  layers.push({
    transform: [only("data")],
    mark: { type: "line", strokeWidth: 2 },
    encoding: {
      x,
      y: { field: opts.y, type: "quantitative", title: opts.yTitle ?? opts.y, ...yScale },
      color,
      detail,
    },
  });
  const dash = opts.strokeDash ?? [6, 4];
  if (theory.some((r) => r[opts.color] !== undefined)) {
    layers.push({
      transform: [only("theory-color")],
      mark: { type: "line", strokeDash: dash, strokeWidth: 1.5 },
      encoding: { x, y: { field: "y", type: "quantitative", ...yScale }, color, detail },
    });
  }
  if (theory.some((r) => r[opts.color] === undefined)) {
    const hasLabel = theory.some((r) => r.label !== undefined);
    layers.push({
      transform: [only("theory-black")],
      mark: { type: "line", strokeDash: dash, strokeWidth: 1.5, color: "#000000" },
      encoding: {
        x,
        y: { field: "y", type: "quantitative", ...yScale },
        ...(hasLabel ? { detail: [{ field: "label", type: "nominal" }] } : {}),
      },
    });
  }

  if (censored.length > 0) {
    layers.push({
      transform: [only("censored")],
      mark: { type: "point", shape: "triangle-up", filled: false, size: 70, strokeWidth: 1.5 },
      encoding: { x, y: { field: "y", type: "quantitative", ...yScale }, color },
    });
  }

  const size = { width: opts.width ?? 360, height: opts.height ?? 240 };
  const base = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: subtitle === "" ? opts.title : { text: opts.title, subtitle },
    data: { values },
    config: FIGURE_CONFIG,
  };
  if (facetFields.length === 0) return { ...base, ...size, layer: layers };
  const facet: Record<string, unknown> = {};
  const kept = (f: string | undefined): f is string => f !== undefined && facetFields.includes(f);
  if (kept(opts.facet?.column)) facet.column = { field: opts.facet.column, type: "ordinal" };
  if (kept(opts.facet?.row)) facet.row = { field: opts.facet.row, type: "ordinal" };
  const independent = opts.independent ?? { y: true };
  const scale: Record<string, string> = {};
  if (independent.x) scale.x = "independent";
  if (independent.y) scale.y = "independent";
  return { ...base, facet, spec: { ...size, layer: layers }, resolve: { scale } };
}
