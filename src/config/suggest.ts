/** "Did you mean" suggestions for mistyped keys, experiment names and commands. */

/**
 * Levenshtein edit distance (insertions, deletions, substitutions, each of cost 1), by the classic dynamic
 * programme over prefixes (Wagner & Fischer 1974) with a single rolling row.
 */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * The candidates closest to `word` (case-insensitive), at most `limit`, among those within a distance of
 * max(2, ⌊|word|/3⌋) — but less than the longer word's length, so that nothing is "close" by replacing every
 * letter (`lr` is not a typo of `d`) — or having `word` as a prefix; empty when none is close.
 */
export function closest(word: string, candidates: readonly string[], limit = 3): string[] {
  const w = word.toLowerCase();
  const threshold = Math.max(2, Math.floor(word.length / 3));
  return candidates
    .map((c) => ({ c, d: c.toLowerCase().startsWith(w) ? 0.5 : editDistance(w, c.toLowerCase()) }))
    .filter(({ c, d }) => d <= threshold && d < Math.max(w.length, c.length))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, limit)
    .map(({ c }) => c);
}
