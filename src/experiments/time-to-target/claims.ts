/**
 * The claims of `time-to-target`, checked on a run's own trials, per workload: the best layer-wise method
 * (kfac, ekfac, shampoo, soap, muon, kfac-auto) against the best first-order one (sgd, adam, adamw), each "best"
 * taken on the quantity the claim compares (fewest median steps, fewest median seconds, best median test metric
 * among the optimizers' best trials). A claim passes when it holds on every workload the run has.
 */
import type { Claim } from "../../results/claims.js";
import { num } from "../../results/claims.js";
import type { SummaryRow } from "../../results/records.js";
import type { TimeToTargetConfig, TimeToTargetPoint } from "./schema.js";
import { FIRST_ORDER, type TttOptimizer } from "./search.js";
import { LAYER_WISE, timeToTargetRows } from "./summary.js";

const SECTION = "Beyond the paper: time to target on real data";

/** The best layer-wise method must need at most this fraction of the best first-order method's steps. */
export const STEPS_FRACTION = 0.5;

type Pick = (rows: readonly SummaryRow[]) => SummaryRow | null;

/** The row with the smallest value of `field` (null = missed, never best), or null when none has one. */
const fewest =
  (field: string): Pick =>
  (rows) =>
    rows
      .filter((r) => typeof r[field] === "number")
      .reduce<SummaryRow | null>((a, b) => (a === null || (b[field] as number) < (a[field] as number) ? b : a), null);

/** The row with the best test metric (largest accuracy, smallest error). */
const bestTest: Pick = (rows) =>
  rows
    .filter((r) => typeof r.testAccuracy === "number")
    .reduce<SummaryRow | null>((a, b) => {
      if (a === null) return b;
      const higher = b.metric === "accuracy";
      const [x, y] = [b.testAccuracy as number, a.testAccuracy as number];
      return (higher ? x > y : x < y) ? b : a;
    }, null);

/**
 * Compares, on each workload, the layer-wise and the first-order row chosen by `pick` with `holds`; null when no
 * workload has both kinds of optimizer.
 */
function perWorkload(
  rows: readonly SummaryRow[],
  pick: Pick,
  holds: (layer: SummaryRow | null, first: SummaryRow | null) => boolean,
  describe: (r: SummaryRow | null) => string,
): { pass: boolean; measured: string } | null {
  const workloads = [...new Set(rows.map((r) => r.workload as string))];
  const parts: string[] = [];
  let pass = true;
  let compared = 0;
  for (const w of workloads) {
    const mine = rows.filter((r) => r.workload === w);
    const layer = mine.filter((r) => LAYER_WISE.has(r.optimizer as TttOptimizer));
    const first = mine.filter((r) => FIRST_ORDER.has(r.optimizer as TttOptimizer));
    if (layer.length === 0 || first.length === 0) continue;
    compared++;
    const [l, f] = [pick(layer), pick(first)];
    const ok = holds(l, f);
    pass &&= ok;
    parts.push(`${w}: ${describe(l)} vs ${describe(f)} ${ok ? "✓" : "✗"}`);
  }
  return compared === 0 ? null : { pass, measured: parts.join("; ") };
}

const named = (field: string, unit: string) => (r: SummaryRow | null) =>
  r === null ? "none reached" : `${r.optimizer} ${num(r[field] as number)}${unit}`;

export const timeToTargetClaims: readonly Claim<TimeToTargetConfig, TimeToTargetPoint>[] = [
  {
    id: "half-the-steps",
    statement: `On each workload the best layer-wise method reaches the target in ≤ ${STEPS_FRACTION} × the steps of the best first-order method (medians over seeds)`,
    section: SECTION,
    figure: "validation-vs-steps",
    check: (trials) =>
      perWorkload(
        timeToTargetRows(trials),
        fewest("stepsToTarget"),
        (l, f) =>
          l !== null && (f === null || (l.stepsToTarget as number) <= STEPS_FRACTION * (f.stepsToTarget as number)),
        named("stepsToTarget", " steps"),
      ),
  },
  {
    id: "less-wall-clock",
    statement:
      "On each workload the best layer-wise method reaches the target in less training wall-clock than the best first-order method (medians over seeds)",
    section: SECTION,
    figure: "validation-vs-seconds",
    check: (trials) =>
      perWorkload(
        timeToTargetRows(trials),
        fewest("secondsToTarget"),
        (l, f) => l !== null && (f === null || (l.secondsToTarget as number) < (f.secondsToTarget as number)),
        named("secondsToTarget", " s"),
      ),
  },
  {
    id: "test-at-least-as-good",
    statement:
      "On each workload the best layer-wise method ends at a test metric at least as good as the best first-order method's (accuracy ≥, reconstruction error ≤; medians over seeds of each optimizer's best trial)",
    section: SECTION,
    check: (trials) =>
      perWorkload(
        timeToTargetRows(trials),
        bestTest,
        (l, f) => {
          if (l === null) return false;
          if (f === null) return true;
          const [x, y] = [l.testAccuracy as number, f.testAccuracy as number];
          return l.metric === "accuracy" ? x >= y : x <= y;
        },
        named("testAccuracy", ""),
      ),
  },
];
