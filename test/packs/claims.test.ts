/**
 * The built-in pack's claims, the parts that need no probe: the claim manifest's check rule, what
 * students see (no seed file, no stage id, no raw byte count), the step labels, and lab-pressure's
 * ordering question against the simulator's own order of events. (The measured claims are held to
 * the kernel by test/fidelity/claims.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { skipping } from '../skip.js';
import { describeStep, parseScenario, Runner } from '../../app/common/kernel/index.js';
import { vmstat } from '../../app/common/kernel/proc.js';
import { substitute } from '../../app/common/packs/params.js';
import type { Exercise } from '../../app/common/packs/schema.js';
import { checkPack, checkPackClaims, formatProblem, run as packCli } from '../../app/cli/pack.js';
import { buildPack, loadPack } from '../../app/node/packs/loader.js';
import { maps } from '../../app/node/host/proc.js';
import { counterSource } from '../../renderer/src/components/procFields.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PACK = join(ROOT, 'exercises', 'linux-process-memory');
const SCENARIOS = join(ROOT, 'exercises', 'scenarios');
const builtin = await loadPack(PACK);
const exercise = (id: string) => builtin.exercises.get(id)!.exercise;

/** every value of every parameter, combined: the texts each student may be shown */
function allDraws(params: Exercise['params']): Array<Record<string, number | string>> {
  let out: Array<Record<string, number | string>> = [{}];
  for (const [name, p] of Object.entries(params)) {
    const values: Array<number | string> = [];
    if ('choices' in p) values.push(...p.choices);
    else for (let v = p.range[0]; v <= p.range[1] + 1e-9; v += p.step) values.push(Math.round(v * 1e9) / 1e9);
    out = out.flatMap((d) => values.map((v) => ({ ...d, [name]: v })));
  }
  return out;
}

/** Keys whose values are for memlab, not for the student: ids, expressions, patterns, paths, highlights. */
const HIDDEN = new Set(['id', 'kind', 'expr', 'quantity', 'tolerance', 'scenario', 'patterns', 'path', 'probe', 'highlight', 'back_to', 'goals', 'solution', 'show_step', 'advance', 'params', 'wrong_example', 'min', 'max', 'step', 'size_mib', 'name', 'field']);
function shownStrings(x: unknown, key = '', out: Array<[string, string]> = []): Array<[string, string]> {
  if (HIDDEN.has(key)) return out;
  if (typeof x === 'string') out.push([key, x]);
  else if (Array.isArray(x)) x.forEach((y) => shownStrings(y, key, out));
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) shownStrings(v, k, out);
  return out;
}

const SEED = /\bseeds?\b/i;
/** a raw count of six or more digits, e.g. malloc(314572800): people write 300 MiB (or at least 314,572,800) */
const RAW = /(?<![\w.,])\d{6,}(?![\d,])/;

describe('what students see in the built-in pack', () => {
  it('no text of any exercise, for any parameter draw, names a seed file or shows a raw number of more than five digits', () => {
    const bad: string[] = [];
    let texts = 0;
    for (const le of builtin.exercises.values()) {
      const ex = le.exercise;
      for (const draw of allDraws(ex.params)) {
        for (const [where, raw] of [...shownStrings(ex), ['prose', le.prose] as [string, string]]) {
          const t = substitute(raw, draw);
          texts++;
          if (SEED.test(t)) bad.push(`${le.file} ${where}: names a seed: "${SEED.exec(t)![0]}" in ${t.slice(0, 80)}`);
          if (RAW.test(t)) bad.push(`${le.file} ${where}: raw number ${RAW.exec(t)![0]}`);
        }
      }
    }
    expect(texts).toBeGreaterThan(400);
    expect(bad).toEqual([]);
  });

  it('the scenarios the pack opens show no seed file and no raw byte count, in their titles, notes or step labels', () => {
    const used = new Set([...builtin.exercises.values()].map((le) => le.exercise.scenario).filter((s): s is string => !!s?.startsWith('builtin:')));
    expect(used.size).toBeGreaterThan(8);
    const bad: string[] = [];
    for (const ref of used) {
      const file = join(SCENARIOS, `${ref.slice(8)}.yaml`);
      const sc = parseScenario(readFileSync(file, 'utf8'), file);
      const texts = [sc.title ?? '', sc.description ?? '', ...sc.steps.map((s) => s.note ?? ''), ...sc.steps.map(describeStep)];
      for (const t of texts) {
        if (SEED.test(t)) bad.push(`${ref}: ${t}`);
        if (RAW.test(t)) bad.push(`${ref}: raw number in "${t}"`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('every guided stage has a title of its own: the tabs never show a stage id like "l2-out"', () => {
    const labs = [...builtin.exercises.values()].map((le) => le.exercise).filter((e): e is Extract<Exercise, { kind: 'guided' }> => e.kind === 'guided');
    expect(labs.length).toBeGreaterThanOrEqual(6);
    for (const lab of labs)
      for (const st of lab.stages) {
        expect(st.title, `${lab.id} stage ${st.id}`).toBeDefined();
        expect(st.title).not.toBe(st.id);
      }
  });

  it('step labels show sizes as people write them', () => {
    const sc = parseScenario(
      'processes: [{ name: a }]\nsteps:\n  - { proc: a, malloc: 300MiB, as: m }\n  - { proc: a, touch: m, length: 1GiB, offset: 4096 }\n  - { proc: a, mmap: 1052672, as: b }\n  - { proc: a, mallopt: { M_MMAP_THRESHOLD: 311296 } }\n  - { proc: a, read: /f, length: 200MiB }\n  - { proc: a, realloc: m, size: 2GiB }\n',
    );
    expect(sc.steps.map(describeStep)).toEqual([
      'a: malloc(300 MiB) → m',
      'a: write m (1 GiB from +4 KiB)',
      'a: mmap 1028 KiB → b',
      'a: mallopt M_MMAP_THRESHOLD=304 KiB',
      'a: read 200 MiB of /f',
      'a: realloc(m, 2 GiB)',
    ]);
  });

  it('counters a stage points at are named in the /proc file Linux really keeps them in', () => {
    expect(counterSource('database', 'oom_score')).toBe('oom_score in /proc/PID/oom_score of database');
    expect(counterSource('demo', 'minflt')).toBe('minflt, field 10 of /proc/PID/stat of demo');
    expect(counterSource('demo', 'majflt')).toBe('majflt, field 12 of /proc/PID/stat of demo');
    expect(counterSource('demo', 'VmRSS')).toBe('VmRSS in /proc/PID/status of demo');
    expect(counterSource('vmstat', 'pswpin')).toBe('pswpin in /proc/vmstat');
  });

  it.skipIf(skipping(process.platform !== 'linux', 'the host map names r--p segments rodata', 'it reads Linux /proc/self/maps'))("the host map calls a binary's read-only (r--p) segments rodata, not text", () => {
    const rows = maps(process.pid)!;
    const exe = readFileSync(`/proc/${process.pid}/maps`, 'utf8');
    expect(exe).toMatch(/ r--p /);
    const mine = rows.filter((r) => r.segment === 'text' || r.segment === 'rodata' || r.segment === 'data');
    expect(mine.some((r) => r.segment === 'rodata')).toBe(true);
    for (const r of mine) expect(r.segment === 'text' ? r.mode.includes('x') : true, `${r.address} ${r.mode} ${r.segment}`).toBe(true);
    for (const r of mine) if (r.mode === 'r--p') expect(r.segment).toBe('rodata');
  });
});

describe('lab-pressure asks for the order the simulator (and Linux) really follow', () => {
  /** the first moment each event happens, with every touch run 1 MiB at a time */
  function firstEvents(): Record<string, number> {
    const f = join(SCENARIOS, 'pressure-kswapd.yaml');
    const sc = parseScenario(readFileSync(f, 'utf8'), f);
    const sizes = new Map<string, number>();
    const steps: typeof sc.steps = [];
    for (const s of sc.steps) {
      if (s.verb === 'malloc') sizes.set(s.as, s.malloc);
      if (s.verb === 'touch' && s.length === undefined && sizes.has(s.touch)) {
        const total = sizes.get(s.touch)!;
        for (let off = 0; off < total; off += 1 << 20) steps.push({ ...s, offset: off, length: Math.min(1 << 20, total - off) });
      } else steps.push(s);
    }
    const r = new Runner({ ...sc, steps, stepLines: steps.map(() => 0) });
    const first: Record<string, number> = {};
    for (let i = 1; !r.done; i++) {
      r.step();
      const v = vmstat(r.k);
      const now: Record<string, boolean> = {
        low: r.k.frames.free < r.k.wmark.low,
        kswapd: v.pageoutrun! > 0 || v.pgscan_kswapd! > 0,
        // the allocator reclaims directly only when free memory is below min (ALLOC_WMARK_MIN failed)
        min: r.k.frames.free < r.k.wmark.min || v.allocstall_normal! > 0,
        direct: v.allocstall_normal! > 0,
        swap: v.pswpout! > 0,
      };
      for (const [e, on] of Object.entries(now)) if (on && first[e] === undefined) first[e] = i;
    }
    return first;
  }
  /** which event each item of the question names; an item naming none is ambiguous */
  const EVENT: Array<[RegExp, string]> = [
    [/below low/, 'low'],
    [/kswapd woke/, 'kswapd'],
    [/below min/, 'min'],
    [/reclaimed directly/, 'direct'],
    [/written to swap|swapped/, 'swap'],
  ];
  /** events one causes the other: they share a moment, and the cause is listed first */
  const RANK: Record<string, number> = { low: 0, kswapd: 1, min: 2, direct: 3, swap: 4 };

  it("the stage's items are in the order the simulator's events happen", () => {
    const lab = exercise('lab-pressure') as Extract<Exercise, { kind: 'guided' }>;
    const q = lab.stages.find((s) => s.question?.kind === 'ordering')!.question as { items: string[] };
    const first = firstEvents();
    const events = q.items.map((item) => {
      const e = EVENT.find(([re]) => re.test(item));
      expect(e, `"${item}" names no event the simulator records: a student could argue either order`).toBeDefined();
      return e![1];
    });
    for (const e of events) expect(first[e], `${e} happened`).toBeDefined();
    const sorted = [...events].sort((a, b) => first[a]! - first[b]! || RANK[a]! - RANK[b]!);
    expect(events).toEqual(sorted);
    // the stage before the question asks about cache: no anonymous memory was swapped yet when direct reclaim began
    expect(first.swap!).toBeGreaterThan(first.direct!);
  });
});

describe('the claim manifest rule', () => {
  const files = () => new Map([...builtin.files].map(([k, v]) => [k, Buffer.from(v)]));

  it('the built-in pack passes pack check, claims included', () => {
    // warnings (answers printed before they are asked, #12) are not failures
    expect(checkPack(builtin).filter((x) => !x.message.startsWith('warning:')).map(formatProblem)).toEqual([]);
    const c = checkPackClaims(builtin);
    expect(c.coverage!.length).toBe(builtin.exercises.size);
    expect(c.coverage!.every((x) => x.uncovered.length === 0)).toBe(true);
  });

  it('fails the built-in pack without a manifest, with an exercise left out, or with a measured claim whose probe does not exist', () => {
    const without = files();
    without.delete('claims.yaml');
    expect(checkPackClaims(buildPack(PACK, without), true).problems.map(formatProblem)).toEqual([expect.stringContaining('claims.yaml: the built-in pack needs a claim manifest')]);

    const noEntry = files();
    noEntry.set('claims.yaml', Buffer.from(readFileSync(join(PACK, 'claims.yaml'), 'utf8').replace(/^ {2}zones:\n(?: {4}.*\n)+/m, '')));
    const p1 = checkPackClaims(buildPack(PACK, noEntry), true).problems.map(formatProblem);
    expect(p1).toEqual([expect.stringMatching(/claims\.yaml:\d+ \(exercises\): the exercise 'zones' has no entry/)]);

    const noProbe = files();
    noProbe.set('claims.yaml', Buffer.from(readFileSync(join(PACK, 'claims.yaml'), 'utf8').replace('probe: page-size }', 'probe: no-such-probe }')));
    const p2 = checkPackClaims(buildPack(PACK, noProbe), true).problems.map(formatProblem);
    expect(p2).toEqual([expect.stringMatching(/claims\.yaml:\d+ \(exercises\.page-size\.0\.probe\): no probe 'no-such-probe': add test\/fidelity\/probes\/no-such-probe\.c/)]);
  });

  it("does not hold an instructor's pack to it: no manifest is fine, and a partial one is not a failure", () => {
    const without = files();
    without.delete('claims.yaml');
    expect(checkPackClaims(buildPack('/somewhere/else', without), false).problems).toEqual([]);
    const partial = files();
    partial.set('claims.yaml', Buffer.from('exercises:\n  page-size:\n    - { at: answer, says: "4 KiB", check: measured, probe: anything }\n'));
    const c = checkPackClaims(buildPack('/somewhere/else', partial), false);
    expect(c.problems).toEqual([]);
    expect(c.coverage!.find((x) => x.exercise === 'page-size')!.byCheck.measured).toBe(1);
  });

  afterEach(() => vi.restoreAllMocks());
  it('memlab pack check --claims prints the coverage of every exercise and the totals', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((x) => (out.push(String(x)), true));
    expect(await packCli(['check', '--claims', PACK])).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/^brk-or-mmap: \d+ measured, 1 source \(probes: first-malloc\)$/m);
    expect(text).toMatch(/^\d+ exercises, \d+ claims: \d+ measured, \d+ simulated, \d+ source, \d+ history(, \d+ computed)?$/m);
    expect(text).toMatch(/^linux-process-memory: \d+ exercises, 0 problems$/m);
  });

  it('names the line of a claim that points at a place the exercise does not have', () => {
    const bad = files();
    bad.set('claims.yaml', Buffer.from(readFileSync(join(PACK, 'claims.yaml'), 'utf8').replace('at: [answer, explanation, misconceptions.0], says: "getconf', 'at: [answer, explanation, misconceptions.7], says: "getconf').replace('at: misconceptions.0, says: "64-bit x86', 'at: misconceptions.7, says: "64-bit x86')));
    const p = checkPackClaims(buildPack(PACK, bad), true).problems.map(formatProblem);
    expect(p).toEqual(expect.arrayContaining([expect.stringMatching(/claims\.yaml:10 \(exercises\.page-size\.0\.at\): 'misconceptions\.7' is not a place in page-size/)]));
    expect(p).toContain("claims.yaml:9 (exercises.page-size): page-size's misconceptions.0 makes claims no entry covers");
  });
});
