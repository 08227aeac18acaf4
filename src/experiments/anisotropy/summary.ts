/**
 * Summary rows and figures of `anisotropy`: per architecture, inputs, optimizer and κ the median steps to the
 * target training loss over seeds (runs that never reach it count as infinitely many) with its 95% percentile
 * bootstrap interval, the final training loss and the test accuracy; a log–log figure of steps against κ (with the
 * intervals; censored runs drawn at the budget), and the training-loss curves per κ.
 */
import { FIGURE_CONFIG, lineChart, seriesBands } from "../../report/charts.js";
import { algorithmScale } from "../../report/colors.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../../results/records.js";
import { median, logAxisBands } from "../linrep/summary.js";
import { groupBy, scalarStats } from "../single-index/summary.js";
import { bootstrapMedian } from "./bootstrap.js";
import { runSettings, type AnisotropyConfig, type AnisotropyPoint } from "./schema.js";

type Trials = TrialRecord<AnisotropyPoint>[];

const REACHED = "reached";
const CENSORED = "not reached (at the budget)";

/** Seed of the bootstrap's resampling: fixed, so a summary of the same trials is always the same. */
export const BOOTSTRAP_SEED = 0;

/**
 * One row per (architecture, inputs, optimizer, κ): stepsToTarget = median over seeds with stepsLow…stepsHigh its
 * 95% percentile bootstrap interval (`bootstrapMedian`, seed BOOTSTRAP_SEED; null = not reached within the budget,
 * i.e. +∞), finalTrainLoss = median (diverged runs count as +∞), testAccuracy = mean over the seeds that did not
 * diverge; plus the step size used, the budget, and how many seeds reached the target or diverged.
 */
export function anisotropyRows(trials: Trials): SummaryRow[] {
  const cells = groupBy(trials, (t) => ({
    architecture: t.point.architecture,
    inputs: t.point.inputs,
    optimizer: t.point.optimizer,
    kappa: t.point.kappa,
  }));
  return cells.map(({ key, members }) => {
    const steps = bootstrapMedian(
      members.map((t) => t.scalars.stepsToTarget),
      { seed: BOOTSTRAP_SEED },
    );
    return {
      ...key,
      stepsToTarget: steps.median,
      stepsLow: steps.low,
      stepsHigh: steps.high,
      seeds: members.length,
      finalTrainLoss: median(members.map((t) => t.scalars.finalTrainLoss)),
      testAccuracy: scalarStats(members, "testAccuracy").mean,
      lr: median(members.map((t) => t.scalars.lr)),
      budget: median(members.map((t) => t.scalars.budget)),
      reached: members.filter((t) => t.scalars.stepsToTarget != null).length,
      diverged: members.filter((t) => t.scalars.diverged === 1).length,
    };
  });
}

/**
 * Growth of steps to target from the smallest to the largest κ, per optimizer: max/min of the medians over κ
 * (null when some κ did not reach the target: the growth is then at least budget/min, i.e. censored).
 */
export function stepsSpread(rows: readonly SummaryRow[]): Record<string, { ratio: number | null; censored: boolean }> {
  const out: Record<string, { ratio: number | null; censored: boolean }> = {};
  for (const optimizer of new Set(rows.map((r) => String(r.optimizer)))) {
    const steps = rows.filter((r) => r.optimizer === optimizer).map((r) => r.stepsToTarget as number | null);
    const censored = steps.some((s) => s === null);
    const reached = steps.filter((s): s is number => s !== null).map((s) => Math.max(1, s));
    out[optimizer] = {
      ratio: censored || reached.length === 0 ? null : Math.max(...reached) / Math.min(...reached),
      censored,
    };
  }
  return out;
}

/** The panel of a row or trial: its architecture and inputs, e.g. "mlp, real". */
export const panelOf = (r: Record<string, unknown> | AnisotropyPoint): string =>
  `${String(r.architecture)}, ${String(r.inputs)}`;

/** The figures: steps to target vs κ (log–log, censored runs at the budget) and training-loss curves per κ. */
export function anisotropyPlots(trials: Trials, config: AnisotropyConfig): PlotSpec[] {
  const rows = anisotropyRows(trials);
  const atBudget = (steps: unknown, budget: number) => (steps === null ? budget : Math.max(1, steps as number));
  const points = rows.map((r) => {
    const budget = (r.budget as number | null) ?? 0;
    return {
      panel: panelOf(r),
      optimizer: r.optimizer,
      kappa: r.kappa,
      steps: atBudget(r.stepsToTarget, budget),
      low: atBudget(r.stepsLow, budget),
      high: atBudget(r.stepsHigh, budget),
      budget,
      outcome: r.stepsToTarget === null ? CENSORED : REACHED,
    };
  });
  const color = {
    field: "optimizer",
    type: "nominal",
    scale: algorithmScale(points.map((p) => String(p.optimizer))),
    legend: { symbolType: "stroke", symbolStrokeWidth: 3 },
  };
  const x = { field: "kappa", type: "quantitative", title: "κ", scale: { type: "log", nice: false } };
  const y = { field: "steps", type: "quantitative", title: "steps to target", scale: { type: "log" } };
  const rotation = config.rotate ? "Haar-rotated axes" : "principal axes";
  const stepsFigure: PlotSpec = {
    name: "steps-vs-kappa",
    title:
      `Steps until the training loss falls below the target (MLP ${config.targetLoss}, 2c2d ${config.cnn.targetLoss}) ` +
      `vs κ, per architecture and inputs: median over seeds with its 95% bootstrap interval; ${config.pcaDims} ` +
      `principal components, ${rotation}; triangles: median not reached within the budget (dashed), drawn at it`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: "Steps to the target training loss vs κ (dashed: budget)",
      config: FIGURE_CONFIG,
      data: { values: points },
      facet: { field: "panel", type: "nominal", title: null },
      columns: 2,
      resolve: { scale: { y: "independent" } },
      spec: {
        width: 300,
        height: 220,
        layer: [
          { mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color } },
          {
            mark: { type: "rule", strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: "low", type: "quantitative", scale: { type: "log" } },
              y2: { field: "high" },
              color,
            },
          },
          {
            mark: { type: "point", size: 90, filled: true, opacity: 1 },
            encoding: {
              x,
              y,
              color,
              shape: {
                field: "outcome",
                type: "nominal",
                title: "outcome",
                scale: { domain: [REACHED, CENSORED], range: ["circle", "triangle-up"] },
                legend: { labelLimit: 300 },
              },
            },
          },
          {
            mark: { type: "rule", strokeDash: [6, 4], color: "#555555" },
            encoding: { y: { field: "budget", type: "quantitative", aggregate: "max" } },
          },
        ],
      },
    },
  };
  const curves = logAxisBands(
    seriesBands(
      trials,
      "trainLoss",
      (t) => ({ optimizer: t.point.optimizer, kappa: t.point.kappa, panel: panelOf(t.point) }),
      { log: true },
    ),
  );
  const panels = new Map(trials.map((t) => [panelOf(t.point), runSettings(t.point).targetLoss]));
  const target = [...panels].flatMap(([panel, targetLoss]) => {
    const lastStep = Math.max(0, ...curves.filter((r) => r.panel === panel).map((r) => r.step));
    return [...new Set(curves.map((r) => r.kappa))].flatMap((kappa) => [
      { panel, kappa, step: 0, y: targetLoss, label: "target" },
      { panel, kappa, step: lastStep, y: targetLoss, label: "target" },
    ]);
  });
  const lossFigure: PlotSpec = {
    name: "training-loss",
    title: `Training loss (evaluated on a fixed training subset: MLP ${config.trainEvalSize}, 2c2d ${config.cnn.trainEvalSize} examples; geometric mean ± std over seeds) per κ (columns) and architecture, inputs (rows); dashed: the target`,
    spec: lineChart({
      title: "Training loss per κ",
      rows: curves,
      x: "step",
      y: "mean",
      color: "optimizer",
      band: { lo: "lo", hi: "hi" },
      logY: true,
      facet: { column: "kappa", row: "panel" },
      xTitle: "step",
      yTitle: "training loss",
      theoryRows: target,
      independent: { x: true },
      width: 240,
      height: 200,
    }),
  };
  return [stepsFigure, lossFigure];
}
