/**
 * The claims of `anisotropy` (docs/claims.md), checked on a run's own trials: the layer-wise preconditioner's
 * input-side factor undoes the re-conditioning, so KFAC's steps to the target loss do not grow with κ, while
 * SGD's (at the step size tuned at κ = 1) do. test/experiments/anisotropy/anisotropy.test.ts runs the real trials at a tiny size and
 * asserts these same checks.
 */
import type { Claim } from "../../results/claims.js";
import { num } from "../../results/claims.js";
import type { SummaryRow } from "../../results/records.js";
import type { AnisotropyConfig, AnisotropyPoint } from "./schema.js";
import { anisotropyRows, stepsSpread } from "./summary.js";

const SECTION = "Beyond the paper: anisotropy on real data";

/** KFAC's steps to target may grow by at most this factor from the smallest to the largest κ. */
export const KFAC_MAX_GROWTH = 2;
/** SGD's steps to target must grow by at least this factor (or miss the target) at the largest κ. */
export const SGD_MIN_GROWTH = 5;

/** The rows of `optimizer` sorted by κ, or null when it was not run at two or more κ. */
function byKappa(rows: readonly SummaryRow[], optimizer: string): SummaryRow[] | null {
  const mine = rows.filter((r) => r.optimizer === optimizer).sort((a, b) => Number(a.kappa) - Number(b.kappa));
  return mine.length >= 2 ? mine : null;
}

const describeSteps = (rows: readonly SummaryRow[]): string =>
  rows
    .map((r) => {
      const steps = r.stepsToTarget as number | null;
      return `κ = ${num(r.kappa as number)}: ${steps === null ? "not reached" : `${num(steps)} steps`}`;
    })
    .join(", ");

export const anisotropyClaims: readonly Claim<AnisotropyConfig, AnisotropyPoint>[] = [
  {
    id: "kfac-flat",
    statement: `KFAC reaches the target loss at every κ, with steps growing at most ${KFAC_MAX_GROWTH}× over κ`,
    section: SECTION,
    figure: "steps-vs-kappa",
    check(trials) {
      const rows = byKappa(anisotropyRows(trials), "kfac");
      if (!rows) return null;
      const { ratio } = stepsSpread(rows).kfac;
      return {
        pass: ratio !== null && ratio <= KFAC_MAX_GROWTH,
        measured: `${describeSteps(rows)}${ratio === null ? "" : ` (${num(ratio)}×)`}`,
      };
    },
  },
  {
    id: "sgd-slows",
    statement: `SGD at its κ = 1 step size needs at least ${SGD_MIN_GROWTH}× the steps at the largest κ, or misses the target`,
    section: SECTION,
    figure: "steps-vs-kappa",
    check(trials) {
      const rows = byKappa(anisotropyRows(trials), "sgd");
      if (!rows) return null;
      const first = rows[0].stepsToTarget as number | null;
      const last = rows[rows.length - 1].stepsToTarget as number | null;
      if (first === null) return { pass: false, measured: `${describeSteps(rows)} (not reached at the smallest κ)` };
      return {
        pass: last === null || last >= SGD_MIN_GROWTH * Math.max(1, first),
        measured: describeSteps(rows),
      };
    },
  },
];
