/**
 * Summary rows and figures of `anisotropy`: per optimizer and κ the median steps to the target training loss
 * (runs that never reach it count as infinitely many), the final training loss and the test accuracy; a log–log
 * figure of steps against κ with censored runs drawn at the budget, and the training-loss curves per κ.
 */
import { FIGURE_CONFIG, lineChart, seriesBands } from "../../report/charts.js";
import { algorithmScale } from "../../report/colors.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../../results/records.js";
import { median, logAxisBands } from "../linrep/summary.js";
import { groupBy, scalarStats } from "../single-index/summary.js";
import type { AnisotropyConfig, AnisotropyPoint } from "./schema.js";

type Trials = TrialRecord<AnisotropyPoint>[];

const REACHED = "reached";
const CENSORED = "not reached (at the budget)";

/**
 * One row per (optimizer, κ): stepsToTarget = median over seeds (null when the median run did not reach the
 * target within the budget), finalTrainLoss = median (diverged runs count as +∞), testAccuracy = mean over the
 * seeds that did not diverge; plus the step size used, the budget, and how many seeds reached the target.
 */
export function anisotropyRows(trials: Trials): SummaryRow[] {
  return groupBy(trials, (t) => ({ optimizer: t.point.optimizer, kappa: t.point.kappa })).map(({ key, members }) => ({
    optimizer: key.optimizer,
    kappa: key.kappa,
    stepsToTarget: median(members.map((t) => t.scalars.stepsToTarget)),
    finalTrainLoss: median(members.map((t) => t.scalars.finalTrainLoss)),
    testAccuracy: scalarStats(members, "testAccuracy").mean,
    lr: median(members.map((t) => t.scalars.lr)),
    budget: median(members.map((t) => t.scalars.budget)),
    reached: members.filter((t) => t.scalars.stepsToTarget != null).length,
    diverged: members.filter((t) => t.scalars.diverged === 1).length,
    seeds: members.length,
  }));
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

/** The figures: steps to target vs κ (log–log, censored runs at the budget) and training-loss curves per κ. */
export function anisotropyPlots(trials: Trials, config: AnisotropyConfig): PlotSpec[] {
  const rows = anisotropyRows(trials);
  const budget = Math.max(0, ...rows.map((r) => (r.budget as number | null) ?? 0));
  const points = rows.map((r) => ({
    optimizer: r.optimizer,
    kappa: r.kappa,
    steps: r.stepsToTarget === null ? budget : Math.max(1, r.stepsToTarget as number),
    outcome: r.stepsToTarget === null ? CENSORED : REACHED,
  }));
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
      `Steps until the training loss falls below ${config.targetLoss} vs κ (median over seeds; ${config.pcaDims} ` +
      `principal components, ${rotation}; triangles: not reached within the ${budget}-step budget, drawn at it)`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: `Steps to training loss ${config.targetLoss} vs κ (dashed: budget)`,
      width: 420,
      height: 280,
      config: FIGURE_CONFIG,
      data: { values: points },
      layer: [
        { mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color } },
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
          data: { values: [{ budget }] },
          mark: { type: "rule", strokeDash: [6, 4], color: "#555555" },
          encoding: { y: { field: "budget", type: "quantitative" } },
        },
      ],
    },
  };
  const curves = logAxisBands(
    seriesBands(trials, "trainLoss", (t) => ({ optimizer: t.point.optimizer, kappa: t.point.kappa }), { log: true }),
  );
  const lastStep = Math.max(0, ...curves.map((r) => r.step));
  const target = [...new Set(curves.map((r) => r.kappa))].flatMap((kappa) => [
    { kappa, step: 0, y: config.targetLoss, label: "target" },
    { kappa, step: lastStep, y: config.targetLoss, label: "target" },
  ]);
  const lossFigure: PlotSpec = {
    name: "training-loss",
    title: `Training loss (evaluated on ${config.trainEvalSize} training examples; geometric mean ± std over seeds) per κ; dashed: the target ${config.targetLoss}`,
    spec: lineChart({
      title: "Training loss per κ",
      rows: curves,
      x: "step",
      y: "mean",
      color: "optimizer",
      band: { lo: "lo", hi: "hi" },
      logY: true,
      facet: { column: "kappa" },
      xTitle: "step",
      yTitle: "training loss",
      theoryRows: target,
      independent: {},
      width: 240,
      height: 200,
    }),
  };
  return [stepsFigure, lossFigure];
}
