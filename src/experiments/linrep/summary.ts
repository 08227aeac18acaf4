/**
 * Summaries and figure rows shared by the linrep experiments: grouping trials by sweep point, medians with
 * "not reached" counted as infinitely many steps, and the theory curves drawn over the measured ones.
 */
import type { TrialRecord } from "../types.js";
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
 * Dashed theory curves d(t) = d(t_a)·ρ^{t − t_a} from the start t_a of the linear phase (means over seeds), one
 * per algorithm and facet whose theory is exact, down to 1e-4 or the last logged step.
 */
export function theoryDistanceRows<P extends LinrepSharedPoint>(
  trials: readonly TrialRecord<P>[],
  facet: readonly string[],
): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  const groups = new Map<string, TrialRecord<P>[]>();
  for (const t of trials) {
    if (t.status !== "done" || t.info.theoryKind !== "exact" || t.scalars.theoryRate == null) continue;
    const key = JSON.stringify(pointGroup(t.point, facet));
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  for (const [key, members] of groups) {
    const mean = (name: string) => members.reduce((s, t) => s + (t.scalars[name] ?? 0), 0) / members.length;
    const rate = mean("theoryRate");
    const start = Math.round(mean("phaseStartStep"));
    const d0 = mean("phaseStartDistance");
    const end = Math.max(...members.map((t) => t.series.subspace?.steps.at(-1) ?? start));
    const group = JSON.parse(key) as Record<string, string | number>;
    const stride = Math.max(1, Math.ceil((end - start) / 200));
    for (let step = start; step <= end; step += stride) {
      const y = d0 * Math.pow(rate, step - start);
      if (!(y >= 1e-4)) {
        rows.push({ ...group, step, y: 1e-4 });
        break;
      }
      rows.push({ ...group, step, y });
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
