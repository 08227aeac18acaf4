/**
 * The claims of the linear representation learning experiments (docs/linrep.md, "Claims"), checked on a run's
 * own trials. test/experiments/linrep/claims.test.ts runs the real trials at a small size and asserts these same checks.
 */
import type { Claim, ClaimResult } from "../../results/claims.js";
import { num } from "../../results/claims.js";
import type { SummaryRow, TrialRecord } from "../../results/records.js";
import type { LinrepSharedConfig, LinrepSharedPoint } from "./schema.js";
import { kappaRows } from "./summary.js";

const SECTION = "Linear representation learning";

/** Step counts this close count as equal: counts of a few steps move by that much with the seed and the grid. */
export const FLAT_STEPS = 6;

/** Steps spread within 2× or within FLAT_STEPS steps; false when any setting missed the budget. */
export function flat(steps: readonly (number | null)[]): boolean {
  if (steps.length === 0 || steps.some((s) => s === null)) return false;
  const xs = steps as number[];
  const lo = Math.max(1, Math.min(...xs));
  const hi = Math.max(...xs);
  return hi - lo <= FLAT_STEPS || hi / lo <= 2;
}

/** "a–b" range of step counts, "not reached" for censored ones. */
function range(steps: readonly (number | null)[]): string {
  if (steps.some((s) => s === null)) return `${steps.map(num).join(", ")} steps`;
  const xs = steps as number[];
  return `${num(Math.min(...xs))}–${num(Math.max(...xs))} steps over ${xs.length} settings`;
}

type Rows = SummaryRow[];
const of = (rows: Rows, algorithm: string) => rows.filter((r) => r.algorithm === algorithm);
const steps = (r: SummaryRow | undefined) => (r?.stepsToTarget ?? null) as number | null;
const at = (rows: Rows, algorithm: string, kappaX: number, kappaF: number) =>
  rows.find((r) => r.algorithm === algorithm && r.kappaX === kappaX && r.kappaF === kappaF);

/** A claim on the `linrep-kappa` summary rows. */
function kappaClaim(
  spec: Omit<Claim<LinrepSharedConfig, LinrepSharedPoint>, "check">,
  check: (rows: Rows) => ClaimResult | null,
): Claim<LinrepSharedConfig, LinrepSharedPoint> {
  return { ...spec, check: (trials: TrialRecord<LinrepSharedPoint>[]) => check(kappaRows(trials)) };
}

/** In log-rate, measured and theory agree when ln ρ_measured / ln ρ_theory lies in this range. */
export const RATE_AGREEMENT: readonly [number, number] = [0.8, 1.25];

export const linrepKappaClaims: readonly Claim<LinrepSharedConfig, LinrepSharedPoint>[] = [
  kappaClaim(
    {
      id: "kfac-flat",
      statement: `KFAC's steps to target are condition-number-free: within 2× (or ${FLAT_STEPS} steps) over every κₓ × κ_F`,
      section: SECTION,
      figure: "steps-vs-kappa",
    },
    (rows) => {
      const kfac = of(rows, "kfac");
      if (kfac.length < 2) return null;
      const s = kfac.map(steps);
      return { pass: flat(s), measured: range(s) };
    },
  ),
  kappaClaim(
    {
      id: "sgd-grows",
      statement: "SGD's steps grow ≥ 10× from κₓ = 1 to κₓ = 100 at κ_F = 1 (or miss the budget)",
      section: SECTION,
      figure: "steps-vs-kappa",
    },
    (rows) => {
      const easy = at(rows, "sgd", 1, 1);
      const hard = at(rows, "sgd", 100, 1);
      if (!easy || !hard) return null;
      const [e, h] = [steps(easy), steps(hard)];
      const pass = e !== null && (h === null || h / e >= 10);
      const factor = e !== null && h !== null ? ` (${num(h / e)}×)` : "";
      return { pass, measured: `${num(e)} → ${num(h)} steps${factor}` };
    },
  ),
  kappaClaim(
    {
      id: "one-sided",
      statement: `One-sided preconditioning removes κₓ (steps within 2× or ${FLAT_STEPS} steps over κₓ at κ_F = 1) but not κ_F (≥ 2× more steps at the largest κ_F)`,
      section: SECTION,
      figure: "steps-vs-kappa",
    },
    (rows) => {
      const base = of(rows, "one-sided").filter((r) => r.kappaF === 1);
      const kappaFs = of(rows, "one-sided").map((r) => r.kappaF as number);
      const topF = Math.max(...kappaFs);
      const minX = Math.min(...base.map((r) => r.kappaX as number));
      const hard = at(rows, "one-sided", minX, topF);
      if (base.length < 2 || topF <= 1 || !hard) return null;
      const s = base.map(steps);
      const worst = flat(s) ? Math.max(...(s as number[])) : null;
      const h = steps(hard);
      const pass = worst !== null && (h === null || h >= 2 * worst);
      return { pass, measured: `κ_F = 1: ${range(s)}; κ_F = ${topF}: ${num(h)} steps` };
    },
  ),
  kappaClaim(
    {
      id: "ngd-slower",
      statement: "Damped natural gradient with its best damping needs at least as many steps as KFAC at the largest κₓ",
      section: SECTION,
      figure: "steps-vs-kappa",
    },
    (rows) => {
      const topX = Math.max(...of(rows, "kfac").map((r) => r.kappaX as number));
      const pairs = of(rows, "kfac")
        .filter((r) => r.kappaX === topX)
        .map((k) => ({ kappaF: k.kappaF, kfac: steps(k), ngd: steps(at(rows, "ngd", topX, k.kappaF as number)) }))
        .filter((p) => at(rows, "ngd", topX, p.kappaF as number));
      if (pairs.length === 0) return null;
      const pass = pairs.every((p) => p.kfac !== null && (p.ngd === null || p.ngd >= p.kfac));
      const measured = pairs.map((p) => `κ_F = ${p.kappaF}: ngd ${num(p.ngd)} vs kfac ${num(p.kfac)}`).join("; ");
      return { pass, measured: `κₓ = ${topX}: ${measured}` };
    },
  ),
  kappaClaim(
    {
      id: "theory-rates",
      statement: `The linearised theory predicts the measured linear rates: ln ρ_measured / ln ρ_theory ∈ [${RATE_AGREEMENT.join(", ")}] wherever both exist`,
      section: SECTION,
      figure: "rates-vs-kappa",
    },
    (rows) => {
      const compared = rows.filter((r) => r.theoryKind === "exact" && r.measuredRate !== null);
      if (compared.length === 0) return null;
      const ratios = compared.map((r) => Math.log(r.measuredRate as number) / Math.log(r.theoryRate as number));
      const pass = ratios.every((q) => q >= RATE_AGREEMENT[0] && q <= RATE_AGREEMENT[1]);
      return {
        pass,
        measured: `${compared.length} rows, ratio ${num(Math.min(...ratios))}–${num(Math.max(...ratios))}`,
      };
    },
  ),
];

/** The `linrep-stability` claim, on the convergent cells of a run (`convergentCells` of its summary). */
export function stabilityClaim(
  ranges: (
    trials: TrialRecord<LinrepSharedPoint & { eta: number; lambda: number }>[],
  ) => Record<string, { convergent: number; cells: number }>,
): Claim<LinrepSharedConfig, LinrepSharedPoint & { eta: number; lambda: number }> {
  return {
    id: "kfac-wider",
    statement: "KFAC converges on more (step size × damping) cells than damped natural gradient",
    section: SECTION,
    figure: "stability",
    check: (trials) => {
      const { kfac, ngd } = ranges(trials);
      if (!kfac || !ngd) return null;
      return {
        pass: kfac.convergent > ngd.convergent,
        measured: `kfac ${kfac.convergent}/${kfac.cells} cells, ngd ${ngd.convergent}/${ngd.cells}`,
      };
    },
  };
}
