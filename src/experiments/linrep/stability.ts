/**
 * `linrep-stability`: the paper's "rate and stability" comparison of full natural gradient (damped Gauss–Newton
 * over (F, G)) with KFAC. Every (step size η × damping λ) cell of a grid is its own trial at one anisotropic
 * setting; a cell converges when the run reaches the target subspace distance within the budget. The figure is
 * a heat map of steps to target per algorithm (grey: not reached or diverged); the convergent range of an
 * algorithm is its number of convergent cells.
 *
 * Damping is given relative to each algorithm's natural scale (tuning.ts, `dampingScale`): λ × mean eigenvalue
 * of Σₓ for kfac (added to Σ̂ₓ), λ × σ_max(F★)²λ_max(Σₓ) for ngd (added to the Gauss–Newton matrix), so the two
 * grids cover comparable relative ranges.
 */
import { z } from "zod";
import type { Experiment } from "../types.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../../results/records.js";
import { FIGURE_CONFIG } from "../../report/charts.js";
import { deriveSeed, Rng } from "../../random/index.js";
import { makeLinrepProblem } from "../../paper/linrep/problem.js";
import { trainLinrep } from "./train.js";
import {
  LINREP_ALIASES,
  algorithmSchema,
  checkLinrepConfig,
  linrepFields,
  problemConfig,
  type LinrepSharedConfig,
  type LinrepSharedPoint,
} from "./schema.js";
import { dampingScale, PROBLEM_STREAM, TRAIN_STREAM, trainOptions } from "./tuning.js";
import { groupByPoint, median } from "./summary.js";
import { stabilityClaim } from "./claims.js";

const schema = z
  .strictObject({
    ...linrepFields({ steps: 200, logEvery: 10, kappaX: [100], kappaF: [3] }),
    algorithm: z.array(algorithmSchema).min(1).default(["kfac", "ngd"]).describe("algorithms to compare"),
    eta: z
      .array(z.number().positive({ error: "step size eta must be > 0" }))
      .min(1)
      .default([0.1, 0.25, 0.5, 1, 1.5, 1.9, 2.5])
      .describe("step sizes η of the grid"),
    lambda: z
      .array(z.number().positive({ error: "relative damping lambda must be > 0" }))
      .min(1)
      .default([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1])
      .describe("relative damping of the grid: × mean eig(Σₓ) for kfac, × σ_max(F★)²λ_max(Σₓ) for ngd"),
  })
  .superRefine((c, ctx) => checkLinrepConfig(c as LinrepSharedConfig, ctx));

type Config = LinrepSharedConfig & { eta: number[]; lambda: number[] };
type Point = LinrepSharedPoint & { eta: number; lambda: number };

/** One row per grid cell: the fraction of seeds that converged and the median steps to target. */
function cells(trials: TrialRecord<Point>[]): SummaryRow[] {
  return groupByPoint(trials).map(({ point, members }) => {
    const steps = members.map((t) => t.scalars.stepsToTarget ?? null);
    return {
      algorithm: point.algorithm,
      kappaX: point.kappaX,
      kappaF: point.kappaF,
      eta: point.eta,
      lambda: point.lambda,
      damping: median(members.map((t) => t.info.damping as number)),
      converged: steps.filter((s) => s !== null).length / members.length,
      stepsToTarget: median(steps),
    };
  });
}

/** The number of grid cells where every seed converged, by algorithm: the measured convergent range. */
export function convergentCells(rows: readonly SummaryRow[]): Record<string, { convergent: number; cells: number }> {
  const out: Record<string, { convergent: number; cells: number }> = {};
  for (const r of rows) {
    const a = String(r.algorithm);
    out[a] ??= { convergent: 0, cells: 0 };
    out[a].cells++;
    if (r.converged === 1) out[a].convergent++;
  }
  return out;
}

export const linrepStability: Experiment<Config, Point> = {
  name: "linrep-stability",
  description:
    "Linear representation learning: convergent range of KFAC vs damped natural gradient over step size × damping",
  schema: schema as unknown as z.ZodType<Config>,
  sweepable: ["algorithm", "kappaX", "kappaF", "eta", "lambda"],
  aliases: LINREP_ALIASES,
  quick: { steps: 100, eta: [0.25, 0.5, 1, 1.5, 2.5], lambda: [1e-4, 1e-2, 1] },
  quickSeeds: 1,
  run(point, ctx) {
    const problem = makeLinrepProblem(new Rng(deriveSeed(ctx.seed, PROBLEM_STREAM)), problemConfig(point));
    const damping = point.lambda * dampingScale(point.algorithm, problem);
    ctx.info("damping", damping);
    const log = trainLinrep(
      problem,
      trainOptions(point, { lr: point.eta, damping }),
      new Rng(deriveSeed(ctx.seed, TRAIN_STREAM)),
      (f) => ctx.progress(f),
    );
    ctx.series("subspace", log.steps, log.subspace);
    ctx.scalar("stepsToTarget", log.stepsToTarget);
    ctx.scalar("diverged", log.diverged ? 1 : 0);
    const last = log.subspace[log.subspace.length - 1];
    ctx.scalar("finalSubspaceDistance", Number.isFinite(last) ? last : null);
  },
  summarize: cells,
  claims: [stabilityClaim((trials) => convergentCells(cells(trials)))],
  paperOrder: "2.3",
  plots(trials: TrialRecord<Point>[], config: Config): PlotSpec[] {
    const rows = cells(trials);
    const ranges = convergentCells(rows);
    const caption = Object.entries(ranges)
      .map(([a, r]) => `${a}: ${r.convergent}/${r.cells} cells converge`)
      .join("; ");
    const values = rows.map((r) => ({
      ...r,
      label: r.stepsToTarget === null ? "–" : String(Math.round(r.stepsToTarget as number)),
      logSteps: r.stepsToTarget === null ? null : Math.log10(Math.max(1, r.stepsToTarget as number)),
    }));
    const x = { field: "eta", type: "ordinal", title: "step size η" };
    const y = { field: "lambda", type: "ordinal", title: "relative damping λ", sort: "descending" };
    return [
      {
        name: "stability",
        caption:
          "KFAC converges over a wider block of step sizes and damping than damped natural gradient, and in fewer steps where both converge.",
        title: `Steps to distance ${config.target} over step size × damping (grey: not within ${config.steps} steps). ${caption}`,
        spec: {
          $schema: "https://vega.github.io/schema/vega-lite/v6.json",
          title: { text: "Convergent range: steps to target (grey = not reached)", subtitle: caption },
          data: { values },
          config: FIGURE_CONFIG,
          facet: { column: { field: "algorithm", type: "nominal", title: null } },
          spec: {
            width: 300,
            height: 220,
            layer: [
              { mark: { type: "rect", color: "#d9d9d9" }, encoding: { x, y } },
              {
                transform: [{ filter: "datum.logSteps !== null" }],
                mark: "rect",
                encoding: {
                  x,
                  y,
                  color: {
                    field: "logSteps",
                    type: "quantitative",
                    title: "log₁₀ steps",
                    scale: { scheme: "viridis", reverse: true },
                  },
                },
              },
              { mark: { type: "text", fontSize: 10 }, encoding: { x, y, text: { field: "label" } } },
            ],
          },
        },
      },
    ];
  },
};
