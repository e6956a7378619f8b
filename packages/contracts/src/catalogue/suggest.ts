/**
 * "Did you mean …?" for misspelt names (config keys, body fields, lot fields): the closest name of
 * a catalogue by edit distance, so an unknown key is reported with the name the user most likely
 * meant instead of being ignored silently.
 */

/**
 * Optimal-string-alignment distance: insertions, deletions, substitutions and transpositions of
 * two adjacent characters each cost 1 (`stratgy` → `strategy` is 1, `chnageover` → `changeover` is 1).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  // Three rolling rows: the transposition step looks two rows back.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}

/**
 * Edits allowed before a name is no longer "close": about one per three characters, at least 1 and
 * at most 3, so short names do not match everything (`id` is not a typo of `seed`).
 */
const maxEditsFor = (word: string): number => Math.max(1, Math.min(3, Math.floor(word.length / 3)));

/**
 * The candidate closest to `word` (case-insensitive, `-` and ` ` read as `_`), or undefined when
 * none is close. Ties go to the earlier candidate, so the catalogue's order decides.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[\s-]/g, '_');
  const w = norm(word);
  let best: string | undefined;
  let bestDistance = maxEditsFor(w) + 1;
  for (const c of candidates) {
    const d = editDistance(w, norm(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** `" (did you mean 'strategy'?)"`, or `""` when nothing is close: appended to an "is ignored" warning. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}
