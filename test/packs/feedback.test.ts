/**
 * Feedback that teaches (#12): per-option reasons (`why`) in the pack format, a specific default
 * naming what was chosen when there is none (never "Not this one." or "That is not what we were
 * looking for"), text misconceptions matched as people type them, hints and misconceptions
 * rendered as Markdown, and `pack check` warnings that exit 0.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallContext } from '../../app/common/api/dispatch.js';
import { run as pack } from '../../app/cli/pack.js';
import { check } from '../../app/common/packs/checkers.js';
import { packJsonSchemas } from '../../app/common/packs/jsonschema.js';
import { parseExerciseFile } from '../../app/common/packs/parse.js';
import { createPackServices } from '../../app/node/services/packs.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ctx = { params: {}, scenarioText: () => '' };
const ex = (front: string, prose = 'Question?') => {
  const r = parseExerciseFile(`---\n${front}\n---\n${prose}\n`, 'x.md');
  if (!r.exercise) throw new Error(JSON.stringify(r.problems));
  return r.exercise;
};
const GENERIC = /Not this one|not what we were looking for/i;

describe('per-option reasons', () => {
  const choice = ex(
    [
      'id: c',
      'title: c',
      'kind: choice',
      'options:',
      '  - { text: the heap, why: "Below the mmap threshold glibc carves the chunk from the heap." }',
      '  - { text: a new mmap, why: "Only requests at or above *M_MMAP_THRESHOLD* get their own mapping." }',
      '  - the stack',
      'answer: 0',
      'misconceptions: [{ answer: 2, says: "malloc never uses the stack." }]',
      'explanation: x',
    ].join('\n'),
  );
  it('a wrong choice shows its own reason and names what was chosen', () => {
    const r = check(choice, { choice: 1 }, ctx);
    expect(r).toMatchObject({ verdict: 'incorrect', diagnosis: 'Only requests at or above *M_MMAP_THRESHOLD* get their own mapping.' });
    expect(r.message).toContain('“a new mmap”');
    expect(r.message).not.toMatch(GENERIC);
  });
  it('a misconception the pack names wins over the option reason', () => {
    expect(check(choice, { choice: 2 }, ctx).diagnosis).toBe('malloc never uses the stack.');
  });
  it('the right choice shows its reason too', () => {
    expect(check(choice, { choice: 0 }, ctx)).toMatchObject({ verdict: 'correct', diagnosis: 'Below the mmap threshold glibc carves the chunk from the heap.' });
  });
  it('without a reason, the default names the option chosen', () => {
    const bare = ex('id: c\ntitle: c\nkind: choice\noptions: [brk, mmap]\nanswer: 0\nexplanation: x');
    const r = check(bare, { choice: 1 }, ctx);
    expect(r.message).toBe('You chose “mmap”, which is not the answer.');
    expect(r.diagnosis).toBeUndefined();
  });
  it('multiple: names what was chosen, and shows the reasons of the picks that do not apply only', () => {
    const m = ex(
      [
        'id: m',
        'title: m',
        'kind: multiple',
        'options:',
        '  - { text: written heap pages, why: "Resident: they have frames." }',
        '  - { text: untouched malloc pages, why: "No frame until first written." }',
        '  - { text: shared library pages in RAM, why: "Counted in every process mapping them." }',
        '  - { text: swapped-out pages, why: "Those count in VmSwap." }',
        'answer: [0, 2]',
        'explanation: x',
      ].join('\n'),
    );
    const r = check(m, { choices: [0, 1] }, ctx);
    expect(r.verdict).toBe('incorrect');
    expect(r.message).toBe('You chose “written heap pages” and “untouched malloc pages”: 2 of 4 options judged right; “untouched malloc pages” does not apply, and one option that applies was left out.');
    expect(r.diagnosis).toBe('No frame until first written.');
    expect(r.diagnosis).not.toContain('Counted in every process'); // the reason of a right option not chosen would give it away
  });
  it('ordering: names the first two items put the wrong way round, with their reasons', () => {
    const o = ex(
      [
        'id: o',
        'title: o',
        'kind: ordering',
        'items:',
        '  - { text: free falls below low, why: "The first mark crossed." }',
        '  - { text: kswapd wakes, why: "Woken at low." }',
        '  - { text: direct reclaim, why: "Below min." }',
        'explanation: x',
      ].join('\n'),
    );
    const r = check(o, { order: ['kswapd wakes', 'free falls below low', 'direct reclaim'] }, ctx);
    expect(r.message).toContain('You put “kswapd wakes” before “free falls below low”');
    expect(r.diagnosis).toContain('**free falls below low**: The first mark crossed.');
    expect(r.diagnosis).toContain('**kswapd wakes**: Woken at low.');
  });
  it('matching: tuples with a third element or objects; names the first wrong match and the reason of what was chosen', () => {
    const m = ex(
      [
        'id: m',
        'title: m',
        'kind: matching',
        'pairs:',
        '  - [VmRSS, resident now, "RES: what is in RAM now."]',
        '  - { left: VmHWM, right: the peak of VmRSS, why: "HWM is a high-water mark." }',
        '  - [VmSwap, in swap]',
        'explanation: x',
      ].join('\n'),
    );
    expect(m.kind === 'matching' && m.pairs).toEqual([
      ['VmRSS', 'resident now'],
      ['VmHWM', 'the peak of VmRSS'],
      ['VmSwap', 'in swap'],
    ]);
    const r = check(m, { matches: { VmRSS: 'the peak of VmRSS', VmHWM: 'resident now', VmSwap: 'in swap' } }, ctx);
    expect(r.message).toContain('You matched “VmRSS” with “the peak of VmRSS”');
    expect(r.diagnosis).toContain('HWM is a high-water mark.');
  });
  it('the JSON Schema lets authors write { text, why } options', () => {
    const schema = JSON.stringify(packJsonSchemas()['exercise.schema.json']);
    expect(schema).toContain('why this option is right or wrong');
    const onDisk = readFileSync(join(ROOT, 'exercises', 'schema', 'exercise.schema.json'), 'utf8');
    expect(JSON.parse(onDisk)).toEqual(JSON.parse(JSON.stringify(packJsonSchemas()['exercise.schema.json'])));
  });
});

describe('text answers', () => {
  const t = ex(
    [
      'id: t',
      'title: t',
      'kind: text',
      'patterns: ["^munmap(\\\\(\\\\))?$"]',
      'reference: munmap',
      'misconceptions: [{ answer: "free()", says: "free is the library call; ask what it does underneath." }]',
      'explanation: x',
    ].join('\n'),
  );
  it('"free" typed as people type it meets the pack\'s misconception, not a generic message', () => {
    for (const typed of ['free', 'Free', ' free() ', '`free`', 'free(3)', 'free.']) {
      const r = check(t, { text: typed }, ctx);
      expect(r.verdict, typed).toBe('incorrect');
      expect(r.diagnosis, typed).toBe('free is the library call; ask what it does underneath.');
      expect(r.message).not.toMatch(GENERIC);
    }
  });
  it('an answer without a misconception is named back', () => {
    expect(check(t, { text: 'brk' }, ctx).message).toBe('You wrote “brk”, which is not the answer.');
  });
});

describe('the built-in pack', () => {
  it('"free" for what free() does with a large block gets a specific message', async () => {
    const { loadPack } = await import('../../app/node/packs/loader.js');
    const p = await loadPack(join(ROOT, 'exercises', 'linux-process-memory'));
    const r = check(p.exercises.get('free-large')!.exercise, { text: 'free' }, { params: {}, scenarioText: () => '' });
    expect(r.verdict).toBe('incorrect');
    expect(r.diagnosis).toBeTruthy();
  });
});

describe('Markdown in hints and misconception messages', () => {
  it('is rendered as HTML (no raw *not*), like the explanation', async () => {
    const base = mkdtempSync(join(tmpdir(), 'md-'));
    const dir = join(base, 'mdpack');
    const write = process.stdout.write;
    process.stdout.write = () => true;
    await pack(['new', dir]);
    process.stdout.write = write;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(dir, 'text.md'),
      '---\nid: text\ntitle: t\nkind: text\npatterns: ["^mmap$"]\nreference: mmap\nhints: ["It is *not* brk."]\nmisconceptions: [{ answer: brk, says: "brk grows the heap; this is **not** the heap." }]\nexplanation: x\n---\nWhich call?\n',
    );
    const { handlers: h } = createPackServices({ host: 'serve', dataDir: join(base, 'data'), appRoot: ROOT, log: () => {} });
    const c: CallContext = { clientId: 'c1', emit: () => {}, onClose: () => {} };
    const { id: packId } = await h['pack.open']({ path: dir }, c);
    const v = await h['exercise.hint']({ packId, exerciseId: 'text' }, c);
    expect(v.hints).toEqual(['It is <em>not</em> brk.']);
    const r = await h['exercise.answer']({ packId, exerciseId: 'text', answer: { text: 'brk' } }, c);
    expect(r.diagnosis).toBe('brk grows the heap; this is <strong>not</strong> the heap.');
  });
});

describe('pack check warnings', () => {
  afterEach(() => vi.restoreAllMocks());
  it('do not fail the check: exit 0, counted apart from problems', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await pack(['check', join(import.meta.dirname, 'broken', 'answer-in-prompt')])).toBe(0);
    expect(out.join('')).toContain('demo: 4 exercises, 0 problems, 4 warnings');
  });
});
