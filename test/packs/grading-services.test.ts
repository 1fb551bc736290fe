/**
 * Grading behind the LabApi: solutions asked for and recorded, a lab's stages graded on their own,
 * resets that keep every attempt, variants, and progress files from before all this.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallContext } from '../../app/common/api/dispatch.js';
import { run as pack } from '../../app/cli/pack.js';
import { createPackServices } from '../../app/node/services/packs.js';
import { ProgressStore } from '../../app/node/progress/store.js';

const appRoot = join(import.meta.dirname, '..', '..');
const ctx: CallContext = { clientId: 'c1', emit: () => {}, onClose: () => {} };

async function setup(policy = 'policy: { attempts_before_solution: 2, hint_cost: 10, points_after_solution: 40 }') {
  const base = mkdtempSync(join(tmpdir(), 'grading-'));
  const dir = join(base, 'authoring');
  const write = process.stdout.write;
  process.stdout.write = () => true;
  await pack(['new', dir]);
  process.stdout.write = write;
  writeFileSync(join(dir, 'pack.yaml'), readFileSync(join(dir, 'pack.yaml'), 'utf8').replace(/^policy:.*$/m, policy));
  const dataDir = join(base, 'data');
  const { handlers: h } = createPackServices({ host: 'serve', dataDir, appRoot, log: () => {} });
  const { id: packId } = await h['pack.open']({ path: dir }, ctx);
  return { h, packId, dataDir, dir };
}

describe('solutions are asked for, never pushed', () => {
  it('no solution before the policy’s wrong attempts; asked for, it is recorded; a right answer then earns points_after_solution', async () => {
    const { h, packId } = await setup();
    const ref = { packId, exerciseId: 'choice' };
    let v = await h['exercise.get'](ref, ctx);
    expect(v).toMatchObject({ solutionAvailable: false, solutionViewed: false, pointsAfterSolution: 40 });
    await expect(Promise.resolve(h['exercise.solution'](ref, ctx))).rejects.toThrow(/after 2 wrong attempts \(0 so far\)/);
    await h['exercise.answer']({ ...ref, answer: { choice: 1 } }, ctx);
    v = (await h['exercise.answer']({ ...ref, answer: { choice: 1 } }, ctx)).exercise;
    // two wrong answers: offered, still not shown
    expect(v.solutionAvailable).toBe(true);
    expect(v.solution).toBeUndefined();
    v = await h['exercise.solution'](ref, ctx);
    expect(v).toMatchObject({ solutionViewed: true, solutionAvailable: false });
    expect(v.solution).toBeTruthy();
    const r = await h['exercise.answer']({ ...ref, answer: { choice: 0 } }, ctx);
    expect(r.verdict).toBe('correct');
    expect(r.exercise).toMatchObject({ status: 'after-solution', outcome: 'after-solution', points: 40 });
    const d = await h['pack.get']({ packId }, ctx);
    expect(d.chapters[0]!.exercises.find((e) => e.id === 'choice')!.status).toBe('after-solution');
    const csv = (await h['progress.export']({ format: 'csv' }, ctx)).text;
    expect(csv).toMatch(/,choice,1,0,\d+,,option 1,3,0,yes,no,yes,yes,40,/);
  });

  it('giving up shows the solution and earns 0, marked apart from an earned tick', async () => {
    const { h, packId } = await setup();
    const v = await h['exercise.giveUp']({ packId, exerciseId: 'choice' }, ctx);
    expect(v).toMatchObject({ status: 'gave-up', outcome: 'gave-up', points: 0, solutionViewed: true });
    expect(v.solution).toBeTruthy();
  });

  it('a pack whose policy shows solutions only to those who give up never offers one', async () => {
    const { h, packId } = await setup('policy: { attempts_before_solution: 0, hint_cost: 0 }');
    const ref = { packId, exerciseId: 'choice' };
    for (let i = 0; i < 4; i++) await h['exercise.answer']({ ...ref, answer: { choice: 1 } }, ctx);
    expect((await h['exercise.get'](ref, ctx)).solutionAvailable).toBe(false);
    await expect(Promise.resolve(h['exercise.solution'](ref, ctx))).rejects.toThrow(/only to a learner who gives up/);
  });
});

describe('a guided lab graded by stage', () => {
  it('each stage has its own attempts, hints and solution; a solution shows only its own stage; a later stage is not sent before it is reached', async () => {
    const { h, packId } = await setup();
    const ref = { packId, exerciseId: 'guided' };
    const stages = async () => {
      const v = await h['exercise.get'](ref, ctx);
      if (v.widget.kind !== 'guided') throw new Error('not a lab');
      return v.widget.stages;
    };
    // wrong twice on stage 1: its solution may be asked for; stage 2 has nothing of its own yet
    await h['exercise.answer']({ ...ref, answer: { stage: 'reserve', answer: { choice: 0 } } }, ctx);
    await h['exercise.answer']({ ...ref, answer: { stage: 'reserve', answer: { choice: 0 } } }, ctx);
    let s = await stages();
    expect(s[0]!.grade).toMatchObject({ attempts: 2, solutionAvailable: true, solutionViewed: false });
    expect(s[0]!.grade!.solution).toBeUndefined();
    expect(s[1]).toMatchObject({ reached: false, html: '', highlight: [] });
    expect(s[1]!.grade).toBeUndefined();
    expect(JSON.stringify(s[1])).not.toContain('GiB');
    // a stage's solution cannot be asked for a stage not reached
    await expect(Promise.resolve(h['exercise.solution']({ ...ref, stage: 'touch' }, ctx))).rejects.toThrow(/not reached yet/);
    await h['exercise.solution']({ ...ref, stage: 'reserve' }, ctx);
    s = await stages();
    expect(s[0]!.grade!.solution).toBe('no');
    await h['exercise.answer']({ ...ref, answer: { stage: 'reserve', answer: { choice: 1 } } }, ctx);
    s = await stages();
    expect(s[0]!.grade).toMatchObject({ outcome: 'after-solution', points: 40 });
    // stage 2: its own attempt count, no solution shown
    expect(s[1]!.grade).toMatchObject({ outcome: 'open', attempts: 0, solutionViewed: false, solutionAvailable: false });
    expect(s[1]!.grade!.solution).toBeUndefined();
    const r = await h['exercise.answer']({ ...ref, answer: { stage: 'touch', answer: { value: '1 GiB' } } }, ctx);
    expect(r.verdict).toBe('correct');
    // the lab earns the mean of its stages: (40 + 100) / 2
    expect(r.exercise).toMatchObject({ status: 'after-solution', points: 70 });
  });

  it('giving up a stage moves the lab on, and the lab is graded with that stage at 0', async () => {
    const { h, packId } = await setup();
    const ref = { packId, exerciseId: 'guided' };
    let v = await h['exercise.giveUp']({ ...ref, stage: 'reserve' }, ctx);
    expect(v.widget).toMatchObject({ stage: 1 });
    const r = await h['exercise.answer']({ ...ref, answer: { stage: 'touch', answer: { value: '1 GiB' } } }, ctx);
    v = r.exercise;
    expect(v).toMatchObject({ status: 'gave-up', points: 50 });
  });
});

describe('nothing is forgotten', () => {
  it('a reset keeps the earlier attempt whole and moves to the next variant; the same variant draws the same numbers', async () => {
    const { h, packId } = await setup();
    const ref = { packId, exerciseId: 'table' };
    const v1 = await h['exercise.get'](ref, ctx);
    await h['exercise.hint'](ref, ctx);
    await h['exercise.answer']({ ...ref, answer: { values: { virt: '1 GiB', res: '1 GiB' } } }, ctx);
    await h['exercise.giveUp'](ref, ctx);
    const v2 = await h['exercise.reset'](ref, ctx);
    expect(v2).toMatchObject({ variant: v1.variant + 1, attempt: 2, attempts: 0, status: 'new' });
    const json = JSON.parse((await h['progress.export']({ format: 'json' }, ctx)).text);
    const rec = json.exercises[`${packId}/table`];
    expect(rec.history).toHaveLength(1);
    expect(rec.history[0]).toMatchObject({ variant: v1.variant, gaveUp: true, hintsUsed: 1, attempts: 1 });
    expect(rec.history[0].events.map((e: { type: string }) => e.type)).toEqual(['hint', 'answer', 'give-up']);
    // each attempt records the numbers it drew
    expect(rec.params.size).toBe(Number(/mallocs (\d) GiB/.exec(v2.html)![1]));
    expect(rec.history[0].params.size).toBe(Number(/mallocs (\d) GiB/.exec(v1.html)![1]));
    expect(rec.variant).toBe(v1.variant + 1);
    // any learner's variant N draws what every other learner's variant N draws
    const other = await setup();
    const html = async (hh: typeof h, variant: number, pid: string) => {
      await hh['pack.watch']({ packId: pid, watch: true }, ctx);
      return (await hh['exercise.get']({ packId: pid, exerciseId: 'table', variant }, ctx)).html;
    };
    expect(await html(other.h, v1.variant, other.packId)).toBe(v1.html);
    expect(await html(other.h, v1.variant + 1, other.packId)).toBe(v2.html);
    await other.h['pack.watch']({ packId: other.packId, watch: false }, ctx);
    await h['pack.watch']({ packId, watch: false }, ctx);
  });

  it('a variant opens by URL only in author mode, and answers to it are not recorded', async () => {
    const { h, packId } = await setup();
    await expect(Promise.resolve(h['exercise.get']({ packId, exerciseId: 'table', variant: 7 }, ctx))).rejects.toThrow(/needs author mode/);
    await h['pack.watch']({ packId, watch: true }, ctx);
    const v = await h['exercise.get']({ packId, exerciseId: 'table', variant: 7 }, ctx);
    expect(v).toMatchObject({ preview: true, variant: 7 });
    const r = await h['exercise.answer']({ packId, exerciseId: 'numeric', answer: { value: '1 B' }, variant: 7 }, ctx);
    expect(r.exercise.preview).toBe(true);
    expect((await h['exercise.get']({ packId, exerciseId: 'numeric' }, ctx)).attempts).toBe(0);
    await h['pack.watch']({ packId, watch: false }, ctx);
  });

  it('a progress file from before (version 1) is migrated: kept as it was beside the new one, with a learner id that stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grading-v1-'));
    mkdirSync(dir, { recursive: true });
    const v1 = { version: 1, profile: 'default', updatedAt: 1, exercises: { 'p/a': { attempts: 2, correct: true, hintsUsed: 1, firstSeen: 1, solvedAt: 5 } } };
    writeFileSync(join(dir, 'progress-default.json'), JSON.stringify(v1));
    const s = new ProgressStore(dir);
    expect(s.get('p/a')).toMatchObject({ attempts: 2, correct: true, hintsUsed: 1, history: [], events: [] });
    await s.flush();
    expect(JSON.parse(readFileSync(join(dir, 'progress-default.json.v1'), 'utf8'))).toEqual(v1);
    expect(JSON.parse(readFileSync(join(dir, 'progress-default.json'), 'utf8')).version).toBe(2);
    const id = s.learnerId;
    expect(new ProgressStore(dir).learnerId).toBe(id);
    expect(existsSync(join(dir, 'progress-default.json.bak'))).toBe(true);
  });
});
