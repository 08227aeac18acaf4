/**
 * Summary rows and heat maps of `robustness`. A cell (one learning rate × second hyperparameter of one optimizer
 * on one architecture) aggregates its seeds: its accuracy is the mean test accuracy over the seeds that did not
 * diverge, and it counts as diverged when any seed diverged. A cell is good when it did not diverge and its
 * accuracy is within `goodMargin` (1 percentage point) of that optimizer's best cell; robustness = good/cells.
 * kfac-auto has a single cell (its points that would repeat it do not train and are left out).
 */
import { FIGURE_CONFIG } from "../../report/charts.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../../results/records.js";
import { groupBy, scalarStats } from "../single-index/summary.js";
import type { RobustnessConfig, RobustnessPoint } from "./schema.js";
import type { CellRecord } from "./trial.js";

type Trials = TrialRecord<RobustnessPoint>[];

/** One cell over its seeds. */
export interface CellSummary {
  optimizer: string;
  architecture: string;
  lrFactor: number;
  /** null for kfac-auto (no learning rate). */
  learningRate: number | null;
  secondIndex: number;
  secondName: string;
  second: number;
  /** Mean test accuracy over the seeds that did not diverge (null when all diverged). */
  accuracy: number | null;
  diverged: boolean;
  seeds: number;
  good: boolean;
}

/**
 * Every cell of every (optimizer, architecture), with `good` decided against that pair's best cell. Trials without
 * a cell record (failed ones, and kfac-auto's points that repeat its one cell) are left out.
 */
export function summarizeCells(trials: Trials, goodMargin: number): CellSummary[] {
  const trained = trials.filter((t) => t.info.cell !== undefined);
  const cells = groupBy(trained, (t) => ({
    optimizer: t.point.optimizer,
    architecture: t.point.architecture,
    lrFactor: t.point.learningRateFactor,
    secondIndex: t.point.secondIndex,
  })).map(({ members }): CellSummary => {
    const cell = members[0].info.cell as CellRecord;
    const diverged = members.some((t) => t.scalars.diverged === 1);
    const healthy = members.filter((t) => t.scalars.diverged !== 1);
    return {
      optimizer: cell.optimizer,
      architecture: cell.architecture,
      lrFactor: cell.lrFactor,
      learningRate: cell.learningRate,
      secondIndex: cell.secondIndex,
      secondName: cell.secondName,
      second: cell.second,
      accuracy: scalarStats(healthy, "testAccuracy").mean,
      diverged,
      seeds: members.length,
      good: false,
    };
  });
  for (const members of byPair(cells)) {
    const best = bestCell(members);
    if (best === null) continue;
    for (const c of members) c.good = !c.diverged && c.accuracy !== null && c.accuracy >= best.accuracy! - goodMargin;
  }
  return cells;
}

/** The cells grouped by (optimizer, architecture), in first-seen order. */
function byPair(cells: readonly CellSummary[]): CellSummary[][] {
  const pairs = new Map<string, CellSummary[]>();
  for (const c of cells) {
    const key = JSON.stringify([c.optimizer, c.architecture]);
    pairs.set(key, [...(pairs.get(key) ?? []), c]);
  }
  return [...pairs.values()];
}

/** The most accurate cell that did not diverge, or null. */
function bestCell(cells: readonly CellSummary[]): CellSummary | null {
  let best: CellSummary | null = null;
  for (const c of cells) {
    if (c.diverged || c.accuracy === null) continue;
    if (best === null || c.accuracy > best.accuracy!) best = c;
  }
  return best;
}

/**
 * One row per (optimizer, architecture): cells, goodCells, bestAccuracy, robustness = goodCells/cells (the
 * fraction of the grid within `goodMargin` of the best cell), divergedCells and divergedFraction =
 * divergedCells/cells, and the best cell's hyperparameters.
 */
export function robustnessRows(trials: Trials, config: Pick<RobustnessConfig, "goodMargin">): SummaryRow[] {
  return byPair(summarizeCells(trials, config.goodMargin)).map((members) => {
    const best = bestCell(members);
    const good = members.filter((c) => c.good).length;
    const diverged = members.filter((c) => c.diverged).length;
    return {
      optimizer: members[0].optimizer,
      architecture: members[0].architecture,
      cells: members.length,
      goodCells: good,
      bestAccuracy: best ? best.accuracy : null,
      robustness: good / members.length,
      divergedCells: diverged,
      divergedFraction: diverged / members.length,
      bestLearningRate: best ? best.learningRate : null,
      secondName: members[0].secondName,
      bestSecond: best ? best.second : null,
    };
  });
}

/** Compact label of a hyperparameter value (3 significant digits; powers of ten below 10⁻³ as 1e-6). */
function label(value: number): string {
  if (value === 0) return "0";
  return Math.abs(value) < 1e-3
    ? Number(value.toPrecision(3)).toExponential()
    : Number(value.toPrecision(3)).toString();
}

/** Most heat-map panels side by side: eight 170-pixel panels in one row are too wide to read in a page. */
const MAX_PANELS_PER_ROW = 4;

/**
 * Panels per row for `panels` panels: the fewest rows of at most MAX_PANELS_PER_ROW, filled evenly (8 → two
 * rows of 4, 5 → 3 + 2, 3 → one row).
 */
export function panelsPerRow(panels: number): number {
  return Math.ceil(panels / Math.ceil(panels / MAX_PANELS_PER_ROW));
}

/**
 * The heat maps: one block per architecture (stacked), in it one panel per optimizer wrapped into rows
 * (`panelsPerRow`); in a panel, learning rate (as a multiple of the tuned default) across, second hyperparameter
 * (its real values, per panel) up; cell colour = test accuracy on one colour scale shared by every panel; diverged
 * cells grey with ×, good cells outlined in black.
 */
export function robustnessPlots(trials: Trials, config: RobustnessConfig): PlotSpec[] {
  const cells = summarizeCells(trials, config.goodMargin);
  if (cells.length === 0) return [];
  const values = cells.map((c) => ({
    ...c,
    secondLabel: `${c.secondName} ${label(c.second)}`,
    lrLabel: c.learningRate === null ? "adaptive" : `×${label(c.lrFactor)}`,
    text: c.diverged ? "×" : c.accuracy === null ? "" : (100 * c.accuracy).toFixed(1),
    shown: c.diverged ? null : c.accuracy,
  }));
  const accuracies = values.map((v) => v.shown).filter((a): a is number => a !== null);
  const domain = accuracies.length > 0 ? [Math.min(...accuracies), Math.max(...accuracies)] : [0, 1];
  const x = {
    field: "lrLabel",
    type: "ordinal",
    title: "learning rate ÷ tuned default",
    sort: { field: "lrFactor", order: "ascending" },
  };
  const y = {
    field: "secondLabel",
    type: "ordinal",
    title: null,
    sort: { field: "secondIndex", order: "descending" },
  };
  const caption = robustnessRows(trials, config)
    .map((r) => `${r.optimizer}/${r.architecture} ${r.goodCells}/${r.cells}`)
    .join(", ");
  return [
    {
      name: "robustness-heatmaps",
      title:
        `Test accuracy over learning rate × second hyperparameter, one panel per optimizer, one block per architecture; ` +
        `one colour scale for all panels; ×: diverged; outlined: within ${100 * config.goodMargin} point(s) of the ` +
        `optimizer's best cell. Good cells: ${caption}`,
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: { text: "Robustness: test accuracy (%) per cell (×: diverged; outlined: good)" },
        data: { values },
        config: FIGURE_CONFIG,
        vconcat: config.architecture.map((architecture) => ({
          title: { text: architecture, anchor: "start" },
          transform: [{ filter: { field: "architecture", equal: architecture } }],
          facet: { field: "optimizer", type: "nominal", title: null, sort: config.optimizer },
          columns: panelsPerRow(config.optimizer.length),
          spec: {
            width: 170,
            height: 150,
            layer: [
              { mark: { type: "rect", color: "#bdbdbd" }, encoding: { x, y } },
              {
                transform: [{ filter: "datum.shown !== null" }],
                mark: "rect",
                encoding: {
                  x,
                  y,
                  color: {
                    field: "shown",
                    type: "quantitative",
                    title: "test accuracy",
                    scale: { scheme: "viridis", domain },
                  },
                },
              },
              {
                transform: [{ filter: "datum.good" }],
                mark: { type: "rect", fill: null, stroke: "#000000", strokeWidth: 2 },
                encoding: { x, y },
              },
              {
                mark: { type: "text", fontSize: 9 },
                encoding: {
                  x,
                  y,
                  text: { field: "text" },
                  color: { condition: { test: "datum.diverged", value: "#000000" }, value: "#ffffff" },
                },
              },
            ],
          },
          resolve: { scale: { y: "independent", x: "independent" } },
        })),
      },
    },
  ];
}
