/**
 * `linrep-curves`: training loss, subspace distance and transfer excess against steps for every algorithm in
 * one anisotropic setting (default d_X = 50, k = 4, d_Y = 10, n = 1024 online, σ_ε = 0.1, κₓ = 100, κ_F = 3),
 * mean ± std over seeds, with the theory's linear rate drawn from the start of each algorithm's linear phase.
 */
import { z } from "zod";
import type { Experiment } from "../types.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../../results/records.js";
import { lineChart, meanStd, seriesBands } from "../../report/charts.js";
import {
  LINREP_ALIASES,
  checkLinrepConfig,
  linrepFields,
  type LinrepSharedConfig,
  type LinrepSharedPoint,
} from "./schema.js";
import { runLinrepTrial } from "./trial.js";
import { groupByPoint, logAxisBands, median, pointGroup, theoryDistanceRows } from "./summary.js";

const schema = z
  .strictObject({
    ...linrepFields({ steps: 1000, logEvery: 1, kappaX: [100], kappaF: [3] }),
    transferEvery: z
      .int()
      .min(1)
      .default(100)
      .describe("measure the transfer excess every this many steps (fits a head on fresh transfer samples)"),
  })
  .superRefine((c, ctx) => checkLinrepConfig(c as LinrepSharedConfig, ctx));

type Config = LinrepSharedConfig & { transferEvery: number };
type Point = LinrepSharedPoint & { transferEvery: number };

export const linrepCurves: Experiment<Config, Point> = {
  name: "linrep-curves",
  description:
    "Linear representation learning: loss, subspace distance and transfer excess vs steps, every algorithm (κₓ=100, κ_F=3)",
  schema: schema as unknown as z.ZodType<Config>,
  sweepable: ["algorithm", "kappaX", "kappaF"],
  aliases: LINREP_ALIASES,
  quick: { steps: 300, transferEvery: 50, tuning: { steps: 100 } },
  quickSeeds: 2,
  paperOrder: "2.1",
  run(point, ctx) {
    runLinrepTrial(point, ctx, { stopAtTarget: false, transferEvery: point.transferEvery });
  },
  summarize(trials: TrialRecord<Point>[]): SummaryRow[] {
    return groupByPoint(trials).map(({ point, members }) => {
      const mean = (name: string) => meanStd(members.map((t) => t.scalars[name] ?? NaN)).mean;
      return {
        algorithm: point.algorithm,
        kappaX: point.kappaX,
        kappaF: point.kappaF,
        finalLoss: finiteOrNull(mean("finalLoss")),
        finalSubspaceDistance: finiteOrNull(mean("finalSubspaceDistance")),
        finalTransferExcess: finiteOrNull(mean("finalTransferExcess")),
        stepsToTarget: median(members.map((t) => t.scalars.stepsToTarget ?? null)),
        lr: median(members.map((t) => t.info.lr as number)),
        damping: median(members.map((t) => t.info.damping as number)),
        seeds: members.length,
      };
    });
  },
  plots(trials: TrialRecord<Point>[]): PlotSpec[] {
    const facet = facetFor(trials);
    const curve = (series: string, title: string, yTitle: string, caption: string, theory = false): PlotSpec => ({
      name: series === "subspace" ? "subspace-distance" : series === "loss" ? "training-loss" : "transfer-excess",
      title,
      caption,
      spec: lineChart({
        title,
        rows: logAxisBands(seriesBands(trials, series, (t) => pointGroup(t.point, facet))),
        x: "step",
        y: "mean",
        color: "algorithm",
        band: { lo: "lo", hi: "hi" },
        logY: true,
        xTitle: "step",
        yTitle,
        facet: facet.length > 0 ? { column: facet[0], row: facet[1] } : undefined,
        theoryRows: theory ? theoryDistanceRows(trials, facet) : undefined,
      }),
    });
    return [
      curve(
        "subspace",
        "Subspace distance (mean ± std over seeds; dashed: linearised theory from the start of the linear phase)",
        "sin θ_max(G, G★)",
        "KFAC reaches the noise floor in a couple of steps, one-sided and NGD next, while SGD, batch-norm SGD and amd are still far away at the end; dashed lines follow the exact-theory methods.",
        true,
      ),
      curve(
        "loss",
        "Training loss (mean ± std over seeds)",
        "training loss",
        "The loss falls fast for every method (the head fits what G spans); it is the subspace, not the loss, that separates them.",
      ),
      curve(
        "transferExcess",
        "Transfer excess loss (mean ± std over seeds, floored at 1e-6)",
        "transfer MSE − noise floor",
        "The transfer excess follows the subspace distance: a representation learned faster transfers better at every step.",
      ),
    ];
  },
};

/** κ fields that vary across the run's points become facets. */
function facetFor(trials: TrialRecord<Point>[]): string[] {
  return (["kappaX", "kappaF"] as const).filter((key) => new Set(trials.map((t) => t.point[key])).size > 1);
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
