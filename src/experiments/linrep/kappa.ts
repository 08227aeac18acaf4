/**
 * `linrep-kappa`: steps to reach a target subspace distance (default 0.05, budget 2000 steps) against
 * κₓ ∈ {1, 10, 100, 1000} and κ_F ∈ {1, 3, 10}, every algorithm, each with its own tuned step size, on a
 * log–log figure with the theory's prediction drawn dashed (the start t_a of the linear phase plus the steps
 * the linearised theory needs from the run's own point at t_a, src/paper/linrep/theory.ts and trial.ts) and runs that
 * missed the budget drawn at the budget; plus the measured linear rates against the theory's (docs/linrep.md).
 */
import { z } from "zod";
import type { Experiment } from "../types.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../../results/records.js";
import { lineChart } from "../../report/charts.js";
import {
  LINREP_ALIASES,
  checkLinrepConfig,
  linrepFields,
  type LinrepSharedConfig,
  type LinrepSharedPoint,
} from "./schema.js";
import { runLinrepTrial } from "./trial.js";
import { kappaRows as rows } from "./summary.js";
import { linrepKappaClaims } from "./claims.js";

const schema = z
  .strictObject(linrepFields({ steps: 2000, logEvery: 1, kappaX: [1, 10, 100, 1000], kappaF: [1, 3, 10] }))
  .superRefine((c, ctx) => checkLinrepConfig(c as LinrepSharedConfig, ctx));

type Config = LinrepSharedConfig;
type Point = LinrepSharedPoint;

/** Whether a row's theory is exact (comparable with a measurement or not). */
const exactTheory = (r: SummaryRow) => String(r.theoryKind).startsWith("exact");

export const linrepKappa: Experiment<Config, Point> = {
  name: "linrep-kappa",
  description:
    "Linear representation learning: steps to a target subspace distance vs κₓ and κ_F, every algorithm, with theory",
  schema: schema as unknown as z.ZodType<Config>,
  sweepable: ["algorithm", "kappaX", "kappaF"],
  aliases: LINREP_ALIASES,
  quick: { kappaX: [1, 100], kappaF: [1, 10], steps: 400, tuning: { steps: 150 } },
  quickSeeds: 1,
  run(point, ctx) {
    runLinrepTrial(point, ctx, { stopAtTarget: true });
  },
  summarize: rows,
  claims: linrepKappaClaims,
  paperOrder: "2.2",
  plots(trials: TrialRecord<Point>[], config: Config): PlotSpec[] {
    const summary = rows(trials);
    // Facet by the numeric κ_F so panels sort 1, 3, 10.
    const F = "κ_F";
    const at = (r: SummaryRow) => ({ algorithm: r.algorithm, kappaX: r.kappaX, [F]: r.kappaF });
    const measured = summary
      .filter((r) => r.stepsToTarget !== null)
      .map((r) => ({ ...at(r), steps: Math.max(1, r.stepsToTarget as number) }));
    // Runs that missed the budget: a hollow triangle at the budget ("not reached").
    const censored = summary.filter((r) => r.stepsToTarget === null).map((r) => ({ ...at(r), y: config.steps }));
    const predicted = summary
      .filter((r) => r.predictedSteps !== null && exactTheory(r) && (r.predictedSteps as number) <= config.steps)
      .map((r) => ({ ...at(r), y: Math.max(1, r.predictedSteps as number) }));
    const rateRows = summary
      .filter((r) => r.measuredRate !== null)
      .map((r) => ({ ...at(r), gap: Math.max(1e-6, 1 - (r.measuredRate as number)) }));
    const theoryRates = summary
      .filter((r) => r.theoryRate !== null && r.theoryKind === "exact")
      .map((r) => ({ ...at(r), y: Math.max(1e-6, 1 - (r.theoryRate as number)) }));
    return [
      {
        name: "steps-vs-kappa",
        caption:
          "KFAC stays at 1–2 steps in every panel, one-sided is flat in κₓ but rises with κ_F, joint SGD rises with both and hits the budget (hollow triangles).",
        title: `Steps to subspace distance ${config.target} (median over seeds; dashed: exact theory from the start of the linear phase; hollow triangle at ${config.steps}: not reached within the budget)`,
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
          censoredRows: censored,
        }),
      },
      {
        name: "rates-vs-kappa",
        caption:
          "Where a linear phase is observable the measured rate (solid) sits on the linearised theory (dashed); 1 − ρ shrinks with κₓ for amd and with κ_F for one-sided.",
        title:
          "Linear rate: 1 − ρ measured over the linear phase (≥ 3 logged points between distance 0.5 and the noise floor; solid) and the exact theory at the head reached there (dashed)",
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
