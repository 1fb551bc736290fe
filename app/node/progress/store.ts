/**
 * A learner's progress, one file per profile in the data directory: written atomically
 * (write-file-atomic: temp file, fsync, rename), schema-versioned, with the previous good copy
 * kept as a backup. A corrupt file is recovered from the backup and the learner is told; when
 * both are unreadable the bad file is kept aside (never silently reset). Writes from two
 * windows are merged, so no completed answer is lost. Nothing a learner did is forgotten:
 * a reset starts a new attempt and keeps the earlier one in `history`.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';

export const PROGRESS_VERSION = 2;

/** One thing the learner did, in order: an answer (with its verdict), a hint, the solution viewed, a give-up. */
export const ProgressEvent = z.object({
  at: z.number(),
  type: z.enum(['answer', 'hint', 'solution', 'give-up']),
  /** guided labs: the stage it was about */
  stage: z.string().max(64).optional(),
  /** answers: what was typed or chosen (JSON) and how it was judged */
  answer: z.string().max(2000).optional(),
  verdict: z.enum(['correct', 'incorrect', 'invalid']).optional(),
  /** answers given after the solution was shown */
  afterSolution: z.boolean().optional(),
});
export type ProgressEvent = z.infer<typeof ProgressEvent>;

/** A guided lab's stage: graded on its own. */
export const StageProgress = z.object({
  attempts: z.number().int().min(0).default(0),
  invalid: z.number().int().min(0).default(0),
  hintsUsed: z.number().int().min(0).default(0),
  correct: z.boolean().default(false),
  gaveUp: z.boolean().default(false),
  solutionViewed: z.boolean().default(false),
  /** answered right only after the solution was shown */
  afterSolution: z.boolean().default(false),
  solvedAt: z.number().optional(),
  /** in exports only: this stage's points under the pack's policy */
  points: z.number().min(0).max(100).optional(),
});
export type StageProgress = z.infer<typeof StageProgress>;

const attemptFields = {
  attempts: z.number().int().min(0),
  invalid: z.number().int().min(0).default(0),
  correct: z.boolean(),
  gaveUp: z.boolean().default(false),
  hintsUsed: z.number().int().min(0),
  /** when this attempt began (first view, or the reset that started it) */
  firstSeen: z.number(),
  solvedAt: z.number().optional(),
  lastAnswer: z.string().max(2000).optional(),
  /** guided labs: the stage the learner has reached (every question before it is answered or given up) */
  stage: z.number().int().min(0).optional(),
  /** when this record last changed (ms) */
  touchedAt: z.number().optional(),
  /** the variant drawn: the same variant always draws the same parameters */
  variant: z.number().int().min(0).optional(),
  /** the parameters this attempt drew */
  params: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  /** the pack's version when this attempt was last answered */
  packVersion: z.string().max(40).optional(),
  solutionViewed: z.boolean().default(false),
  /** solved only after the solution was shown */
  afterSolution: z.boolean().default(false),
  /** guided labs: each stage's own grading, by stage id */
  stages: z.record(z.string(), StageProgress).default({}),
  events: z.array(ProgressEvent).default([]),
  /** in exports only: 0–100 under the pack's policy */
  points: z.number().min(0).max(100).optional(),
};

/** An earlier attempt, kept whole when the learner reset the exercise. */
export const PastAttempt = z.object({ ...attemptFields, endedAt: z.number() });
export type PastAttempt = z.infer<typeof PastAttempt>;

export const ExerciseProgress = z.object({ ...attemptFields, history: z.array(PastAttempt).default([]) });
export type ExerciseProgress = z.infer<typeof ExerciseProgress>;

/** At most this many events per attempt are kept (the earliest and the latest survive). */
export const MAX_EVENTS = 400;

export const ProgressFile = z.object({
  version: z.literal(PROGRESS_VERSION),
  profile: z.string(),
  /** a random id per profile: two learners who both kept the name "default" stay apart */
  learnerId: z.string().min(8).max(64),
  /** key: packId/exerciseId */
  exercises: z.record(z.string(), ExerciseProgress),
  updatedAt: z.number(),
  /** when each exercise was last reset (ms) */
  resets: z.record(z.string(), z.number()).default({}),
  /** when everything was last reset (ms) */
  resetAllAt: z.number().default(0),
});
export type ProgressFile = z.infer<typeof ProgressFile>;

/** Version 1 (before learner ids, history and stage grading): the same records with fewer fields. */
const ProgressFileV1 = z.object({
  version: z.literal(1),
  profile: z.string(),
  exercises: z.record(z.string(), z.object(attemptFields).passthrough()),
  updatedAt: z.number(),
  resets: z.record(z.string(), z.number()).default({}),
  resetAllAt: z.number().default(0),
});

/** Read a progress file of any version this memlab knows, migrating older ones (nothing is dropped). */
export function parseProgress(raw: unknown): { success: true; data: ProgressFile; migrated: boolean } | { success: false; error: z.ZodError } {
  if (raw && typeof raw === 'object' && (raw as { version?: unknown }).version === 1) {
    const r = ProgressFileV1.safeParse(raw);
    if (!r.success) return { success: false, error: r.error };
    const exercises = Object.fromEntries(Object.entries(r.data.exercises).map(([k, v]) => [k, ExerciseProgress.parse(v)]));
    return { success: true, migrated: true, data: { ...r.data, version: PROGRESS_VERSION, learnerId: newLearnerId(), exercises } };
  }
  const r = ProgressFile.safeParse(raw);
  return r.success ? { success: true, data: r.data, migrated: false } : { success: false, error: r.error };
}

export const newLearnerId = () => randomUUID();

export interface LoadOutcome {
  data: ProgressFile;
  /** set when the main file was unreadable: what happened, for the learner */
  notice?: string;
  /** the file was of an older version: it is kept as a copy before the first write */
  migratedFrom?: number;
}

const empty = (profile: string): ProgressFile => ({ version: PROGRESS_VERSION, profile, learnerId: newLearnerId(), exercises: {}, updatedAt: 0, resets: {}, resetAllAt: 0 });

const NEWER = 'newer';

function readValid(file: string): { data: ProgressFile; migrated: boolean } | string {
  if (!existsSync(file)) return 'missing';
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    // a newer memlab's format is not damage: leave it alone
    if (raw && typeof raw === 'object' && typeof (raw as { version?: unknown }).version === 'number' && (raw as { version: number }).version > PROGRESS_VERSION) return NEWER;
    const r = parseProgress(raw);
    if (r.success) return { data: r.data, migrated: r.migrated };
    const i = r.error.issues[0]!;
    return `${i.path.join('.') || '(root)'}: ${i.message}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Keep the first and the latest events when an attempt has more than MAX_EVENTS. */
export function capEvents(events: ProgressEvent[]): ProgressEvent[] {
  if (events.length <= MAX_EVENTS) return events;
  const head = Math.floor(MAX_EVENTS / 4);
  return [...events.slice(0, head), ...events.slice(events.length - (MAX_EVENTS - head))];
}

function mergeEvents(a: ProgressEvent[], b: ProgressEvent[]): ProgressEvent[] {
  const seen = new Set<string>();
  const out: ProgressEvent[] = [];
  for (const e of [...a, ...b].sort((x, y) => x.at - y.at)) {
    const k = JSON.stringify(e);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(e);
    }
  }
  return capEvents(out);
}

function mergeStage(a: StageProgress | undefined, b: StageProgress | undefined): StageProgress {
  if (!a) return b!;
  if (!b) return a;
  return {
    attempts: Math.max(a.attempts, b.attempts),
    invalid: Math.max(a.invalid, b.invalid),
    hintsUsed: Math.max(a.hintsUsed, b.hintsUsed),
    correct: a.correct || b.correct,
    gaveUp: a.gaveUp || b.gaveUp,
    solutionViewed: a.solutionViewed || b.solutionViewed,
    afterSolution: a.correct && b.correct ? a.afterSolution && b.afterSolution : a.correct ? a.afterSolution : b.afterSolution,
    solvedAt: a.solvedAt !== undefined && b.solvedAt !== undefined ? Math.min(a.solvedAt, b.solvedAt) : (a.solvedAt ?? b.solvedAt),
  };
}

/**
 * Merge two records of one exercise: nothing completed is ever undone. A record with more
 * earlier attempts was reset since the other was written: its current attempt wins.
 */
function mergeOne(a: ExerciseProgress | undefined, b: ExerciseProgress | undefined): ExerciseProgress {
  if (!a) return b!;
  if (!b) return a;
  if (a.history.length !== b.history.length) return a.history.length > b.history.length ? a : b;
  const stages: Record<string, StageProgress> = {};
  for (const k of new Set([...Object.keys(a.stages), ...Object.keys(b.stages)])) stages[k] = mergeStage(a.stages[k], b.stages[k]);
  const newer = (b.touchedAt ?? 0) >= (a.touchedAt ?? 0) ? b : a;
  return {
    attempts: Math.max(a.attempts, b.attempts),
    invalid: Math.max(a.invalid, b.invalid),
    correct: a.correct || b.correct,
    gaveUp: a.gaveUp || b.gaveUp,
    hintsUsed: Math.max(a.hintsUsed, b.hintsUsed),
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    solvedAt: a.solvedAt !== undefined && b.solvedAt !== undefined ? Math.min(a.solvedAt, b.solvedAt) : (a.solvedAt ?? b.solvedAt),
    lastAnswer: (b.solvedAt ?? 0) >= (a.solvedAt ?? 0) ? (b.lastAnswer ?? a.lastAnswer) : (a.lastAnswer ?? b.lastAnswer),
    stage: newer.stage ?? (newer === a ? b : a).stage,
    touchedAt: Math.max(a.touchedAt ?? 0, b.touchedAt ?? 0) || undefined,
    variant: newer.variant ?? a.variant ?? b.variant,
    params: newer.params ?? a.params ?? b.params,
    packVersion: newer.packVersion ?? a.packVersion ?? b.packVersion,
    solutionViewed: a.solutionViewed || b.solutionViewed,
    afterSolution: a.correct && b.correct ? a.afterSolution && b.afterSolution : a.correct ? a.afterSolution : b.afterSolution,
    stages,
    events: mergeEvents(a.events, b.events),
    history: newer.history,
  };
}

export function mergeProgress(a: ProgressFile, b: ProgressFile): ProgressFile {
  const resets: Record<string, number> = { ...a.resets };
  for (const [k, t] of Object.entries(b.resets)) resets[k] = Math.max(resets[k] ?? 0, t);
  const resetAllAt = Math.max(a.resetAllAt, b.resetAllAt);
  const keys = new Set([...Object.keys(a.exercises), ...Object.keys(b.exercises)]);
  const exercises: Record<string, ExerciseProgress> = {};
  for (const k of keys) exercises[k] = mergeOne(a.exercises[k], b.exercises[k]);
  // the file on disk (a) names the learner: every window of this profile shares its id
  return { version: PROGRESS_VERSION, profile: a.profile, learnerId: a.learnerId, exercises, updatedAt: Math.max(a.updatedAt, b.updatedAt), resets, resetAllAt };
}

/** A lock older than this is left from a crash and is broken (when its holder cannot be asked). */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 30_000;

/** Is the process that wrote this lock gone? (the lock holds "pid time"; kill(pid, 0) asks without signalling) */
export function lockHolderDead(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8').split(/\s/)[0]);
  } catch {
    return false;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: alive, another user's; ESRCH: no such process
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Hold an exclusive lock file (O_EXCL) while fn runs; waits for another holder, takes over a dead one's lock at once. */
export async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid} ${Date.now()}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        // a holder killed with -9 never unlocks: its pid is gone, so the lock is taken over now
        if (lockHolderDead(lock) || Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) {
          unlinkSync(lock);
          continue;
        }
      } catch {
        continue; // released between our attempts
      }
      if (Date.now() - started > LOCK_WAIT_MS) throw new Error(`progress is locked by another memlab (${lock}); if none is running, remove that file`);
      await new Promise((r) => setTimeout(r, 3 + Math.random() * 12));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* already gone */
    }
  }
}

/** Temp files the atomic writer leaves when killed mid-save (progress-x.json.<number>), older than this, are removed at start. */
const TEMP_AGE_MS = 5_000;

export function cleanTempFiles(dir: string, now = Date.now()): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    if (!/^progress-[\w-]{1,64}\.json\.\d+$/.test(n)) continue;
    const p = join(dir, n);
    try {
      if (now - statSync(p).mtimeMs < TEMP_AGE_MS) continue; // perhaps another window's save in flight
      unlinkSync(p);
      removed.push(n);
    } catch {
      /* gone already */
    }
  }
  return removed;
}

export class ProgressStore {
  readonly file: string;
  readonly backup: string;
  private data: ProgressFile;
  private queue: Promise<void> = Promise.resolve();
  notice?: string;
  /** set when the file is a newer memlab's: nothing is written */
  readOnly = false;

  constructor(
    readonly dir: string,
    readonly profile = 'default',
  ) {
    if (!/^[\w-]{1,64}$/.test(profile)) throw new Error(`a profile name is letters, digits, _ and -, not '${profile}'`);
    mkdirSync(dir, { recursive: true });
    cleanTempFiles(dir);
    this.file = join(dir, `progress-${profile}.json`);
    this.backup = `${this.file}.bak`;
    const out = this.load();
    this.data = out.data;
    this.notice = out.notice;
    // an older file is kept as it was, beside the migrated one; the learner's new id is written
    // at once so it never changes between runs
    if (out.migratedFrom !== undefined) {
      const copy = `${this.file}.v${out.migratedFrom}`;
      if (existsSync(this.file) && !existsSync(copy)) copyFileSync(this.file, copy);
      void this.save().catch(() => undefined);
    }
  }

  private load(): LoadOutcome {
    const main = readValid(this.file);
    if (typeof main !== 'string') return { data: main.data, ...(main.migrated ? { migratedFrom: 1 } : {}) };
    if (main === NEWER) {
      this.readOnly = true;
      return { data: empty(this.profile), notice: `Your progress was saved by a newer memlab (${this.file}); this one will not change it, and what you do now is not saved. Update memlab to continue your progress.` };
    }
    if (main === 'missing') {
      const bak = readValid(this.backup);
      return typeof bak === 'string' ? { data: empty(this.profile) } : { data: bak.data, notice: 'Your progress file was missing; it was restored from its backup.' };
    }
    const bak = readValid(this.backup);
    const aside = `${this.file}.corrupt-${Date.now()}`;
    renameSync(this.file, aside);
    if (typeof bak !== 'string') {
      return { data: bak.data, notice: `Your progress file was damaged (${main}); memlab restored it from the backup. The damaged file was kept as ${aside}.` };
    }
    return { data: empty(this.profile), notice: `Your progress file was damaged (${main}) and its backup could not be read either; the damaged file was kept as ${aside} and progress starts afresh.` };
  }

  get snapshot(): ProgressFile {
    return this.data;
  }

  get learnerId(): string {
    return this.data.learnerId;
  }

  get(key: string): ExerciseProgress | undefined {
    return this.data.exercises[key];
  }

  /** Change one exercise's record and save; saves are queued and merged with what is on disk. */
  update(key: string, fn: (p: ExerciseProgress) => ExerciseProgress): Promise<ExerciseProgress> {
    const now = Date.now();
    const current = this.data.exercises[key] ?? freshAttempt(now);
    const changed = fn({ ...current });
    const next = { ...changed, events: capEvents(changed.events), touchedAt: now };
    this.data = { ...this.data, exercises: { ...this.data.exercises, [key]: next }, updatedAt: now };
    return this.save().then(() => next);
  }

  /**
   * Start a new attempt at exercises (one, some or all): the current attempt moves, whole, into
   * the record's history, and the new one takes the next variant (nextVariant decides it).
   */
  async reset(keys: string[] | 'all', nextVariant: (key: string, old: ExerciseProgress) => number | undefined = (_k, old) => (old.variant === undefined ? undefined : old.variant + 1)): Promise<void> {
    const now = Date.now();
    const exercises = { ...this.data.exercises };
    const resets = { ...this.data.resets };
    for (const k of keys === 'all' ? Object.keys(exercises) : keys) {
      const old = exercises[k];
      resets[k] = now;
      if (!old) continue;
      const { history, ...attempt } = old;
      const variant = nextVariant(k, old);
      exercises[k] = { ...freshAttempt(now), ...(variant !== undefined ? { variant } : {}), touchedAt: now, history: [...history, { ...attempt, endedAt: now }] };
    }
    this.data = { ...this.data, exercises, resets, resetAllAt: keys === 'all' ? now : this.data.resetAllAt, updatedAt: now };
    await this.save();
  }

  /**
   * Save: under a lock file shared by every window and process on this data directory, read
   * what is on disk, merge (never overwrite another window's answers), keep the last good copy
   * as the backup, write atomically. A failed save does not stop later ones.
   */
  private save(): Promise<void> {
    if (this.readOnly) return this.queue;
    const run = this.queue.catch(() => undefined).then(() =>
      withLock(`${this.file}.lock`, async () => {
        const onDisk = readValid(this.file);
        if (typeof onDisk !== 'string') {
          this.data = mergeProgress(onDisk.data, this.data);
          copyFileSync(this.file, this.backup);
        }
        await writeFileAtomic(this.file, JSON.stringify(this.data, null, 1) + '\n', { fsync: true });
      }),
    );
    this.queue = run;
    return run;
  }

  flush(): Promise<void> {
    return this.queue;
  }
}

export function freshAttempt(now: number): ExerciseProgress {
  return { attempts: 0, invalid: 0, correct: false, gaveUp: false, hintsUsed: 0, firstSeen: now, solutionViewed: false, afterSolution: false, stages: {}, events: [], history: [] };
}

export function csvLine(cells: string[]): string {
  return cells.map((c) => (/[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
}
