/** memlab pack new | build | schema and memlab results merge, end to end on real files. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkPack, run as pack } from '../../app/cli/pack.js';
import { run as results } from '../../app/cli/results.js';
import { packJsonSchemas, schemaFileText } from '../../app/common/packs/jsonschema.js';
import { EXERCISE_KINDS } from '../../app/common/packs/schema.js';
import { loadPack } from '../../app/node/packs/loader.js';
import { ProgressStore } from '../../app/node/progress/store.js';
import { capture } from '../cli-capture.js';

afterEach(() => vi.restoreAllMocks());

describe('memlab pack new, build and check', () => {
  it('scaffolds one exercise of every kind, and the scaffold passes check', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'new-')), 'my-pack');
    capture();
    expect(await pack(['new', dir])).toBe(0);
    const p = await loadPack(dir);
    expect(p.id).toBe('my-pack');
    expect(new Set([...p.exercises.values()].map((e) => e.exercise.kind))).toEqual(new Set(EXERCISE_KINDS));
    expect(checkPack(p)).toEqual([]);
    expect(await pack(['new', dir])).toBe(1); // never overwrites
    expect(await pack(['new', join(dir, '..', 'Bad Name')])).toBe(2);
  });
  it('builds a .memlab that opens to the same pack', async () => {
    const base = mkdtempSync(join(tmpdir(), 'build-'));
    const dir = join(base, 'zipped');
    const file = join(base, 'zipped.memlab');
    const c = capture();
    await pack(['new', dir]);
    expect(await pack(['build', dir, '-o', file])).toBe(0);
    expect(c.out()).toContain(`wrote ${file}`);
    const p = await loadPack(file);
    expect([...p.exercises.keys()].sort()).toEqual([...(await loadPack(dir)).exercises.keys()].sort());
    expect(checkPack(p)).toEqual([]);
  });
  it('refuses to build a pack with problems, naming them', async () => {
    const base = mkdtempSync(join(tmpdir(), 'build-'));
    const dir = join(base, 'broken');
    const c = capture();
    await pack(['new', dir]);
    writeFileSync(join(dir, 'choice.md'), readFileSync(join(dir, 'choice.md'), 'utf8').replace('answer: 0', 'answer: 7'));
    expect(await pack(['build', dir, '-o', join(base, 'b.memlab')])).toBe(1);
    expect(c.err()).toMatch(/choice\.md:\d+ \(answer\): answer 7 is not one of the 3 options/);
    expect(existsSync(join(base, 'b.memlab'))).toBe(false);
  });
  it('prints usage and exits 2 on a wrong command line', async () => {
    const c = capture();
    expect(await pack(['build', 'x'])).toBe(2);
    expect(c.err()).toContain('memlab pack build DIR -o FILE.memlab');
  });
});

describe('the published JSON Schema', () => {
  it('is what the zod schemas say today (regenerate: memlab pack schema -o exercises/schema)', () => {
    for (const [name, doc] of Object.entries(packJsonSchemas())) {
      expect(readFileSync(join(import.meta.dirname, '..', '..', 'exercises', 'schema', name), 'utf8'), name).toBe(schemaFileText(doc));
    }
  });
  it('knows every exercise kind', () => {
    const text = JSON.stringify(packJsonSchemas()['exercise.schema.json']);
    for (const k of EXERCISE_KINDS) expect(text).toContain(`"const":"${k}"`);
  });
});

describe('memlab results merge', () => {
  /** a learner's JSON export: solved exercises (2 attempts, 1 hint, 90 points), tried ones */
  async function exported(profile: string, solved: string[], tried: string[], dir = mkdtempSync(join(tmpdir(), 'res-'))) {
    const s = new ProgressStore(dir, profile);
    const at = 1_700_000_000_000;
    for (const k of solved)
      await s.update(k, (x) => ({ ...x, attempts: 2, hintsUsed: 1, correct: true, solvedAt: x.firstSeen + 90_000, events: [{ at, type: 'answer', answer: '{"value":"1"}', verdict: 'incorrect' }, { at: at + 1, type: 'answer', answer: '{"value":"2"}', verdict: 'correct' }] }));
    for (const k of tried) await s.update(k, (x) => ({ ...x, attempts: 3 }));
    await s.flush();
    const f = join(mkdtempSync(join(tmpdir(), 'res-out-')), `${profile}.json`);
    // as progress.export writes it: each record with its points
    const snap = s.snapshot;
    writeFileSync(f, JSON.stringify({ ...snap, exercises: Object.fromEntries(Object.entries(snap.exercises).map(([k, x]) => [k, { ...x, points: x.correct ? 90 : 0 }])) }));
    return { file: f, id: s.learnerId, store: s };
  }
  const table = (f: string) => {
    const [head, ...rows] = readFileSync(f, 'utf8').trim().split('\n').map((l) => l.split(','));
    return rows.map((r) => Object.fromEntries(head!.map((c, i) => [c, r[i]!])));
  };

  it('keeps two learners who both kept the profile name "default" apart, by their learner ids', async () => {
    const a = await exported('default', ['p/one'], []);
    const b = await exported('default', ['p/one'], ['p/two']);
    expect(a.id).not.toBe(b.id);
    const out = join(mkdtempSync(join(tmpdir(), 'res-')), 'class.csv');
    const c = capture();
    expect(await results(['merge', a.file, b.file, '-o', out])).toBe(0);
    const rows = table(out);
    expect(rows.map((r) => [r.learner_id, r.learner, r.exercise]).sort()).toEqual([[a.id, 'default', 'one'], [b.id, 'default', 'one'], [b.id, 'default', 'two']].sort());
    expect(c.out()).toContain('3 rows of 2 learner(s)');
    expect(c.out()).not.toMatch(/repeated|replaced/);
    // and a per-learner total table
    const totals = table(out.replace(/\.csv$/, '-learners.csv'));
    expect(totals.map((t) => [t.learner_id, t.exercises, t.correct, t.points, t.max_points]).sort()).toEqual([[a.id, '1', '1', '90', '100'], [b.id, '2', '1', '90', '200']].sort());
  });

  it('joins JSON and CSV exports (also from before learner ids) into one class table', async () => {
    const a = await exported('ana', ['p/one', 'p/two'], ['p/three']);
    const csv = join(mkdtempSync(join(tmpdir(), 'res-')), 'cy.csv');
    writeFileSync(csv, 'profile,pack,exercise,attempts,correct,gave_up,hints_used,time_s\ncy,p,one,1,yes,no,0,30\n');
    const out = join(mkdtempSync(join(tmpdir(), 'res-')), 'class.csv');
    const c = capture();
    expect(await results(['merge', a.file, csv, '-o', out])).toBe(0);
    const rows = table(out);
    expect(rows.map((r) => [r.learner, r.exercise, r.attempts, r.correct, r.points, r.final_answer]).sort()).toEqual(
      [['ana', 'one', '2', 'yes', '90', '2'], ['ana', 'two', '2', 'yes', '90', '2'], ['ana', 'three', '3', 'no', '0', ''], ['cy', 'one', '1', 'yes', '', '']].sort(),
    );
    expect(rows.find((r) => r.learner === 'cy')!.learner_id).toBe('file:cy.csv');
    expect(c.err()).toContain('before learner ids');
  });

  it('a learner who exported twice keeps the further export, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'res-'));
    const early = await exported('ana', ['p/one'], [], dir);
    // the same learner (same data dir, same id) goes on and exports again
    await early.store.update('p/two', (x) => ({ ...x, attempts: 1 }));
    await early.store.update('p/one', (x) => ({ ...x, events: [...x.events, { at: 1_800_000_000_000, type: 'hint' }] }));
    const late = join(mkdtempSync(join(tmpdir(), 'res-')), 'late.json');
    writeFileSync(late, JSON.stringify(early.store.snapshot));
    // (the early file carries points, the late one not: they still follow one another by their histories)
    const out = join(dir, 'class.csv');
    const c = capture();
    expect(await results(['merge', early.file, late, '-o', out])).toBe(0);
    expect(table(out).map((r) => r.exercise).sort()).toEqual(['one', 'two']);
    expect(c.err()).toContain(`learner 'ana' (${early.id}), p/one: kept the further export ${late}`);
  });

  it('a true conflict (one learner id, two histories) is named, and nothing is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'res-'));
    const a = await exported('ana', ['p/one'], [], dir);
    const other = JSON.parse(readFileSync(a.file, 'utf8'));
    other.exercises['p/one'].events[1].answer = '{"value":"3"}';
    const b = join(mkdtempSync(join(tmpdir(), 'res-')), 'b.json');
    writeFileSync(b, JSON.stringify(other));
    const out = join(dir, 'class.csv');
    const c = capture();
    expect(await results(['merge', a.file, b, '-o', out])).toBe(1);
    expect(c.err()).toContain(`conflict: learner 'ana' (${a.id}), p/one has a different history in ${a.file} and ${b}`);
    expect(existsSync(out)).toBe(false);
  });

  it('names the file and line of a bad row, exits 1 and writes nothing', async () => {
    const csv = join(mkdtempSync(join(tmpdir(), 'res-')), 'bad.csv');
    writeFileSync(csv, 'profile,pack,exercise,attempts,correct,gave_up,hints_used,time_s\ncy,p,one,1,yes\n');
    const c = capture();
    const out = join(mkdtempSync(join(tmpdir(), 'res-')), 'never.csv');
    expect(await results(['merge', csv, '-o', out])).toBe(1);
    expect(c.err()).toContain(`${csv}:2: expected 8 fields, found 5`);
    expect(existsSync(out)).toBe(false);
  });
});
