/** Summary rows and figures shared by `fashion-mlp` and `fashion-cnn`. */
import { lineChart, meanStd, seriesBands } from "../../report/charts.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../../results/records.js";
import { groupBy, scalarStats } from "../single-index/summary.js";
import type { FashionSharedConfig, FashionSharedPoint } from "./schema.js";

/** At most this many points per training-loss curve in the figure (every k-th logged step). */
const LOSS_POINTS = 300;

/** The median of the values, counting null (target not reached) as +∞; null when that median is not reached. */
function medianReached(values: readonly (number | null | undefined)[]): number | null {
  const xs = values.map((v) => (typeof v === "number" ? v : Infinity)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const m = xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
  return Number.isFinite(m) ? m : null;
}

/**
 * One row per optimizer: means over seeds of the final test accuracy (and its std), test loss, last-epoch
 * training loss, epochs run and training seconds per epoch; medians of steps and seconds to the target accuracy
 * (null when most seeds did not reach it); the dataset and the hyperparameters used.
 */
export function fashionRows(trials: TrialRecord<FashionSharedPoint>[]): SummaryRow[] {
  return groupBy(trials, (t) => ({ optimizer: t.point.optimizer })).map(({ key, members }) => {
    const mean = (name: string) => scalarStats(members, name).mean;
    const hp = members[0].info.hyperparameters as Record<string, number | string> | undefined;
    const second = hp ? Object.entries(hp).find(([k]) => k !== "learningRate" && k !== "source") : undefined;
    return {
      optimizer: key.optimizer,
      testAccuracy: mean("testAccuracy"),
      testAccuracyStd: meanStd(members.map((t) => t.scalars.testAccuracy).filter((v): v is number => v !== null)).std,
      testLoss: mean("testLoss"),
      trainLoss: mean("trainLoss"),
      epochs: mean("epochs"),
      secondsPerEpoch: mean("secondsPerEpoch"),
      stepsToTarget: medianReached(members.map((t) => t.scalars.stepsToTarget)),
      secondsToTarget: medianReached(members.map((t) => t.scalars.secondsToTarget)),
      diverged: members.filter((t) => t.scalars.diverged === 1).length,
      seeds: members.length,
      dataset: String(members[0].info.dataset ?? ""),
      learningRate: typeof hp?.learningRate === "number" ? hp.learningRate : null,
      second: second ? `${second[0]}=${second[1]}` : null,
    };
  });
}

/** The three figures: test accuracy vs epoch and vs training seconds, training loss vs step (mean ± std over seeds). */
export function fashionPlots(
  experiment: string,
  trials: TrialRecord<FashionSharedPoint>[],
  config: FashionSharedConfig,
): PlotSpec[] {
  const byOptimizer = (t: TrialRecord<FashionSharedPoint>) => ({ optimizer: t.point.optimizer });
  const dataset = String(trials.find((t) => t.status === "done")?.info.dataset ?? config.dataset);
  const accuracy = seriesBands(trials, "testAccuracy", byOptimizer);
  const seconds = seriesBands(trials, "seconds", byOptimizer);
  const timeAt = new Map(seconds.map((r) => [`${r.optimizer}:${r.step}`, r.mean]));
  const accuracyVsTime = accuracy
    .filter((r) => timeAt.has(`${r.optimizer}:${r.step}`))
    .map((r) => ({ ...r, seconds: timeAt.get(`${r.optimizer}:${r.step}`)! }));
  const losses = seriesBands(trials, "trainLoss", byOptimizer, { log: true });
  const lastStep = Math.max(1, ...losses.map((r) => r.step));
  const stride = Math.max(1, Math.ceil(lastStep / LOSS_POINTS));
  const lossRows = losses.filter((r) => r.step % stride === 0 || r.step === 1);
  const target = [{ label: `target ${config.targetAccuracy}`, y: config.targetAccuracy }];
  const common = { color: "optimizer", band: { lo: "lo", hi: "hi" }, yTitle: "test accuracy" } as const;
  return [
    {
      name: "accuracy-vs-epoch",
      title: `${experiment} on ${dataset}: test accuracy after each epoch (mean ± std over seeds)`,
      spec: lineChart({
        ...common,
        title: `${experiment} (${dataset}): test accuracy vs epoch`,
        rows: accuracy,
        x: "step",
        y: "mean",
        xTitle: "epoch",
        theoryRows:
          accuracy.length > 0
            ? [1, Math.max(...accuracy.map((r) => r.step))].map((x) => ({ step: x, ...target[0] }))
            : [],
      }),
    },
    {
      name: "accuracy-vs-seconds",
      title: `${experiment} on ${dataset}: test accuracy against training wall-clock seconds (evaluation excluded)`,
      spec: lineChart({
        ...common,
        title: `${experiment} (${dataset}): test accuracy vs seconds`,
        rows: accuracyVsTime,
        x: "seconds",
        y: "mean",
        xTitle: "training seconds (one worker)",
        logX: true,
      }),
    },
    {
      name: "loss-vs-step",
      title: `${experiment} on ${dataset}: training loss per step (geometric mean ± std over seeds; every ${stride}th step)`,
      spec: lineChart({
        title: `${experiment} (${dataset}): training loss vs step`,
        rows: lossRows,
        x: "step",
        y: "mean",
        color: "optimizer",
        band: { lo: "lo", hi: "hi" },
        logY: true,
        xTitle: "step",
        yTitle: "training loss (batch)",
      }),
    },
  ];
}
