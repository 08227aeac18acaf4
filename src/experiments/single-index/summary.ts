/** Grouping and statistics over trials shared by the single-index experiments' summaries and plots. */
import type { TrialRecord } from "../../results/records.js";
import { meanStd } from "../../report/charts.js";

/** Finished trials grouped by `keyOf` (first-seen order). */
export function groupBy<P, K extends Record<string, string | number>>(
  trials: readonly TrialRecord<P>[],
  keyOf: (t: TrialRecord<P>) => K,
): { key: K; members: TrialRecord<P>[] }[] {
  const map = new Map<string, { key: K; members: TrialRecord<P>[] }>();
  for (const t of trials) {
    if (t.status !== "done") continue;
    const key = keyOf(t);
    const id = JSON.stringify(key);
    let g = map.get(id);
    if (!g) map.set(id, (g = { key, members: [] }));
    g.members.push(t);
  }
  return [...map.values()];
}

/** Mean and sample standard deviation of scalar `name` over `members` (nulls and non-finite values left out). */
export function scalarStats<P>(
  members: readonly TrialRecord<P>[],
  name: string,
): { mean: number | null; std: number | null } {
  const v = members.map((t) => t.scalars[name]).filter((x): x is number => typeof x === "number");
  const { mean, std, n } = meanStd(v);
  return n === 0 ? { mean: null, std: null } : { mean, std };
}
