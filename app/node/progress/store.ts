/**
 * A learner's progress, one file per profile in the data directory: written atomically
 * (write-file-atomic: temp file, fsync, rename), schema-versioned, with the previous good copy
 * kept as a backup. A corrupt file is recovered from the backup and the learner is told; when
 * both are unreadable the bad file is kept aside (never silently reset). Writes from two
 * windows are merged, so no completed answer is lost.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';

export const PROGRESS_VERSION = 1;

export const ExerciseProgress = z.object({
  attempts: z.number().int().min(0),
  invalid: z.number().int().min(0).default(0),
  correct: z.boolean(),
  gaveUp: z.boolean().default(false),
  hintsUsed: z.number().int().min(0),
  firstSeen: z.number(),
  solvedAt: z.number().optional(),
  /** time spent, ms (from first view to solving or now) */
  lastAnswer: z.string().max(2000).optional(),
  /** guided labs: the stage the learner stands at, set by a right answer or by going on past a stage without a question (it may go back after a wrong answer) */
  stage: z.number().int().min(0).optional(),
  /** when this record last changed (ms): the newer window's stage wins a merge */
  touchedAt: z.number().optional(),
  /** in exports only: 0–100, after the pack's hint cost (policy.hint_cost per hint used) */
  points: z.number().min(0).max(100).optional(),
});
export type ExerciseProgress = z.infer<typeof ExerciseProgress>;

export const ProgressFile = z.object({
  version: z.literal(PROGRESS_VERSION),
  profile: z.string(),
  /** key: packId/exerciseId */
  exercises: z.record(z.string(), ExerciseProgress),
  updatedAt: z.number(),
  /** when each exercise was last reset (ms), so another window's merge cannot bring it back */
  resets: z.record(z.string(), z.number()).default({}),
  /** when everything was last reset (ms) */
  resetAllAt: z.number().default(0),
});
export type ProgressFile = z.infer<typeof ProgressFile>;

export interface LoadOutcome {
  data: ProgressFile;
  /** set when the main file was unreadable: what happened, for the learner */
  notice?: string;
}

const empty = (profile: string): ProgressFile => ({ version: PROGRESS_VERSION, profile, exercises: {}, updatedAt: 0, resets: {}, resetAllAt: 0 });

const NEWER = 'newer';

function readValid(file: string): ProgressFile | string {
  if (!existsSync(file)) return 'missing';
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    // a newer memlab's format is not damage: leave it alone
    if (raw && typeof raw === 'object' && typeof (raw as { version?: unknown }).version === 'number' && (raw as { version: number }).version > PROGRESS_VERSION) return NEWER;
    const r = ProgressFile.safeParse(raw);
    if (r.success) return r.data;
    const i = r.error.issues[0]!;
    return `${i.path.join('.') || '(root)'}: ${i.message}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Merge two records of one exercise: nothing completed is ever undone. */
function mergeOne(a: ExerciseProgress | undefined, b: ExerciseProgress | undefined): ExerciseProgress {
  if (!a) return b!;
  if (!b) return a;
  return {
    attempts: Math.max(a.attempts, b.attempts),
    invalid: Math.max(a.invalid, b.invalid),
    correct: a.correct || b.correct,
    gaveUp: a.gaveUp || b.gaveUp,
    hintsUsed: Math.max(a.hintsUsed, b.hintsUsed),
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    solvedAt: a.solvedAt !== undefined && b.solvedAt !== undefined ? Math.min(a.solvedAt, b.solvedAt) : (a.solvedAt ?? b.solvedAt),
    lastAnswer: (b.solvedAt ?? 0) >= (a.solvedAt ?? 0) ? (b.lastAnswer ?? a.lastAnswer) : (a.lastAnswer ?? b.lastAnswer),
    stage: (b.touchedAt ?? 0) >= (a.touchedAt ?? 0) ? (b.stage ?? a.stage) : (a.stage ?? b.stage),
    touchedAt: Math.max(a.touchedAt ?? 0, b.touchedAt ?? 0) || undefined,
  };
}

export function mergeProgress(a: ProgressFile, b: ProgressFile): ProgressFile {
  const resets: Record<string, number> = { ...a.resets };
  for (const [k, t] of Object.entries(b.resets)) resets[k] = Math.max(resets[k] ?? 0, t);
  const resetAllAt = Math.max(a.resetAllAt, b.resetAllAt);
  const keys = new Set([...Object.keys(a.exercises), ...Object.keys(b.exercises)]);
  const exercises: Record<string, ExerciseProgress> = {};
  for (const k of keys) {
    // a record last changed before a reset of its exercise is gone, whichever window kept it
    const cut = Math.max(resets[k] ?? 0, resetAllAt);
    const live = (r: ExerciseProgress | undefined) => (r && (r.touchedAt ?? r.firstSeen) >= cut ? r : undefined);
    const x = live(a.exercises[k]);
    const y = live(b.exercises[k]);
    if (x || y) exercises[k] = mergeOne(x, y);
  }
  return { version: PROGRESS_VERSION, profile: a.profile, exercises, updatedAt: Math.max(a.updatedAt, b.updatedAt), resets, resetAllAt };
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
  }

  private load(): LoadOutcome {
    const main = readValid(this.file);
    if (typeof main !== 'string') return { data: main };
    if (main === NEWER) {
      this.readOnly = true;
      return { data: empty(this.profile), notice: `Your progress was saved by a newer memlab (${this.file}); this one will not change it, and what you do now is not saved. Update memlab to continue your progress.` };
    }
    if (main === 'missing') {
      const bak = readValid(this.backup);
      return typeof bak === 'string' ? { data: empty(this.profile) } : { data: bak, notice: 'Your progress file was missing; it was restored from its backup.' };
    }
    const bak = readValid(this.backup);
    const aside = `${this.file}.corrupt-${Date.now()}`;
    renameSync(this.file, aside);
    if (typeof bak !== 'string') {
      return { data: bak, notice: `Your progress file was damaged (${main}); memlab restored it from the backup. The damaged file was kept as ${aside}.` };
    }
    return { data: empty(this.profile), notice: `Your progress file was damaged (${main}) and its backup could not be read either; the damaged file was kept as ${aside} and progress starts afresh.` };
  }

  get snapshot(): ProgressFile {
    return this.data;
  }

  get(key: string): ExerciseProgress | undefined {
    return this.data.exercises[key];
  }

  /** Change one exercise's record and save; saves are queued and merged with what is on disk. */
  update(key: string, fn: (p: ExerciseProgress) => ExerciseProgress): Promise<ExerciseProgress> {
    const now = Date.now();
    const current = this.data.exercises[key] ?? { attempts: 0, invalid: 0, correct: false, gaveUp: false, hintsUsed: 0, firstSeen: now };
    const next = { ...fn({ ...current }), touchedAt: now };
    this.data = { ...this.data, exercises: { ...this.data.exercises, [key]: next }, updatedAt: now };
    return this.save().then(() => next);
  }

  /** Forget exercises (reset one or all): recorded, so another window's merge cannot bring them back. */
  async reset(keys: string[] | 'all'): Promise<void> {
    const now = Date.now();
    const exercises = { ...this.data.exercises };
    const resets = { ...this.data.resets };
    for (const k of keys === 'all' ? Object.keys(exercises) : keys) {
      delete exercises[k];
      resets[k] = now;
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
          this.data = mergeProgress(onDisk, this.data);
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

export const CSV_HEADER = ['profile', 'pack', 'exercise', 'attempts', 'correct', 'gave_up', 'hints_used', 'time_s', 'points'];

/** Points for one exercise: 100 when solved, less hint_cost per hint used; 0 when not solved or given up. */
export function pointsFor(p: ExerciseProgress, hintCost: number): number {
  return p.correct && !p.gaveUp ? Math.max(0, 100 - hintCost * p.hintsUsed) : 0;
}

export function csvLine(cells: string[]): string {
  return cells.map((c) => (/[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
}

export function toCsv(data: ProgressFile): string {
  const rows = [CSV_HEADER];
  for (const [key, p] of Object.entries(data.exercises).sort()) {
    const cut = key.indexOf('/');
    const time = p.solvedAt !== undefined ? ((p.solvedAt - p.firstSeen) / 1000).toFixed(0) : '';
    rows.push([data.profile, key.slice(0, cut), key.slice(cut + 1), String(p.attempts), p.correct ? 'yes' : 'no', p.gaveUp ? 'yes' : 'no', String(p.hintsUsed), time, p.points === undefined ? '' : String(p.points)]);
  }
  return rows.map(csvLine).join('\n') + '\n';
}
