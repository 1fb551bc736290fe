/**
 * The pack service's heavy work, off the event loop: parsing a pack's YAML, checking an answer
 * (predict and tune run their scenario), rendering Markdown. Files are read here, with every
 * limit checked first; the worker gets bytes and gives back plain data.
 */
import { randomBytes } from 'node:crypto';
import type { Answer, CheckResult } from '../../common/packs/checkers.js';
import { primeReport } from '../../common/packs/checkers.js';
import type { SimReport } from '../../common/kernel/index.js';
import type { PackProblem } from '../../common/packs/parse.js';
import type { Exercise } from '../../common/packs/schema.js';
import { type LoadedExercise, type Pack, readPackFiles, rootAt } from '../packs/loader.js';
import type { WorkerPool } from './host.js';

const PACK_ADVICE = 'make the pack smaller (memlab reads at most 64 KiB of YAML and of Markdown per file)';

/** Load a pack: files read (and limited) here, parsed in a worker. */
export async function loadPackOff(path: string, pool: WorkerPool): Promise<Pack> {
  return buildPackOff(path, await readPackFiles(path), pool);
}

/** Parse a pack's files in a worker. */
export async function buildPackOff(path: string, files: Map<string, Buffer>, pool: WorkerPool): Promise<Pack> {
  type Built = Omit<Pack, 'files' | 'exercises'> & { filesKeys: string[]; exercises: Array<[string, Omit<LoadedExercise, 'lineOf'>]> };
  const b = await pool.run<Built>('buildPack', { source: path, files }, { seconds: pool.limits.packSeconds, what: `the pack ${path}`, advice: PACK_ADVICE });
  // the worker re-rooted the files ("mypack/…") and left out oversize ones: keep its view
  const rooted = rootAt(files);
  const byKey = new Map<string, Buffer>();
  for (const k of b.filesKeys) {
    const v = rooted.get(k);
    if (v) byKey.set(k, v);
  }
  return {
    id: b.id,
    manifest: b.manifest,
    source: b.source,
    problems: b.problems,
    files: byKey,
    exercises: new Map(b.exercises.map(([k, e]) => [k, { ...e, lineOf: () => undefined }])),
  };
}

/**
 * pack check, in a worker, on the same files the pack was built from: the worker simulates for
 * real (this thread's report computer refuses to, so a check run here would find every
 * simulated answer "unknown"), and it builds the pack itself so every problem keeps its line.
 */
export async function checkPackOff(path: string, files: Map<string, Buffer>, pool: WorkerPool): Promise<PackProblem[]> {
  return pool.run<PackProblem[]>('checkPack', { source: path, files }, { seconds: pool.limits.packCheckSeconds, what: `pack check of ${path}`, advice: 'make its scenarios smaller or give its exercises fewer parameter values' });
}

/** The scenario references an exercise may simulate: its own and its stages'. */
export function scenarioRefs(ex: Exercise): string[] {
  const refs = new Set<string>();
  if (ex.scenario) refs.add(ex.scenario);
  if (ex.kind === 'guided') for (const st of ex.stages) if (st.question && 'scenario' in st.question && typeof st.question.scenario === 'string') refs.add(st.question.scenario);
  return [...refs];
}

/** Kinds whose expected values or solution text come from a simulation. */
const SIMULATES = new Set(['predict', 'observe', 'numeric', 'table', 'guided']);

function resolveScenarios(ex: Exercise, scenarioText: (ref: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of scenarioRefs(ex)) {
    try {
      out[r] = scenarioText(r);
    } catch {
      /* the checker reports a missing scenario itself */
    }
  }
  return out;
}

function prime(reports: Record<string, SimReport | { error: string }>): void {
  for (const [text, r] of Object.entries(reports)) primeReport(text, 'error' in r && typeof r.error === 'string' && !('snapshots' in r) ? new Error(r.error) : (r as SimReport));
}

/** Simulate what this exercise needs (in a worker) so that its solution text reads ready reports. */
export async function primeExercise(ex: Exercise, scenarioText: (ref: string) => string, pool: WorkerPool, known: (text: string) => boolean): Promise<void> {
  if (!SIMULATES.has(ex.kind)) return;
  const texts = Object.values(resolveScenarios(ex, scenarioText)).filter((t) => !known(t));
  if (!texts.length) return;
  try {
    prime(await pool.run('reports', { texts }, { seconds: pool.limits.checkSeconds, what: "this exercise's scenario", advice: 'the pack author can make it smaller' }));
  } catch (err) {
    for (const t of texts) primeReport(t, err instanceof Error ? err : new Error(String(err)));
  }
}

/** Check an answer in a worker; the reports it ran are kept for the solution text. */
export async function checkOff(ex: Exercise, answer: Answer, ctx: { params: Record<string, number | string>; scenarioText: (ref: string) => string; measured?: number }, pool: WorkerPool): Promise<CheckResult> {
  const scenarios = resolveScenarios(ex, ctx.scenarioText);
  const texts = SIMULATES.has(ex.kind) ? Object.values(scenarios) : [];
  const out = await pool.run<{ result: CheckResult; reports: Record<string, SimReport | { error: string }> }>(
    'check',
    { ex, answer, params: ctx.params, scenarios, texts, ...(ctx.measured !== undefined ? { measured: ctx.measured } : {}) },
    { seconds: pool.limits.checkSeconds, what: "checking this answer (it runs the exercise's scenario)", advice: 'the pack author can make the scenario smaller' },
  );
  prime(out.reports);
  return out.result;
}

/**
 * Render every Markdown text a view holds in one worker call: `render` hands out placeholders
 * while the view is built, `fill` swaps the HTML in.
 */
export interface MarkdownBatch {
  /** `inline`: a short text shown inline, without the <p> of its one paragraph */
  render: (text: string, packId: string, baseDir: string, inline?: boolean) => string;
  fill: <T>(view: T, pool: WorkerPool) => Promise<T>;
}

export function markdownBatch(): MarkdownBatch {
  const nonce = randomBytes(8).toString('hex');
  const items: Array<{ text: string; packId: string; baseDir: string; inline: boolean }> = [];
  return {
    render: (text, packId, baseDir, inline = false) => {
      items.push({ text, packId, baseDir, inline });
      return `\u0000md-${nonce}-${items.length - 1}\u0000`;
    },
    async fill(view, pool) {
      if (!items.length) return view;
      const html = await pool.run<string[]>('markdown', { items }, { seconds: pool.limits.markdownSeconds, what: 'rendering this exercise', advice: `the pack author can shorten its Markdown` });
      const re = new RegExp(`\\u0000md-${nonce}-(\\d+)\\u0000`, 'g');
      const swap = (v: unknown): unknown => {
        if (typeof v === 'string') return v.includes('\u0000') ? v.replace(re, (_m, i: string) => html[Number(i)] ?? '') : v;
        if (Array.isArray(v)) return v.map(swap);
        if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
        return v;
      };
      return swap(view) as typeof view;
    },
  };
}
