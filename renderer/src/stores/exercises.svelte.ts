/** Packs, the open exercise, and the feedback to the last answer. */
import type { ExerciseView, PackDetail, PackSummary } from '@api/packs';
import { api } from '../api/index.js';

export type Feedback = {
  verdict: 'correct' | 'incorrect' | 'invalid';
  message: string;
  unitRead?: string;
  diagnosis?: string;
  partial?: number;
  fields?: Record<string, { verdict: string; message: string }>;
  backTo?: string;
  /** guided labs: the stage answered, and the earlier stage this wrong answer depends on */
  stage?: string;
  revisit?: { stage: string; title: string; why: string };
};

class ExercisesStore {
  packs = $state<PackSummary[]>([]);
  notice = $state<string | null>(null);
  pack = $state<PackDetail | null>(null);
  exercise = $state<ExerciseView | null>(null);
  feedback = $state<Feedback | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  /** author mode: the pack folder being watched, and what its last reload said */
  watching = $state<string | null>(null);
  reloaded = $state<string | null>(null);

  constructor() {
    // a watched pack folder was saved (author mode), or the Electron menu opened a pack
    api.on('pack.changed', (e) => {
      this.reloaded = `Reloaded ${e.packId}: ${e.exercises} exercise(s), ${e.problems.length} problem(s).`;
      void this.refresh();
      if (this.pack?.id === e.packId) {
        void this.openPack(e.packId).then(() => {
          if (this.exercise?.packId === e.packId) void this.openExercise(e.packId, this.exercise.id);
        });
      }
    });
  }

  profiles = $state<string[]>([]);
  profile = $state('default');

  async loadProfiles(): Promise<void> {
    await this.guard(async () => {
      const r = await api.call('progress.profiles', {});
      this.profiles = r.profiles;
      this.profile = r.current;
    });
  }

  async useProfile(name: string): Promise<void> {
    await this.guard(async () => {
      const r = await api.call('progress.useProfile', { name });
      this.profile = r.current;
      this.notice = r.notice ?? null;
      this.feedback = null;
      const pr = await api.call('progress.profiles', {});
      this.profiles = pr.profiles;
      if (this.pack) this.pack = await api.call('pack.get', { packId: this.pack.id });
      if (this.exercise) this.exercise = await api.call('exercise.get', { packId: this.exercise.packId, exerciseId: this.exercise.id });
    });
  }

  async watch(packId: string, on: boolean): Promise<void> {
    await this.guard(async () => {
      const r = await api.call('pack.watch', { packId, watch: on });
      this.watching = r.watching ? packId : null;
    });
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    this.error = null;
    this.busy = true;
    try {
      return await fn();
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  async refresh(): Promise<void> {
    await this.guard(async () => {
      const r = await api.call('pack.list', {});
      this.packs = r.packs;
      this.notice = r.notice ?? null;
    });
  }

  async openPack(packId: string): Promise<void> {
    await this.guard(async () => {
      this.pack = await api.call('pack.get', { packId });
    });
  }

  /** variant: an author's preview of that variant (author mode), recorded nowhere */
  async openExercise(packId: string, exerciseId: string, variant?: number): Promise<void> {
    if (this.pack?.id !== packId) await this.openPack(packId);
    await this.guard(async () => {
      this.exercise = await api.call('exercise.get', { packId, exerciseId, ...(variant !== undefined ? { variant } : {}) });
      this.feedback = null;
    });
  }

  private async refreshPack(): Promise<void> {
    if (this.pack) this.pack = await api.call('pack.get', { packId: this.pack.id });
  }

  /** measured: a live reading (bytes) for observe exercises */
  async answer(answer: Parameters<typeof api.call<'exercise.answer'>>[1]['answer'], measured?: number, realRunId?: string): Promise<void> {
    const ex = this.exercise;
    if (!ex) return;
    await this.guard(async () => {
      const r = await api.call('exercise.answer', { packId: ex.packId, exerciseId: ex.id, answer, ...(measured !== undefined ? { measured } : {}), ...(realRunId !== undefined ? { realRunId } : {}), ...(ex.preview ? { variant: ex.variant } : {}) });
      // the learner may have moved on to another exercise meanwhile
      if (this.exercise?.packId !== ex.packId || this.exercise.id !== ex.id) return;
      this.exercise = r.exercise;
      this.feedback = { verdict: r.verdict, message: r.message, unitRead: r.unitRead, diagnosis: r.diagnosis, partial: r.partial, fields: r.fields, backTo: r.backTo, stage: r.stage, revisit: r.revisit };
      await this.refreshPack();
    });
  }

  /** Guided labs: go on to a stage (by id); saved, so a restart resumes there. False when refused. */
  async advanceStage(stage: string): Promise<boolean> {
    const ex = this.exercise;
    if (!ex) return false;
    const r = await this.guard(async () => {
      const view = await api.call('exercise.advanceStage', { packId: ex.packId, exerciseId: ex.id, stage });
      // the learner may have moved on to another exercise meanwhile
      if (this.exercise?.packId === ex.packId && this.exercise.id === ex.id) this.exercise = view;
      return true;
    });
    return r === true;
  }

  /** stage: a guided lab's stage (hint, solution and give-up are per stage) */
  async act(method: 'exercise.hint' | 'exercise.solution' | 'exercise.giveUp' | 'exercise.reset', stage?: string): Promise<void> {
    const ex = this.exercise;
    if (!ex) return;
    await this.guard(async () => {
      this.exercise = await api.call(method, { packId: ex.packId, exerciseId: ex.id, ...(stage !== undefined && method !== 'exercise.reset' ? { stage } : {}) });
      if (method !== 'exercise.hint') this.feedback = null;
      await this.refreshPack();
    });
  }

  async openPath(path: string): Promise<PackSummary | undefined> {
    return this.guard(async () => {
      const s = await api.call('pack.open', { path });
      await this.refresh();
      return s;
    });
  }

  async openFile(file: File): Promise<PackSummary | undefined> {
    return this.guard(async () => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      let bin = '';
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      const s = await api.call('pack.openBytes', { fileName: file.name, base64: btoa(bin) });
      await this.refresh();
      return s;
    });
  }

  async resetAll(): Promise<void> {
    await this.guard(async () => {
      await api.call('progress.resetAll', { confirm: true });
      await this.refreshPack();
      if (this.exercise) this.exercise = await api.call('exercise.get', { packId: this.exercise.packId, exerciseId: this.exercise.id });
      this.feedback = null;
    });
  }

  async export(format: 'json' | 'csv'): Promise<{ fileName: string; text: string } | undefined> {
    return this.guard(() => api.call('progress.export', { format }));
  }
}

export const exercises = new ExercisesStore();
