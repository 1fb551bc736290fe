/**
 * `memlab pack check PATH` | `memlab pack new NAME` | `memlab pack build DIR -o FILE.memlab`
 * check: schema and references, every scenario runs, and every exercise is self-consistent —
 * its reference answer passes its own checker, a clearly wrong one fails, an unreadable one is
 * invalid — for many drawn parameter sets. Errors name file, line and field; exit 0 or 1.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import yazl from 'yazl';
import { packJsonSchemas, schemaFileText } from '../common/packs/jsonschema.js';
import { formatCoverage } from '../common/packs/claims.js';
import { checkPack, checkPackClaims, formatProblem, isBuiltinPack, probeExists } from '../node/packs/check.js';
import { loadPack, type Pack, PackRefused } from '../node/packs/loader.js';

export { checkPack, checkPackClaims, formatProblem, isBuiltinPack, probeExists };

const usage = `usage: memlab pack <command> …
  memlab pack check PATH [--json] [--claims]  validate a pack folder or .memlab file (PATH/FILE.md: one exercise)
  memlab pack new NAME                 scaffold a pack: one exercise of each kind, an example scenario, the schemas
  memlab pack build DIR -o FILE.memlab check a pack folder and zip it
  memlab pack schema -o DIR            write the JSON Schemas of pack.yaml, front matter and scenarios
The format: exercises/FORMAT.md (packs) and exercises/SCENARIOS.md (scenarios).
Exit 0 when clean, 1 on problems, 2 on a wrong command line.`;

const HELP: Record<string, string> = {
  check: `usage: memlab pack check PATH [--json] [--claims]
  PATH is a pack folder, a .memlab file, or one exercise file (PACK/x.md: that exercise and pack.yaml).
  Prints each problem as FILE:LINE (FIELD): MESSAGE, then a summary; --json prints
  { pack, exercises, problems: [{ file, line, column, field, message, level }] } instead (for CI).
  --claims also prints which claims are measured, simulated, sourced or history (claims.yaml).
  Warnings (level: warning) are printed but do not fail the check.
  Exit 0 when there is no problem, 1 otherwise.`,
  new: `usage: memlab pack new NAME
  Scaffolds NAME/ (the last part of the path is the pack id: lower-case letters, digits, dashes)
  with one exercise of each kind, scenarios/example.yaml (used by predict.md) and schema/ (the
  JSON Schemas its files refer to). Never overwrites: exit 1 if NAME exists.`,
  build: `usage: memlab pack build DIR -o FILE.memlab
  Checks the pack (as pack check) and, when it is clean, zips it into FILE.memlab.
  Nothing is written when there is a problem.`,
  schema: `usage: memlab pack schema -o DIR
  Writes pack.schema.json, exercise.schema.json and scenario.schema.json into DIR.`,
};

/** PATH/x.md: the pack folder that holds it (the nearest folder up with a pack.yaml) and the file inside it */
function exerciseFile(path: string): { pack: string; file: string } | undefined {
  if (!/\.md$/i.test(path) || !existsSync(path) || statSync(path).isDirectory()) return undefined;
  let dir = dirname(resolve(path));
  for (let i = 0; i < 20; i++) {
    if (existsSync(join(dir, 'pack.yaml'))) return { pack: dir, file: relative(dir, resolve(path)).split(sep).join('/') };
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

async function cmdCheck(path: string, json: boolean, claims = false): Promise<number> {
  const one = exerciseFile(path);
  if (/\.md$/i.test(path) && existsSync(path) && !one) {
    process.stderr.write(`memlab pack check: ${path} is not inside a pack (no pack.yaml in its folder or above)\n`);
    return 1;
  }
  let p: Pack;
  try {
    p = await loadPack(one ? one.pack : resolve(path));
  } catch (err) {
    process.stderr.write(`memlab pack check: ${err instanceof PackRefused ? err.message : (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${path}: no such file or folder` : (err as Error).message}\n`);
    return 1;
  }
  if (one && ![...p.exercises.values()].some((e) => e.file === one.file) && !p.problems.some((x) => x.file === one.file)) {
    process.stderr.write(`memlab pack check: ${one.file} is not listed in ${join(one.pack, 'pack.yaml')}'s chapters\n`);
    return 1;
  }
  const all = checkPack(p, one ? { only: new Set([one.file]) } : {});
  const problems = all.filter((x) => x.level !== 'warning');
  const warnings = all.length - problems.length;
  const exercises = one ? 1 : p.exercises.size;
  // a pack.yaml that does not parse has no id yet: the summary names the folder or file instead of 'unknown'
  const name = p.manifest ? p.id : basename(resolve(one ? one.pack : path)).replace(/\.memlab$/i, '');
  if (json) process.stdout.write(`${JSON.stringify({ pack: name, exercises, problems: all }, null, 2)}\n`);
  else {
    if (claims) {
      const c = checkPackClaims(p);
      process.stdout.write(c.coverage ? `${formatCoverage(c.coverage)}\n` : `${p.id}: no claims.yaml: the pack lists no claims\n`);
    }
    for (const pr of all) process.stdout.write(`${formatProblem(pr)}\n`);
    process.stdout.write(`${name}${one ? ` (${one.file})` : ''}: ${exercises} exercise${exercises === 1 ? '' : 's'}, ${problems.length} problem${problems.length === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`);
  }
  return problems.length ? 1 : 0;
}

const SCAFFOLD: Record<string, string> = {
  'pack.yaml': `# yaml-language-server: $schema=schema/pack.schema.json\nid: NAME\ntitle: NAME\nversion: 0.1.0\nauthors: [Your Name]\nlicence: CC-BY-4.0\nmemlab: ">=0.2"\npolicy: { attempts_before_solution: 3, hint_cost: 0 }\nchapters:\n  - id: basics\n    title: Basics\n    exercises: [numeric.md, table.md, choice.md, multiple.md, ordering.md, matching.md, text.md, predict.md, tune.md, observe.md, policy.md]\n  - id: labs\n    title: Guided labs\n    requires: [basics]\n    exercises: [guided.md]\n`,
  'table.md': `---\nid: table\ntitle: top after malloc and memset\nkind: table\nparams: { size: { choices: [2, 4] } }\nfields:\n  - { name: res, label: RES grows by, expr: "size GiB / 2", tolerance: "2%" }\n  - { name: pages, label: pages made resident, expr: "size GiB / 2 / 4 KiB", quantity: count, tolerance: "2%" }\nmisconceptions: [{ field: res, answer: "size GiB", says: "That is VIRT: only written pages are resident." }]\nhints: ["Only written pages count in RES."]\nexplanation: VIRT grows by all {{size}} GiB; RES only by the half memset wrote.\n---\nA program mallocs {{size}} GiB and memsets half of it. Fill in what top shows.\n`,
  'guided.md': `---\nid: guided\ntitle: From malloc to RES\nkind: guided\nscenario: builtin:virt-vs-res\nexplanation: malloc reserves, memset makes resident.\nstages:\n  - id: reserve\n    advance: 2\n    say: malloc asked for 2 GiB. Look at VIRT.\n    highlight: [{ counter: a.out.VmSize }]\n    question: { kind: choice, prompt: Did RES grow?, options: [yes, no], answer: 1 }\n  - id: touch\n    advance: 2\n    say: memset wrote the first half of it.\n    highlight: [{ counter: a.out.VmRSS }]\n    question: { kind: predict, prompt: How big is RES now?, answer: { expr: "sim.end.a.out.VmRSS", tolerance: "2%" } }\n    on_wrong: { back_to: reserve, say: Watch which pages memset writes. }\n---\nWalk through a 2 GiB malloc and a memset of half of it.\n`,
  'numeric.md': `---\nid: numeric\ntitle: VIRT after malloc\nkind: numeric\nparams: { size: { range: [1, 4], step: 1 } }\nanswer: { expr: "size GiB + 300 MiB", quantity: bytes, tolerance: "1%" }\nhints: ["malloc reserves address space.", "VIRT counts every mapped byte."]\nexplanation: VIRT grows by the size asked for, {{size}} GiB, to {{size}} GiB + 300 MiB.\nmisconceptions: [{ answer: "300 MiB", says: "That is VIRT *before* the call: nothing was touched yet, but VIRT counts the reservation." }]\n---\nA program whose VIRT is 300 MiB calls \`malloc({{size}} GiB)\` and touches nothing. What is its VIRT now?\n`,
  'choice.md': `---\nid: choice\ntitle: Where small mallocs come from\nkind: choice\noptions: [\n    { text: brk (the heap), why: "Below the mmap threshold glibc carves the chunk from the heap, growing it with brk when it must." },\n    { text: mmap, why: "glibc mmaps only requests at or above M_MMAP_THRESHOLD (128 KiB by default)." },\n    { text: the stack, why: "The stack holds a function's locals; malloc never takes memory from it." },\n  ]\nanswer: 0\nhints: ["Think of the 128 KiB threshold."]\nexplanation: Below M_MMAP_THRESHOLD glibc grows the heap with brk.\n---\nWhere does \`malloc(4096)\` get its memory from?\n`,
  'multiple.md': `---\nid: multiple\ntitle: What counts in RES\nkind: multiple\noptions: ["touched heap pages", "untouched malloc'd pages", "shared library pages in RAM", "pages in swap"]\nanswer: [0, 2]\nhints: ["RES is what is in RAM now."]\nexplanation: Only pages resident in RAM count; swapped and never-touched pages do not.\n---\nWhich of these count in RES?\n`,
  'ordering.md': `---\nid: ordering\ntitle: Reclaim in order\nkind: ordering\nitems: ["free memory falls below low", "kswapd wakes", "free memory falls below min", "direct reclaim", "the OOM killer"]\nhints: ["kswapd comes before the allocator helps itself."]\nexplanation: kswapd wakes at low; below min the allocating task reclaims itself; only when that fails does the OOM killer run.\n---\nPut these in the order they happen under growing pressure.\n`,
  'matching.md': `---\nid: matching\ntitle: status fields\nkind: matching\npairs: [["VmSize", "virtual size"], ["VmRSS", "resident size"], ["VmSwap", "swapped out"]]\nhints: ["Vm = virtual memory."]\nexplanation: VmSize is VIRT, VmRSS is RES, VmSwap is what is in swap.\n---\nMatch each /proc/PID/status field to its meaning.\n`,
  'text.md': `---\nid: text\ntitle: The system call for big mallocs\nkind: text\npatterns: ["^mmap(2)?$"]\nreference: mmap\nhints: ["It is not brk."]\nexplanation: Requests at or above M_MMAP_THRESHOLD get their own anonymous mapping with mmap.\n---\nWhich system call does glibc use for \`malloc(1 MiB)\`?\n`,
  'scenarios/example.yaml': `# yaml-language-server: $schema=../schema/scenario.schema.json\n# The format, every verb and option: exercises/SCENARIOS.md in memlab's source, or memlab sim --help\ntitle: RES after touching part of a block\nparams: { m: 64, n: 16 }\nmachine: { ram: 1 GiB }\nprocesses:\n  - { name: a.out }\nsteps:\n  - { proc: a.out, malloc: "{{m}} MiB", as: buf, note: "malloc({{m}} MiB): address space only" }\n  - { snapshot: after-malloc }\n  - { proc: a.out, touch: buf, length: "{{n}} MiB", note: "memset the first {{n}} MiB" }\n  - { snapshot: after-touch }\n`,
  'predict.md': `---\nid: predict\ntitle: Predict the page faults\nkind: predict\nscenario: scenarios/example.yaml\nparams:\n  m: { choices: [64, 128] }\n  n: { range: [8, 32], step: 8 }\nshow_step: 2\nanswer: { expr: "sim.after-touch.a.out.minflt - sim.after-malloc.a.out.minflt", quantity: count, tolerance: "1%" }\nmisconceptions: [{ answer: "n", says: "That counts mebibytes; a fault brings in one 4 KiB page." }]\nhints: ["The first write to each 4 KiB page is a minor fault."]\nexplanation: "{{n * 256}}: memset wrote {{n}} MiB, {{n * 256}} pages of 4 KiB, and each first write to a page is one minor fault."\n---\nA program mallocs {{m}} MiB and memsets the first {{n}} MiB. How many minor page faults does the memset take? Predict, then run the scenario.\n`,
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
  mkdirSync(join(path, 'scenarios'), { recursive: true });
  mkdirSync(join(path, 'schema'), { recursive: true });
  for (const [f, t] of Object.entries(SCAFFOLD)) writeFileSync(join(path, f), t.replace(/NAME/g, name));
  // a copy of the schemas, so the $schema references at the top of the files work wherever the pack lives
  for (const [f, doc] of Object.entries(packJsonSchemas())) writeFileSync(join(path, 'schema', f), schemaFileText(doc));
  process.stdout.write(`created ${path}/ with one exercise of each kind and scenarios/example.yaml; check it with: npx memlab pack check ${path}\n`);
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
  const { createWriteStream, renameSync, rmSync } = await import('node:fs');
  // write beside the target and rename: a failure never leaves a partial .memlab
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    await new Promise<void>((res, rej) => zip.outputStream.pipe(createWriteStream(tmp)).on('close', res).on('error', rej));
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    process.stderr.write(`memlab pack build: cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; nothing was written\n`);
    return 1;
  }
  process.stdout.write(`wrote ${out}\n`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${usage}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${HELP[sub] ?? usage}\n`);
    return HELP[sub] ? 0 : 2;
  }
  try {
    if (sub === 'check') {
      const { values, positionals } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false }, claims: { type: 'boolean', default: false } }, allowPositionals: true });
      if (positionals.length === 1) return cmdCheck(positionals[0]!, values.json, values.claims);
    }
    if (sub === 'new') {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
      if (positionals.length === 1) return cmdNew(positionals[0]!);
    }
    if (sub === 'schema') {
      const { values } = parseArgs({ args: rest, options: { output: { type: 'string', short: 'o' } }, allowPositionals: false });
      if (values.output) return cmdSchema(values.output);
    }
    if (sub === 'build') {
      const { values, positionals } = parseArgs({ args: rest, options: { output: { type: 'string', short: 'o' } }, allowPositionals: true });
      if (positionals.length === 1 && values.output) return cmdBuild(positionals[0]!, values.output);
    }
  } catch (err) {
    process.stderr.write(`memlab pack ${sub}: ${(err as Error).message}\n${HELP[sub] ?? usage}\n`);
    return 2;
  }
  process.stderr.write(`${HELP[sub] ?? `memlab pack: unknown command '${sub}'\n${usage}`}\n`);
  return 2;
}
