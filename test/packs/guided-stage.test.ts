/**
 * A guided lab's stage reached is saved when the learner goes on past a stage without a question
 * (exercise.advanceStage), not only when a question is answered: a restart resumes there.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallContext } from '../../app/common/api/dispatch.js';
import type { ExerciseView } from '../../app/common/api/packs.js';
import { ApiError } from '../../app/common/api/protocol.js';
import { reachStage } from '../../app/common/packs/guided.js';
import { createPackServices } from '../../app/node/services/packs.js';

const appRoot = join(import.meta.dirname, '..', '..');
const ctx: CallContext = { clientId: 'c1', emit: () => {}, onClose: () => {} };
const packId = 'linux-process-memory';
/** stages l0 (question), l1, l2-out (question), l2-in (question), l3, l5 (question) */
const exerciseId = 'lab-page-life';
const ref = { packId, exerciseId };

const service = (dataDir: string) => createPackServices({ host: 'serve', dataDir, appRoot, log: () => {} }).handlers;
const stageOf = (v: ExerciseView) => (v.widget.kind === 'guided' ? v.widget.stage : -1);
const fresh = () => mkdtempSync(join(tmpdir(), 'guided-stage-'));

/** the error a handler call (sync or async) failed with */
async function refusal(p: unknown): Promise<ApiError> {
  const err = await Promise.resolve(p).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('guided lab: the stage reached survives a restart', () => {
  it('going on past a stage without a question is saved: a new service on the same data dir resumes there', async () => {
    const dir = fresh();
    let h = service(dir);
    expect(stageOf(await h['exercise.get'](ref, ctx))).toBe(0);
    const r = await h['exercise.answer']({ ...ref, answer: { stage: 'l0', answer: { choice: 0 } } }, ctx);
    expect(r.verdict).toBe('correct');
    expect(stageOf(r.exercise)).toBe(1); // l1: no question
    const v = await h['exercise.advanceStage']({ ...ref, stage: 'l2-out' }, ctx);
    expect(stageOf(v)).toBe(2);

    h = service(dir); // memlab serve restarted
    expect(stageOf(await h['exercise.get'](ref, ctx))).toBe(2);
    // the learner goes on from there: l2-out's question is the one that gates now
    const a = await h['exercise.answer']({ ...ref, answer: { stage: 'l2-out', answer: { choice: 1 } } }, ctx);
    expect(a.verdict).toBe('correct');
    expect(stageOf(a.exercise)).toBe(3);
  });

  it('revisiting an earlier stage does not lower the stage reached', async () => {
    const dir = fresh();
    let h = service(dir);
    await h['exercise.answer']({ ...ref, answer: { stage: 'l0', answer: { choice: 0 } } }, ctx);
    await h['exercise.advanceStage']({ ...ref, stage: 'l2-out' }, ctx);
    expect(stageOf(await h['exercise.advanceStage']({ ...ref, stage: 'l0' }, ctx))).toBe(2);
    expect(stageOf(await h['exercise.advanceStage']({ ...ref, stage: 'l1' }, ctx))).toBe(2);
    // asking again for the stage reached changes nothing either
    expect(stageOf(await h['exercise.advanceStage']({ ...ref, stage: 'l2-out' }, ctx))).toBe(2);
    h = service(dir);
    expect(stageOf(await h['exercise.get'](ref, ctx))).toBe(2);
  });

  it('skipping past a stage whose question is unanswered is refused, naming the lab and the stages, and changes nothing', async () => {
    const dir = fresh();
    const h = service(dir);
    await h['exercise.get'](ref, ctx);
    // l0's question is not answered yet: not even l1 may be reached
    let e = await refusal(h['exercise.advanceStage']({ ...ref, stage: 'l1' }, ctx));
    expect(e.code).toBe('forbidden');
    expect(e.where).toEqual({ field: 'stage' });
    expect(e.message).toBe("lab 'lab-page-life' cannot go on to stage 2 (l1): answer stage 1 (L0: malloc) first");

    await h['exercise.answer']({ ...ref, answer: { stage: 'l0', answer: { choice: 0 } } }, ctx);
    e = await refusal(h['exercise.advanceStage']({ ...ref, stage: 'l2-in' }, ctx));
    expect(e.code).toBe('forbidden');
    expect(e.message).toBe("lab 'lab-page-life' cannot go on to stage 4 (l2-in): answer stage 3 (Swapped out) first");
    expect(stageOf(await h['exercise.get'](ref, ctx))).toBe(1);
    expect(stageOf(await service(dir)['exercise.get'](ref, ctx))).toBe(1);
  });

  it('an unknown stage, an unknown lab or an exercise that is not a lab is a typed error naming them', async () => {
    const h = service(fresh());
    let e = await refusal(h['exercise.advanceStage']({ ...ref, stage: 'l9' }, ctx));
    expect(e.code).toBe('not-found');
    expect(e.where).toEqual({ field: 'stage' });
    expect(e.message).toBe("lab 'lab-page-life' has no stage 'l9' (its stages: l0, l1, l2-out, l2-in, l3, l5)");
    e = await refusal(h['exercise.advanceStage']({ packId, exerciseId: 'no-such-lab', stage: 'l1' }, ctx));
    expect(e.code).toBe('not-found');
    expect(e.message).toContain("'no-such-lab'");
    expect(e.message).toContain("'l1'");
    e = await refusal(h['exercise.advanceStage']({ packId: 'no-such-pack', exerciseId, stage: 'l1' }, ctx));
    expect(e.code).toBe('not-found');
    e = await refusal(h['exercise.advanceStage']({ packId, exerciseId: 'page-size', stage: 'l1' }, ctx));
    expect(e.code).toBe('invalid-input');
    expect(e.message).toContain("not a guided lab: it has no stage 'l1'");
  });

  it('a wrong answer with back_to keeps the learner on the stage and offers the earlier one (nothing is re-answered)', async () => {
    const h = service(fresh());
    await h['exercise.answer']({ ...ref, answer: { stage: 'l0', answer: { choice: 0 } } }, ctx);
    await h['exercise.advanceStage']({ ...ref, stage: 'l2-out' }, ctx);
    const r = await h['exercise.answer']({ ...ref, answer: { stage: 'l2-out', answer: { choice: 2 } } }, ctx);
    expect(r).toMatchObject({ verdict: 'incorrect', backTo: 'l1', revisit: { stage: 'l1' } });
    expect(stageOf(r.exercise)).toBe(2);
    // looking back at l1 keeps the stage reached
    expect(stageOf(await h['exercise.advanceStage']({ ...ref, stage: 'l1' }, ctx))).toBe(2);
  });

  it('a progress file from before (records without stage, touchedAt, invalid, gaveUp; no resets) loads, and keeps its other records', async () => {
    const dir = fresh();
    const old = {
      version: 1,
      profile: 'default',
      updatedAt: 1_700_000_000_000,
      exercises: {
        [`${packId}/page-size`]: { attempts: 1, correct: true, hintsUsed: 0, firstSeen: 1_700_000_000_000, solvedAt: 1_700_000_050_000 },
        [`${packId}/${exerciseId}`]: { attempts: 1, correct: false, hintsUsed: 0, firstSeen: 1_700_000_000_000 },
      },
    };
    writeFileSync(join(dir, 'progress-default.json'), JSON.stringify(old));
    let h = service(dir);
    expect((await h['pack.list']({}, ctx)).notice).toBeUndefined();
    expect(stageOf(await h['exercise.get'](ref, ctx))).toBe(0);
    await h['exercise.answer']({ ...ref, answer: { stage: 'l0', answer: { choice: 0 } } }, ctx);
    await h['exercise.advanceStage']({ ...ref, stage: 'l2-out' }, ctx);
    h = service(dir);
    expect(stageOf(await h['exercise.get'](ref, ctx))).toBe(2);
    expect((await h['exercise.get']({ packId, exerciseId: 'page-size' }, ctx)).status).toBe('correct');
  });

  it('a progress file from a newer memlab is still left untouched', async () => {
    const dir = fresh();
    const file = join(dir, 'progress-default.json');
    const newer = JSON.stringify({ version: 99, profile: 'default', exercises: {}, updatedAt: 1 });
    writeFileSync(file, newer);
    const h = service(dir);
    expect((await h['pack.list']({}, ctx)).notice).toMatch(/newer memlab/);
    await h['exercise.answer']({ ...ref, answer: { stage: 'l0', answer: { choice: 0 } } }, ctx);
    expect(stageOf(await h['exercise.advanceStage']({ ...ref, stage: 'l2-out' }, ctx))).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(newer);
  });
});

describe('reachStage', () => {
  const q = { kind: 'choice' } as never;
  const lab = { id: 'lab', stages: [{ id: 'a', question: q }, { id: 'b' }, { id: 'c' }, { id: 'd', question: q }, { id: 'e' }] } as never as Parameters<typeof reachStage>[0];

  it('goes on over stages without a question, up to the next unanswered one', () => {
    expect(reachStage(lab, 1, false, 'c')).toEqual({ ok: true, stage: 2 });
    expect(reachStage(lab, 1, false, 'd')).toEqual({ ok: true, stage: 3 });
    expect(reachStage(lab, 1, false, 'e')).toMatchObject({ ok: false, code: 'unanswered' });
    expect(reachStage(lab, 0, false, 'b')).toMatchObject({ ok: false, code: 'unanswered' });
  });

  it('never lowers the stage reached, and a solved lab may be walked to its end', () => {
    expect(reachStage(lab, 3, false, 'a')).toEqual({ ok: true, stage: 3 });
    expect(reachStage(lab, 3, true, 'e')).toEqual({ ok: true, stage: 4 });
  });

  it('a stage beyond the last (from a pack edited shorter) is clamped; an unknown id is refused', () => {
    expect(reachStage(lab, 40, false, 'e')).toEqual({ ok: true, stage: 4 });
    expect(reachStage(lab, 0, false, 'z')).toMatchObject({ ok: false, code: 'unknown-stage' });
  });
});
