/**
 * Results for a gradebook: one CSV row per learner and exercise (the current attempt, with the
 * count of earlier ones), and the JSON export with every attempt. `memlab results merge` reads
 * both back (and the older CSV layouts) through `rowsOf`.
 */
import { csvLine, type ExerciseProgress, type PastAttempt, type ProgressEvent, type ProgressFile } from './store.js';

export const CSV_HEADER = [
  'learner_id',
  'learner',
  'pack',
  'pack_version',
  'exercise',
  'attempt',
  'earlier_attempts',
  'variant',
  'params',
  'final_answer',
  'attempts',
  'hints_used',
  'solution_viewed',
  'gave_up',
  'correct',
  'after_solution',
  'points',
  'first_answer',
  'last_answer',
  'time_s',
] as const;
export type Column = (typeof CSV_HEADER)[number];
export type Row = Record<Column, string>;

/** The layouts of memlab 0.1 (before learner ids); read by `results merge`, each mapped onto the current one. */
export const OLD_HEADERS = [
  ['profile', 'pack', 'exercise', 'attempts', 'correct', 'gave_up', 'hints_used', 'time_s', 'points'],
  ['profile', 'pack', 'exercise', 'attempts', 'correct', 'gave_up', 'hints_used', 'time_s'],
];

const iso = (t: number | undefined) => (t === undefined ? '' : new Date(t).toISOString());
const yes = (b: boolean) => (b ? 'yes' : 'no');

/** A recorded answer as a person reads it: "1 GiB", "option 2", or its JSON. */
export function readableAnswer(json: string | undefined): string {
  if (!json) return '';
  try {
    const a = JSON.parse(json) as Record<string, unknown>;
    if ('stage' in a && 'answer' in a) return `${String(a.stage)}: ${readableAnswer(JSON.stringify(a.answer))}`;
    if (typeof a.value === 'string') return a.value;
    if (typeof a.text === 'string') return a.text;
    if (typeof a.choice === 'number') return `option ${a.choice + 1}`;
    if (Array.isArray(a.choices)) return `options ${(a.choices as number[]).map((c) => c + 1).join('+')}`;
    return json;
  } catch {
    return json;
  }
}

const answers = (events: ProgressEvent[]) => events.filter((e) => e.type === 'answer');

/** One row of the current attempt of one exercise. */
export function rowOf(data: Pick<ProgressFile, 'learnerId' | 'profile'>, key: string, p: ExerciseProgress | PastAttempt, earlier: number): Row {
  const cut = key.indexOf('/');
  const ans = answers(p.events);
  const last = ans.at(-1);
  const end = p.solvedAt ?? last?.at;
  const final = last ? (last.stage ? `${last.stage}: ${readableAnswer(last.answer)}` : readableAnswer(last.answer)) : readableAnswer(p.lastAnswer);
  return {
    learner_id: data.learnerId,
    learner: data.profile,
    pack: key.slice(0, cut),
    pack_version: p.packVersion ?? '',
    exercise: key.slice(cut + 1),
    attempt: String(earlier + 1),
    earlier_attempts: String(earlier),
    variant: p.variant === undefined ? '' : String(p.variant),
    params: p.params && Object.keys(p.params).length ? JSON.stringify(p.params) : '',
    final_answer: final,
    attempts: String(p.attempts),
    hints_used: String(p.hintsUsed + Object.values(p.stages).reduce((n, s) => n + s.hintsUsed, 0)),
    solution_viewed: yes(p.solutionViewed || Object.values(p.stages).some((s) => s.solutionViewed)),
    gave_up: yes(p.gaveUp),
    correct: yes(p.correct && !p.gaveUp),
    after_solution: yes(p.afterSolution),
    points: p.points === undefined ? '' : String(p.points),
    first_answer: iso(ans[0]?.at),
    last_answer: iso(last?.at),
    time_s: end !== undefined ? ((end - p.firstSeen) / 1000).toFixed(0) : '',
  };
}

/** Every exercise's current attempt, sorted by pack and exercise. */
export function rowsOf(data: ProgressFile): Row[] {
  return Object.entries(data.exercises)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, p]) => rowOf(data, k, p, p.history.length));
}

export function toCsv(data: ProgressFile): string {
  return [CSV_HEADER as readonly string[], ...rowsOf(data).map((r) => CSV_HEADER.map((c) => r[c]))].map((r) => csvLine([...r])).join('\n') + '\n';
}
