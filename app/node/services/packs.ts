/**
 * Packs, exercises and progress behind the LabApi. The built-in pack comes from
 * exercises/linux-process-memory; packs a learner opens are remembered (and .memlab files copied)
 * in the data directory so they come back after a restart.
 */
import { existsSync, readdirSync, mkdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { DomainHandlers } from '../../common/api/dispatch.js';
import type { z } from 'zod';
import type { AnswerResult, ExerciseStatus, ExerciseView, Outcome, PackDetail, packMethods, PackSummary, QuestionWidget, Widget } from '../../common/api/packs.js';
import { ApiError } from '../../common/api/protocol.js';
import { packScenarioId } from '../../common/api/sim.js';
import { type Answer, check, type CheckResult, expectedFields, expectedValue, goalLabel, lookupFor, stageExercise } from '../../common/packs/checkers.js';
import { evaluate } from '../../common/packs/expr.js';
import { checkPack } from '../packs/check.js';
import { type GradingPolicy, labOutcome, labPoints, outcomeOf, pointsOf } from '../../common/packs/grading.js';
import { type SimReport } from '../../common/kernel/index.js';
import { paramsUsed } from '../../common/kernel/scenario_params.js';
import { type ScenarioShape, scenarioShape } from '../../common/packs/shape.js';
import { finishedRun } from '../real/registry.js';
import { formatBytesHuman } from '../../common/packs/answer.js';
import { oneParagraph, renderMarkdown } from '../../common/packs/markdown.js';
import { reachStage } from '../../common/packs/guided.js';
import { drawParams, hash32, type ParamValues, rng, substitute } from '../../common/packs/params.js';
import { policySolution, policyWidget } from '../../common/packs/policy.js';
import type { Exercise, StageQuestion } from '../../common/packs/schema.js';
import { buildPack, loadPack, type Pack, PackRefused, readPackFiles, readZip } from '../packs/loader.js';
import type { WorkerPool } from '../work/host.js';
import { buildPackOff, checkOff, checkPackOff, loadPackOff, type MarkdownBatch, markdownBatch, primeExercise } from '../work/packs.js';
import { hasReport } from '../../common/packs/checkers.js';
import { type ExerciseProgress, type ProgressFile, ProgressStore, type StageProgress } from '../progress/store.js';
import { toCsv } from '../progress/results.js';
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

export function createPackServices(deps: ServiceDeps, work?: { pool: WorkerPool }): { handlers: DomainHandlers<typeof packMethods>; assets: AssetHandler; scenarios: PackScenarios } {
  /** with a worker pool (the hosts), parsing, checking and Markdown run off the event loop */
  const load = (path: string): Promise<Pack> => (work ? loadPackOff(path, work.pool) : loadPack(path));
  const startupNotices: string[] = [];
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
    p.manifest = { id, title: `${basename(path)} (pack.yaml has errors)`, version: '0.0.0', authors: [], licence: '', memlab: '>=0.1', policy: { attempts_before_solution: 3, hint_cost: 0, points_after_solution: 0 }, chapters: [] };
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
        const p = await load(builtinDir);
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
    // remembered packs load side by side, each within its budget; one that fails is skipped with a notice
    await Promise.all(
      list.map(async (src) => {
        try {
          const p = await load(src);
          if (p.id === 'unknown' && !src.endsWith('.memlab') && p.files.has('pack.yaml')) draft(p, src);
          register(p);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          deps.log('warn', `could not reopen ${src}: ${why}`);
          startupNotices.push(`The pack ${src} could not be reopened and was skipped: ${why}`);
        }
      }),
    );
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
  const policyOf = (p: Pack) => p.manifest!.policy;
  /** a learner's first variant of an exercise: neighbours get different numbers */
  const initialVariant = (packId: string, exId: string) => hash32(`${progress.learnerId}/${packId}/${exId}`) % 1000;
  const variantOf = (p: Pack, exId: string) => progress.get(key(p, exId))?.variant ?? initialVariant(p.id, exId);
  /** the same variant always draws the same parameters (and shuffles the same way), for every learner */
  const seedOf = (p: Pack, exId: string, variant: number) => hash32(`${p.id}/${exId}#${variant}`);
  const paramsOf = (p: Pack, ex: Exercise, variant: number) => drawParams(ex.params, seedOf(p, ex.id, variant));
  const nextVariant = (k: string, old: ExerciseProgress) => {
    const cut = k.indexOf('/');
    return (old.variant ?? initialVariant(k.slice(0, cut), k.slice(cut + 1))) + 1;
  };

  type Lab = Extract<Exercise, { kind: 'guided' }>;
  const NO_STAGE: StageProgress = { attempts: 0, invalid: 0, hintsUsed: 0, correct: false, gaveUp: false, solutionViewed: false, afterSolution: false };
  /** a stage's record; records from before stage grading count a stage behind the one reached (or a solved lab's) as answered */
  const stageRec = (lab: Lab, pr: ExerciseProgress | undefined, i: number): StageProgress => {
    const st = lab.stages[i]!;
    const own = pr?.stages[st.id];
    if (own) return own;
    if (pr && st.question && !Object.keys(pr.stages).length && (i < (pr.stage ?? 0) || (pr.correct && !pr.gaveUp))) return { ...NO_STAGE, correct: true };
    return NO_STAGE;
  };
  const stagePassed = (lab: Lab, pr: ExerciseProgress | undefined, i: number) => !lab.stages[i]!.question || outcomeOf(stageRec(lab, pr, i)) !== 'open';
  /** the furthest stage the learner may stand at: the first question stage not yet passed (or the last stage) */
  const gateOf = (lab: Lab, pr: ExerciseProgress | undefined) => {
    for (let j = 0; j < lab.stages.length; j++) if (!stagePassed(lab, pr, j)) return j;
    return lab.stages.length - 1;
  };
  const labDone = (lab: Lab, pr: ExerciseProgress | undefined) => lab.stages.every((_s, i) => stagePassed(lab, pr, i));
  /** the lab's record-level flags, from its stages: finished when every question is answered or given up */
  const labFlags = (lab: Lab, pr: ExerciseProgress) => {
    const outcomes = lab.stages.map((st, i) => (st.question ? outcomeOf(stageRec(lab, pr, i)) : null)).filter((o): o is Outcome => o !== null);
    const o = labOutcome(outcomes);
    return { correct: o !== 'open', gaveUp: o === 'gave-up', afterSolution: o === 'after-solution' };
  };
  const stagePoints = (lab: Lab, pr: ExerciseProgress | undefined, policy: GradingPolicy) =>
    lab.stages.flatMap((st, i) => (st.question ? [{ id: st.id, points: pointsOf(stageRec(lab, pr, i), policy) }] : []));
  const pointsFor = (ex: Exercise, pr: ExerciseProgress | undefined, policy: GradingPolicy): number => {
    if (!pr) return 0;
    if (ex.kind === 'guided') return labPoints(stagePoints(ex, pr, policy).map((x) => x.points), pr.hintsUsed, policy);
    return pointsOf(pr, policy);
  };
  const outcomeFor = (ex: Exercise, pr: ExerciseProgress | undefined): Outcome => {
    if (!pr) return 'open';
    if (ex.kind === 'guided') return labOutcome(ex.stages.map((st, i) => (st.question ? outcomeOf(stageRec(ex, pr, i)) : null)).filter((o): o is Outcome => o !== null));
    return outcomeOf(pr);
  };

  const chapterDone = (p: Pack, chapterId: string) => {
    const ch = p.manifest!.chapters.find((c) => c.id === chapterId);
    if (!ch) return true;
    return [...p.exercises.values()].filter((e) => e.chapter === chapterId).every((e) => outcomeFor(e.exercise, progress.get(key(p, e.exercise.id))) !== 'open');
  };

  const STATUS: Record<Outcome, 'correct' | 'after-solution' | 'gave-up' | null> = { earned: 'correct', 'after-solution': 'after-solution', 'gave-up': 'gave-up', open: null };
  const statusOf = (p: Pack, exId: string): ExerciseStatus => {
    const pr = progress.get(key(p, exId));
    const ex = p.exercises.get(exId)?.exercise;
    if (!pr || !ex) return 'new';
    return STATUS[outcomeFor(ex, pr)] ?? (pr.attempts > 0 ? 'tried' : 'new');
  };

  const questionWidget = (ex: Exercise | StageQuestion, seed: number, lastKnobs?: Record<string, number>): QuestionWidget => {
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
        return { kind: 'tune', knobs: ex.knobs.map((k) => ({ ...k, value: typeof lastKnobs?.[k.path] === 'number' && lastKnobs[k.path]! >= k.min && lastKnobs[k.path]! <= k.max ? lastKnobs[k.path]! : k.min })), goals: ex.goals.map(goalLabel) };
      default:
        throw new Error(`no question widget for ${ex.kind}`);
    }
  };

  /**
   * A lab's stages as the learner may see them: stages beyond the next unanswered question carry
   * only their title and step (no text, question or solution); each reached question stage has
   * its own grade, and its solution only once asked for or given up.
   */
  const labWidget = (p: Pack, ex: Lab, pr: ExerciseProgress | undefined, seed: number, params: ParamValues, render: (s: string) => string): Widget => {
    const policy = policyOf(p);
    const gate = gateOf(ex, pr);
    const done = labDone(ex, pr);
    let step = 0;
    const stages = ex.stages.map((st, i) => {
      step += st.advance;
      const reached = done || i <= gate;
      const base = { id: st.id, title: st.title ?? st.id, step, reached, html: reached ? render(st.say) : '', highlight: reached ? (st.highlight as Array<Record<string, string | number | boolean>>) : [] };
      if (!reached || !st.question) return base;
      const q = st.question;
      const rec = stageRec(ex, pr, i);
      const outcome = outcomeOf(rec);
      // a counter whose value the question asks for is shown once the stage is done
      if (outcome !== 'open') base.highlight = base.highlight.map((h) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'value')));
      const shown = rec.solutionViewed || rec.gaveUp;
      const grade = {
        outcome,
        attempts: rec.attempts,
        attemptsLeft: policy.attempts_before_solution > 0 ? Math.max(0, policy.attempts_before_solution - rec.attempts) : 0,
        hints: q.hints.slice(0, rec.hintsUsed).map((h) => substitute(h, params)),
        hintsTotal: q.hints.length,
        solutionAvailable: outcome === 'open' && !shown && policy.attempts_before_solution > 0 && rec.attempts >= policy.attempts_before_solution,
        solutionViewed: shown,
        ...(shown ? { solution: solutionSafe(p, stageExercise(ex, st.id)!, params) } : {}),
        ...(outcome !== 'open' ? { points: pointsOf(rec, policy) } : {}),
        ...(outcome !== 'open' && q.explanation ? { explanation: render(q.explanation) } : {}),
      };
      return { ...base, question: { html: render(q.prompt), widget: questionWidget(q, seed + i) }, grade };
    });
    return { kind: 'guided', scenario: ex.scenario, stages, stage: Math.min(pr?.stage ?? 0, ex.stages.length - 1), policy: { hintCost: policy.hint_cost, pointsAfterSolution: policy.points_after_solution } };
  };

  const widgetOf = (p: Pack, ex: Exercise, seed: number, lastKnobs?: Record<string, number>): Widget => {
    if (ex.kind === 'observe') return { kind: 'observe', quantity: ex.answer.quantity, probe: ex.probe, ...(ex.size_mib !== undefined ? { sizeMib: ex.size_mib } : {}), live: false, ...(ex.probe === 'scenario' && ex.scenario ? { scenario: ex.scenario } : {}) };
    if (ex.kind === 'guided') throw new Error('a lab is drawn by labWidget');
    if (ex.kind === 'policy') return policyWidget(ex, drawParams(ex.params, seed));
    return questionWidget(ex, seed, lastKnobs);
  };
  /** the knob values of the learner's last tune answer: the sliders stay where they were after a run */
  const lastKnobsOf = (last: string | undefined): Record<string, number> | undefined => {
    if (!last) return undefined;
    try {
      const a = JSON.parse(last) as { knobs?: unknown };
      return a.knobs && typeof a.knobs === 'object' ? (a.knobs as Record<string, number>) : undefined;
    } catch {
      return undefined;
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
        return Object.entries(ex.solution).map(([k, v]) => { const kn = ex.knobs.find((x) => x.path === k); return `${kn?.label ?? k} = ${v}${kn?.unit ? ` ${kn.unit}` : ''}`; }).join(', ');
      case 'table': {
        const e = expectedFields(ex, { params, scenarioText: scenarioText(p) });
        return ex.fields.map((f) => `${f.label} = ${fmt(e[f.name]!.value, f.quantity)}`).join('; ');
      }
      case 'policy':
        return policySolution(ex, params);
      case 'guided':
        return ex.stages
          .filter((st) => st.question)
          .map((st) => `${st.title ?? st.id}: ${solutionOf(p, stageExercise(ex, st.id)!, params)}`)
          .join(' | ');
    }
  };
  /** a solution whose scenario could not be run says so instead of failing the whole view */
  const solutionSafe = (p: Pack, ex: Exercise, params: Record<string, number | string>): string => {
    try {
      return solutionOf(p, ex, params);
    } catch (err) {
      return `(cannot be computed: ${err instanceof Error ? err.message : String(err)})`;
    }
  };
  const fmt = (v: number, q: string) => (q === 'bytes' ? formatBytesHuman(v) : q === 'percent' ? `${v}%` : String(v));

  /**
   * Pack Markdown of one exercise file to inline HTML, its {{params}} filled in: with a batch (the
   * hosts), a placeholder the batch fills from a worker; without one, rendered here.
   */
  const markdownOf = (p: Pack, file: string, params: Record<string, number | string>, md?: MarkdownBatch) => {
    const baseDir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
    return (s: string) => (md ? md.render(substitute(s, params), p.id, baseDir, true) : oneParagraph(renderMarkdown(substitute(s, params), { packId: p.id, baseDir })));
  };

  /**
   * The step that produces a predict exercise's outcome: the last step that changes the machine
   * at or before the snapshot its answer reads (`sim.<label>.…`; the end when it names none).
   * Beside the exercise, the simulator is held at the step before it until the prediction is in.
   */
  const scenarioParamsOf = (p: Pack, ref: string, params: ParamValues): ParamValues => {
    try {
      return paramsUsed(scenarioText(p)(ref), params);
    } catch {
      return {};
    }
  };
  const outcomeStep = (p: Pack, ex: Exercise, params: ParamValues): number | undefined => {
    if (ex.kind !== 'predict') return undefined;
    try {
      const text = scenarioText(p)(ex.scenario);
      // the learner's variant: a drawn `repeat: {{n}}` moves the outcome's step. With the hosts,
      // the scenario was parsed in a worker as the view was made (view below)
      const steps = work ? shapes.get(shapeKey(text, params)) : scenarioShape(text, ex.scenario, params);
      if (!steps) return undefined;
      const labels = [...ex.answer.expr.matchAll(/\b(?:sim|vmstat|meminfo|snapshots)\.([\w-]+)\./g)].map((m) => m[1]!);
      const at = (label: string) => (label === 'end' ? steps.length - 1 : steps.findIndex((s) => s.verb === 'snapshot' && s.snapshot === label));
      let last = labels.length ? Math.max(...labels.map(at)) : steps.length - 1;
      if (last < 0) last = steps.length - 1;
      while (last > 0 && steps[last]!.verb === 'snapshot') last--;
      return last + 1;
    } catch {
      return undefined;
    }
  };
  /** the steps of the predict scenarios seen lately, parsed in a worker (a 64 KiB scenario can take a second to parse) */
  const shapes = new Map<string, ScenarioShape>();
  const shapeKey = (text: string, params: ParamValues) => `${JSON.stringify(params)}\n${text}`;
  const shapeOff = async (p: Pack, ex: Exercise, params: ParamValues): Promise<void> => {
    if (!work || ex.kind !== 'predict') return;
    let text: string;
    try {
      text = scenarioText(p)(ex.scenario);
    } catch {
      return;
    }
    const key = shapeKey(text, params);
    if (shapes.has(key)) return;
    try {
      const shape = await work.pool.run<ScenarioShape>('scenarioShape', { text, file: ex.scenario, params }, { seconds: work.pool.limits.packSeconds, what: "this exercise's scenario", advice: 'the pack author can make it smaller' });
      if (shapes.size >= 32) shapes.delete(shapes.keys().next().value!);
      shapes.set(key, shape);
    } catch {
      /* the exercise is shown without holding the simulator back; its check reports the scenario's error */
    }
  };

  /** the exercise as the learner sees it now; `preview`: an author's look at another variant (nothing recorded) */
  /** the exercise as the learner sees it; with a pool, its simulations and Markdown are done in workers first */
  const view = async (p: Pack, exId: string, preview?: number): Promise<ExerciseView> => {
    if (!work) return viewNow(p, exId, preview);
    const le = p.exercises.get(exId);
    if (le) await Promise.all([primeExercise(le.exercise, scenarioText(p), work.pool, hasReport), shapeOff(p, le.exercise, paramsOf(p, le.exercise, preview ?? variantOf(p, exId)))]);
    const batch = markdownBatch();
    return batch.fill(viewNow(p, exId, preview, batch), work.pool);
  };

  const viewNow = (p: Pack, exId: string, preview?: number, md?: MarkdownBatch): ExerciseView => {
    const le = p.exercises.get(exId);
    if (!le) throw new ApiError('not-found', `pack '${p.id}' has no exercise '${exId}'`, { field: 'exerciseId' });
    const ex = le.exercise;
    const pr = preview === undefined ? progress.get(key(p, exId)) : undefined;
    const variant = preview ?? variantOf(p, exId);
    const seed = seedOf(p, exId, variant);
    const params = paramsOf(p, ex, variant);
    const status = preview === undefined ? statusOf(p, exId) : 'new';
    const outcome = outcomeFor(ex, pr);
    const policy = policyOf(p);
    const attempts = pr?.attempts ?? 0;
    const done = outcome !== 'open';
    const order = p.manifest!.chapters.flatMap((c) => c.exercises).map((f) => [...p.exercises.values()].find((e) => e.file === f)?.exercise.id).filter((x): x is string => !!x);
    const i = order.indexOf(exId);
    const baseDir = le.file.includes('/') ? le.file.slice(0, le.file.lastIndexOf('/')) : '';
    const render = (s: string, inline = false) => {
      if (md) return md.render(substitute(s, params), p.id, baseDir, inline);
      const html = renderMarkdown(substitute(s, params), { packId: p.id, baseDir });
      return inline ? oneParagraph(html) : html;
    };
    const shown = !!pr && (pr.solutionViewed || pr.gaveUp);
    const solutionAvailable = ex.kind !== 'guided' && !done && !shown && policy.attempts_before_solution > 0 && attempts >= policy.attempts_before_solution;
    // the simulator opens the exercise's scenario, built in or a file of this pack
    const scenarioId = !ex.scenario ? undefined : ex.scenario.startsWith('builtin:') ? ex.scenario.slice(8) : packScenarioId(p.id, ex.scenario);
    // a prediction is made before the outcome is seen: the simulator stops short of it until then
    const until = done || shown ? undefined : outcomeStep(p, ex, params);
    // the simulator beside it runs this learner's variant: the drawn values its {{…}} name
    const simParams = scenarioId ? scenarioParamsOf(p, ex.scenario!, params) : {};
    return {
      packId: p.id,
      id: exId,
      title: substitute(ex.title, params),
      kind: ex.kind,
      chapter: le.chapter,
      html: render(le.prose),
      widget: ex.kind === 'guided' ? labWidget(p, ex, pr, seed, params, render) : widgetOf(p, ex, seed, lastKnobsOf(pr?.lastAnswer)),
      ...(scenarioId ? { simulator: { scenarioId, step: until !== undefined ? Math.min(ex.show_step ?? 0, until - 1) : (ex.show_step ?? 0), ...(until !== undefined ? { until } : {}), reveal: done || shown, ...(Object.keys(simParams).length ? { params: simParams } : {}) } } : {}),
      status,
      outcome,
      attempt: (pr?.history.length ?? 0) + 1,
      variant,
      ...(preview !== undefined ? { preview: true } : {}),
      ...(done ? { points: pointsFor(ex, pr, policy) } : {}),
      solutionAvailable,
      solutionViewed: shown,
      pointsAfterSolution: policy.points_after_solution,
      attempts,
      attemptsLeft: policy.attempts_before_solution > 0 ? Math.max(0, policy.attempts_before_solution - attempts) : 0,
      // hints are Markdown like the explanation (HTML off), rendered here as HTML, their {{params}} filled in
      hints: ex.hints.slice(0, pr?.hintsUsed ?? 0).map((h) => render(h, true)),
      hintsTotal: ex.hints.length,
      hintCost: policy.hint_cost,
      ...(done ? { explanation: render(ex.explanation) } : {}),
      ...(ex.kind !== 'guided' && (shown || preview !== undefined) ? { solution: solutionSafe(p, ex, params) } : {}),
      ...(i > 0 ? { prev: order[i - 1] } : {}),
      ...(i >= 0 && i < order.length - 1 ? { next: order[i + 1] } : {}),
    };
  };

  /** what a learner's answer is recorded as: short, readable JSON */
  const answerText = (a: unknown) => JSON.stringify(a).slice(0, 2000);
  /** make sure the current attempt records its variant, parameters and the pack's version */
  const stamp = (p: Pack, ex: Exercise) => (x: ExerciseProgress): ExerciseProgress => {
    const variant = x.variant ?? initialVariant(p.id, ex.id);
    return { ...x, variant, params: paramsOf(p, ex, variant), packVersion: p.manifest!.version };
  };
  const exerciseOf = (p: Pack, exId: string) => {
    const le = p.exercises.get(exId);
    if (!le) throw new ApiError('not-found', `pack '${p.id}' has no exercise '${exId}'`, { field: 'exerciseId' });
    return le.exercise;
  };
  /** a lab's stage by id (or the stage the learner is at), refused unless it asks a question that was reached */
  const labStage = (p: Pack, ex: Exercise, stageId: string | undefined): { lab: Lab; i: number } | null => {
    if (ex.kind !== 'guided') {
      if (stageId !== undefined) throw new ApiError('invalid-input', `'${ex.id}' is a ${ex.kind} exercise, not a guided lab: it has no stage '${stageId}'`, { field: 'stage' });
      return null;
    }
    const pr = progress.get(key(p, ex.id));
    const i = stageId === undefined ? gateOf(ex, pr) : ex.stages.findIndex((s) => s.id === stageId);
    if (i < 0) throw new ApiError('not-found', `lab '${ex.id}' has no stage '${stageId}' (its stages: ${ex.stages.map((s) => s.id).join(', ')})`, { field: 'stage' });
    const st = ex.stages[i]!;
    if (!st.question) throw new ApiError('invalid-input', `stage ${i + 1} (${st.title ?? st.id}) of '${ex.id}' asks no question`, { field: 'stage' });
    if (i > gateOf(ex, pr)) throw new ApiError('forbidden', `lab '${ex.id}': stage ${i + 1} (${st.title ?? st.id}) is not reached yet`, { field: 'stage' });
    return { lab: ex, i };
  };
  const setStage = (x: ExerciseProgress, id: string, fn: (s: StageProgress) => StageProgress): ExerciseProgress => ({ ...x, stages: { ...x.stages, [id]: fn({ ...NO_STAGE, ...x.stages[id] }) } });
  /** after a stage changed: the lab's flags, and the stage reached moves past a finished stage */
  const settleLab = (lab: Lab, i: number, x: ExerciseProgress): ExerciseProgress => {
    const passed = stagePassed(lab, x, i);
    const stage = passed ? Math.max(x.stage ?? 0, Math.min(i + 1, lab.stages.length - 1)) : (x.stage ?? 0);
    const f = labFlags(lab, x);
    return { ...x, stage, ...f, solvedAt: f.correct ? (x.solvedAt ?? Date.now()) : x.solvedAt };
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
      const notice = [progress.notice, ...startupNotices].filter(Boolean).join(' ');
      return { packs: list, ...(notice ? { notice } : {}) };
    },
    'pack.open': async ({ path }) => {
      await ready;
      let p: Pack;
      try {
        p = await load(path);
      } catch (err) {
        if (err instanceof ApiError) throw err;
        if (err instanceof PackRefused) throw new ApiError('forbidden', err.message, { file: err.file });
        // one answer whether the path is missing, unreadable or not a folder: errors do not map the disk
        throw new ApiError('not-found', `cannot open ${path}: it is not a pack folder or .memlab file that this lab's user can read`, { field: 'path' });
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
        const files = await readZip(bytes, name);
        p = work ? await buildPackOff(name, files, work.pool) : buildPack(name, files);
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
          .map((e) => ({ id: e.exercise.id, title: e.exercise.title, kind: e.exercise.kind, status: statusOf(p, e.exercise.id), file: e.file })),
      }));
      const resume = chapters.filter((c) => !c.locked).flatMap((c) => c.exercises).find((e) => e.status !== 'correct' && e.status !== 'gave-up')?.id;
      return { ...summary(p), description: m.description ?? '', ...(resume ? { resume } : {}), chapters };
    },
    'exercise.get': async ({ packId, exerciseId, variant }, ctx) => {
      const p = await pack(packId);
      const ex = exerciseOf(p, exerciseId);
      if (variant !== undefined) {
        // an author looks at another variant's numbers; a learner keeps the variant they drew
        if (!watchers.has(`${ctx.clientId}/${packId}`)) throw new ApiError('forbidden', `opening variant ${variant} of '${exerciseId}' by URL needs author mode: tick "Author mode" for the pack folder '${packId}' first`, { field: 'variant' });
        return view(p, exerciseId, variant);
      }
      const pr = progress.get(key(p, exerciseId));
      if (!pr || pr.variant === undefined || !pr.params) await progress.update(key(p, exerciseId), stamp(p, ex));
      return view(p, exerciseId);
    },
    'exercise.answer': async ({ packId, exerciseId, answer, measured: given, variant, realRunId }, ctx) => {
      const p = await pack(packId);
      const ex = exerciseOf(p, exerciseId);
      if (variant !== undefined && !watchers.has(`${ctx.clientId}/${packId}`)) throw new ApiError('forbidden', `answering variant ${variant} needs author mode for '${packId}'`, { field: 'variant' });
      const params = paramsOf(p, ex, variant ?? variantOf(p, exerciseId));
      const file = p.exercises.get(exerciseId)!.file;
      const k = key(p, exerciseId);
      let measured = given;
      if (ex.kind === 'observe' && ex.probe === 'scenario') {
        // the measurement is the answer's expression read over the kernel's run of the scenario (same shape as the simulator's)
        measured = undefined;
        const real = realRunId ? finishedRun(realRunId, ctx.clientId) : undefined;
        if (real) {
          try {
            measured = evaluate(ex.answer.expr, lookupFor(params, real as unknown as SimReport));
          } catch {
            measured = undefined;
          }
        }
      }
      const cctx = { params, scenarioText: scenarioText(p), ...(measured !== undefined && ex.kind === 'observe' ? { measured } : {}) };
      const reply = async (r: CheckResult, extra: Partial<z.infer<typeof AnswerResult>> = {}) => {
        // misconceptions and option reasons are Markdown: rendered (in a worker, with the hosts) as HTML like the explanation
        const md = work ? markdownBatch() : undefined;
        const diagnosisOf = markdownOf(p, file, params, md);
        const out = {
          verdict: r.verdict,
          message: r.message,
          ...(r.unitRead ? { unitRead: r.unitRead } : {}),
          ...(r.diagnosis ? { diagnosis: diagnosisOf(r.diagnosis) } : {}),
          ...(r.partial !== undefined ? { partial: r.partial } : {}),
          ...(r.fields ? { fields: Object.fromEntries(Object.entries(r.fields).map(([k, f]) => [k, f.diagnosis ? { ...f, diagnosis: diagnosisOf(f.diagnosis) } : f])) } : {}),
          ...extra,
        };
        const filled = md && work ? await md.fill(out, work.pool) : out;
        return { ...filled, exercise: await view(p, exerciseId, variant) };
      };
      // predict and tune run their scenario: with a pool, every check runs in a worker
      const checkNow = (e: Exercise, a: Answer) => (work ? checkOff(e, a, cctx, work.pool) : Promise.resolve(check(e, a, cctx)));
      if (ex.kind === 'guided') {
        if (!('stage' in answer)) return reply({ verdict: 'invalid', message: 'Answer the question of a stage.' });
        const pr = progress.get(k);
        const i = ex.stages.findIndex((st) => st.id === answer.stage);
        const st = ex.stages[i];
        const q = st ? stageExercise(ex, st.id) : undefined;
        if (!st || !q) return reply({ verdict: 'invalid', message: `Stage '${answer.stage}' asks no question.` });
        const gate = gateOf(ex, pr);
        if (variant === undefined && i > gate) {
          const g = ex.stages[gate]!;
          return reply({ verdict: 'invalid', message: `Answer stage ${gate + 1} (${g.title ?? g.id}) first.` }, { stage: st.id });
        }
        // a finished stage keeps its grade: revisiting it re-answers nothing
        if (variant === undefined && stagePassed(ex, pr, i)) return reply({ verdict: 'invalid', message: `Stage ${i + 1} (${st.title ?? st.id}) is already done; answering it again changes nothing.` }, { stage: st.id });
        const r = await checkNow(q, answer.answer as Answer);
        let extra: Partial<z.infer<typeof AnswerResult>> = { stage: st.id };
        if (r.verdict === 'incorrect' && st.on_wrong) {
          const back = ex.stages.find((x) => x.id === st.on_wrong!.back_to);
          const bi = ex.stages.findIndex((x) => x.id === st.on_wrong!.back_to);
          const title = back?.title ?? st.on_wrong.back_to;
          extra = { ...extra, backTo: st.on_wrong.back_to, revisit: { stage: st.on_wrong.back_to, title: `${bi + 1}. ${title}`, why: st.on_wrong.say ?? `Stage ${bi + 1} (${title}) shows what this question depends on.` } };
        }
        if (variant !== undefined) return reply(r, extra);
        await progress.update(k, (x0) => {
          const x = stamp(p, ex)(x0);
          const event = { at: Date.now(), type: 'answer' as const, stage: st.id, answer: answerText(answer.answer), verdict: r.verdict, ...(x.stages[st.id]?.solutionViewed ? { afterSolution: true } : {}) };
          const withEvent = { ...x, events: [...x.events, event], lastAnswer: answerText(answer) };
          if (r.verdict === 'invalid') return { ...setStage(withEvent, st.id, (s) => ({ ...s, invalid: s.invalid + 1 })), invalid: x.invalid + 1 };
          const y = setStage({ ...withEvent, attempts: x.attempts + 1 }, st.id, (s) => ({
            ...s,
            attempts: s.attempts + 1,
            ...(r.verdict === 'correct' ? { correct: true, afterSolution: s.solutionViewed, solvedAt: Date.now() } : {}),
          }));
          return settleLab(ex, i, y);
        });
        return reply(r, extra);
      }
      if ('stage' in answer) return reply({ verdict: 'invalid', message: `'${exerciseId}' is not a guided lab: it has no stages.` });
      const r = await checkNow(ex, answer as Answer);
      if (variant === undefined) {
        await progress.update(k, (x0) => {
          const x = stamp(p, ex)(x0);
          if (x.correct) return x; // answering again after solving changes nothing
          const event = { at: Date.now(), type: 'answer' as const, answer: answerText(answer), verdict: r.verdict, ...(x.solutionViewed ? { afterSolution: true } : {}) };
          if (r.verdict === 'invalid') return { ...x, invalid: x.invalid + 1, events: [...x.events, event] };
          const right = r.verdict === 'correct';
          return { ...x, attempts: x.attempts + 1, correct: right, afterSolution: right && x.solutionViewed, solvedAt: right ? Date.now() : x.solvedAt, lastAnswer: answerText(answer), events: [...x.events, event] };
        });
      }
      // predict, then run: once the prediction is right, say what the run itself gives
      const ran = ex.kind === 'predict' && r.verdict === 'correct' ? ` The simulator's run of the scenario gives ${solutionSafe(p, ex, params)}; step through it beside this exercise to see where it comes from.` : '';
      // observe: say what the answer was checked against (the reading is on the learner's screen already)
      const against =
        ex.kind !== 'observe' || r.verdict === 'invalid'
          ? ''
          : measured !== undefined
            ? ` Checked against the measurement on this machine: ${Math.round(measured / 1024).toLocaleString('en')} kB.`
            : ' Checked against a simulated run of the probe (the host panel is off or not on Linux).';
      return reply({ ...r, message: r.message + ran + against });
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
      let closed = false;
      const reload = async () => {
        if (closed) return;
        // one read of the folder: the pack the lab shows and the pack check it reports are the same files
        let files: Map<string, Buffer>;
        let fresh: Pack;
        try {
          files = await readPackFiles(p.source);
          fresh = work ? await buildPackOff(p.source, files, work.pool) : buildPack(p.source, files);
        } catch (err) {
          const e = err as PackRefused;
          if (!closed) ctx.emit('pack.changed', { packId, exercises: packs.get(packId)?.exercises.size ?? 0, problems: [{ file: e.file ?? 'pack.yaml', message: e.message }] });
          return;
        }
        // author mode runs pack check itself: the same problems, the same count, as the command line.
        // It runs where the simulator does (a worker): this thread only reads reports a worker made,
        // so a check here would find every simulated answer's names unknown.
        if (fresh.id === packId) {
          try {
            fresh.problems = work ? await checkPackOff(p.source, files, work.pool) : checkPack(fresh);
          } catch (err) {
            fresh.problems = [...fresh.problems, { file: 'pack.yaml', message: `pack check could not run: ${(err as Error).message}` }];
          }
        }
        // the pack keeps its id while it is open, even if pack.yaml is broken mid-edit
        if (fresh.id !== packId)
          fresh.problems.unshift(fresh.id === 'unknown' ? { file: 'pack.yaml', message: 'pack.yaml cannot be read; the last good exercises stay open' } : { file: 'pack.yaml', field: 'id', message: `the id changed to '${fresh.id}'; reopen the pack to use it` });
        if (fresh.id === packId) packs.set(packId, fresh);
        else packs.set(packId, { ...packs.get(packId)!, problems: fresh.problems });
        if (!closed) ctx.emit('pack.changed', { packId, exercises: packs.get(packId)!.exercises.size, problems: fresh.problems });
      };
      // reloads run one after another, so the last event always reports the folder as last saved
      let queue: Promise<void> = Promise.resolve();
      const schedule = () => (queue = queue.then(reload, reload));
      const w = watch(p.source, { recursive: true }, () => {
        clearTimeout(timer);
        timer = setTimeout(() => void schedule(), 150);
      });
      w.on('error', () => w.close());
      watchers.set(k, { close: () => ((closed = true), clearTimeout(timer), w.close()) });
      // from the moment author mode is on, the pack shows what pack check says: the first check is
      // done (and its pack.changed sent) before this call answers, so no later save's event races it
      await schedule();
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
      const move = reachStage(ex, pr?.stage ?? 0, labDone(ex, pr), stage);
      if (!move.ok) throw new ApiError(move.code === 'unknown-stage' ? 'not-found' : 'forbidden', move.message, { field: 'stage' });
      // going back to look at an earlier stage keeps the stage reached; only going on is saved
      if (move.stage > (pr?.stage ?? 0)) await progress.update(key(p, exerciseId), (x) => ({ ...x, stage: Math.max(x.stage ?? 0, move.stage) }));
      return view(p, exerciseId);
    },
    'exercise.hint': async ({ packId, exerciseId, stage }) => {
      const p = await pack(packId);
      const ex = exerciseOf(p, exerciseId);
      const at = labStage(p, ex, stage);
      await progress.update(key(p, exerciseId), (x) => {
        const event = { at: Date.now(), type: 'hint' as const, ...(at ? { stage: at.lab.stages[at.i]!.id } : {}) };
        if (at) {
          const st = at.lab.stages[at.i]!;
          return { ...setStage(x, st.id, (s) => ({ ...s, hintsUsed: Math.min(st.question!.hints.length, s.hintsUsed + 1) })), events: [...x.events, event] };
        }
        return { ...x, hintsUsed: Math.min(ex.hints.length, x.hintsUsed + 1), events: [...x.events, event] };
      });
      return view(p, exerciseId);
    },
    'exercise.solution': async ({ packId, exerciseId, stage }) => {
      const p = await pack(packId);
      const ex = exerciseOf(p, exerciseId);
      const at = labStage(p, ex, stage);
      const pr = progress.get(key(p, exerciseId));
      const policy = policyOf(p);
      const tried = at ? stageRec(at.lab, pr, at.i).attempts : (pr?.attempts ?? 0);
      const open = at ? !stagePassed(at.lab, pr, at.i) : outcomeFor(ex, pr) === 'open';
      if (open && (policy.attempts_before_solution === 0 || tried < policy.attempts_before_solution))
        throw new ApiError('forbidden', policy.attempts_before_solution === 0 ? 'this pack shows a solution only to a learner who gives up' : `the solution opens after ${policy.attempts_before_solution} wrong attempts (${tried} so far)`, { field: at ? 'stage' : 'exerciseId' });
      await progress.update(key(p, exerciseId), (x) => {
        const event = { at: Date.now(), type: 'solution' as const, ...(at ? { stage: at.lab.stages[at.i]!.id } : {}) };
        if (at) return { ...setStage(x, at.lab.stages[at.i]!.id, (s) => ({ ...s, solutionViewed: true })), events: [...x.events, event] };
        return { ...x, solutionViewed: true, events: [...x.events, event] };
      });
      return view(p, exerciseId);
    },
    'exercise.giveUp': async ({ packId, exerciseId, stage }) => {
      const p = await pack(packId);
      const ex = exerciseOf(p, exerciseId);
      const at = labStage(p, ex, stage);
      await progress.update(key(p, exerciseId), (x) => {
        const event = { at: Date.now(), type: 'give-up' as const, ...(at ? { stage: at.lab.stages[at.i]!.id } : {}) };
        if (at) {
          const st = at.lab.stages[at.i]!;
          if (stagePassed(at.lab, x, at.i)) return x;
          return settleLab(at.lab, at.i, { ...setStage(x, st.id, (s) => ({ ...s, gaveUp: true, solutionViewed: true })), events: [...x.events, event] });
        }
        return x.correct ? x : { ...x, gaveUp: true, solutionViewed: true, events: [...x.events, event] };
      });
      return view(p, exerciseId);
    },
    'exercise.reset': async ({ packId, exerciseId }) => {
      const p = await pack(packId);
      const ex = exerciseOf(p, exerciseId);
      await progress.reset([key(p, exerciseId)], nextVariant);
      await progress.update(key(p, exerciseId), stamp(p, ex));
      return view(p, exerciseId);
    },
    'progress.resetAll': async () => {
      await progress.reset('all', nextVariant);
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
      // each attempt carries its points under its own pack's policy, each lab stage its own
      const snap = progress.snapshot;
      const graded = (k: string, pr: ExerciseProgress | Omit<ExerciseProgress, 'history'>) => {
        const cut = k.indexOf('/');
        const p = packs.get(k.slice(0, cut));
        const ex = p?.exercises.get(k.slice(cut + 1))?.exercise;
        if (!p?.manifest || !ex) return pr;
        const policy = policyOf(p);
        const full = { history: [], ...pr } as ExerciseProgress;
        const stages = ex.kind === 'guided' ? Object.fromEntries(stagePoints(ex, full, policy).map(({ id, points }) => [id, { ...stageRec(ex, full, ex.stages.findIndex((s) => s.id === id)), points }])) : pr.stages;
        return { ...pr, stages, points: pointsFor(ex, full, policy), packVersion: pr.packVersion ?? p.manifest.version };
      };
      const exercises = Object.fromEntries(
        Object.entries(snap.exercises).map(([k, pr]) => [k, { ...graded(k, pr), history: pr.history.map((h) => graded(k, h)) }]),
      );
      const data = { ...snap, exercises, exportedAt: Date.now() } as unknown as ProgressFile;
      return format === 'json'
        ? { fileName: `memlab-results-${data.profile}.json`, text: JSON.stringify(data, null, 2) }
        : { fileName: `memlab-results-${data.profile}.csv`, text: toCsv(data) };
    },
  };
  /** the scenario files inside open packs, for the simulator: every .yaml/.yml but the pack's manifest and its claim manifest (claims.yaml beside pack.yaml) */
  const isScenarioFile = (path: string) => /\.ya?ml$/i.test(path) && basename(path) !== 'pack.yaml' && path !== 'claims.yaml';
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
