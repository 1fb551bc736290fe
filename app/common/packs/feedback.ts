/**
 * Feedback that teaches, for the kinds whose answer is a pick among the pack's own texts (choice,
 * multiple, ordering, matching) and for short text. The message always names what the learner
 * chose; the diagnosis (Markdown) is the pack's misconception for that answer, else the chosen
 * option's own reason (`why`), else nothing more — never a bare "wrong".
 *
 * What a reason may give away: a wrong answer shows the reasons of what the learner chose wrongly
 * (the option picked, the options picked that do not apply, the items out of place, the right-hand
 * sides matched wrongly) — never the reason of an option they did not choose, which would point
 * at the answer.
 */
import type { CheckResult } from './checkers.js';
import type { Exercise } from './schema.js';

type Of<K extends Exercise['kind']> = Extract<Exercise, { kind: K }>;

const q = (s: string) => `“${s}”`;
/** "a", "a and b", "a, b and c" */
const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
const joinWhy = (parts: Array<[string, string | undefined]>) => {
  const with_ = parts.filter((p): p is [string, string] => !!p[1]);
  if (!with_.length) return undefined;
  if (with_.length === 1 && parts.length === 1) return with_[0]![1];
  return with_.map(([label, why]) => `**${label}**: ${why}`).join('\n\n');
};

function misconception(ex: Exercise, matches: (a: string | number | number[]) => boolean): string | undefined {
  return ex.misconceptions.find((m) => matches(m.answer))?.says;
}

export function choiceFeedback(ex: Of<'choice'>, choice: number): CheckResult {
  const chosen = ex.options[choice]!;
  const why = ex.why[choice];
  if (choice === ex.answer) return { verdict: 'correct', message: `You chose ${q(chosen)}: right.`, ...(why ? { diagnosis: why } : {}) };
  const diagnosis = misconception(ex, (m) => m === choice) ?? why;
  return { verdict: 'incorrect', message: `You chose ${q(chosen)}, which is not the answer.`, ...(diagnosis ? { diagnosis } : {}) };
}

export function multipleFeedback(ex: Of<'multiple'>, choices: number[]): CheckResult {
  const want = new Set(ex.answer);
  const got = new Set(choices);
  let right = 0;
  for (let i = 0; i < ex.options.length; i++) if (want.has(i) === got.has(i)) right++;
  const partial = right / ex.options.length;
  const picked = [...got].sort((a, b) => a - b);
  const named = list(picked.map((i) => q(ex.options[i]!)));
  if (partial === 1) return { verdict: 'correct', message: `You chose ${named}: exactly those.`, partial };
  const wrongPicks = picked.filter((i) => !want.has(i));
  const missed = ex.answer.filter((i) => !got.has(i)).length;
  const parts = [
    wrongPicks.length ? `${list(wrongPicks.map((i) => q(ex.options[i]!)))} ${wrongPicks.length === 1 ? 'does' : 'do'} not apply` : '',
    missed ? `${missed === 1 ? 'one option that applies was' : `${missed} options that apply were`} left out` : '',
  ].filter(Boolean);
  const sorted = picked.join(',');
  const diagnosis =
    misconception(ex, (m) => Array.isArray(m) && [...m].sort((a, b) => a - b).join(',') === sorted) ?? joinWhy(wrongPicks.map((i) => [ex.options[i]!, ex.why[i]]));
  return {
    verdict: 'incorrect',
    message: `You chose ${named}: ${right} of ${ex.options.length} options judged right; ${parts.join(', and ')}.`,
    partial,
    ...(diagnosis ? { diagnosis } : {}),
  };
}

export function orderingFeedback(ex: Of<'ordering'>, order: string[]): CheckResult {
  const inPlace = order.filter((x, i) => ex.items[i] === x).length;
  const partial = inPlace / ex.items.length;
  if (partial === 1) return { verdict: 'correct', message: 'You put every item in its place.', partial };
  // the first two neighbours the learner put the wrong way round
  const rank = (x: string) => ex.items.indexOf(x);
  const i = order.findIndex((x, j) => j + 1 < order.length && rank(x) > rank(order[j + 1]!));
  const a = order[i]!;
  const b = order[i + 1]!;
  const diagnosis = joinWhy([
    [b, ex.why[rank(b)]],
    [a, ex.why[rank(a)]],
  ]);
  return {
    verdict: 'incorrect',
    message: `${inPlace} of ${ex.items.length} in the right place. You put ${q(a)} before ${q(b)}: which of the two has to happen first?`,
    partial,
    ...(diagnosis ? { diagnosis } : {}),
  };
}

export function matchingFeedback(ex: Of<'matching'>, matches: Record<string, string>): CheckResult {
  const right = ex.pairs.filter(([l, r]) => matches[l] === r).length;
  const partial = right / ex.pairs.length;
  if (partial === 1) return { verdict: 'correct', message: 'You matched every item.', partial };
  const wrong = ex.pairs.filter(([l, r]) => matches[l] !== r).map(([l]) => l);
  const first = wrong[0]!;
  const chosen = matches[first]!;
  const why = (rhs: string) => ex.why[ex.pairs.findIndex((p) => p[1] === rhs)];
  const diagnosis = joinWhy(wrong.map((l) => [matches[l]!, why(matches[l]!)]));
  return {
    verdict: 'incorrect',
    message: `${right} of ${ex.pairs.length} matched correctly. You matched ${q(first)} with ${q(chosen)}${wrong.length > 1 ? ` (and ${wrong.length - 1} more not right)` : ''}.`,
    partial,
    ...(diagnosis ? { diagnosis } : {}),
  };
}

/** A short answer as people write it: case, spaces, quotes and backticks, "()", "(2)" and a final full stop do not matter. */
export function normaliseText(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/[`"'“”‘’]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*\((\d)?\)$/, '')
    .replace(/[.!?]+$/, '')
    .trim();
}

export function textFeedback(ex: Of<'text'>, typed: string, ok: boolean): CheckResult {
  if (ok) return { verdict: 'correct', message: `You wrote ${q(typed)}: right.` };
  const t = normaliseText(typed);
  const diagnosis = misconception(ex, (m) => typeof m === 'string' && normaliseText(m) === t);
  return { verdict: 'incorrect', message: `You wrote ${q(typed)}, which is not the answer.`, ...(diagnosis ? { diagnosis } : {}) };
}
