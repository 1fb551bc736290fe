/**
 * pack check: schema and references, every scenario runs (for each parameter draw), and every
 * exercise is self-consistent — its reference answer passes its own checker, a clearly wrong one
 * fails, an unreadable one is invalid — plus the lint for mistakes that would mark right answers
 * wrong (lint.ts). Author mode runs the same check on every save, so both report the same problems.
 */
import { policyReferenceAnswers } from '../../common/packs/policy.js';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, ScenarioError, simulate } from '../../common/kernel/index.js';
import { type Answer, check, expectedFields, expectedValue, runTune, safeRegex, scenarioFor, stageExercise } from '../../common/packs/checkers.js';
import { checkClaims, type ClaimCoverage, parseClaims } from '../../common/packs/claims.js';
import { checkHighlights } from '../../common/packs/guided.js';
import { lintExercise, lintShowStep, requireCycles } from '../../common/packs/lint.js';
import { readAnswer } from '../../common/packs/answer.js';
import { evaluate } from '../../common/packs/expr.js';
import { didYouMean } from '../../common/packs/suggest.js';
import { drawParams } from '../../common/packs/params.js';
import { type PackProblem, parseManifest } from '../../common/packs/parse.js';
import type { Exercise } from '../../common/packs/schema.js';
import { type CompiledPattern, compilePattern } from '../../common/packs/pattern.js';
import type { Pack } from './loader.js';
import { satisfies } from './loader.js';
import { appRoot } from '../paths.js';
// the answer-leak warnings live with the command for now (#12); they are part of what pack check reports
import { exerciseWarnings } from '../../cli/pack-warnings.js';

const PARAM_DRAWS = 20;

/** the built-in scenarios' names, for "did you mean" */
const builtinNames = (): string => {
  try {
    return readdirSync(join(appRoot(), 'exercises', 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort().join(', ');
  } catch {
    return '';
  }
};
/** a `builtin:NAME` memlab does not have: no parameter draw changes that, so it is said once, with the names there are */
class UnknownBuiltin extends Error {
  constructor(name: string) {
    const names = builtinNames();
    const near = didYouMean(name, names.split(', '));
    super(`no built-in scenario '${name}'${near || (names ? `; they are ${names}` : '')}`);
  }
}

export function scenarioTextFor(p: Pack) {
  return (ref: string): string => {
    if (ref.startsWith('builtin:')) {
      const f = join(appRoot(), 'exercises', 'scenarios', `${ref.slice(8)}.yaml`);
      if (!existsSync(f)) throw new UnknownBuiltin(ref.slice(8));
      return readFileSync(f, 'utf8');
    }
    const b = p.files.get(ref);
    if (!b) throw new Error(`the pack has no ${ref}`);
    return b.toString('utf8');
  };
}

/** Something a learner might type that cannot be read: a count may name what it counts (12 faults), so it gets words only. */
const unreadableFor = (q: string) => (q === 'count' ? 'a dozen or so' : '12 potatoes');

/** The reference answer in the shape the learner would send it, and a clearly wrong one. */
function referenceAnswers(ex: Exercise, expected?: number, table?: Record<string, number>): { right: Answer; wrong: Answer; unreadable: Answer } {
  switch (ex.kind) {
    case 'table': {
      const t = table ?? {};
      const asText = (f: (typeof ex.fields)[number], v: number) => (f.quantity === 'bytes' ? `${v} B` : String(v));
      return {
        right: { values: Object.fromEntries(ex.fields.map((f) => [f.name, asText(f, t[f.name] ?? 0)])) },
        wrong: { values: Object.fromEntries(ex.fields.map((f) => [f.name, asText(f, (t[f.name] ?? 0) * 3 + (f.quantity === 'bytes' ? 12345 * 4096 : 977))])) },
        unreadable: { values: Object.fromEntries(ex.fields.map((f) => [f.name, unreadableFor(f.quantity)])) },
      };
    }
    case 'guided':
      throw new Error('a guided lab is checked stage by stage');
    case 'numeric':
    case 'predict':
    case 'observe': {
      const v = expected ?? 0;
      const asText = ex.answer.quantity === 'bytes' ? `${v} B` : String(v);
      return { right: { value: asText }, wrong: { value: ex.answer.quantity === 'bytes' ? `${v * 3 + 12345 * 4096} B` : String(v * 3 + 977) }, unreadable: { value: unreadableFor(ex.answer.quantity) } };
    }
    case 'choice':
      return { right: { choice: ex.answer }, wrong: { choice: (ex.answer + 1) % ex.options.length }, unreadable: { choice: 99 } };
    case 'multiple': {
      const all = ex.options.map((_, i) => i);
      const wrong = all.filter((i) => !ex.answer.includes(i));
      return { right: { choices: ex.answer }, wrong: { choices: wrong.length ? wrong : [0] }, unreadable: { choices: [] } };
    }
    case 'ordering':
      return { right: { order: ex.items }, wrong: { order: [...ex.items].reverse() }, unreadable: { order: ex.items.slice(1) } };
    case 'matching': {
      const rights = ex.pairs.map((p) => p[1]);
      const rot = [...rights.slice(1), rights[0]!];
      return {
        right: { matches: Object.fromEntries(ex.pairs.map(([l, r]) => [l, r])) },
        wrong: { matches: Object.fromEntries(ex.pairs.map(([l], i) => [l, rot[i]!])) },
        unreadable: { matches: {} },
      };
    }
    case 'text':
      return { right: { text: ex.reference }, wrong: { text: 'no idea at all, sorry' }, unreadable: { text: '   ' } };
    case 'policy':
      throw new Error('a policy exercise is proved by policyReferenceAnswers');
    case 'tune':
      return {
        right: { knobs: ex.solution },
        wrong: { knobs: Object.fromEntries(ex.knobs.map((k) => [k.path, k.min])) },
        unreadable: { knobs: Object.fromEntries(ex.knobs.map((k) => [k.path, k.max + 1])) },
      };
  }
}

/** Prove one exercise self-consistent for one parameter draw; returns the first failure. */
function proveOnce(ex: Exercise, ctx: { params: Record<string, number | string>; scenarioText: (ref: string) => string }): { field: string; message: string } | undefined {
  let expected: number | undefined;
  let table: Record<string, number> | undefined;
  try {
    if (ex.kind === 'numeric' || ex.kind === 'predict' || ex.kind === 'observe') expected = expectedValue(ex, ctx).value;
    if (ex.kind === 'table') table = Object.fromEntries(Object.entries(expectedFields(ex, ctx)).map(([k, v]) => [k, v.value]));
  } catch (err) {
    return { field: ex.kind === 'table' ? 'fields' : 'answer.expr', message: `cannot evaluate: ${err instanceof Error ? err.message : String(err)}` };
  }
  // a unit binds to the number before it: "size / 2 GiB" is size ÷ (2 GiB), a fraction of a byte
  const tiny = (v: number | undefined, q: string) => q === 'bytes' && v !== undefined && v !== 0 && Math.abs(v) < 1;
  if ((ex.kind === 'numeric' || ex.kind === 'predict' || ex.kind === 'observe') && tiny(expected, ex.answer.quantity))
    return { field: 'answer.expr', message: `the expected value is ${expected} bytes, less than one byte: a unit binds to the number just before it, so write "size GiB / 2" or "(size / 2) GiB", not "size / 2 GiB"` };
  if (ex.kind === 'table') {
    const f = ex.fields.findIndex((x) => tiny(table![x.name], x.quantity));
    if (f >= 0) return { field: `fields.${f}.expr`, message: `the expected value is ${table![ex.fields[f]!.name]} bytes, less than one byte: a unit binds to the number just before it, so write "size GiB / 2" or "(size / 2) GiB", not "size / 2 GiB"` };
  }
  let ans: { right: Answer; wrong: Answer; unreadable: Answer };
  if (ex.kind === 'policy') {
    // the engine of memlab policy computes the answer; an author's own answer must agree with it
    const r = policyReferenceAnswers(ex, ctx.params);
    if ('field' in r) return r;
    ans = { right: { value: r.right }, wrong: { value: r.wrong }, unreadable: { value: r.unreadable } };
  } else ans = referenceAnswers(ex, expected, table);
  const right = check(ex, ans.right, ctx);
  if (right.verdict !== 'correct') return { field: ex.kind === 'tune' ? 'solution' : ex.kind === 'table' ? 'fields' : 'answer', message: `the reference answer is not accepted (${right.message})` };
  const wrong = check(ex, ex.wrong_example !== undefined ? wrongFromExample(ex) : ans.wrong, ctx);
  if (wrong.verdict !== 'incorrect') return { field: ex.wrong_example !== undefined ? 'wrong_example' : 'answer', message: `a clearly wrong answer is ${wrong.verdict === 'correct' ? 'accepted' : 'not judged'} (${wrong.message})` };
  const bad = check(ex, ans.unreadable, ctx);
  if (bad.verdict !== 'invalid') return { field: 'answer', message: `an unreadable answer is judged ${bad.verdict}, not reported as invalid` };
  return undefined;
}

/** Structural checks that zod cannot express (indices in range, patterns accept the reference, knobs have solutions). */
function structural(ex: Exercise | NonNullable<ReturnType<typeof stageExercise>>, where: (field: string, message: string) => void, prefix = ''): void {
  const f = (x: string) => prefix + x;
  if (ex.kind === 'choice' && ex.answer >= ex.options.length) where(f('answer'), `answer ${ex.answer} is not one of the ${ex.options.length} options (they count from 0)`);
  if (ex.kind === 'multiple' && ex.answer.some((i) => i >= ex.options.length)) where(f('answer'), `an answer index is not one of the ${ex.options.length} options (they count from 0)`);
  if (ex.kind === 'ordering' && new Set(ex.items).size !== ex.items.length) where(f('items'), 'two items are the same; the order would be ambiguous');
  if (ex.kind === 'matching' && new Set(ex.pairs.map((x) => x[0])).size !== ex.pairs.length) where(f('pairs'), 'two pairs have the same left side');
  if (ex.kind === 'table') {
    const names = ex.fields.map((x) => x.name);
    if (new Set(names).size !== names.length) where(f('fields'), 'two fields have the same name');
    for (const m of ex.misconceptions) if (m.field !== undefined && !names.includes(m.field)) where(f('misconceptions'), `misconception names the field '${m.field}', which the table does not have`);
  }
  if (ex.kind === 'numeric' || ex.kind === 'predict' || ex.kind === 'observe') {
    const why = toleranceProblem(ex.answer.tolerance, ex.answer.quantity);
    if (why) where(f('answer.tolerance'), why);
  }
  if (ex.kind === 'table')
    ex.fields.forEach((fl, i) => {
      const why = toleranceProblem(fl.tolerance, fl.quantity);
      if (why) where(f(`fields.${i}.tolerance`), why);
    });
  if (ex.kind === 'text' && !ex.patterns.some((pt) => safeRegexOk(pt)?.test(ex.reference))) where(f('patterns'), 'no pattern accepts the reference answer');
  if (ex.kind === 'text')
    for (const pt of ex.patterns) {
      const c = compilePattern(pt);
      if (!c.ok) where(f('patterns'), `the pattern ${pt} cannot be used: ${c.why}`);
    }
  if (ex.kind === 'tune') {
    for (const k of ex.knobs) {
      if (!(k.path in ex.solution)) where(f('solution'), `the solution gives no value for ${k.path}`);
      else if (ex.solution[k.path]! < k.min || ex.solution[k.path]! > k.max) where(f('solution'), `the solution's ${k.path} = ${ex.solution[k.path]} is outside ${k.min}…${k.max}`);
      if (k.min > k.max) where(f('knobs'), `${k.path}: min is above max`);
    }
    for (const k of Object.keys(ex.solution)) if (!ex.knobs.some((x) => x.path === k)) where(f('solution'), `the solution sets ${k}, which is not a knob`);
  }
}

/** A tolerance is "N%" or an amount the quantity can read ("4 KiB", "3"). */
function toleranceProblem(tol: string, quantity: 'bytes' | 'count' | 'percent'): string | undefined {
  const t = tol.trim();
  if (/^\d+(\.\d+)?\s*%$/.test(t)) return undefined;
  const r = readAnswer(t, quantity);
  return r.ok && r.value >= 0 ? undefined : `the tolerance '${tol}' is neither a percentage ("2%") nor an amount in ${quantity} (${r.ok ? 'it is negative' : r.why})`;
}

/** {{name}} or {{expr}} in the text an exercise shows must evaluate over its parameters. */
function unknownPlaceholders(texts: Array<[string, string | undefined]>, params: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const names = Object.keys(params);
  for (const [field, t] of texts)
    for (const m of (t ?? '').matchAll(/\{\{([^{}]*)\}\}/g)) {
      const inner = m[1]!.trim();
      try {
        evaluate(inner, (n) => (names.includes(n) ? 1 : undefined));
      } catch {
        out.push([field, inner]);
      }
    }
  return out;
}

function safeRegexOk(p: string): CompiledPattern | null {
  return safeRegex(p);
}

export interface CheckOptions {
  draws?: number;
  /** check only these exercise files (pack check FILE.md) */
  only?: Set<string>;
}

/** the processes a run kills, each with how and where: "killed by SIGSEGV at step 3 (a.out[1000]: segfault at …)" */
function killsOf(r: ReturnType<typeof simulate>): Map<string, string> {
  const out = new Map<string, string>();
  const end = r.snapshots.at(-1);
  for (const [proc, f] of Object.entries(end?.processes ?? {})) {
    const state = String(f.state ?? '');
    if (!state.startsWith('killed')) continue;
    const line = r.log.find((l) => l.text.startsWith(`${proc}[`) || l.text.includes(`(${proc})`));
    out.set(proc, `${state === 'killed:sigsegv' ? 'killed by SIGSEGV' : state === 'killed:oom' ? 'killed by the OOM killer' : state}${line ? ` at step ${line.step} (${line.text.length > 120 ? `${line.text.slice(0, 117)}…` : line.text})` : ''}`);
  }
  return out;
}

export function checkPack(p: Pack, drawsOrOpts: number | CheckOptions = PARAM_DRAWS): PackProblem[] {
  const opts = typeof drawsOrOpts === 'number' ? { draws: drawsOrOpts } : drawsOrOpts;
  const draws = opts.draws ?? PARAM_DRAWS;
  const problems: PackProblem[] = opts.only ? p.problems.filter((x) => opts.only!.has(x.file) || x.file === 'pack.yaml') : [...p.problems];
  const text = scenarioTextFor(p);
  // pack.yaml: chapters that require each other in a circle
  if (p.manifest && !opts.only)
    for (const c of requireCycles(p.manifest)) problems.push({ file: 'pack.yaml', ...lineOfManifest(p, `chapters.${c.chapter}.requires`), field: `chapters.${c.chapter}.requires`, message: c.message });
  // packs for memlab 0.1 read a bare /proc size as its kB number; pack check asks them to say which they mean
  const legacyUnits = !p.manifest || satisfies('0.1.999', p.manifest.memlab);
  // every scenario file in the pack runs (with its own parameter defaults); each broken one is reported once, here
  const brokenScenario = new Set<string>();
  for (const [f, b] of p.files) {
    if (!/\.ya?ml$/.test(f) || f === 'pack.yaml' || !f.startsWith('scenarios/')) continue;
    const before = problems.length;
    try {
      const sc = parseScenario(b.toString('utf8'), f);
      for (const w of sc.warnings ?? []) problems.push({ file: f, line: w.line, field: w.field, message: w.message });
      const r = simulate(sc);
      if (r.error) problems.push({ file: f, line: r.error.line, field: r.error.field, message: `the scenario stops at step ${r.error.step}: ${r.error.message}` });
    } catch (err) {
      if (err instanceof ScenarioError) problems.push({ file: f, line: err.where.line, field: err.where.field, message: err.message });
      else problems.push({ file: f, message: `the scenario does not run: ${(err as Error).message}` });
    }
    if (problems.length > before) brokenScenario.add(f);
  }
  for (const le of p.exercises.values()) {
    if (opts.only && !opts.only.has(le.file)) continue;
    const ex = le.exercise;
    const where = (field: string, message: string) => {
      const line = le.lineOf(field) ?? le.lineOf(field.split('.').slice(0, -1).join('.'));
      problems.push({ file: le.file, ...(line !== undefined ? { line } : {}), field, message });
    };
    // a range written high to low draws values outside it (or one value only): never what was meant
    for (const [name, prm] of Object.entries(ex.params))
      if ('range' in prm && prm.range[0] > prm.range[1]) where(`params.${name}.range`, `the range [${prm.range[0]}, ${prm.range[1]}] of '${name}' goes down: write the lowest value first, [${prm.range[1]}, ${prm.range[0]}]`);
    const n = Object.keys(ex.params).length ? draws : 1;
    const drawn = Array.from({ length: n }, (_, d) => drawParams(ex.params, 1000 + d * 7919));
    // the exercise's scenario, for each parameter draw (a scenario with {{…}} may break for some)
    const scenarios = [ex.scenario, ...(ex.kind === 'guided' ? ex.stages.map((s) => (s.question && 'scenario' in s.question ? s.question.scenario : undefined)) : [])].filter((x): x is string => !!x);
    let steps: number | undefined;
    let scenarioBad = false;
    for (const ref of new Set(scenarios)) {
      if (brokenScenario.has(ref)) {
        // its own problems are listed under the scenario file already: say it once
        scenarioBad = true;
        continue;
      }
      /** the processes the scenario's own run (its `params:` defaults) kills: a draw may kill no other */
      let ownKills: Map<string, string> | undefined;
      for (const params of drawn) {
        try {
          const sc = parseScenario(scenarioFor({ params, scenarioText: text }, ref), ref);
          if (ref === ex.scenario) steps ??= sc.steps.length;
          if (n > 1 && text(ref).includes('{{')) {
            const r = simulate(sc);
            if (r.error) throw new ScenarioError(`the scenario stops at step ${r.error.step}: ${r.error.message}`, { line: r.error.line });
            // a drawn value past what the scenario allows (memset 256 MiB of a 64 MiB block) kills the program, and every answer read after it is wrong
            ownKills ??= killsOf(simulate(parseScenario(text(ref), ref)));
            for (const [proc, how] of killsOf(r))
              if (!ownKills.has(proc)) {
                where('params', `with parameters ${JSON.stringify(params)} the scenario's ${proc} is ${how}, which its own params: do not do: every answer read after that is wrong. Draw the parameters within what the scenario allows`);
                scenarioBad = true;
              }
            if (scenarioBad) break;
          }
        } catch (err) {
          const msg = err instanceof ScenarioError ? err.describe() : err instanceof Error ? err.message : String(err);
          where(ref === ex.scenario ? 'scenario' : 'stages', `${msg}${n > 1 && !(err instanceof UnknownBuiltin) ? ` with parameters ${JSON.stringify(params)}` : ''}`);
          scenarioBad = true;
          break;
        }
      }
    }
    if (scenarioBad) continue;
    for (const s of lintShowStep(ex, steps)) where(s.field, s.message);
    const shown: Array<[string, string | undefined]> = [['title', ex.title], ['explanation', ex.explanation], ...ex.hints.map((h, i): [string, string] => [`hints.${i}`, h])];
    if (ex.kind === 'guided') ex.stages.forEach((st, i) => shown.push([`stages.${i}.say`, st.say], [`stages.${i}.question.prompt`, st.question?.prompt]));
    for (const [field, name] of unknownPlaceholders(shown, ex.params)) where(field, `{{${name}}} ${placeholderProblem(name, ex.params)}`);
    for (const [, name] of unknownPlaceholders([['', le.prose]], ex.params)) {
      const raw = p.files.get(le.file)?.toString('utf8') ?? '';
      const at = raw.indexOf(`{{${name}`) >= 0 ? raw.indexOf(`{{${name}`) : raw.search(new RegExp(`\\{\\{\\s*${name.replace(/[^\w]/g, '\\$&')}\\s*\\}\\}`));
      problems.push({ file: le.file, ...(at >= 0 ? { line: raw.slice(0, at).split('\n').length } : {}), field: 'prose', message: `the prose's {{${name}}} ${placeholderProblem(name, ex.params)}` });
    }
    // an image the prose shows must be in the pack (a remote or missing one shows as a broken picture to every student)
    {
      const raw = p.files.get(le.file)?.toString('utf8') ?? '';
      const baseDir = le.file.includes('/') ? le.file.slice(0, le.file.lastIndexOf('/') + 1) : '';
      const images = p.files ? [...p.files.keys()].filter((f) => /\.(png|jpe?g|gif|svg|webp)$/i.test(f)) : [];
      for (const m of raw.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = m[1]!;
        const path = target.replace(/^\.\//, '');
        const inPack = join(baseDir, path).replace(/\\/g, '/');
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) problems.push({ file: le.file, line: raw.slice(0, m.index).split('\n').length, field: 'prose', message: `the image ${target} is not in the pack: images load only from the pack; copy it into the pack (e.g. img/) and write its path there` });
        else if (!p.files.has(inPack)) problems.push({ file: le.file, line: raw.slice(0, m.index).split('\n').length, field: 'prose', message: `the image ${target} is not in the pack${didYouMean(inPack, images)}: add the file, or fix the path (it is read from ${baseDir || 'the pack folder'})` });
      }
    }
    // the items to prove: the exercise itself, or each question of a guided lab
    const items: Array<{ ex: Exercise; prefix: string }> = [];
    if (ex.kind === 'guided') {
      const first = drawn[0]!;
      for (const h of checkHighlights(ex, (ref) => scenarioFor({ params: first, scenarioText: text }, ref))) where(h.field, h.message);
      const ids = ex.stages.map((s) => s.id);
      ex.stages.forEach((st, i) => {
        if (ids.indexOf(st.id) !== i) where(`stages.${i}.id`, `the stage id '${st.id}' is used twice`);
        if (st.on_wrong) {
          const j = ids.indexOf(st.on_wrong.back_to);
          if (j < 0) where(`stages.${i}.on_wrong.back_to`, `stage '${st.id}' goes back to '${st.on_wrong.back_to}', which the lab does not have${didYouMean(st.on_wrong.back_to, ids)}`);
          else if (j > i) where(`stages.${i}.on_wrong.back_to`, `stage '${st.id}' goes back to '${st.on_wrong.back_to}', which comes after it`);
          if (!st.question) where(`stages.${i}.on_wrong`, `stage '${st.id}' asks no question, so it cannot be answered wrongly`);
        }
        if (st.question) items.push({ ex: stageExercise(ex, st.id)!, prefix: `stages.${i}.question.` });
      });
    } else items.push({ ex, prefix: '' });
    for (const it of items) {
      const before = problems.length;
      structural(it.ex, where, it.prefix);
      if (problems.length > before) continue;
      // mistakes that would mark right answers wrong: reported for the first draw that shows them
      for (const params of drawn) {
        const found = lintExercise(it.ex, { params, scenarioText: text, legacyUnits }, it.prefix);
        if (found.length) {
          for (const x of found) where(x.field, `${x.message}${n > 1 ? ` (parameters ${JSON.stringify(params)})` : ''}`);
          break;
        }
      }
      if (problems.length > before) continue;
      for (const params of drawn) {
        const fail = proveOnce(it.ex, { params, scenarioText: text });
        if (fail) {
          where(it.prefix + fail.field, `${fail.message}${n > 1 ? ` with parameters ${JSON.stringify(params)}` : ''}`);
          break;
        }
      }
      if (it.ex.kind === 'tune') {
        const r = runTune(it.ex, it.ex.solution, { params: drawn[0]!, scenarioText: text });
        if ('error' in r) where(it.prefix + 'scenario', r.error);
      }
    }
    problems.push(...exerciseWarnings(le, p.files.get(le.file)?.toString('utf8') ?? '', text, n === 1 ? 1 : draws));
  }
  if (!opts.only) problems.push(...checkPackClaims(p).problems);
  return problems;
}

/** Is this the pack memlab ships (exercises/linux-process-memory of this checkout)? Only it is held to the claim rule. */
export function isBuiltinPack(p: Pack): boolean {
  try {
    return realpathSync(p.source) === realpathSync(join(appRoot(), 'exercises', 'linux-process-memory'));
  } catch {
    return false;
  }
}

/** The fidelity probes that exist in this checkout; undefined where memlab was installed without its tests. */
export function probeExists(): ((name: string) => boolean) | undefined {
  const dir = join(appRoot(), 'test', 'fidelity', 'probes');
  if (!existsSync(join(appRoot(), 'test'))) return undefined;
  return (name) => existsSync(join(dir, `${name}.c`)) || existsSync(join(dir, `${name}.sh`));
}

/**
 * The claim manifest (claims.yaml): read and checked when the pack has one; the built-in pack must
 * have one covering every exercise, with a probe for every measured claim.
 */
export function checkPackClaims(p: Pack, builtin = isBuiltinPack(p)): { coverage?: ClaimCoverage[]; problems: PackProblem[] } {
  const text = p.files.get('claims.yaml')?.toString('utf8');
  if (text === undefined) return { problems: builtin ? [{ file: 'claims.yaml', message: 'the built-in pack needs a claim manifest: every factual claim of every exercise and how it is checked' }] : [] };
  const parsed = parseClaims(text);
  if (!parsed.value) return { problems: parsed.problems };
  const exercises = new Map([...p.exercises.values()].map((le) => [le.exercise.id, le.exercise]));
  const r = checkClaims(parsed.value, exercises, { lineOf: parsed.lineOf, probeExists: builtin ? probeExists() : undefined });
  // an instructor's manifest is advice: only the built-in pack fails on a gap
  return { coverage: r.coverage, problems: builtin ? r.problems : r.problems.filter((x) => !/has no entry|makes claims no entry covers/.test(x.message)) };
}

function lineOfManifest(p: Pack, field: string): { line?: number } {
  const raw = p.files.get('pack.yaml')?.toString('utf8');
  if (!raw) return {};
  const line = parseManifest(raw).lineOf(field);
  return line === undefined ? {} : { line };
}

/** why a {{…}} in shown text does not work: an unknown name, or an expression that does not evaluate */
function placeholderProblem(inner: string, params: Record<string, unknown>): string {
  const names = Object.keys(params);
  try {
    evaluate(inner, (n) => (names.includes(n) ? 1 : undefined));
    return 'does not evaluate';
  } catch (err) {
    const unknown = /unknown name '([^']+)'/.exec((err as Error).message)?.[1];
    if (unknown) return `names no parameter of this exercise${didYouMean(unknown, names)}${names.length ? ` (its parameters: ${names.join(', ')})` : ' (it has no params:)'}`;
    return `is not an expression: ${(err as Error).message}`;
  }
}

function wrongFromExample(ex: Exercise): Answer {
  const w = ex.wrong_example!;
  if (Array.isArray(w)) return ex.kind === 'multiple' ? { choices: w } : { order: w.map(String) };
  if (ex.kind === 'choice') return { choice: Number(w) };
  if (ex.kind === 'table') return { values: Object.fromEntries(ex.fields.map((f) => [f.name, String(w)])) };
  if (ex.kind === 'text') return { text: String(w) };
  return { value: String(w) };
}

export function formatProblem(p: PackProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}${p.line && p.column ? `:${p.column}` : ''}${p.field ? ` (${p.field})` : ''}: ${p.message}`;
}

