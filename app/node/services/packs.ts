/**
 * Packs, exercises and progress behind the LabApi. The built-in pack comes from
 * exercises/linux-process-memory; packs a learner opens are remembered (and .memlab files copied)
 * in the data directory so they come back after a restart.
 */
import { existsSync, readdirSync, mkdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { DomainHandlers } from '../../common/api/dispatch.js';
import type { ExerciseView, PackDetail, packMethods, PackSummary, QuestionWidget, Widget } from '../../common/api/packs.js';
import { ApiError } from '../../common/api/protocol.js';
import { packScenarioId } from '../../common/api/sim.js';
import { type Answer, check, expectedFields, expectedValue, stageExercise } from '../../common/packs/checkers.js';
import { formatBytesHuman } from '../../common/packs/answer.js';
import { renderMarkdown } from '../../common/packs/markdown.js';
import { reachStage } from '../../common/packs/guided.js';
import { drawParams, hash32, rng, substitute } from '../../common/packs/params.js';
import type { Exercise, StageQuestion } from '../../common/packs/schema.js';
import { buildPack, loadPack, type Pack, PackRefused, readZip } from '../packs/loader.js';
import { pointsFor, ProgressStore, toCsv } from '../progress/store.js';
import type { AssetHandler, ServiceDeps } from './index.js';
import type { PackScenarios } from './sim.js';

const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml', '.webp': 'image/webp' };

function shuffled<T>(items: T[], seed: number): T[] {
  const a = [...items];
  const next = rng(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  // never show an ordering already solved
  if (a.length > 1 && a.every((x, i) => x === items[i])) [a[0], a[1]] = [a[1]!, a[0]!];
  return a;
}

export function createPackServices(deps: ServiceDeps): { handlers: DomainHandlers<typeof packMethods>; assets: AssetHandler; scenarios: PackScenarios } {
  const packs = new Map<string, Pack>();
  const builtinDir = join(deps.appRoot, 'exercises', 'linux-process-memory');
  const packsDir = join(deps.dataDir, 'packs');
  const openedFile = join(deps.dataDir, 'opened-packs.json');
  // one learner profile at a time on this machine (a classroom seat); each has its own progress file
  let progress = new ProgressStore(deps.dataDir, 'default');
  if (progress.notice) deps.log('warn', progress.notice);
  let builtinId: string | null = null;
  /** author mode: one folder watcher per client and pack */
  const watchers = new Map<string, { close(): void }>();

  const summary = (p: Pack): PackSummary => ({
    id: p.id,
    title: p.manifest?.title ?? p.id,
    version: p.manifest?.version ?? '?',
    source: p.source === builtinDir ? 'built-in' : p.source,
    builtin: p.id === builtinId,
    exercises: p.exercises.size,
    problems: p.problems,
  });

  const remember = (source: string) => {
    let list: string[] = [];
    try {
      list = JSON.parse(readFileSync(openedFile, 'utf8')) as string[];
    } catch {
      list = [];
    }
    if (!list.includes(source)) writeFileSync(openedFile, JSON.stringify([...list, source], null, 1));
  };

  /**
   * A folder whose pack.yaml does not parse stays open for fixing (author mode), as an empty
   * pack that lists its problems, under the id pack.yaml names (so fixing it keeps the same
   * pack) or else the folder's name.
   */
  const draft = (p: Pack, path: string): void => {
    const text = p.files.get('pack.yaml')!.toString('utf8');
    const named = /^id:\s*["']?([a-z0-9][a-z0-9-]{0,63})["']?\s*$/m.exec(text)?.[1];
    const folder = basename(path).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
    const id = named ?? (folder || 'draft');
    p.id = id;
    p.manifest = { id, title: `${basename(path)} (pack.yaml has errors)`, version: '0.0.0', authors: [], licence: '', memlab: '>=0.1', policy: { attempts_before_solution: 3, hint_cost: 0 }, chapters: [] };
  };

  const register = (p: Pack): Pack => {
    if (p.id === 'unknown') throw new ApiError('invalid-input', `not a pack: ${p.problems.map((x) => `${x.file}${x.line ? `:${x.line}` : ''}: ${x.message}`).join('; ')}`, { file: p.problems[0]?.file, line: p.problems[0]?.line });
    if (builtinId && p.id === builtinId && p.source !== builtinDir) throw new ApiError('invalid-input', `a pack cannot reuse the built-in pack's id '${p.id}'`);
    packs.set(p.id, p);
    return p;
  };

  const ready = (async () => {
    if (existsSync(join(builtinDir, 'pack.yaml'))) {
      try {
        const p = await loadPack(builtinDir);
        builtinId = p.id;
        register(p);
      } catch (err) {
        deps.log('error', `built-in pack: ${(err as Error).message}`);
      }
    }
    let list: string[] = [];
    try {
      list = JSON.parse(readFileSync(openedFile, 'utf8')) as string[];
    } catch {
      list = [];
    }
    for (const src of list) {
      try {
        const p = await loadPack(src);
        if (p.id === 'unknown' && !src.endsWith('.memlab') && p.files.has('pack.yaml')) draft(p, src);
        register(p);
      } catch (err) {
        deps.log('warn', `could not reopen ${src}: ${(err as Error).message}`);
      }
    }
  })();

  const pack = async (id: string): Promise<Pack> => {
    await ready;
    const p = packs.get(id);
    if (!p) throw new ApiError('not-found', `no open pack '${id}'`, { field: 'packId' });
    return p;
  };

  const scenarioText = (p: Pack) => (ref: string) => {
    if (ref.startsWith('builtin:')) {
      const id = ref.slice(8);
      if (!/^[a-z0-9-]+$/.test(id)) throw new Error(`bad built-in scenario '${id}'`);
      return readFileSync(join(deps.appRoot, 'exercises', 'scenarios', `${id}.yaml`), 'utf8');
    }
    const f = p.files.get(ref);
    if (!f) throw new Error(`the pack has no ${ref}`);
    return f.toString('utf8');
  };

  const key = (p: Pack, exId: string) => `${p.id}/${exId}`;
  /** the same numbers for the same learner, and new ones after a reset (a lab restarted with new parameters) */
  const seedFor = (p: Pack, exId: string) => {
    const resetAt = progress.snapshot.resets[key(p, exId)];
    return hash32(`${progress.profile}/${p.id}/${exId}${resetAt ? `#${resetAt}` : ''}`);
  };

  const chapterDone = (p: Pack, chapterId: string) => {
    const ch = p.manifest!.chapters.find((c) => c.id === chapterId);
    if (!ch) return true;
    return [...p.exercises.values()].filter((e) => e.chapter === chapterId).every((e) => {
      const pr = progress.get(key(p, e.exercise.id));
      return pr?.correct || pr?.gaveUp;
    });
  };

  const statusOf = (p: Pack, exId: string): 'new' | 'tried' | 'correct' | 'gave-up' => {
    const pr = progress.get(key(p, exId));
    if (!pr) return 'new';
    if (pr.correct) return 'correct';
    if (pr.gaveUp) return 'gave-up';
    return pr.attempts > 0 ? 'tried' : 'new';
  };

  const questionWidget = (ex: Exercise | StageQuestion, seed: number): QuestionWidget => {
    switch (ex.kind) {
      case 'numeric':
      case 'predict':
        return { kind: ex.kind, quantity: ex.answer.quantity };
      case 'table':
        return { kind: 'table', fields: ex.fields.map((f) => ({ name: f.name, label: f.label, quantity: f.quantity })) };
      case 'choice':
      case 'multiple':
        return { kind: ex.kind, options: ex.options };
      case 'ordering':
        return { kind: 'ordering', items: shuffled(ex.items, seed) };
      case 'matching':
        return { kind: 'matching', lefts: ex.pairs.map((x) => x[0]), rights: shuffled(ex.pairs.map((x) => x[1]), seed + 1) };
      case 'text':
        return { kind: 'text' };
      case 'tune':
        return { kind: 'tune', knobs: ex.knobs.map((k) => ({ ...k, value: k.min })), goals: ex.goals };
      default:
        throw new Error(`no question widget for ${ex.kind}`);
    }
  };

  const widgetOf = (p: Pack, ex: Exercise, seed: number, render: (s: string) => string, stage: number): Widget => {
    switch (ex.kind) {
      case 'observe':
        return { kind: 'observe', quantity: ex.answer.quantity, probe: ex.probe, sizeMib: ex.size_mib, live: false };
      case 'guided': {
        let step = 0;
        const stages = ex.stages.map((st, i) => {
          step += st.advance;
          return {
            id: st.id,
            title: st.title ?? st.id,
            step,
            html: render(st.say),
            highlight: st.highlight as Array<Record<string, string | number>>,
            ...(st.question ? { question: { html: render(st.question.prompt), widget: questionWidget(st.question, seed + i) } } : {}),
          };
        });
        return { kind: 'guided', scenario: ex.scenario, stages, stage: Math.min(stage, ex.stages.length - 1) };
      }
      default:
        return questionWidget(ex, seed);
    }
  };

  const solutionOf = (p: Pack, ex: Exercise, params: Record<string, number | string>): string => {
    switch (ex.kind) {
      case 'numeric':
      case 'predict':
      case 'observe': {
        const e = expectedValue(ex, { params, scenarioText: scenarioText(p) });
        return e.quantity === 'bytes' ? formatBytesHuman(e.value) : e.quantity === 'percent' ? `${e.value}%` : String(e.value);
      }
      case 'choice':
        return ex.options[ex.answer]!;
      case 'multiple':
        return ex.answer.map((i) => ex.options[i]).join('; ');
      case 'ordering':
        return ex.items.map((x, i) => `${i + 1}. ${x}`).join('  ');
      case 'matching':
        return ex.pairs.map(([l, r]) => `${l} → ${r}`).join('; ');
      case 'text':
        return ex.reference;
      case 'tune':
        return Object.entries(ex.solution).map(([k, v]) => `${ex.knobs.find((x) => x.path === k)?.label ?? k} = ${v}`).join(', ');
      case 'table': {
        const e = expectedFields(ex, { params, scenarioText: scenarioText(p) });
        return ex.fields.map((f) => `${f.label} = ${fmt(e[f.name]!.value, f.quantity)}`).join('; ');
      }
      case 'guided':
        return ex.stages
          .filter((st) => st.question)
          .map((st) => `${st.title ?? st.id}: ${solutionOf(p, stageExercise(ex, st.id)!, params)}`)
          .join(' | ');
    }
  };
  const fmt = (v: number, q: string) => (q === 'bytes' ? formatBytesHuman(v) : q === 'percent' ? `${v}%` : String(v));

  /** A short text rendered as one paragraph is shown inline: without its <p>. */
  const oneParagraph = (html: string) => /^<p>((?:(?!<\/?p>)[\s\S])*)<\/p>\n?$/.exec(html)?.[1] ?? html;
  /** Pack Markdown of one exercise file to HTML, its {{params}} filled in. */
  const markdownOf = (p: Pack, file: string, params: Record<string, number | string>) => {
    const baseDir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
    return (s: string) => oneParagraph(renderMarkdown(substitute(s, params), { packId: p.id, baseDir }));
  };

  const view = (p: Pack, exId: string): ExerciseView => {
    const le = p.exercises.get(exId);
    if (!le) throw new ApiError('not-found', `pack '${p.id}' has no exercise '${exId}'`, { field: 'exerciseId' });
    const ex = le.exercise;
    const seed = seedFor(p, exId);
    const params = drawParams(ex.params, seed);
    const pr = progress.get(key(p, exId));
    const status = statusOf(p, exId);
    const policy = p.manifest!.policy;
    const attempts = pr?.attempts ?? 0;
    const done = status === 'correct' || status === 'gave-up';
    const order = p.manifest!.chapters.flatMap((c) => c.exercises).map((f) => [...p.exercises.values()].find((e) => e.file === f)?.exercise.id).filter((x): x is string => !!x);
    const i = order.indexOf(exId);
    const baseDir = le.file.includes('/') ? le.file.slice(0, le.file.lastIndexOf('/')) : '';
    const render = (s: string) => renderMarkdown(substitute(s, params), { packId: p.id, baseDir });
    const offerSolution = done || (policy.attempts_before_solution > 0 && attempts >= policy.attempts_before_solution);
    // the simulator opens the exercise's scenario, built in or a file of this pack
    const scenarioId = !ex.scenario ? undefined : ex.scenario.startsWith('builtin:') ? ex.scenario.slice(8) : packScenarioId(p.id, ex.scenario);
    return {
      packId: p.id,
      id: exId,
      title: substitute(ex.title, params),
      kind: ex.kind,
      chapter: le.chapter,
      html: render(le.prose),
      widget: widgetOf(p, ex, seed, render, pr?.stage ?? 0),
      ...(scenarioId ? { simulator: { scenarioId, step: ex.show_step ?? 0 } } : {}),
      status,
      attempts,
      attemptsLeft: Math.max(0, policy.attempts_before_solution - attempts),
      // hints are Markdown like the explanation (HTML off), rendered here as HTML
      hints: ex.hints.slice(0, pr?.hintsUsed ?? 0).map((h) => oneParagraph(render(h))),
      hintsTotal: ex.hints.length,
      hintCost: policy.hint_cost,
      ...(done ? { explanation: render(ex.explanation) } : {}),
      ...(offerSolution && status !== 'new' ? { solution: solutionOf(p, ex, params) } : {}),
      ...(i > 0 ? { prev: order[i - 1] } : {}),
      ...(i >= 0 && i < order.length - 1 ? { next: order[i + 1] } : {}),
    };
  };

  const assets: AssetHandler = {
    prefix: '/pack-assets/',
    async handle(rest) {
      const [packIdEnc, ...pathParts] = rest.split('/');
      let packId: string;
      let path: string;
      try {
        packId = decodeURIComponent(packIdEnc ?? '');
        path = pathParts.map(decodeURIComponent).join('/');
      } catch {
        return null;
      }
      const p = packs.get(packId);
      const type = IMAGE_TYPES[extname(path).toLowerCase()];
      const body = p?.files.get(path);
      if (!p || !type || !body) return null;
      return { body, type };
    },
  };

  const handlers: DomainHandlers<typeof packMethods> = {
    'pack.list': async () => {
      await ready;
      const list = [...packs.values()].map(summary).sort((a, b) => Number(b.builtin) - Number(a.builtin) || a.title.localeCompare(b.title));
      return { packs: list, ...(progress.notice ? { notice: progress.notice } : {}) };
    },
    'pack.open': async ({ path }) => {
      await ready;
      let p: Pack;
      try {
        p = await loadPack(path);
      } catch (err) {
        if (err instanceof PackRefused) throw new ApiError('forbidden', err.message, { file: err.file });
        const e = err as NodeJS.ErrnoException;
        throw new ApiError('not-found', `cannot open ${path}: ${e.code === 'ENOENT' ? 'no such file or folder' : e.message}`);
      }
      if (p.id === 'unknown' && !path.endsWith('.memlab') && p.files.has('pack.yaml')) draft(p, path);
      register(p);
      remember(path);
      return summary(p);
    },
    'pack.openBytes': async ({ fileName, base64 }) => {
      await ready;
      const name = basename(fileName).replace(/[^\w.-]/g, '_');
      if (!name.endsWith('.memlab')) throw new ApiError('invalid-input', `${fileName} is not a .memlab file`);
      const bytes = Buffer.from(base64, 'base64');
      let p: Pack;
      try {
        p = buildPack(name, await readZip(bytes, name));
      } catch (err) {
        if (err instanceof PackRefused) throw new ApiError('forbidden', err.message, { file: err.file });
        throw err;
      }
      register(p);
      mkdirSync(packsDir, { recursive: true });
      const dest = join(packsDir, name);
      writeFileSync(dest, bytes);
      p.source = dest;
      remember(dest);
      return summary(p);
    },
    'pack.get': async ({ packId }) => {
      const p = await pack(packId);
      const m = p.manifest!;
      const chapters: PackDetail['chapters'] = m.chapters.map((c) => ({
        id: c.id,
        title: c.title,
        requires: c.requires,
        locked: c.requires.some((r) => !chapterDone(p, r)),
        exercises: c.exercises
          .map((f) => [...p.exercises.values()].find((e) => e.file === f))
          .filter((e): e is NonNullable<typeof e> => !!e)
          .map((e) => ({ id: e.exercise.id, title: e.exercise.title, kind: e.exercise.kind, status: statusOf(p, e.exercise.id) })),
      }));
      const resume = chapters.filter((c) => !c.locked).flatMap((c) => c.exercises).find((e) => e.status !== 'correct' && e.status !== 'gave-up')?.id;
      return { ...summary(p), description: m.description ?? '', ...(resume ? { resume } : {}), chapters };
    },
    'exercise.get': async ({ packId, exerciseId }) => {
      const p = await pack(packId);
      if (!progress.get(key(p, exerciseId)) && p.exercises.has(exerciseId)) await progress.update(key(p, exerciseId), (x) => x);
      return view(p, exerciseId);
    },
    'exercise.answer': async ({ packId, exerciseId, answer, measured }) => {
      const p = await pack(packId);
      const le = p.exercises.get(exerciseId);
      if (!le) throw new ApiError('not-found', `pack '${packId}' has no exercise '${exerciseId}'`);
      const ex = le.exercise;
      const params = drawParams(ex.params, seedFor(p, exerciseId));
      if (ex.kind === 'guided' && 'stage' in answer) {
        // stages are answered in order: the next unanswered question gates the rest
        const at = progress.get(key(p, exerciseId))?.stage ?? 0;
        const i = ex.stages.findIndex((st) => st.id === answer.stage);
        const gate = ex.stages.findIndex((st, j) => j >= at && st.question);
        if (i > gate && gate >= 0 && !progress.get(key(p, exerciseId))?.correct) {
          const g = ex.stages[gate]!;
          return { verdict: 'invalid' as const, message: `Answer stage ${gate + 1} (${g.title ?? g.id}) first.`, exercise: view(p, exerciseId) };
        }
      }
      const r = check(ex, answer as Answer, { params, scenarioText: scenarioText(p), ...(measured !== undefined && ex.kind === 'observe' ? { measured } : {}) });
      await progress.update(key(p, exerciseId), (x) => {
        if (r.verdict === 'invalid') return { ...x, invalid: x.invalid + 1 };
        if (x.correct) return x; // answering again after solving changes nothing
        if (ex.kind === 'guided' && 'stage' in answer) {
          // a lab is solved when its last question is answered right; a wrong one may send the learner back
          const i = ex.stages.findIndex((st) => st.id === answer.stage);
          const lastQ = ex.stages.map((st, j) => (st.question ? j : -1)).reduce((a, b) => Math.max(a, b), -1);
          const stage = r.verdict === 'correct' ? Math.max(x.stage ?? 0, Math.min(i + 1, ex.stages.length - 1)) : r.backTo ? ex.stages.findIndex((st) => st.id === r.backTo) : (x.stage ?? 0);
          const solved = r.verdict === 'correct' && i === lastQ;
          return { ...x, attempts: x.attempts + 1, stage, correct: solved, solvedAt: solved ? Date.now() : x.solvedAt, lastAnswer: JSON.stringify(answer).slice(0, 2000) };
        }
        return { ...x, attempts: x.attempts + 1, correct: r.verdict === 'correct', solvedAt: r.verdict === 'correct' ? Date.now() : x.solvedAt, lastAnswer: JSON.stringify(answer).slice(0, 2000) };
      });
      // predict, then run: once the prediction is right, say what the run itself gives
      const ran = ex.kind === 'predict' && r.verdict === 'correct' ? ` The simulator's run of the scenario gives ${solutionOf(p, ex, params)}; step through it beside this exercise to see where it comes from.` : '';
      return {
        verdict: r.verdict,
        message: r.message + ran,
        ...(r.unitRead ? { unitRead: r.unitRead } : {}),
        // misconceptions and option reasons are Markdown: rendered as HTML like the explanation
        ...(r.diagnosis ? { diagnosis: markdownOf(p, le.file, params)(r.diagnosis) } : {}),
        ...(r.partial !== undefined ? { partial: r.partial } : {}),
        ...(r.fields ? { fields: Object.fromEntries(Object.entries(r.fields).map(([k, f]) => [k, f.diagnosis ? { ...f, diagnosis: markdownOf(p, le.file, params)(f.diagnosis) } : f])) } : {}),
        ...(r.backTo ? { backTo: r.backTo } : {}),
        exercise: view(p, exerciseId),
      };
    },
    'pack.watch': async ({ packId, watch: on }, ctx) => {
      const p = await pack(packId);
      const k = `${ctx.clientId}/${packId}`;
      watchers.get(k)?.close();
      watchers.delete(k);
      if (!on) return { watching: false };
      if (p.id === builtinId || p.source.endsWith('.memlab') || !existsSync(p.source) || !statSync(p.source).isDirectory())
        throw new ApiError('invalid-input', `author mode watches a pack folder; ${p.source === builtinDir ? 'the built-in pack' : p.source} is not one`, { field: 'packId' });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const reload = async () => {
        let fresh: Pack;
        try {
          fresh = await loadPack(p.source);
        } catch (err) {
          const e = err as PackRefused;
          ctx.emit('pack.changed', { packId, exercises: packs.get(packId)?.exercises.size ?? 0, problems: [{ file: e.file ?? 'pack.yaml', message: e.message }] });
          return;
        }
        // the pack keeps its id while it is open, even if pack.yaml is broken mid-edit
        if (fresh.id !== packId)
          fresh.problems.unshift(fresh.id === 'unknown' ? { file: 'pack.yaml', message: 'pack.yaml cannot be read; the last good exercises stay open' } : { file: 'pack.yaml', field: 'id', message: `the id changed to '${fresh.id}'; reopen the pack to use it` });
        if (fresh.id === packId) packs.set(packId, fresh);
        else packs.set(packId, { ...packs.get(packId)!, problems: fresh.problems });
        ctx.emit('pack.changed', { packId, exercises: packs.get(packId)!.exercises.size, problems: fresh.problems });
      };
      const w = watch(p.source, { recursive: true }, () => {
        clearTimeout(timer);
        timer = setTimeout(() => void reload(), 150);
      });
      w.on('error', () => w.close());
      watchers.set(k, { close: () => (clearTimeout(timer), w.close()) });
      ctx.onClose(() => {
        watchers.get(k)?.close();
        watchers.delete(k);
      });
      return { watching: true };
    },
    'exercise.advanceStage': async ({ packId, exerciseId, stage }) => {
      const p = await pack(packId);
      const le = p.exercises.get(exerciseId);
      if (!le) throw new ApiError('not-found', `pack '${packId}' has no exercise '${exerciseId}' (asked for its stage '${stage}')`, { field: 'exerciseId' });
      const ex = le.exercise;
      if (ex.kind !== 'guided') throw new ApiError('invalid-input', `'${exerciseId}' is a ${ex.kind} exercise, not a guided lab: it has no stage '${stage}'`, { field: 'exerciseId' });
      const pr = progress.get(key(p, exerciseId));
      const move = reachStage(ex, pr?.stage ?? 0, !!pr?.correct, stage);
      if (!move.ok) throw new ApiError(move.code === 'unknown-stage' ? 'not-found' : 'forbidden', move.message, { field: 'stage' });
      // going back to look at an earlier stage keeps the stage reached; only going on is saved
      if (move.stage > (pr?.stage ?? 0)) await progress.update(key(p, exerciseId), (x) => ({ ...x, stage: Math.max(x.stage ?? 0, move.stage) }));
      return view(p, exerciseId);
    },
    'exercise.hint': async ({ packId, exerciseId }) => {
      const p = await pack(packId);
      const le = p.exercises.get(exerciseId);
      if (!le) throw new ApiError('not-found', `pack '${packId}' has no exercise '${exerciseId}'`);
      await progress.update(key(p, exerciseId), (x) => ({ ...x, hintsUsed: Math.min(le.exercise.hints.length, x.hintsUsed + 1) }));
      return view(p, exerciseId);
    },
    'exercise.giveUp': async ({ packId, exerciseId }) => {
      const p = await pack(packId);
      if (!p.exercises.has(exerciseId)) throw new ApiError('not-found', `pack '${packId}' has no exercise '${exerciseId}'`);
      await progress.update(key(p, exerciseId), (x) => (x.correct ? x : { ...x, gaveUp: true }));
      return view(p, exerciseId);
    },
    'exercise.reset': async ({ packId, exerciseId }) => {
      const p = await pack(packId);
      await progress.reset([key(p, exerciseId)]);
      return view(p, exerciseId);
    },
    'progress.resetAll': async () => {
      await progress.reset('all');
      return { reset: true };
    },
    'progress.profiles': () => {
      let names: string[] = [];
      try {
        names = readdirSync(deps.dataDir)
          .map((f) => /^progress-([\w-]{1,64})\.json$/.exec(f)?.[1])
          .filter((x): x is string => !!x);
      } catch {
        names = [];
      }
      return { profiles: [...new Set(['default', ...names, progress.profile])].sort(), current: progress.profile };
    },
    'progress.useProfile': async ({ name }) => {
      await progress.flush();
      progress = new ProgressStore(deps.dataDir, name);
      return { current: progress.profile, ...(progress.notice ? { notice: progress.notice } : {}) };
    },
    'progress.export': async ({ format }) => {
      await progress.flush();
      // each record carries its points under its own pack's hint cost
      const snap = progress.snapshot;
      const exercises = Object.fromEntries(
        Object.entries(snap.exercises).map(([k, pr]) => {
          const policy = packs.get(k.slice(0, k.indexOf('/')))?.manifest?.policy;
          return [k, policy ? { ...pr, points: pointsFor(pr, policy.hint_cost) } : pr];
        }),
      );
      const data = { ...snap, exercises };
      return format === 'json'
        ? { fileName: `memlab-results-${data.profile}.json`, text: JSON.stringify(data, null, 2) }
        : { fileName: `memlab-results-${data.profile}.csv`, text: toCsv(data) };
    },
  };
  /** the scenario files inside open packs, for the simulator: every .yaml/.yml but the manifest */
  const isScenarioFile = (path: string) => /\.ya?ml$/i.test(path) && basename(path) !== 'pack.yaml';
  const scenarios: PackScenarios = {
    async list() {
      await ready;
      return [...packs.values()].flatMap((p) =>
        [...p.files.keys()]
          .filter(isScenarioFile)
          .sort()
          .map((path) => ({ packId: p.id, packTitle: p.manifest?.title ?? p.id, path, text: p.files.get(path)!.toString('utf8') })),
      );
    },
    async read(packId, path) {
      const p = await pack(packId);
      const f = isScenarioFile(path) ? p.files.get(path) : undefined;
      if (!f) throw new ApiError('not-found', `the pack '${packId}' has no scenario file ${path}`, { field: 'scenario' });
      return { text: f.toString('utf8'), file: `${p.id}/${path}` };
    },
  };

  return { handlers, assets, scenarios };
}
