/**
 * Budgets for the work memlab does off its event loop (node:worker_threads): simulations, answer
 * checks, pack parsing, Markdown. Past a budget the worker is killed and the learner told, in
 * words, which limit the input ran into; the lab keeps answering everyone else.
 */

export interface WorkLimits {
  /** V8 heap of one worker (resourceLimits.maxOldGenerationSizeMb) */
  heapMiB: number;
  /** typed arrays one worker may hold (they live outside the V8 heap, so resourceLimits misses them) */
  arrayMiB: number;
  /** one simulator call (sim.load, sim.seek, sim.run, …) */
  simSeconds: number;
  /** one answer check (predict and tune run their scenario) */
  checkSeconds: number;
  /** parsing one pack (YAML of pack.yaml, exercises and scenarios) */
  packSeconds: number;
  /** pack check of one pack in author mode (every scenario, every parameter draw, every reference answer) */
  packCheckSeconds: number;
  /** rendering one exercise's Markdown */
  markdownSeconds: number;
  /** workers hosting simulator sessions (one per client); the oldest idle one gives way */
  simWorkers: number;
  /** workers for checks, packs and Markdown */
  poolWorkers: number;
  /** the whole process's resident memory: past it, every busy worker is stopped */
  rssMiB: number;
}

export const DEFAULT_WORK_LIMITS: WorkLimits = {
  heapMiB: 192,
  arrayMiB: 192,
  simSeconds: 20,
  checkSeconds: 15,
  packSeconds: 10,
  packCheckSeconds: 60,
  markdownSeconds: 5,
  simWorkers: 3,
  poolWorkers: 2,
  rssMiB: 896,
};

/** when a long simulator call says how far it is (sim.progress) */
export interface ProgressTiming {
  /** a seek that has run this long reports progress */
  afterMs: number;
  /** at most this often */
  everyMs: number;
}
export const PROGRESS_DEFAULTS: ProgressTiming = { afterMs: 100, everyMs: 50 };

/**
 * MEMLAB_PROGRESS_AFTER_MS / MEMLAB_PROGRESS_EVERY_MS (ms, 0 or more): when progress starts and how
 * often; the e2e tests set 0 so a step of this machine's speed reports every slice, not by luck.
 * A value that is not such a number is left out (the default holds).
 */
export function progressFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ProgressTiming> {
  const out: Partial<ProgressTiming> = {};
  const read = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const after = read('MEMLAB_PROGRESS_AFTER_MS');
  const every = read('MEMLAB_PROGRESS_EVERY_MS');
  if (after !== undefined) out.afterMs = after;
  if (every !== undefined) out.everyMs = every;
  return out;
}

export { MAX_MARKDOWN_BYTES, MAX_YAML_BYTES, MAX_YAML_NESTING } from '../../common/packs/limits.js';

/** A budget ran out: the message says which and what to do. */
export class WorkLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkLimitError';
  }
}

export const mib = (bytes: number) => Math.round(bytes / 1048576);
