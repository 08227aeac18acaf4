/**
 * `selftest`: a hidden experiment (not in `layerwise list`) that exercises the platform itself: a configurable
 * amount of deterministic CPU work per trial, seeded random-walk metrics, and trials that fail (throw, or end
 * their worker thread) on request. The
 * platform's tests (resume after kill -9, 1 vs 2 workers, failures) and benchmarks (per-trial overhead,
 * parallel speed-up, store throughput) run it through the real CLI.
 */
import { z } from "zod";
import type { Experiment } from "../experiments/types.js";
import type { TrialRecord } from "../results/records.js";
import { Rng } from "../random/rng.js";
import { lineChart, scalarBands, seriesBands } from "../report/charts.js";

const schema = z.strictObject({
  /** Swept values; a trial's walk has step size x. */
  x: z.array(z.number()).min(1).default([1, 2]),
  /** Steps of the random walk recorded as the series "walk". */
  steps: z.int().min(1).max(10_000_000).default(10),
  /** Units of CPU work per step (one unit ≈ 1,000 multiply-adds). */
  work: z.int().min(0).default(0),
  /** Values of x whose trials throw (to test failure handling). */
  failOn: z.array(z.number()).default([]),
  /** Values of x whose trials end their worker thread with process.exit(3) (to test worker replacement). */
  crashOn: z.array(z.number()).default([]),
});

type Config = z.infer<typeof schema>;
type Point = Omit<Config, "x"> & { x: number };

/** Deterministic CPU work: `units` × 1000 steps of a logistic-map recurrence; returns the final state. */
function burn(units: number, state: number): number {
  let s = state;
  for (let i = 0; i < units * 1000; i++) s = 3.9 * s * (1 - s);
  return s;
}

export const selftest: Experiment<Config, Point> = {
  name: "selftest",
  description: "Platform self-test: seeded random walks with configurable CPU work and failures (hidden)",
  schema,
  sweepable: ["x"],
  run(point, ctx) {
    if (point.failOn.includes(point.x)) throw new Error(`selftest: asked to fail at x=${point.x}`);
    if (point.crashOn.includes(point.x)) process.exit(3); // in a worker thread this ends only the thread
    const rng = new Rng(ctx.seed);
    const values = new Float64Array(point.steps);
    let position = 0;
    let chaos = 0.5;
    for (let i = 0; i < point.steps; i++) {
      chaos = burn(point.work, chaos);
      position += point.x * rng.normal();
      values[i] = position;
      if (i % 1024 === 0) ctx.progress(i / point.steps);
    }
    ctx.series(
      "walk",
      Float64Array.from(values, (_, i) => i),
      values,
    );
    ctx.scalar("final", position);
    ctx.scalar("chaos", chaos);
    ctx.info("uniform", rng.uniform());
  },
  summarize(trials: TrialRecord<Point>[]) {
    return scalarBands(trials, "final", (t) => ({ x: t.point.x })).map((r) => ({
      x: r.x,
      meanFinal: r.mean,
      stdFinal: r.std,
      trials: r.n,
    }));
  },
  plots(trials: TrialRecord<Point>[]) {
    const rows = seriesBands(trials, "walk", (t) => ({ algorithm: `x=${t.point.x}` }));
    return [
      {
        name: "walks",
        title: "Random walks (mean ± std over seeds)",
        spec: lineChart({
          title: "Random walks",
          rows,
          x: "step",
          y: "mean",
          color: "algorithm",
          band: { lo: "lo", hi: "hi" },
          theoryRows: [
            { step: 0, y: 0 },
            { step: Math.max(1, ...rows.map((r) => r.step)), y: 0 },
          ],
        }),
      },
    ];
  },
};
