/**
 * The claims of `anisotropy` (docs/anisotropy.md), checked per architecture and inputs on a run's own trials: the
 * layer-wise preconditioner's input-side factor undoes the re-conditioning, so KFAC's steps to the target loss
 * stay within 2× over κ, while SGD's (at the step size tuned at κ = 1) grow at least 5×; and the diagnosis arm
 * (KFAC with its damping lowered 1000-fold, arms.ts) stays within 2× where plain KFAC does not.
 *
 * The verdict comes from the 95% bootstrap intervals [low, high] of the medians (summary.ts), never from the medians
 * alone. Over κ₁ < … < κ_m:
 *   KFAC's growth is at most  max_κ high(κ) / min_κ low(κ)      (its upper bound; ∞ when some high is not reached)
 *            and at least     max_κ low(κ) / min_κ high(κ)       (its lower bound)
 *   SGD's growth is at least  low(κ_m) / high(κ₁)                (∞ when low(κ_m) is not reached)
 * "Within 2×" is established when KFAC's upper bound is ≤ 2 and refuted when its lower bound is > 2; "grows ≥ 5×" is
 * established when SGD's lower bound is ≥ 5. A claim passes only when every part of it is established; otherwise
 * the measured text says which part is refuted and which is undecided (the intervals straddle the threshold).
 */
import type { Claim } from "../../results/claims.js";
import { num } from "../../results/claims.js";
import type { SummaryRow } from "../../results/records.js";
import { LOW_DAMPING_ARM, LOW_DAMPING_FACTOR, type ArmName } from "./arms.js";
import { ARCHITECTURES, INPUTS, type AnisotropyConfig, type AnisotropyPoint } from "./schema.js";
import { anisotropyRows } from "./summary.js";

/** KFAC's steps to target may grow by at most this factor from the smallest to the largest κ. */
export const KFAC_MAX_GROWTH = 2;
/** SGD's steps to target must grow by at least this factor (or miss the target) at the largest κ. */
export const SGD_MIN_GROWTH = 5;

/** The interval of one κ: null ends are +∞ (not reached). */
interface Cell {
  kappa: number;
  median: number | null;
  low: number | null;
  high: number | null;
}

const inf = (x: number | null): number => x ?? Infinity;

/** The cells of one optimizer on one panel, sorted by κ; null when fewer than two κ were run. */
export function cellsOf(
  rows: readonly SummaryRow[],
  panel: { architecture: string; inputs: string },
  optimizer: ArmName,
): Cell[] | null {
  const cells = rows
    .filter((r) => r.architecture === panel.architecture && r.inputs === panel.inputs && r.optimizer === optimizer)
    .map((r) => ({
      kappa: r.kappa as number,
      median: r.stepsToTarget as number | null,
      low: r.stepsLow as number | null,
      high: r.stepsHigh as number | null,
    }))
    .sort((a, b) => a.kappa - b.kappa);
  return cells.length >= 2 ? cells : null;
}

/** Bounds on the growth of steps over κ from the intervals (see the module comment); ∞ for "not reached". */
export function growthBounds(cells: readonly Cell[]): { atMost: number; atLeast: number } {
  const lows = cells.map((c) => Math.max(1, inf(c.low)));
  const highs = cells.map((c) => Math.max(1, inf(c.high)));
  const [maxHigh, minLow, maxLow, minHigh] = [
    Math.max(...highs),
    Math.min(...lows),
    Math.max(...lows),
    Math.min(...highs),
  ];
  return {
    // Not reached at some κ's upper end: no finite bound. Not reached anywhere: no growth can be shown.
    atMost: maxHigh === Infinity ? Infinity : maxHigh / minLow,
    atLeast: maxLow === Infinity && minHigh === Infinity ? 1 : Math.max(1, maxLow / minHigh),
  };
}

/** SGD's growth lower bound low(κ_m) / high(κ₁) (∞ when low(κ_m) is not reached; 0 when high(κ₁) is not). */
export function sgdGrowthAtLeast(cells: readonly Cell[]): number {
  const first = inf(cells[0].high);
  const last = inf(cells[cells.length - 1].low);
  if (first === Infinity) return last === Infinity ? 1 : 0;
  return last / Math.max(1, first);
}

const steps = (x: number | null) => (x === null ? "∞" : num(x));
const describe = (cells: readonly Cell[]) =>
  cells.map((c) => `κ ${num(c.kappa)}: ${steps(c.median)} [${steps(c.low)}, ${steps(c.high)}]`).join("; ");
const times = (x: number) => (x === Infinity ? "∞" : `${num(x)}×`);

/** "established", "refuted" or "undecided" for "within 2×", from the growth bounds. */
function flatVerdict(bounds: { atMost: number; atLeast: number }): "established" | "refuted" | "undecided" {
  if (bounds.atMost <= KFAC_MAX_GROWTH) return "established";
  return bounds.atLeast > KFAC_MAX_GROWTH ? "refuted" : "undecided";
}

function panelClaims(architecture: string, inputs: string): Claim<AnisotropyConfig, AnisotropyPoint>[] {
  const panel = { architecture, inputs };
  const section = `Beyond the paper: anisotropy (${architecture}, ${inputs} inputs)`;
  return [
    {
      id: `${architecture}-${inputs}`,
      statement:
        `${architecture}, ${inputs} inputs: KFAC's steps to the target stay within ${KFAC_MAX_GROWTH}× over κ while ` +
        `SGD's grow ≥ ${SGD_MIN_GROWTH}× (decided by the 95% bootstrap intervals)`,
      section,
      figure: "steps-vs-kappa",
      check(trials) {
        const rows = anisotropyRows(trials);
        const kfac = cellsOf(rows, panel, "kfac");
        const sgd = cellsOf(rows, panel, "sgd");
        if (!kfac || !sgd) return null;
        const bounds = growthBounds(kfac);
        const flat = flatVerdict(bounds);
        const sgdGrowth = sgdGrowthAtLeast(sgd);
        const slows = sgdGrowth >= SGD_MIN_GROWTH ? "established" : "not established";
        return {
          pass: flat === "established" && slows === "established",
          measured:
            `KFAC ${describe(kfac)}: growth between ${times(bounds.atLeast)} and ${times(bounds.atMost)}, ` +
            `within ${KFAC_MAX_GROWTH}× ${flat}. SGD ${describe(sgd)}: growth ≥ ${times(sgdGrowth)}, ` +
            `≥ ${SGD_MIN_GROWTH}× ${slows}`,
        };
      },
    },
    {
      id: `${architecture}-${inputs}-damping`,
      statement:
        `${architecture}, ${inputs} inputs (diagnosis): KFAC with its damping × ${LOW_DAMPING_FACTOR} ` +
        `(${LOW_DAMPING_ARM}) stays within ${KFAC_MAX_GROWTH}× over κ`,
      section,
      figure: "steps-vs-kappa",
      check(trials) {
        const cells = cellsOf(anisotropyRows(trials), panel, LOW_DAMPING_ARM);
        if (!cells) return null;
        const bounds = growthBounds(cells);
        const flat = flatVerdict(bounds);
        return {
          pass: flat === "established",
          measured: `${describe(cells)}: growth between ${times(bounds.atLeast)} and ${times(bounds.atMost)}, within ${KFAC_MAX_GROWTH}× ${flat}`,
        };
      },
    },
  ];
}

export const anisotropyClaims: readonly Claim<AnisotropyConfig, AnisotropyPoint>[] = ARCHITECTURES.flatMap((a) =>
  INPUTS.flatMap((i) => panelClaims(a, i)),
);
