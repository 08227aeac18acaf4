/**
 * Summaries and figure rows shared by the linrep experiments: grouping trials by sweep point, medians with
 * "not reached" counted as infinitely many steps, and the theory curves drawn over the measured ones.
 */
import type { SummaryRow, TrialRecord } from "../../results/records.js";
import type { LinrepSharedPoint } from "./schema.js";

/** Finished trials grouped by sweep point, in point order. */
export function groupByPoint<P>(trials: readonly TrialRecord<P>[]): { point: P; members: TrialRecord<P>[] }[] {
  const groups = new Map<number, { point: P; members: TrialRecord<P>[] }>();
  for (const t of trials) {
    if (t.status !== "done") continue;
    const g = groups.get(t.pointIndex) ?? { point: t.point, members: [] };
    g.members.push(t);
    groups.set(t.pointIndex, g);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}

/**
 * The median of `values` where null means "not reached" (+∞): null when the median itself is not reached or
 * there are no values. Even counts average the two middle values.
 */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const xs = values.map((v) => (typeof v === "number" && !Number.isNaN(v) ? v : Infinity)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const m = xs.length % 2 === 1 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
  return Number.isFinite(m) ? m : null;
}

/** The fields that identify a curve: the algorithm and the swept κ values shown as facets. */
export function pointGroup(point: LinrepSharedPoint, facet: readonly string[]): Record<string, string | number> {
  const group: Record<string, string | number> = { algorithm: point.algorithm };
  for (const key of facet) group[key] = point[key as "kappaX" | "kappaF"];
  return group;
}

/**
 * Dashed theory curves: the linearised theory's distance curve from the start of each run's linear phase (the
 * series `theorySubspace`, trial.ts), averaged over seeds step by step, one per algorithm and facet, down to 1e-4;
 * at most about 200 points per curve.
 */
export function theoryDistanceRows<P extends LinrepSharedPoint>(
  trials: readonly TrialRecord<P>[],
  facet: readonly string[],
): Record<string, string | number>[] {
  const groups = new Map<string, Map<number, number[]>>();
  for (const t of trials) {
    const curve = t.series.theorySubspace;
    if (t.status !== "done" || !curve) continue;
    const key = JSON.stringify(pointGroup(t.point, facet));
    const byStep = groups.get(key) ?? new Map<number, number[]>();
    curve.steps.forEach((step, i) => byStep.set(step, [...(byStep.get(step) ?? []), curve.values[i]]));
    groups.set(key, byStep);
  }
  const rows: Record<string, string | number>[] = [];
  for (const [key, byStep] of groups) {
    const group = JSON.parse(key) as Record<string, string | number>;
    const steps = [...byStep.keys()].sort((a, b) => a - b);
    const stride = Math.max(1, Math.ceil(steps.length / 200));
    for (let i = 0; i < steps.length; i += stride) {
      const values = byStep.get(steps[i])!;
      const y = values.reduce((a, b) => a + b, 0) / values.length;
      rows.push({ ...group, step: steps[i], y: Math.max(y, 1e-4) });
      if (y < 1e-4) break;
    }
  }
  return rows;
}

/**
 * Band rows made drawable on a log axis: the mean and the band edges are floored at `floor`, and a lower edge
 * mean − std at or below zero is drawn at a tenth of the mean (the band is then a one-sided indication).
 */
export function logAxisBands<R extends { mean: number; lo: number; hi: number }>(
  rows: readonly R[],
  floor = 1e-6,
): R[] {
  return rows.map((r) => {
    const mean = Math.max(r.mean, floor);
    const lo = r.lo > 0 ? Math.max(r.lo, floor) : Math.max(mean / 10, floor);
    return { ...r, mean, lo, hi: Math.max(r.hi, floor) };
  });
}

/**
 * One summary row per (algorithm, κₓ, κ_F): medians over seeds. `theoryKind` is "exact" when at least one seed
 * has both an exact theory rate and a measured linear-phase rate; `theoryRate` is then the median over those
 * seeds (the head, hence the theory, differs from seed to seed).
 */
export function kappaRows(trials: TrialRecord<LinrepSharedPoint>[]): SummaryRow[] {
  return groupByPoint(trials).map(({ point, members }) => {
    const kinds = members.map((t) => String(t.info.theoryKind ?? "none"));
    const theoryKind = kinds.includes("exact") ? "exact" : kinds[0];
    const comparable = members.filter((_, i) => kinds[i] === theoryKind);
    const finite = (group: TrialRecord<LinrepSharedPoint>[], name: string) =>
      median(group.map((t) => t.scalars[name] ?? null).filter((v) => v !== null));
    return {
      algorithm: point.algorithm,
      kappaX: point.kappaX,
      kappaF: point.kappaF,
      stepsToTarget: median(members.map((t) => t.scalars.stepsToTarget ?? null)),
      predictedSteps: finite(comparable, "predictedSteps"),
      measuredRate: finite(members, "measuredRate"),
      theoryRate: finite(comparable, "theoryRate"),
      theoryKind,
      asymptoticRate: finite(comparable, "asymptoticRate"),
      lr: median(members.map((t) => t.info.lr as number)),
      damping: median(members.map((t) => t.info.damping as number)),
      reached: members.filter((t) => t.scalars.stepsToTarget != null).length,
      seeds: members.length,
    };
  });
}
