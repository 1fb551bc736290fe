/** The pack services behind the LabApi: table and guided answers, live observe readings, author mode. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallContext } from '../../app/common/api/dispatch.js';
import { run as pack } from '../../app/cli/pack.js';
import { createPackServices } from '../../app/node/services/packs.js';

const appRoot = join(import.meta.dirname, '..', '..');

async function setup() {
  const base = mkdtempSync(join(tmpdir(), 'svc-'));
  const dir = join(base, 'authoring');
  const write = process.stdout.write;
  process.stdout.write = () => true;
  await pack(['new', dir]);
  process.stdout.write = write;
  const { handlers: h, assets } = createPackServices({ host: 'serve', dataDir: join(base, 'data'), appRoot, log: () => {} });
  const events: Array<{ event: string; data: unknown }> = [];
  const closers: Array<() => void> = [];
  const ctx: CallContext = { clientId: 'c1', emit: (event, data) => events.push({ event, data }), onClose: (f) => closers.push(f) };
  const summary = await h['pack.open']({ path: dir }, ctx);
  return { h, ctx, dir, events, closers, packId: summary.id, assets };
}

describe('pack services', () => {
  it('a table answer reports each field, and counts one attempt', async () => {
    const { h, ctx, packId } = await setup();
    const view = await h['exercise.get']({ packId, exerciseId: 'table' }, ctx);
    expect(view.widget).toMatchObject({ kind: 'table', fields: [{ name: 'res', label: 'RES grows by' }, { name: 'pages', label: 'pages made resident' }] });
    const size = Number(/mallocs (\d) GiB/.exec(view.html)![1]);
    const r = await h['exercise.answer']({ packId, exerciseId: 'table', answer: { values: { res: `${size} GiB`, pages: `${(size / 2) * 262144}` } } }, ctx);
    expect(r.verdict).toBe('incorrect');
    expect(r.partial).toBe(0.5);
    expect(r.fields?.res).toMatchObject({ verdict: 'incorrect', diagnosis: 'That is VIRT: only written pages are resident.' });
    expect(r.exercise.attempts).toBe(1);
    const ok = await h['exercise.answer']({ packId, exerciseId: 'table', answer: { values: { res: `${(size / 2) * 262144} pages`, pages: `${(size / 2) * 262144} pages` } } }, ctx);
    expect(ok.verdict).toBe('correct');
    expect(ok.exercise.explanation).toContain('VIRT grows by all');
  });

  it('a guided lab is graded stage by stage: a wrong answer with back_to keeps the learner and the earlier tick, and offers the earlier stage', async () => {
    const { h, ctx, packId } = await setup();
    const v = await h['exercise.get']({ packId, exerciseId: 'guided' }, ctx);
    expect(v.widget.kind).toBe('guided');
    if (v.widget.kind !== 'guided') return;
    expect(v.widget.stages.map((s) => [s.id, s.step])).toEqual([['reserve', 2], ['touch', 4]]);
    expect(v.widget.stages[0]!.question?.widget).toEqual({ kind: 'choice', options: ['yes', 'no'] });
    expect(v.widget.stage).toBe(0);
    // a stage not reached carries no text and no question
    expect(v.widget.stages[1]).toMatchObject({ reached: false, html: '' });
    expect(v.widget.stages[1]!.question).toBeUndefined();
    let r = await h['exercise.answer']({ packId, exerciseId: 'guided', answer: { stage: 'reserve', answer: { choice: 1 } } }, ctx);
    expect(r.verdict).toBe('correct');
    expect(r.exercise.widget).toMatchObject({ stage: 1 });
    expect(r.exercise.status).toBe('tried');
    r = await h['exercise.answer']({ packId, exerciseId: 'guided', answer: { stage: 'touch', answer: { value: '5 GiB' } } }, ctx);
    expect(r).toMatchObject({ verdict: 'incorrect', backTo: 'reserve', revisit: { stage: 'reserve', why: 'Watch which pages memset writes.' } });
    // the learner stays on stage 2, and stage 1 keeps its tick
    expect(r.exercise.widget).toMatchObject({ stage: 1 });
    if (r.exercise.widget.kind !== 'guided') return;
    expect(r.exercise.widget.stages[0]!.grade).toMatchObject({ outcome: 'earned', attempts: 1, points: 100 });
    expect(r.exercise.widget.stages[1]!.grade).toMatchObject({ outcome: 'open', attempts: 1 });
    // revisiting the earlier stage re-answers nothing
    r = await h['exercise.answer']({ packId, exerciseId: 'guided', answer: { stage: 'reserve', answer: { choice: 0 } } }, ctx);
    expect(r.verdict).toBe('invalid');
    expect(r.message).toMatch(/already done/);
    if (r.exercise.widget.kind === 'guided') expect(r.exercise.widget.stages[0]!.grade?.outcome).toBe('earned');
    r = await h['exercise.answer']({ packId, exerciseId: 'guided', answer: { stage: 'touch', answer: { value: '1 GiB' } } }, ctx);
    expect(r.verdict).toBe('correct');
    expect(r.exercise.status).toBe('correct');
    expect(r.exercise.points).toBe(100);
  });

  it('a lab is answered in order: a later question cannot be answered before the one that gates it', async () => {
    const { h, ctx, packId } = await setup();
    const r = await h['exercise.answer']({ packId, exerciseId: 'guided', answer: { stage: 'touch', answer: { value: '1 GiB' } } }, ctx);
    expect(r).toMatchObject({ verdict: 'invalid', message: 'Answer stage 1 (reserve) first.' });
    expect(r.exercise.status).not.toBe('correct');
    expect(r.exercise.attempts).toBe(0);
  });

  it('a reset draws new parameters (a lab restarted with new numbers), stable until the next reset', async () => {
    const { h, ctx, packId } = await setup();
    const sizeOf = async () => /mallocs (\d) GiB/.exec((await h['exercise.get']({ packId, exerciseId: 'table' }, ctx)).html)![1];
    const first = await sizeOf();
    expect(await sizeOf()).toBe(first);
    const seen = new Set([first]);
    for (let i = 0; i < 12 && seen.size < 2; i++) {
      await new Promise((r) => setTimeout(r, 2));
      await h['exercise.reset']({ packId, exerciseId: 'table' }, ctx);
      const now = await sizeOf();
      expect(await sizeOf()).toBe(now);
      seen.add(now);
    }
    expect(seen).toEqual(new Set(['2', '4']));
  });

  it('observe checks against the live reading the host panel sends', async () => {
    const { h, ctx, packId } = await setup();
    const live = await h['exercise.answer']({ packId, exerciseId: 'observe', answer: { value: '70 MiB' }, measured: 70 * 1048576 }, ctx);
    expect(live.verdict).toBe('correct');
    const sim = await h['exercise.answer']({ packId, exerciseId: 'observe', answer: { value: '70 MiB' } }, ctx);
    expect(sim.verdict).toBe('correct'); // solved already: answering again changes nothing
    expect(sim.exercise.attempts).toBe(1);
  });

  it('author mode reloads on save and reports the error in place, keeping the valid exercises', async () => {
    const { h, ctx, dir, events, closers, packId } = await setup();
    expect(await h['pack.watch']({ packId, watch: true }, ctx)).toEqual({ watching: true });
    const changed = () =>
      new Promise<{ exercises: number; problems: Array<{ file: string; line?: number; field?: string }> }>((resolve) => {
        const seen = events.length;
        const t = setInterval(() => {
          if (events.length > seen) {
            clearInterval(t);
            resolve(events.at(-1)!.data as never);
          }
        }, 20);
      });
    let next = changed();
    writeFileSync(join(dir, 'choice.md'), readFileSync(join(dir, 'choice.md'), 'utf8').replace('options: [', 'options: [[['));
    let e = await next;
    expect(e.exercises).toBe(10);
    expect(e.problems[0]).toMatchObject({ file: 'choice.md' });
    expect(events.at(-1)!.event).toBe('pack.changed');
    await expect(h['exercise.get']({ packId, exerciseId: 'choice' }, ctx)).rejects.toThrow(/no exercise 'choice'/);
    expect((await h['exercise.get']({ packId, exerciseId: 'numeric' }, ctx)).kind).toBe('numeric');
    next = changed();
    writeFileSync(join(dir, 'choice.md'), readFileSync(join(dir, 'choice.md'), 'utf8').replace('options: [[[', 'options: ['));
    e = await next;
    expect(e).toMatchObject({ exercises: 11, problems: [] });
    expect(await h['pack.watch']({ packId, watch: false }, ctx)).toEqual({ watching: false });
    for (const c of closers) c();
  });

  it("exports results with points after the pack's hint cost, one row per learner and exercise", async () => {
    const { h, ctx, dir } = await setup();
    writeFileSync(join(dir, 'pack.yaml'), readFileSync(join(dir, 'pack.yaml'), 'utf8').replace('hint_cost: 0', 'hint_cost: 25').replace('id: authoring', 'id: costly'));
    const { id: packId } = await h['pack.open']({ path: dir }, ctx);
    const v = await h['exercise.hint']({ packId, exerciseId: 'choice' }, ctx);
    expect(v).toMatchObject({ hintCost: 25, hints: ['Think of the 128 KiB threshold.'] });
    await h['exercise.answer']({ packId, exerciseId: 'choice', answer: { choice: 0 } }, ctx);
    await h['exercise.answer']({ packId, exerciseId: 'text', answer: { text: 'brk' } }, ctx);
    const csv = (await h['progress.export']({ format: 'csv' }, ctx)).text.trim().split('\n');
    expect(csv[0]).toBe('learner_id,learner,pack,pack_version,exercise,attempt,earlier_attempts,variant,params,final_answer,attempts,hints_used,solution_viewed,gave_up,correct,after_solution,points,first_answer,last_answer,time_s');
    const row = (ex: string) => Object.fromEntries(csv[0]!.split(',').map((c, i) => [c, csv.find((l) => l.includes(`,costly,0.1.0,${ex},`))!.split(',')[i]]));
    expect(row('choice')).toMatchObject({ learner: 'default', attempts: '1', correct: 'yes', hints_used: '1', points: '75', final_answer: 'option 1', solution_viewed: 'no' });
    expect(row('choice').learner_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row('text')).toMatchObject({ attempts: '1', correct: 'no', points: '0', final_answer: 'brk' });
    const json = JSON.parse((await h['progress.export']({ format: 'json' }, ctx)).text);
    expect(json.exercises['costly/choice'].points).toBe(75);
    expect(json.learnerId).toBe(row('choice').learner_id);
  });

  it('locks a chapter until its prerequisites are done, and resumes at the first unfinished exercise', async () => {
    const { h, ctx, packId } = await setup();
    let d = await h['pack.get']({ packId }, ctx);
    expect(d.chapters.map((c) => [c.id, c.locked])).toEqual([['basics', false], ['labs', true]]);
    expect(d.resume).toBe('numeric');
    for (const e of d.chapters[0]!.exercises) await h['exercise.giveUp']({ packId, exerciseId: e.id }, ctx);
    d = await h['pack.get']({ packId }, ctx);
    expect(d.chapters[1]!.locked).toBe(false);
    expect(d.resume).toBe('guided');
    await h['exercise.reset']({ packId, exerciseId: 'choice' }, ctx);
    d = await h['pack.get']({ packId }, ctx);
    expect(d.chapters[1]!.locked).toBe(true);
    expect(d.resume).toBe('choice');
  });

  it('serves a pack image at the URL its prose links to, and nothing else', async () => {
    const base = mkdtempSync(join(tmpdir(), 'img-'));
    const dir = join(base, 'pictures');
    const write = process.stdout.write;
    process.stdout.write = () => true;
    await pack(['new', dir]);
    process.stdout.write = write;
    mkdirSync(join(dir, 'img'));
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    writeFileSync(join(dir, 'img', 'map.png'), png);
    writeFileSync(join(dir, 'notes.txt'), 'secret');
    writeFileSync(join(dir, 'choice.md'), readFileSync(join(dir, 'choice.md'), 'utf8') + '\n![the map](img/map.png)\n');
    const { handlers: h, assets } = createPackServices({ host: 'serve', dataDir: join(base, 'data'), appRoot, log: () => {} });
    const ctx: CallContext = { clientId: 'c', emit: () => {}, onClose: () => {} };
    const { id } = await h['pack.open']({ path: dir }, ctx);
    const html = (await h['exercise.get']({ packId: id, exerciseId: 'choice' }, ctx)).html;
    const src = /<img src="\.\/pack-assets\/([^"]+)"/.exec(html)![1]!;
    expect(src).toBe('pictures/img/map.png');
    expect(await assets.handle(src)).toEqual({ body: png, type: 'image/png' });
    expect(await assets.handle('pictures/notes.txt')).toBeNull(); // not an image
    expect(await assets.handle('pictures/pack.yaml')).toBeNull();
    expect(await assets.handle('pictures/..%2F..%2Fetc%2Fpasswd.png')).toBeNull();
    expect(await assets.handle('nobody/img/map.png')).toBeNull();
    expect(await assets.handle('pictures/%E0%A4%A.png')).toBeNull(); // bad escape
  });

  it('a folder whose pack.yaml is broken stays open for fixing, and comes alive when it is fixed', async () => {
    const { h, ctx, dir, events, closers } = await setup();
    const good = readFileSync(join(dir, 'pack.yaml'), 'utf8');
    writeFileSync(join(dir, 'pack.yaml'), good.replace('version: 0.1.0', 'version: one'));
    const s = await h['pack.open']({ path: dir }, ctx);
    expect(s).toMatchObject({ id: 'authoring', exercises: 0, problems: [{ file: 'pack.yaml', line: 3, field: 'version' }] });
    expect((await h['pack.get']({ packId: 'authoring' }, ctx)).chapters).toEqual([]);
    await h['pack.watch']({ packId: 'authoring', watch: true }, ctx);
    const seen = events.length;
    writeFileSync(join(dir, 'pack.yaml'), good);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (events.length > seen) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    expect(events.at(-1)).toEqual({ event: 'pack.changed', data: { packId: 'authoring', exercises: 11, problems: [] } });
    expect((await h['pack.get']({ packId: 'authoring' }, ctx)).chapters.map((c) => c.id)).toEqual(['basics', 'labs']);
    for (const c of closers) c();
  });

  it('a broken .memlab is still refused: a built pack must be whole', async () => {
    const { h, ctx, dir } = await setup();
    const file = `${dir}.memlab`;
    const write = process.stdout.write;
    process.stdout.write = () => true;
    expect(await pack(['build', dir, '-o', file])).toBe(0);
    process.stdout.write = write;
    const yazl = (await import('yazl')).default;
    const z = new yazl.ZipFile();
    z.addBuffer(Buffer.from('id: [broken'), 'pack.yaml');
    z.end();
    const chunks: Buffer[] = [];
    await new Promise<void>((r) => z.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => r()));
    writeFileSync(file, Buffer.concat(chunks));
    await expect(h['pack.open']({ path: file }, ctx)).rejects.toThrow(/not a pack: pack.yaml:1/);
  });

  it('author mode is for folders: the built-in pack cannot be watched', async () => {
    const { h, ctx } = await setup();
    await expect(h['pack.watch']({ packId: 'linux-process-memory', watch: true }, ctx)).rejects.toThrow(/the built-in pack is not one/);
  });
});
