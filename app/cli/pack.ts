/**
 * `memlab pack check PATH` | `memlab pack new NAME` | `memlab pack build DIR -o FILE.memlab`
 * check: schema and references, every scenario runs, and every exercise is self-consistent —
 * its reference answer passes its own checker, a clearly wrong one fails, an unreadable one is
 * invalid — for many drawn parameter sets. Errors name file, line and field; exit 0 or 1.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import yazl from 'yazl';
import { parseScenario, ScenarioError } from '../common/kernel/index.js';
import { type Answer, check, expectedValue, runTune } from '../common/packs/checkers.js';
import { drawParams } from '../common/packs/params.js';
import type { PackProblem } from '../common/packs/parse.js';
import type { Exercise } from '../common/packs/schema.js';
import { loadPack, type Pack, PackRefused } from '../node/packs/loader.js';
import { appRoot } from '../node/paths.js';

const usage = `memlab pack check PATH            validate a pack folder or .memlab file
memlab pack new NAME              scaffold a pack with one exercise of each kind
memlab pack build DIR -o FILE.memlab   zip a pack folder`;

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

/** The reference answer in the shape the learner would send it, and a clearly wrong one. */
function referenceAnswers(ex: Exercise, expected?: number): { right: Answer; wrong: Answer; unreadable: Answer } {
  switch (ex.kind) {
    case 'numeric':
    case 'predict':
    case 'observe': {
      const v = expected ?? 0;
      const asText = ex.answer.quantity === 'bytes' ? `${v} B` : String(v);
      return { right: { value: asText }, wrong: { value: ex.answer.quantity === 'bytes' ? `${v * 3 + 12345 * 4096} B` : String(v * 3 + 977) }, unreadable: { value: '12 potatoes' } };
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
    case 'tune':
      return {
        right: { knobs: ex.solution },
        wrong: { knobs: Object.fromEntries(ex.knobs.map((k) => [k.path, k.min])) },
        unreadable: { knobs: Object.fromEntries(ex.knobs.map((k) => [k.path, k.max + 1])) },
      };
  }
}

export function checkPack(p: Pack): PackProblem[] {
  const problems: PackProblem[] = [...p.problems];
  const text = scenarioTextFor(p);
  // every scenario file in the pack runs
  for (const [f, b] of p.files) {
    if (!/\.ya?ml$/.test(f) || f === 'pack.yaml' || !f.startsWith('scenarios/')) continue;
    try {
      parseScenario(b.toString('utf8'), f);
    } catch (err) {
      if (err instanceof ScenarioError) problems.push({ file: f, line: err.where.line, field: err.where.field, message: err.message });
      else throw err;
    }
  }
  for (const le of p.exercises.values()) {
    const ex = le.exercise;
    const where = (field: string, message: string) => problems.push({ file: le.file, field, message });
    const draws = Object.keys(ex.params).length ? PARAM_DRAWS : 1;
    try {
      if (ex.scenario) parseScenario(text(ex.scenario), ex.scenario);
    } catch (err) {
      where('scenario', err instanceof Error ? err.message : String(err));
      continue;
    }
    if (ex.kind === 'choice' && ex.answer >= ex.options.length) where('answer', `answer ${ex.answer} is not one of the ${ex.options.length} options`);
    if (ex.kind === 'multiple' && ex.answer.some((i) => i >= ex.options.length)) where('answer', 'an answer index is not one of the options');
    if (ex.kind === 'text' && !ex.patterns.some((pt) => { try { return new RegExp(pt, 'i').test(ex.reference); } catch { return false; } }))
      where('patterns', 'no pattern accepts the reference answer');
    if (ex.kind === 'tune') {
      for (const k of ex.knobs) if (!(k.path in ex.solution)) where('solution', `the solution gives no value for ${k.path}`);
    }
    for (let d = 0; d < draws; d++) {
      const params = drawParams(ex.params, 1000 + d * 7919);
      const ctx = { params, scenarioText: text };
      let expected: number | undefined;
      try {
        if (ex.kind === 'numeric' || ex.kind === 'predict' || ex.kind === 'observe') expected = expectedValue(ex, ctx).value;
      } catch (err) {
        where('answer.expr', `cannot evaluate: ${err instanceof Error ? err.message : String(err)}`);
        break;
      }
      const ans = referenceAnswers(ex, expected);
      const right = check(ex, ans.right, ctx);
      if (right.verdict !== 'correct') {
        where(ex.kind === 'tune' ? 'solution' : 'answer', `the reference answer is not accepted (${right.message})${draws > 1 ? ` with parameters ${JSON.stringify(params)}` : ''}`);
        break;
      }
      const wrong = check(ex, ex.wrong_example !== undefined ? wrongFromExample(ex) : ans.wrong, ctx);
      if (wrong.verdict !== 'incorrect') {
        where('answer', `a clearly wrong answer is ${wrong.verdict === 'correct' ? 'accepted' : 'not judged'} (${wrong.message})`);
        break;
      }
      const bad = check(ex, ans.unreadable, ctx);
      if (bad.verdict !== 'invalid') {
        where('answer', `an unreadable answer is judged ${bad.verdict}, not reported as invalid`);
        break;
      }
    }
    if (ex.kind === 'tune') {
      const r = runTune(ex, ex.solution, { params: {}, scenarioText: text });
      if ('error' in r) where('scenario', r.error);
    }
  }
  return problems;
}

function wrongFromExample(ex: Exercise): Answer {
  const w = ex.wrong_example!;
  if (Array.isArray(w)) return ex.kind === 'multiple' ? { choices: w } : { order: w.map(String) };
  if (ex.kind === 'choice') return { choice: Number(w) };
  if (ex.kind === 'text') return { text: String(w) };
  return { value: String(w) };
}

function format(p: PackProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}${p.field ? ` (${p.field})` : ''}: ${p.message}`;
}

async function cmdCheck(path: string): Promise<number> {
  let p: Pack;
  try {
    p = await loadPack(resolve(path));
  } catch (err) {
    process.stderr.write(`memlab pack check: ${err instanceof PackRefused ? err.message : (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${path}: no such file or folder` : (err as Error).message}\n`);
    return 1;
  }
  const problems = checkPack(p);
  for (const pr of problems) process.stdout.write(`${format(pr)}\n`);
  process.stdout.write(`${p.id}: ${p.exercises.size} exercises, ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
  return problems.length ? 1 : 0;
}

const SCAFFOLD: Record<string, string> = {
  'pack.yaml': `id: NAME\ntitle: NAME\nversion: 0.1.0\nauthors: [Your Name]\nlicence: CC-BY-4.0\nmemlab: ">=0.1"\npolicy: { attempts_before_solution: 3, hint_cost: 0 }\nchapters:\n  - id: basics\n    title: Basics\n    exercises: [numeric.md, choice.md, multiple.md, ordering.md, matching.md, text.md, predict.md, tune.md, observe.md]\n`,
  'numeric.md': `---\nid: numeric\ntitle: VIRT after malloc\nkind: numeric\nparams: { size: { range: [1, 4], step: 1 } }\nanswer: { expr: "size GiB", quantity: bytes, tolerance: "1%" }\nhints: ["malloc reserves address space.", "VIRT counts every mapped byte."]\nexplanation: VIRT grows by the size asked for, {{size}} GiB.\nmisconceptions: [{ answer: "0 B", says: "That is RES: nothing was touched yet, but VIRT counts the reservation." }]\n---\nA program calls \`malloc({{size}} GiB)\` and touches nothing. By how much does VIRT grow?\n`,
  'choice.md': `---\nid: choice\ntitle: Where small mallocs come from\nkind: choice\noptions: ["brk (the heap)", "mmap", "the stack"]\nanswer: 0\nhints: ["Think of the 128 KiB threshold."]\nexplanation: Below M_MMAP_THRESHOLD glibc grows the heap with brk.\n---\nWhere does \`malloc(4096)\` get its memory from?\n`,
  'multiple.md': `---\nid: multiple\ntitle: What counts in RES\nkind: multiple\noptions: ["touched heap pages", "untouched malloc'd pages", "shared library pages in RAM", "pages in swap"]\nanswer: [0, 2]\nhints: ["RES is what is in RAM now."]\nexplanation: Only pages resident in RAM count; swapped and never-touched pages do not.\n---\nWhich of these count in RES?\n`,
  'ordering.md': `---\nid: ordering\ntitle: Reclaim in order\nkind: ordering\nitems: ["free memory falls below low", "kswapd wakes", "free memory falls below min", "direct reclaim", "the OOM killer"]\nhints: ["kswapd comes before the allocator helps itself."]\nexplanation: kswapd wakes at low; below min the allocating task reclaims itself; only when that fails does the OOM killer run.\n---\nPut these in the order they happen under growing pressure.\n`,
  'matching.md': `---\nid: matching\ntitle: status fields\nkind: matching\npairs: [["VmSize", "virtual size"], ["VmRSS", "resident size"], ["VmSwap", "swapped out"]]\nhints: ["Vm = virtual memory."]\nexplanation: VmSize is VIRT, VmRSS is RES, VmSwap is what is in swap.\n---\nMatch each /proc/PID/status field to its meaning.\n`,
  'text.md': `---\nid: text\ntitle: The system call for big mallocs\nkind: text\npatterns: ["^mmap(2)?$"]\nreference: mmap\nhints: ["It is not brk."]\nexplanation: Requests at or above M_MMAP_THRESHOLD get their own anonymous mapping with mmap.\n---\nWhich system call does glibc use for \`malloc(1 MiB)\`?\n`,
  'predict.md': `---\nid: predict\ntitle: Predict RES\nkind: predict\nscenario: builtin:virt-vs-res\nanswer: { expr: "sim.after-memset.a.out.VmRSS kB", quantity: bytes, tolerance: "2%" }\nhints: ["Only written pages are resident."]\nexplanation: "About 1 GiB — the pages memset wrote."\n---\nPredict VmRSS after memset, then run it.\n`,
  'tune.md': `---\nid: tune\ntitle: No OOM\nkind: tune\nscenario: builtin:oom-killer\nknobs: [{ path: machine.swap, label: Swap, min: 0, max: 1024, step: 64, unit: MiB }]\ngoals: ["vmstat.oom_kill == 0"]\nsolution: { machine.swap: 512 }\nhints: ["More swap gives reclaim somewhere to put anonymous pages."]\nexplanation: With enough swap, reclaim succeeds and the OOM killer never runs.\n---\nGive the machine just enough swap that nobody is killed.\n`,
  'observe.md': `---\nid: observe\ntitle: Observe RES on this machine\nkind: observe\nprobe: malloc-touch\nsize_mib: 64\nanswer: { expr: "64 MiB", quantity: bytes, tolerance: "10%" }\nhints: ["Read VmRSS before and after."]\nexplanation: Touching 64 MiB makes about 64 MiB resident.\n---\nThe probe allocates and touches 64 MiB. By how much did its RES grow?\n`,
};

function cmdNew(name: string): number {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) {
    process.stderr.write(`memlab pack new: a pack name is lower-case letters, digits and dashes, not '${name}'\n`);
    return 2;
  }
  if (existsSync(name)) {
    process.stderr.write(`memlab pack new: ${name} already exists; nothing was changed\n`);
    return 1;
  }
  mkdirSync(name, { recursive: true });
  for (const [f, t] of Object.entries(SCAFFOLD)) writeFileSync(join(name, f), t.replace(/NAME/g, name));
  process.stdout.write(`created ${name}/ with one exercise of each kind; check it with: npx memlab pack check ${name}\n`);
  return 0;
}

async function cmdBuild(dir: string, out: string): Promise<number> {
  if (!existsSync(join(dir, 'pack.yaml'))) {
    process.stderr.write(`memlab pack build: ${dir} has no pack.yaml\n`);
    return 1;
  }
  const problems = checkPack(await loadPack(dir));
  if (problems.length) {
    for (const pr of problems) process.stderr.write(`${format(pr)}\n`);
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
  if (sub === 'new' && rest.length === 1) return cmdNew(rest[0]!);
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
