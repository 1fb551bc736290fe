/**
 * `memlab pack check PATH` | `memlab pack new NAME` | `memlab pack build DIR -o FILE.memlab`
 * check: schema and references, every scenario runs, and every exercise is self-consistent —
 * its reference answer passes its own checker, a clearly wrong one fails, an unreadable one is
 * invalid — for many drawn parameter sets. Errors name file, line and field; exit 0 or 1.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import yazl from 'yazl';
import { parseScenario, ScenarioError, simulate } from '../common/kernel/index.js';
import { type Answer, check, expectedFields, expectedValue, runTune, safeRegex, stageExercise } from '../common/packs/checkers.js';
import { checkClaims, type ClaimCoverage, formatCoverage, parseClaims } from '../common/packs/claims.js';
import { checkHighlights } from '../common/packs/guided.js';
import { packJsonSchemas, schemaFileText } from '../common/packs/jsonschema.js';
import { readAnswer } from '../common/packs/answer.js';
import { drawParams } from '../common/packs/params.js';
import { policyReferenceAnswers } from '../common/packs/policy.js';
import type { PackProblem } from '../common/packs/parse.js';
import type { Exercise } from '../common/packs/schema.js';
import { type CompiledPattern, compilePattern } from '../common/packs/pattern.js';
import { loadPack, type Pack, PackRefused } from '../node/packs/loader.js';
import { appRoot } from '../node/paths.js';
import { exerciseWarnings } from './pack-warnings.js';

const usage = `memlab pack check PATH            validate a pack folder or .memlab file
memlab pack check --claims PATH   also print which claims are measured, simulated, sourced or history
memlab pack new NAME              scaffold a pack with one exercise of each kind
memlab pack build DIR -o FILE.memlab   check a pack folder and zip it
memlab pack schema -o DIR         write the JSON Schema of pack.yaml and front matter`;

const PARAM_DRAWS = 20;

function scenarioTextFor(p: Pack) {
  return (ref: string): string => {
    if (ref.startsWith('builtin:')) {
      const f = join(appRoot(), 'exercises', 'scenarios', `${ref.slice(8)}.yaml`);
      if (!existsSync(f)) throw new Error(`no built-in scenario '${ref.slice(8)}'`);
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

/** {{name}} in the text an exercise shows must name one of its parameters. */
function unknownPlaceholders(texts: Array<[string, string | undefined]>, params: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [field, t] of texts) for (const m of (t ?? '').matchAll(/\{\{\s*([^}\s]*)\s*\}\}/g)) if (!Object.prototype.hasOwnProperty.call(params, m[1]!)) out.push([field, m[1]!]);
  return out;
}

function safeRegexOk(p: string): CompiledPattern | null {
  return safeRegex(p);
}

export function checkPack(p: Pack, draws = PARAM_DRAWS): PackProblem[] {
  const problems: PackProblem[] = [...p.problems];
  const text = scenarioTextFor(p);
  // every scenario file in the pack runs
  for (const [f, b] of p.files) {
    if (!/\.ya?ml$/.test(f) || f === 'pack.yaml' || !f.startsWith('scenarios/')) continue;
    try {
      const sc = parseScenario(b.toString('utf8'), f);
      const r = simulate(sc);
      if (r.error) problems.push({ file: f, line: r.error.line, field: r.error.field, message: `the scenario stops at step ${r.error.step}: ${r.error.message}` });
    } catch (err) {
      if (err instanceof ScenarioError) problems.push({ file: f, line: err.where.line, field: err.where.field, message: err.message });
      else problems.push({ file: f, message: `the scenario does not run: ${(err as Error).message}` });
    }
  }
  for (const le of p.exercises.values()) {
    const ex = le.exercise;
    const where = (field: string, message: string) => {
      const line = le.lineOf(field) ?? le.lineOf(field.split('.').slice(0, -1).join('.'));
      problems.push({ file: le.file, ...(line !== undefined ? { line } : {}), field, message });
    };
    try {
      if (ex.scenario) parseScenario(text(ex.scenario), ex.scenario);
    } catch (err) {
      where('scenario', err instanceof Error ? err.message : String(err));
      continue;
    }
    const shown: Array<[string, string | undefined]> = [['title', ex.title], ['explanation', ex.explanation], ...ex.hints.map((h, i): [string, string] => [`hints.${i}`, h])];
    if (ex.kind === 'guided') ex.stages.forEach((st, i) => shown.push([`stages.${i}.say`, st.say], [`stages.${i}.question.prompt`, st.question?.prompt]));
    for (const [field, name] of unknownPlaceholders(shown, ex.params)) where(field, `{{${name}}} names no parameter of this exercise`);
    for (const [, name] of unknownPlaceholders([['', le.prose]], ex.params)) {
      const raw = p.files.get(le.file)?.toString('utf8') ?? '';
      const at = raw.search(new RegExp(`\\{\\{\\s*${name.replace(/[^\w]/g, '\\$&')}\\s*\\}\\}`));
      problems.push({ file: le.file, ...(at >= 0 ? { line: raw.slice(0, at).split('\n').length } : {}), message: `the prose's {{${name}}} names no parameter of this exercise` });
    }
    const n = Object.keys(ex.params).length ? draws : 1;
    // the items to prove: the exercise itself, or each question of a guided lab
    const items: Array<{ ex: Exercise; prefix: string }> = [];
    if (ex.kind === 'guided') {
      for (const h of checkHighlights(ex, text)) where(h.field, h.message);
      const ids = ex.stages.map((s) => s.id);
      ex.stages.forEach((st, i) => {
        if (ids.indexOf(st.id) !== i) where(`stages.${i}.id`, `the stage id '${st.id}' is used twice`);
        if (st.on_wrong) {
          const j = ids.indexOf(st.on_wrong.back_to);
          if (j < 0) where(`stages.${i}.on_wrong.back_to`, `stage '${st.id}' goes back to '${st.on_wrong.back_to}', which the lab does not have`);
          else if (j > i) where(`stages.${i}.on_wrong.back_to`, `stage '${st.id}' goes back to '${st.on_wrong.back_to}', which comes after it`);
          if (!st.question) where(`stages.${i}.on_wrong`, `stage '${st.id}' asks no question, so it cannot be answered wrongly`);
        }
        if (st.question) {
          const q = stageExercise(ex, st.id)!;
          if (q.scenario && q.scenario !== ex.scenario) {
            try {
              parseScenario(text(q.scenario), q.scenario);
            } catch (err) {
              where(`stages.${i}.question.scenario`, err instanceof Error ? err.message : String(err));
              return;
            }
          }
          items.push({ ex: q, prefix: `stages.${i}.question.` });
        }
      });
    } else items.push({ ex, prefix: '' });
    for (const it of items) {
      const before = problems.length;
      structural(it.ex, where, it.prefix);
      if (problems.length > before) continue;
      for (let d = 0; d < n; d++) {
        const params = drawParams(ex.params, 1000 + d * 7919);
        const fail = proveOnce(it.ex, { params, scenarioText: text });
        if (fail) {
          where(it.prefix + fail.field, `${fail.message}${n > 1 ? ` with parameters ${JSON.stringify(params)}` : ''}`);
          break;
        }
      }
      if (it.ex.kind === 'tune') {
        const r = runTune(it.ex, it.ex.solution, { params: {}, scenarioText: text });
        if ('error' in r) where(it.prefix + 'scenario', r.error);
      }
    }
    problems.push(...exerciseWarnings(le, p.files.get(le.file)?.toString('utf8') ?? '', text, n === 1 ? 1 : draws));
  }
  problems.push(...checkPackClaims(p).problems);
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

function wrongFromExample(ex: Exercise): Answer {
  const w = ex.wrong_example!;
  if (Array.isArray(w)) return ex.kind === 'multiple' ? { choices: w } : { order: w.map(String) };
  if (ex.kind === 'choice') return { choice: Number(w) };
  if (ex.kind === 'table') return { values: Object.fromEntries(ex.fields.map((f) => [f.name, String(w)])) };
  if (ex.kind === 'text') return { text: String(w) };
  return { value: String(w) };
}

export function formatProblem(p: PackProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}${p.field ? ` (${p.field})` : ''}: ${p.message}`;
}

async function cmdCheck(path: string, claims = false): Promise<number> {
  let p: Pack;
  try {
    p = await loadPack(resolve(path));
  } catch (err) {
    process.stderr.write(`memlab pack check: ${err instanceof PackRefused ? err.message : (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${path}: no such file or folder` : (err as Error).message}\n`);
    return 1;
  }
  const all = checkPack(p);
  const c = checkPackClaims(p);
  if (claims) process.stdout.write(c.coverage ? `${formatCoverage(c.coverage)}\n` : `${p.id}: no claims.yaml: the pack lists no claims\n`);
  for (const pr of all) process.stdout.write(`${formatProblem(pr)}\n`);
  const problems = all.filter((x) => x.level !== 'warning');
  const warnings = all.length - problems.length;
  process.stdout.write(`${p.id}: ${p.exercises.size} exercises, ${problems.length} problem${problems.length === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`);
  return problems.length ? 1 : 0;
}

const SCAFFOLD: Record<string, string> = {
  'pack.yaml': `id: NAME\ntitle: NAME\nversion: 0.1.0\nauthors: [Your Name]\nlicence: CC-BY-4.0\nmemlab: ">=0.1"\npolicy: { attempts_before_solution: 3, hint_cost: 0 }\nchapters:\n  - id: basics\n    title: Basics\n    exercises: [numeric.md, table.md, choice.md, multiple.md, ordering.md, matching.md, text.md, predict.md, tune.md, observe.md, policy.md]\n  - id: labs\n    title: Guided labs\n    requires: [basics]\n    exercises: [guided.md]\n`,
  'table.md': `---\nid: table\ntitle: top after malloc and memset\nkind: table\nparams: { size: { choices: [2, 4] } }\nfields:\n  - { name: res, label: RES grows by, expr: "size GiB / 2", tolerance: "2%" }\n  - { name: pages, label: pages made resident, expr: "size GiB / 2 / 4 KiB", quantity: count, tolerance: "2%" }\nmisconceptions: [{ field: res, answer: "size GiB", says: "That is VIRT: only written pages are resident." }]\nhints: ["Only written pages count in RES."]\nexplanation: VIRT grows by all {{size}} GiB; RES only by the half memset wrote.\n---\nA program mallocs {{size}} GiB and memsets half of it. Fill in what top shows.\n`,
  'guided.md': `---\nid: guided\ntitle: From malloc to RES\nkind: guided\nscenario: builtin:virt-vs-res\nexplanation: malloc reserves, memset makes resident.\nstages:\n  - id: reserve\n    advance: 2\n    say: malloc asked for 2 GiB. Look at VIRT.\n    highlight: [{ counter: a.out.VmSize }]\n    question: { kind: choice, prompt: Did RES grow?, options: [yes, no], answer: 1 }\n  - id: touch\n    advance: 2\n    say: memset wrote the first half of it.\n    highlight: [{ counter: a.out.VmRSS }]\n    question: { kind: predict, prompt: How big is RES now?, answer: { expr: "sim.end.a.out.VmRSS kB", tolerance: "2%" } }\n    on_wrong: { back_to: reserve, say: Watch which pages memset writes. }\n---\nWalk through a 2 GiB malloc and a memset of half of it.\n`,
  'numeric.md': `---\nid: numeric\ntitle: VIRT after malloc\nkind: numeric\nparams: { size: { range: [1, 4], step: 1 } }\nanswer: { expr: "size GiB + 300 MiB", quantity: bytes, tolerance: "1%" }\nhints: ["malloc reserves address space.", "VIRT counts every mapped byte."]\nexplanation: VIRT grows by the size asked for, {{size}} GiB, to {{size}} GiB + 300 MiB.\nmisconceptions: [{ answer: "300 MiB", says: "That is VIRT *before* the call: nothing was touched yet, but VIRT counts the reservation." }]\n---\nA program whose VIRT is 300 MiB calls \`malloc({{size}} GiB)\` and touches nothing. What is its VIRT now?\n`,
  'choice.md': `---\nid: choice\ntitle: Where small mallocs come from\nkind: choice\noptions: [\n    { text: brk (the heap), why: "Below the mmap threshold glibc carves the chunk from the heap, growing it with brk when it must." },\n    { text: mmap, why: "glibc mmaps only requests at or above M_MMAP_THRESHOLD (128 KiB by default)." },\n    { text: the stack, why: "The stack holds a function's locals; malloc never takes memory from it." },\n  ]\nanswer: 0\nhints: ["Think of the 128 KiB threshold."]\nexplanation: Below M_MMAP_THRESHOLD glibc grows the heap with brk.\n---\nWhere does \`malloc(4096)\` get its memory from?\n`,
  'multiple.md': `---\nid: multiple\ntitle: What counts in RES\nkind: multiple\noptions: ["touched heap pages", "untouched malloc'd pages", "shared library pages in RAM", "pages in swap"]\nanswer: [0, 2]\nhints: ["RES is what is in RAM now."]\nexplanation: Only pages resident in RAM count; swapped and never-touched pages do not.\n---\nWhich of these count in RES?\n`,
  'ordering.md': `---\nid: ordering\ntitle: Reclaim in order\nkind: ordering\nitems: ["free memory falls below low", "kswapd wakes", "free memory falls below min", "direct reclaim", "the OOM killer"]\nhints: ["kswapd comes before the allocator helps itself."]\nexplanation: kswapd wakes at low; below min the allocating task reclaims itself; only when that fails does the OOM killer run.\n---\nPut these in the order they happen under growing pressure.\n`,
  'matching.md': `---\nid: matching\ntitle: status fields\nkind: matching\npairs: [["VmSize", "virtual size"], ["VmRSS", "resident size"], ["VmSwap", "swapped out"]]\nhints: ["Vm = virtual memory."]\nexplanation: VmSize is VIRT, VmRSS is RES, VmSwap is what is in swap.\n---\nMatch each /proc/PID/status field to its meaning.\n`,
  'text.md': `---\nid: text\ntitle: The system call for big mallocs\nkind: text\npatterns: ["^mmap(2)?$"]\nreference: mmap\nhints: ["It is not brk."]\nexplanation: Requests at or above M_MMAP_THRESHOLD get their own anonymous mapping with mmap.\n---\nWhich system call does glibc use for \`malloc(1 MiB)\`?\n`,
  'predict.md': `---\nid: predict\ntitle: Predict RES\nkind: predict\nscenario: builtin:virt-vs-res\nanswer: { expr: "sim.after-memset.a.out.VmRSS kB", quantity: bytes, tolerance: "2%" }\nhints: ["Only written pages are resident."]\nexplanation: "About 1 GiB — the pages memset wrote."\n---\nPredict VmRSS after memset, then run it.\n`,
  'tune.md': `---\nid: tune\ntitle: No OOM\nkind: tune\nscenario: builtin:oom-killer\nknobs: [{ path: machine.swap, label: Swap, min: 0, max: 1024, step: 64, unit: MiB }]\ngoals: ["vmstat.oom_kill == 0"]\nsolution: { machine.swap: 512 }\nhints: ["More swap gives reclaim somewhere to put anonymous pages."]\nexplanation: With enough swap, reclaim succeeds and the OOM killer never runs.\n---\nGive the machine just enough swap that nobody is killed.\n`,
  'policy.md': `---\nid: policy\ntitle: Belady's anomaly\nkind: policy\npolicy: FIFO\nreference: "1,2,3,4,1,2,5,1,2,3,4,5"\ncache_size: 4\nask: hits\nanswer: 2\nmisconceptions: [{ answer: 4, says: "More frames, more hits holds for LRU (a stack algorithm), not FIFO." }]\nhints: ["Walk the string with four frames; FIFO evicts the page that came in first."]\nexplanation: "With 4 frames FIFO gets 2 hits, fewer than the 3 it gets with 3 frames: Belady's anomaly."\n---\nFIFO with 4 frames runs 1,2,3,4,1,2,5,1,2,3,4,5. How many hits?\n`,
  'observe.md': `---\nid: observe\ntitle: Observe RES on this machine\nkind: observe\nprobe: malloc-touch\nsize_mib: 64\nanswer: { expr: "64 MiB", quantity: bytes, tolerance: "10%" }\nhints: ["Read VmRSS before and after."]\nexplanation: Touching 64 MiB makes about 64 MiB resident.\n---\nThe probe allocates a buffer and writes all of it (the button says how big). By how much did its RES grow?\n`,
};

/** `memlab pack new NAME` or `memlab pack new some/dir/NAME`: the last part is the pack id. */
function cmdNew(path: string): number {
  const name = basename(path);
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) {
    process.stderr.write(`memlab pack new: a pack name is lower-case letters, digits and dashes, not '${name}'\n`);
    return 2;
  }
  if (existsSync(path)) {
    process.stderr.write(`memlab pack new: ${path} already exists; nothing was changed\n`);
    return 1;
  }
  mkdirSync(path, { recursive: true });
  for (const [f, t] of Object.entries(SCAFFOLD)) writeFileSync(join(path, f), t.replace(/NAME/g, name));
  process.stdout.write(`created ${path}/ with one exercise of each kind; check it with: npx memlab pack check ${path}\n`);
  return 0;
}

function cmdSchema(dir: string): number {
  mkdirSync(dir, { recursive: true });
  for (const [name, doc] of Object.entries(packJsonSchemas())) {
    writeFileSync(join(dir, name), schemaFileText(doc));
    process.stdout.write(`wrote ${join(dir, name)}\n`);
  }
  return 0;
}

async function cmdBuild(dir: string, out: string): Promise<number> {
  if (!existsSync(join(dir, 'pack.yaml'))) {
    process.stderr.write(`memlab pack build: ${dir} has no pack.yaml\n`);
    return 1;
  }
  const problems = checkPack(await loadPack(dir)).filter((x) => x.level !== 'warning');
  if (problems.length) {
    for (const pr of problems) process.stderr.write(`${formatProblem(pr)}\n`);
    process.stderr.write(`memlab pack build: fix the ${problems.length} problem(s) first\n`);
    return 1;
  }
  const zip = new yazl.ZipFile();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size >= 0) zip.addFile(p, relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  zip.end();
  const { createWriteStream } = await import('node:fs');
  await new Promise<void>((res, rej) => zip.outputStream.pipe(createWriteStream(out)).on('close', res).on('error', rej));
  process.stdout.write(`wrote ${out}\n`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'check' && rest.length === 1) return cmdCheck(rest[0]!);
  if (sub === 'check' && rest.length === 2 && rest.includes('--claims')) return cmdCheck(rest.find((x) => x !== '--claims')!, true);
  if (sub === 'new' && rest.length === 1) return cmdNew(rest[0]!);
  if (sub === 'schema') {
    try {
      const { values } = parseArgs({ args: rest, options: { output: { type: 'string', short: 'o' } }, allowPositionals: false });
      if (values.output) return cmdSchema(values.output);
    } catch {
      /* usage below */
    }
  }
  if (sub === 'build') {
    try {
      const { values, positionals } = parseArgs({ args: rest, options: { output: { type: 'string', short: 'o' } }, allowPositionals: true });
      if (positionals.length === 1 && values.output) return cmdBuild(positionals[0]!, values.output);
    } catch {
      /* usage below */
    }
  }
  process.stderr.write(`${usage}\n`);
  return sub === '--help' || sub === '-h' ? 0 : 2;
}
