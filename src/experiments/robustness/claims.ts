/**
 * The claims of `robustness` (docs/robustness.md), checked on a run's own trials per architecture: the paper's
 * next check asks how sensitive layer-wise preconditioning is to its learning rate and damping. KFAC against SGD,
 * each over its own grid (learning rate × damping, learning rate × momentum): a wider good region and no more
 * divergence; and kfac-auto, which removes both knobs, against KFAC's best tuned cell.
 */
import type { Claim, ClaimResult } from "../../results/claims.js";
import { num } from "../../results/claims.js";
import type { SummaryRow } from "../../results/records.js";
import { KFAC_AUTO } from "./methods.js";
import type { RobustnessConfig, RobustnessPoint } from "./schema.js";
import { robustnessRows } from "./summary.js";

const SECTION = "Beyond the paper: robustness to learning rate and damping";

const pct = (x: number) => `${num(100 * x)}%`;

/**
 * Applies `compare` to the rows of optimizers `a` and `b` on every architecture that ran both; passes when it
 * passes on each; null when no architecture ran both.
 */
function perArchitecture(
  rows: readonly SummaryRow[],
  a: string,
  b: string,
  compare: (ra: SummaryRow, rb: SummaryRow) => ClaimResult,
): ClaimResult | null {
  const architectures = [...new Set(rows.map((r) => String(r.architecture)))];
  const results = architectures.flatMap((arch) => {
    const ra = rows.find((r) => r.optimizer === a && r.architecture === arch);
    const rb = rows.find((r) => r.optimizer === b && r.architecture === arch);
    return ra && rb ? [{ arch, ...compare(ra, rb) }] : [];
  });
  if (results.length === 0) return null;
  return {
    pass: results.every((r) => r.pass),
    measured: results.map((r) => `${r.arch}: ${r.measured}${r.pass ? "" : " ✗"}`).join("; "),
  };
}

export const robustnessClaims: readonly Claim<RobustnessConfig, RobustnessPoint>[] = [
  {
    id: "kfac-wider",
    statement:
      "On each architecture, KFAC keeps at least as large a fraction of its learning-rate × damping grid within 1 point (goodMargin) of its best cell as SGD of its learning-rate × momentum grid",
    section: SECTION,
    figure: "robustness-heatmaps",
    check(trials, config) {
      return perArchitecture(robustnessRows(trials, config), "kfac", "sgd", (k, s) => ({
        pass: (k.robustness as number) >= (s.robustness as number),
        measured: `kfac ${k.goodCells}/${k.cells} (${pct(k.robustness as number)}) vs sgd ${s.goodCells}/${s.cells} (${pct(s.robustness as number)})`,
      }));
    },
  },
  {
    id: "kfac-diverges-less",
    statement: "On each architecture, KFAC diverges in no larger a fraction of its grid than SGD",
    section: SECTION,
    figure: "robustness-heatmaps",
    check(trials, config) {
      return perArchitecture(robustnessRows(trials, config), "kfac", "sgd", (k, s) => ({
        pass: (k.divergedFraction as number) <= (s.divergedFraction as number),
        measured: `kfac ${k.divergedCells}/${k.cells} diverged vs sgd ${s.divergedCells}/${s.cells}`,
      }));
    },
  },
  {
    id: "kfac-auto-untuned",
    statement: `On each architecture, ${KFAC_AUTO} (adaptive KFAC: one cell, nothing tuned) ends within 1 point (goodMargin) of KFAC's best grid cell`,
    section: SECTION,
    figure: "robustness-heatmaps",
    check(trials, config) {
      return perArchitecture(robustnessRows(trials, config), KFAC_AUTO, "kfac", (auto, k) => {
        const a = auto.bestAccuracy as number | null;
        const best = k.bestAccuracy as number | null;
        return {
          pass: a !== null && best !== null && a >= best - config.goodMargin,
          measured: `${KFAC_AUTO} ${a === null ? "diverged" : pct(a)} vs kfac's best ${best === null ? "none" : pct(best)}`,
        };
      });
    },
  },
];
