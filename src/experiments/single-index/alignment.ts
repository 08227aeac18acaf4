/**
 * `single-index-alignment`: alignment of the one-step spike with β★ against n/d, for κ ∈ {1, 10, 100}, GD vs KFAC
 * (and Adam, GD + batch-norm), with the theory curves of src/paper/single-index/theory.ts (docs/single-index.md).
 *
 * With one step the spike's direction does not depend on η (every rule's update is η times a fixed matrix, or
 * for Adam η times g/(|g| + ε)), so η is only tuned when `steps` > 1; the value used is stored with `ctx.info`.
 */
import { z } from "zod";
import type { Experiment } from "../types.js";
import type { PlotSpec, SummaryRow, TrialRecord } from "../../results/records.js";
import { lineChart, scalarBands } from "../../report/charts.js";
import { SINGLE_INDEX_ALIASES, baseShape, checkBase, kappaList, nOverDList } from "./schema.js";
import { UPDATE_ALGORITHMS } from "../../paper/single-index/updates.js";
import { groupBy, scalarStats } from "./summary.js";
import { alignmentClaims } from "./claims.js";
import { alignmentTheory, buildProblem, runStep, tuneEta, type SingleIndexPoint } from "./trial.js";

const schema = z
  .strictObject({
    ...baseShape,
    algorithm: z
      .array(z.enum(UPDATE_ALGORITHMS))
      .min(1)
      .default(["gd", "kfac", "adam", "gd-bn"])
      .describe("first-layer update rules (docs/algorithms.md)"),
    kappa: kappaList([1, 10, 100]),
    nOverD: nOverDList([0.5, 1, 2, 4, 8, 16, 32]),
  })
  .superRefine(checkBase);

type Config = z.output<typeof schema>;
type Point = SingleIndexPoint & { algorithm: (typeof UPDATE_ALGORITHMS)[number] };

const SCALARS = ["alignment", "alignmentSigmaBeta", "alignmentW1", "spikeStrength", "lossBefore", "lossAfter"];

export const singleIndexAlignment: Experiment<Config, Point> = {
  name: "single-index-alignment",
  description: "One-step feature learning: alignment of the first-layer spike with β★ vs n/d, GD vs KFAC (+ theory)",
  schema,
  sweepable: ["algorithm", "kappa", "nOverD"],
  aliases: SINGLE_INDEX_ALIASES,
  quick: { d: 128, N: 512 },
  quickSeeds: 3,
  claims: alignmentClaims as Experiment<Config, Point>["claims"],
  paperOrder: "3.1",
  run(point, ctx) {
    const problem = buildProblem(point);
    let eta = point.eta ?? 1;
    if (point.steps > 1 && point.eta === null) {
      const tuned = tuneEta(point, problem, ctx.seed, point.algorithm);
      eta = tuned.eta;
      ctx.info("etaScores", tuned.scores);
    }
    ctx.info("eta", eta);
    ctx.progress(0.1);
    const out = runStep(point, problem, ctx.seed, point.algorithm, eta, "none");
    for (const name of SCALARS) ctx.scalar(name, out[name as keyof typeof out] ?? null);
    const { theory, theoryLimit } = alignmentTheory(point, problem);
    ctx.scalar("theory", theory);
    ctx.scalar("theoryLimit", theoryLimit);
  },
  summarize(trials) {
    return groupBy(trials, keyOf).map(({ key, members }) => {
      const a = scalarStats(members, "alignment");
      return {
        ...key,
        alignment: a.mean,
        alignmentStd: a.std,
        theory: scalarStats(members, "theory").mean,
        theoryLimit: scalarStats(members, "theoryLimit").mean,
        alignmentSigmaBeta: scalarStats(members, "alignmentSigmaBeta").mean,
        spikeStrength: scalarStats(members, "spikeStrength").mean,
        trials: members.length,
      } satisfies SummaryRow;
    });
  },
  plots(trials) {
    const rows = scalarBands(trials, "alignment", keyOf).map((r) => ({ ...r, curve: "simulation" }));
    const theoryRows = groupBy(trials, keyOf).flatMap(({ key, members }) => {
      const out: Record<string, unknown>[] = [];
      const finite = scalarStats(members, "theory").mean;
      const limit = scalarStats(members, "theoryLimit").mean;
      if (finite !== null) out.push({ ...key, y: finite, curve: "finite-n theory" });
      if (limit !== null) out.push({ ...key, y: limit, curve: "population limit" });
      return out;
    });
    const plot: PlotSpec = {
      name: "alignment",
      caption:
        "GD's spike levels off at cos(β★, Σβ★) < 1 as n/d grows while KFAC's (input factor only) approaches 1; the dashed finite-n/d theory tracks both, including KFAC's dip at n = d.",
      title: "Alignment of the one-step spike with β★ vs n/d",
      spec: lineChart({
        title: "Spike alignment |⟨v₁, β★⟩|/‖β★‖ (dashed: theory, finite n and n → ∞)",
        rows,
        x: "nOverD",
        y: "mean",
        color: "algorithm",
        band: { lo: "lo", hi: "hi" },
        logX: true,
        facet: { column: "kappa" },
        xTitle: "n/d",
        yTitle: "alignment with β★",
        theoryRows,
        width: 260,
        height: 220,
      }),
    };
    return [plot];
  },
};

const keyOf = (t: TrialRecord<Point>) => ({
  algorithm: t.point.algorithm,
  kappa: t.point.kappa,
  nOverD: t.point.nOverD,
});
