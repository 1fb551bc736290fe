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

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out: () => out.join(''), err: () => err.join('') };
}
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
  async function exported(profile: string, solved: string[], tried: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'res-'));
    const s = new ProgressStore(dir, profile);
    for (const k of solved) await s.update(k, (x) => ({ ...x, attempts: 2, hintsUsed: 1, correct: true, solvedAt: x.firstSeen + 90_000 }));
    for (const k of tried) await s.update(k, (x) => ({ ...x, attempts: 3 }));
    const f = join(dir, `${profile}.json`);
    writeFileSync(f, JSON.stringify(s.snapshot));
    return f;
  }
  it('joins JSON and CSV exports into one class table', async () => {
    const a = await exported('ana', ['p/one', 'p/two'], ['p/three']);
    const b = await exported('ben', ['p/one'], []);
    const csv = join(mkdtempSync(join(tmpdir(), 'res-')), 'ben.csv');
    writeFileSync(csv, 'profile,pack,exercise,attempts,correct,gave_up,hints_used,time_s\ncy,p,one,1,yes,no,0,30\n');
    const out = join(mkdtempSync(join(tmpdir(), 'res-')), 'class.csv');
    capture();
    expect(await results(['merge', a, b, csv, '-o', out])).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('profile,pack,exercise,attempts,correct,gave_up,hints_used,time_s,points');
    // the old CSV (no points column) is padded; JSON records without points leave it empty
    expect(rows.slice(1).sort()).toEqual(['ana,p,one,2,yes,no,1,90,', 'ana,p,three,3,no,no,0,,', 'ana,p,two,2,yes,no,1,90,', 'ben,p,one,2,yes,no,1,90,', 'cy,p,one,1,yes,no,0,30,'].sort());
  });
  it('keeps one row per learner and exercise when a learner exported twice: the further one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'res-'));
    const early = join(dir, 'early.csv');
    const late = join(dir, 'late.csv');
    writeFileSync(early, 'profile,pack,exercise,attempts,correct,gave_up,hints_used,time_s,points\nana,p,one,1,no,no,0,,0\nana,p,two,2,yes,no,0,40,100\n');
    writeFileSync(late, 'profile,pack,exercise,attempts,correct,gave_up,hints_used,time_s,points\nana,p,one,3,yes,no,1,80,90\nana,p,two,1,no,no,0,,0\n');
    const out = join(dir, 'class.csv');
    const c = capture();
    expect(await results(['merge', early, late, '-o', out])).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n').slice(1)).toEqual(['ana,p,one,3,yes,no,1,80,90', 'ana,p,two,2,yes,no,0,40,100']);
    expect(c.out()).toContain('2 rows from 2 file(s); 2 repeated row(s)');
  });

  it('names the file and line of a bad row, and exits 1', async () => {
    const csv = join(mkdtempSync(join(tmpdir(), 'res-')), 'bad.csv');
    writeFileSync(csv, 'profile,pack,exercise,attempts,correct,gave_up,hints_used,time_s\ncy,p,one,1,yes\n');
    const c = capture();
    expect(await results(['merge', csv, '-o', join(tmpdir(), 'never.csv')])).toBe(1);
    expect(c.err()).toContain(`${csv}:2: expected 8 fields, found 5`);
  });
});
