/**
 * `linrep-kappa`: steps to reach a target subspace distance (default 0.05, budget 2000 steps) against
 * κₓ ∈ {1, 10, 100, 1000} and κ_F ∈ {1, 3, 10}, every algorithm, each with its own tuned step size, on a
 * log–log figure with the theory's prediction (⌈log(target/d₀)/log ρ⌉, src/theory/linrep.ts) drawn dashed;
 * plus the measured linear rates against the theory's.
 */
import { z } from "zod";
import type { Experiment, PlotSpec, SummaryRow, TrialRecord } from "../types.js";
import { lineChart } from "../../report/charts.js";
import { checkLinrepConfig, linrepFields, type LinrepSharedConfig, type LinrepSharedPoint } from "./schema.js";
import { runLinrepTrial } from "./trial.js";
import { groupByPoint, median } from "./summary.js";

const schema = z
  .strictObject(linrepFields({ steps: 2000, logEvery: 1, kappaX: [1, 10, 100, 1000], kappaF: [1, 3, 10] }))
  .superRefine((c, ctx) => checkLinrepConfig(c as LinrepSharedConfig, ctx));

type Config = LinrepSharedConfig;
type Point = LinrepSharedPoint;

/** One summary row per (algorithm, κₓ, κ_F): medians over seeds. */
function rows(trials: TrialRecord<Point>[]): SummaryRow[] {
  return groupByPoint(trials).map(({ point, members }) => {
    const scalar = (name: string) => members.map((t) => t.scalars[name] ?? null);
    const finite = (name: string) => median(scalar(name).filter((v) => v !== null));
    return {
      algorithm: point.algorithm,
      kappaX: point.kappaX,
      kappaF: point.kappaF,
      stepsToTarget: median(scalar("stepsToTarget")),
      measuredRate: finite("measuredRate"),
      theoryRate: finite("theoryRate"),
      theoryKind: String(members[0].info.theoryKind ?? "none"),
      predictedSteps: finite("predictedSteps"),
      lr: median(members.map((t) => t.info.lr as number)),
      damping: median(members.map((t) => t.info.damping as number)),
      reached: members.filter((t) => t.scalars.stepsToTarget != null).length,
      seeds: members.length,
    };
  });
}

export const linrepKappa: Experiment<Config, Point> = {
  name: "linrep-kappa",
  description:
    "Linear representation learning: steps to a target subspace distance vs κₓ and κ_F, every algorithm, with theory",
  schema: schema as unknown as z.ZodType<Config>,
  sweepable: ["algorithm", "kappaX", "kappaF"],
  quick: { kappaX: [1, 100], kappaF: [1, 10], steps: 400, tuning: { steps: 150 } },
  quickSeeds: 1,
  run(point, ctx) {
    runLinrepTrial(point, ctx, { stopAtTarget: true });
  },
  summarize: rows,
  plots(trials: TrialRecord<Point>[], config: Config): PlotSpec[] {
    const summary = rows(trials);
    // Facet by the numeric κ_F so panels sort 1, 3, 10.
    const F = "κ_F";
    const measured = summary
      .filter((r) => r.stepsToTarget !== null)
      .map((r) => ({
        algorithm: r.algorithm,
        kappaX: r.kappaX,
        [F]: r.kappaF,
        steps: Math.max(1, r.stepsToTarget as number),
      }));
    const predicted = summary
      .filter(
        (r) => r.predictedSteps !== null && r.theoryKind === "exact" && (r.predictedSteps as number) <= config.steps,
      )
      .map((r) => ({
        algorithm: r.algorithm,
        kappaX: r.kappaX,
        [F]: r.kappaF,
        y: Math.max(1, r.predictedSteps as number),
      }));
    const rateRows = summary
      .filter((r) => r.measuredRate !== null && r.stepsToTarget !== null)
      .map((r) => ({
        algorithm: r.algorithm,
        kappaX: r.kappaX,
        [F]: r.kappaF,
        gap: Math.max(1e-6, 1 - (r.measuredRate as number)),
      }));
    const theoryRates = summary
      .filter((r) => r.theoryRate !== null && r.theoryKind === "exact")
      .map((r) => ({
        algorithm: r.algorithm,
        kappaX: r.kappaX,
        [F]: r.kappaF,
        y: Math.max(1e-6, 1 - (r.theoryRate as number)),
      }));
    return [
      {
        name: "steps-vs-kappa",
        title: `Steps to subspace distance ${config.target} (median over seeds; dashed: exact theory; missing: beyond the ${config.steps}-step budget)`,
        spec: lineChart({
          title: `Steps to distance ${config.target} vs κₓ (dashed: theory)`,
          rows: measured,
          x: "kappaX",
          y: "steps",
          color: "algorithm",
          logX: true,
          logY: true,
          facet: { column: F },
          xTitle: "κₓ",
          yTitle: "steps to target",
          theoryRows: predicted,
        }),
      },
      {
        name: "rates-vs-kappa",
        title:
          "Linear rate: 1 − ρ measured over the linear phase of runs that reached the target (solid) and exact theory (dashed)",
        spec: lineChart({
          title: "1 − ρ: measured (solid) vs theory (dashed)",
          rows: rateRows,
          x: "kappaX",
          y: "gap",
          color: "algorithm",
          logX: true,
          logY: true,
          facet: { column: F },
          xTitle: "κₓ",
          yTitle: "1 − rate per step",
          theoryRows: theoryRates,
        }),
      },
    ];
  },
};
