/**
 * `memlab results merge FILES… -o class.csv [--totals learners.csv]`: one class table from
 * learners' exported results (JSON or CSV, this version's or older), one row per learner and
 * exercise, and a per-learner total table. Learners are kept apart by their learner id (a random
 * id per profile), never by the profile's name. A learner who exported twice keeps the further
 * export (said on stderr); two exports of one learner that disagree are a conflict, named. On any
 * error nothing is written.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { CSV_HEADER, OLD_HEADERS, type Row, rowsOf } from '../node/progress/results.js';
import { csvLine, type ExerciseProgress, parseProgress } from '../node/progress/store.js';

const usage = 'memlab results merge FILES… -o class.csv [--totals learners.csv]';

export const TOTALS_HEADER = ['learner_id', 'learner', 'pack', 'exercises', 'correct', 'after_solution', 'gave_up', 'points', 'max_points', 'percent'];

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cells: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (q) {
        if (c === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (c === '"') q = false;
        else cur += c;
      } else if (c === '"') q = true;
      else if (c === ',') {
        cells.push(cur);
        cur = '';
      } else cur += c;
    }
    cells.push(cur);
    rows.push(cells);
  }
  return rows;
}

/** One exported row, where it came from, and (JSON) everything the learner did, in order. */
interface Entry {
  row: Row;
  file: string;
  /** every event of every attempt, oldest first (JSON exports only) */
  trail?: string[];
}

const trailOf = (p: ExerciseProgress): string[] => [...p.history.flatMap((h) => h.events), ...p.events].map((e) => JSON.stringify(e));

const empty = (): Row => Object.fromEntries(CSV_HEADER.map((c) => [c, ''])) as Row;

/** b is a, carried further (the same learner exported again later) */
function extends_(a: Entry, b: Entry): boolean {
  if (a.trail && b.trail) return a.trail.length <= b.trail.length && a.trail.every((e, i) => e === b.trail![i]);
  const n = (r: Row, c: keyof Row) => Number(r[c]) || 0;
  if (n(b.row, 'earlier_attempts') !== n(a.row, 'earlier_attempts')) return n(b.row, 'earlier_attempts') > n(a.row, 'earlier_attempts');
  if (a.row.first_answer && b.row.first_answer !== a.row.first_answer) return false;
  if (a.row.variant !== b.row.variant) return false;
  if (a.row.solution_viewed === 'yes' && b.row.solution_viewed !== 'yes') return false;
  if (a.row.gave_up === 'yes' && b.row.gave_up !== 'yes') return false;
  if (a.row.correct === 'yes' && b.row.correct !== 'yes') return false;
  return n(b.row, 'attempts') >= n(a.row, 'attempts') && n(b.row, 'hints_used') >= n(a.row, 'hints_used') && b.row.last_answer >= a.row.last_answer;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'merge') {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: { output: { type: 'string', short: 'o' }, totals: { type: 'string' } }, allowPositionals: true }));
  } catch (err) {
    process.stderr.write(`memlab results: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (!positionals.length || !values.output) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const say = (s: string) => process.stderr.write(`memlab results: ${s}\n`);
  const entries: Entry[] = [];
  let bad = 0;
  for (const f of positionals) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      say(`cannot read ${f}: ${(err as NodeJS.ErrnoException).code}`);
      bad++;
      continue;
    }
    if (f.endsWith('.json')) {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        say(`${f}: not JSON (${(err as Error).message})`);
        bad++;
        continue;
      }
      const data = parseProgress(raw);
      if (!data.success) {
        const i = data.error.issues[0]!;
        say(`${f}: field ${i.path.join('.') || '(root)'}: ${i.message}`);
        bad++;
        continue;
      }
      // an export from before learner ids: this file is its own learner
      const d = data.migrated ? { ...data.data, learnerId: `file:${basename(f)}` } : data.data;
      if (data.migrated) say(`${f}: an export from before learner ids; its rows are kept as learner '${d.profile}' of this file (${d.learnerId})`);
      const keys = Object.keys(d.exercises).sort((a, b) => a.localeCompare(b));
      rowsOf(d).forEach((row, i) => entries.push({ row, file: f, trail: trailOf(d.exercises[keys[i]!]!) }));
      continue;
    }
    const rows = parseCsv(text);
    const head = rows[0]?.join(',') ?? '';
    const old = OLD_HEADERS.find((h) => h.join(',') === head);
    if (head !== CSV_HEADER.join(',') && !old) {
      say(`${f}:1: expected the header ${CSV_HEADER.join(',')}`);
      bad++;
      continue;
    }
    const cols = old ?? [...CSV_HEADER];
    if (old) say(`${f}: an export from before learner ids; its rows are kept as learners of this file (file:${basename(f)})`);
    rows.slice(1).forEach((r, i) => {
      if (r.length !== cols.length) {
        say(`${f}:${i + 2}: expected ${cols.length} fields, found ${r.length}`);
        bad++;
        return;
      }
      const row = empty();
      cols.forEach((c, j) => {
        if (c === 'profile') row.learner = r[j]!;
        else row[c as keyof Row] = r[j]!;
      });
      if (old) row.learner_id = `file:${basename(f)}`;
      entries.push({ row, file: f });
    });
  }

  // one row per learner (by id) and exercise
  const byKey = new Map<string, Entry>();
  let conflicts = 0;
  let repeated = 0;
  const kept: string[] = [];
  for (const e of entries) {
    const k = [e.row.learner_id, e.row.pack, e.row.exercise].join('\u0000');
    const had = byKey.get(k);
    if (!had) {
      byKey.set(k, e);
      continue;
    }
    const who = `learner '${e.row.learner}' (${e.row.learner_id}), ${e.row.pack}/${e.row.exercise}`;
    if (CSV_HEADER.every((c) => had.row[c] === e.row[c]) && (!had.trail || !e.trail || had.trail.join() === e.trail.join())) {
      repeated++;
      continue;
    }
    if (extends_(had, e)) {
      kept.push(`${who}: kept the further export ${e.file} over ${had.file}`);
      byKey.set(k, e);
    } else if (extends_(e, had)) kept.push(`${who}: kept the further export ${had.file} over ${e.file}`);
    else {
      say(`conflict: ${who} has a different history in ${had.file} and ${e.file} (the same learner id, answers that do not follow one another); nothing was written`);
      conflicts++;
    }
  }
  for (const line of kept) say(line);
  if (bad || conflicts) {
    say(`${bad ? `${bad} problem(s) in the input` : ''}${bad && conflicts ? ', ' : ''}${conflicts ? `${conflicts} conflict(s)` : ''}: no table written`);
    return 1;
  }
  const rows = [...byKey.values()].map((e) => e.row).sort((x, y) => [x.learner, x.learner_id, x.pack, x.exercise].join('\u0000').localeCompare([y.learner, y.learner_id, y.pack, y.exercise].join('\u0000')));

  // per learner and pack: how many done, and the points
  const totals = new Map<string, string[]>();
  for (const r of rows) {
    const k = `${r.learner_id}\u0000${r.pack}`;
    const t = totals.get(k) ?? [r.learner_id, r.learner, r.pack, '0', '0', '0', '0', '0', '0', ''];
    t[3] = String(Number(t[3]) + 1);
    if (r.correct === 'yes' && r.after_solution !== 'yes') t[4] = String(Number(t[4]) + 1);
    if (r.after_solution === 'yes') t[5] = String(Number(t[5]) + 1);
    if (r.gave_up === 'yes') t[6] = String(Number(t[6]) + 1);
    t[7] = String(Math.round((Number(t[7]) + (Number(r.points) || 0)) * 100) / 100);
    t[8] = String(Number(t[8]) + 100);
    t[9] = `${Math.round((Number(t[7]) / Number(t[8])) * 1000) / 10}`;
    totals.set(k, t);
  }
  const totalsFile = values.totals ?? values.output.replace(/(\.csv)?$/i, '-learners.csv');
  writeFileSync(values.output, [[...CSV_HEADER], ...rows.map((r) => CSV_HEADER.map((c) => r[c]))].map(csvLine).join('\n') + '\n');
  writeFileSync(totalsFile, [TOTALS_HEADER, ...totals.values()].map(csvLine).join('\n') + '\n');
  const learners = new Set(rows.map((r) => r.learner_id)).size;
  process.stdout.write(`wrote ${values.output}: ${rows.length} rows of ${learners} learner(s) from ${positionals.length} file(s)${repeated ? `; ${repeated} identical repeated row(s) kept once` : ''}${kept.length ? `; ${kept.length} row(s) replaced by a further export of the same learner` : ''}\nwrote ${totalsFile}: one total per learner and pack\n`);
  return 0;
}
