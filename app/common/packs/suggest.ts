/** "Did you mean": the nearest of some names to a misspelt one, when it is near enough to be a typo. */
import { distance } from 'fastest-levenshtein';

export function closest(word: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const n of names) {
    const d = distance(w, n.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  // a typo: a few edits, and fewer than half the word
  return best !== undefined && bestD > 0 && bestD <= Math.max(1, Math.min(3, Math.floor(word.length / 2))) ? best : undefined;
}

/** " (did you mean 'x'?)" or "" */
export function didYouMean(word: string, names: Iterable<string>): string {
  const c = closest(word, names);
  return c ? ` (did you mean '${c}'?)` : '';
}
