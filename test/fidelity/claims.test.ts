/**
 * Every `measured` claim of the built-in pack (exercises/linux-process-memory/claims.yaml), held to
 * the kernel running the tests: each probe in probes/ is compiled here, run, and what it measured is
 * fed to the pack's own checker as a learner's answer (or compared with the number the text states),
 * so a pack whose answer or text disagrees with this kernel fails. The answers are read from the
 * pack, never copied here. Probes that need memory pressure or swap run in a memory cgroup of their
 * own with a temporary swap file (root only); elsewhere they are skipped with the reason printed.
 * The closing summary (measured, simulated, sourced, history, skipped with reasons) is printed and,
 * when MEMLAB_CLAIMS_SUMMARY names a file, written there for `npm test` to show.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipping } from '../skip.js';
import { type Answer, check, type CheckContext } from '../../app/common/packs/checkers.js';
import { CLAIM_CHECKS, type ClaimManifest, parseClaims } from '../../app/common/packs/claims.js';
import type { Exercise } from '../../app/common/packs/schema.js';
import { readAnswer } from '../../app/common/packs/answer.js';
import { loadPack } from '../../app/node/packs/loader.js';
import { parseScenario } from '../../app/common/kernel/index.js';
import { STATUS_MEANING } from '../../renderer/src/components/procFields.js';
import { runFile, runText, snap } from '../kernel/helpers.js';
import { pressureSupport, runInCgroup, SwapFile, vmstat } from './pressure.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const PACK = join(ROOT, 'exercises', 'linux-process-memory');
const PROBES = join(import.meta.dirname, 'probes');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const linux = process.platform === 'linux' && existsSync('/proc/self/status');
const canProbe = linux && has('gcc');

const pack = await loadPack(PACK);
const manifest: ClaimManifest = parseClaims(readFileSync(join(PACK, 'claims.yaml'), 'utf8')).value!;
const ctx: CheckContext = { params: {}, scenarioText: (ref) => readFileSync(join(ROOT, 'exercises', 'scenarios', `${ref.replace(/^builtin:/, '')}.yaml`), 'utf8') };
function ex<K extends Exercise['kind']>(id: string, kind?: K): Extract<Exercise, { kind: K }> {
  const e = pack.exercises.get(id)?.exercise;
  if (!e) throw new Error(`the pack has no exercise ${id}`);
  if (kind && e.kind !== kind) throw new Error(`${id} is a ${e.kind} exercise, not ${kind}`);
  return e as Extract<Exercise, { kind: K }>;
}
/** the pack's checker, given what this kernel did as a learner's answer */
function judged(e: Exercise, answer: Answer, params: CheckContext['params'] = {}, measured?: number) {
  return check(e, answer, { ...ctx, params, ...(measured !== undefined ? { measured } : {}) });
}
function expectCorrect(e: Exercise, answer: Answer, params: CheckContext['params'] = {}, measured?: number) {
  const r = judged(e, answer, params, measured);
  expect(r.verdict, `${e.id}: this kernel's answer ${JSON.stringify(answer)} is judged ${r.verdict} (${r.message})`).toBe('correct');
}
/** the stage question of a guided lab, as an exercise */
function stage(labId: string, stageId: string): Exercise {
  const lab = ex(labId, 'guided');
  const st = lab.stages.find((s) => s.id === stageId)!;
  return { ...(st.question as object), scenario: lab.scenario, id: `${labId}.${stageId}`, title: st.title ?? stageId, hints: [], explanation: lab.explanation, params: {}, misconceptions: (st.question as { misconceptions?: unknown[] }).misconceptions ?? [] } as unknown as Exercise;
}
const optionIndex = (options: string[], test: RegExp, what: string) => {
  const i = options.findIndex((o) => test.test(o));
  if (i < 0) throw new Error(`no option says ${what} (${test})`);
  return i;
};
/** "134,472 B" → 134472: a number the text states, to compare with the measurement */
const stated = (text: string, re: RegExp): number => {
  const m = re.exec(text);
  if (!m) throw new Error(`the text no longer states ${re}: ${text.slice(0, 200)}`);
  return Number(m[1]!.replace(/[,\s]/g, ''));
};
const kv = (out: string): Record<string, string> => Object.fromEntries(out.trim().split('\n').map((l) => { const i = l.indexOf(' '); return [l.slice(0, i), l.slice(i + 1)]; }));
const num = (o: Record<string, string>, k: string) => {
  if (!(k in o)) throw new Error(`the probe printed no ${k}: ${JSON.stringify(o)}`);
  return Number(o[k]);
};

let bin = '';
const swap = new SwapFile(256);
const support = pressureSupport();
let pressureWhy = '';

/** What each probe's run came to, for the summary. */
const outcome = new Map<string, { status: 'passed' | 'skipped' | 'failed'; detail: string }>();
const skip = (probe: string, why: string) => {
  outcome.set(probe, { status: 'skipped', detail: why });
  console.log(`claims: ${probe} skipped: ${why}`);
};

async function probe(name: string, args: string[] = [], exe = name): Promise<Record<string, string>> {
  const { stdout } = await run(join(bin, exe), args, { timeout: 60_000, maxBuffer: 1 << 20 });
  return kv(stdout);
}
function pressured(name: string, opts: Parameters<typeof runInCgroup>[1], args: string[]): Record<string, string> {
  if (!support.ok) throw new Error('no cgroups');
  const r = runInCgroup(support.version, opts, [join(bin, name), ...args]);
  if (r.status !== 0 && !r.stdout) throw new Error(`${name} failed in its cgroup (${r.status}): ${r.stderr}`);
  return kv(r.stdout);
}

type Comparer = { needs?: 'pressure' | 'swap' | 'strace' | 'valgrind' | 'root'; run: () => Promise<string | void> };

/** One comparison per probe: what the probe measured against what the pack says. Returns a detail line. */
const COMPARERS: Record<string, Comparer> = {
  'page-size': {
    run: async () => {
      const o = await probe('page-size');
      expectCorrect(ex('page-size'), { value: `${num(o, 'pagesize')} B` });
      return `PAGESIZE ${o.pagesize}`;
    },
  },
  zones: {
    run: async () => {
      const { stdout } = await run('sh', [join(PROBES, 'zones.sh')]);
      const zones = [...stdout.matchAll(/^zone (\w+)$/gm)].map((m) => m[1]);
      const arch = /^arch (\S+)/m.exec(stdout)?.[1];
      if (arch !== 'x86_64') return void skip('zones', `the pack describes x86-64 zones; this machine is ${arch}`);
      expect(zones).toEqual(expect.arrayContaining(['DMA', 'DMA32', 'Normal']));
      expect(zones).not.toContain('HighMem');
      // the pack says HIGHMEM is 32-bit only, and DMA32 is the 64-bit one
      const pairs = Object.fromEntries(ex('zones', 'matching').pairs);
      expect(pairs.ZONE_HIGHMEM).toMatch(/32-bit only/);
      expect(pairs.ZONE_DMA32).toMatch(/64-bit/);
      return `zones ${zones.join(', ')}`;
    },
  },
  segments: {
    run: async () => {
      const { stdout } = await run(join(bin, 'segments'), []);
      const at = Object.fromEntries(stdout.trim().split('\n').map((l) => { const [k, perms, ...path] = l.split(' '); return [k!, { perms: perms!, path: path.join(' ') }]; }));
      const exe = at.exe!.path;
      expect(at.text).toEqual({ perms: 'r-xp', path: exe });
      expect(at.data).toEqual({ perms: 'rw-p', path: exe });
      expect(at.bss!.perms).toBe('rw-p');
      expect(at.heap!.path).toBe('[heap]');
      expect(at.stack!.path).toBe('[stack]');
      const pairs = Object.fromEntries(ex('segments', 'matching').pairs);
      expect(pairs.text).toMatch(/read\+execute/);
      expect(pairs.heap).toMatch(/brk/);
      return 'text r-xp, data rw-p, heap [heap], stack [stack]';
    },
  },
  'size-command': {
    run: async () => {
      const { stdout } = await run('sh', [join(PROBES, 'size-command.sh')]);
      const o = kv(stdout);
      expect(num(o, 'dec')).toBe(num(o, 'text') + num(o, 'data') + num(o, 'bss'));
      // the exercise's numbers follow the same rule: its answer is text + data + bss of the listing it shows
      const e = ex('size-command');
      const row = /\n\s*(\d+)\s+(\d+)\s+(\d+)\s+\?/.exec(pack.exercises.get('size-command')!.prose)!;
      expectCorrect(e, { value: String(Number(row[1]) + Number(row[2]) + Number(row[3])) });
      return `size: dec ${o.dec} = text + data + bss`;
    },
  },
  'string-literal': {
    run: async () => {
      const o = await probe('string-literal');
      expect(o.perms).toBe('r--p');
      const e = ex('string-literal', 'choice');
      expect(e.explanation).toContain('(r--p)');
      expectCorrect(e, { choice: optionIndex(e.options, num(o, 'signal') === 11 ? /SIGSEGV/ : /works/, 'what the write did') });
      return `signal ${o.signal}, literal in ${o.perms}`;
    },
  },
  'virt-after-malloc': {
    run: async () => {
      const e = ex('virt-after-malloc');
      const out: string[] = [];
      for (const size of [1, 4]) {
        const o = await probe('virt-after-malloc', [String(size)]);
        expectCorrect(e, { value: `${num(o, 'virt')} kB` }, { size });
        expect(num(o, 'res')).toBeLessThan(64); // RES does not grow with the reservation
        out.push(`${size} GiB: VIRT +${o.virt} kB, RES +${o.res} kB`);
      }
      // lab-malloc-to-res, stage reserve: VIRT only
      const lab = stage('lab-malloc-to-res', 'reserve') as Extract<Exercise, { kind: 'choice' }>;
      expectCorrect(lab, { choice: optionIndex(lab.options, /^VIRT only$/, 'VIRT only') });
      return out.join('; ');
    },
  },
  'minor-faults': {
    run: async () => {
      const e = ex('minor-faults');
      const out: string[] = [];
      for (const mib of [16, 64]) {
        const o = await probe('minor-faults', [String(mib)]);
        expectCorrect(e, { value: o.faults! }, { mib });
        expect(num(o, 'refault')).toBe(0); // a page already present costs no fault (lab-page-life L1, L3)
        if (mib === 64) expectCorrect(ex('observe-res'), { value: `${o.res} kB` }, {}, num(o, 'res') * 1024);
        out.push(`${mib} MiB: ${o.faults} faults`);
      }
      return out.join('; ');
    },
  },
  'zero-page': {
    run: async () => {
      const o = await probe('zero-page');
      const e = ex('zero-page', 'choice');
      const grew = num(o, 'res') > 1024;
      // A kernel that maps a fresh page on every read fault (no shared zero page) is not mainline: say so
      if (grew) return void skip('zero-page', `this kernel (${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}) gives anonymous read faults fresh pages: RES grew by ${o.res} kB for 100 MiB read; mainline maps the shared zero page (mm/memory.c do_anonymous_page) — the explanation says some kernels differ`);
      expectCorrect(e, { choice: optionIndex(e.options, /^RES stays the same$/, 'RES stays the same') });
      return `RES +${o.res} kB after reading 100 MiB`;
    },
  },
  'first-malloc': {
    run: async () => {
      const e = ex('brk-or-mmap', 'multiple');
      const mmapped: number[] = [];
      let heapKb = 0;
      for (const [i, opt] of e.options.entries()) {
        const size = readAnswer(/\(([^)]+)\)/.exec(opt)![1]!, 'bytes');
        if (!size.ok) throw new Error(`cannot read the size in '${opt}'`);
        const o = await probe('first-malloc', [String(size.value)]);
        if (num(o, 'heap') === 0) mmapped.push(i);
        heapKb = num(o, 'heapKb');
      }
      expectCorrect(e, { choices: mmapped });
      // the simulator makes the same choice for each first malloc, and the same 132 KiB heap
      for (const [i, opt] of e.options.entries()) {
        const size = /\(([^)]+)\)/.exec(opt)![1]!.replace(/\s+/g, '');
        const sim = runText(`processes: [{ name: p }]\nsteps: [{ proc: p, malloc: ${size}, as: x }]\n`).report.syscalls.map((c) => `${c.call} ${c.size}`);
        expect(sim.some((c) => c.startsWith('mmap')), `the simulator's first malloc(${size})`).toBe(mmapped.includes(i));
        expect(sim[0]).toBe(`brk ${heapKb * 1024}`);
      }
      const largest = num(await probe('first-malloc', ['largest']), 'largest');
      expect(stated(e.explanation, /largest first malloc the heap serves is ([\d,]+) B/)).toBe(largest);
      expect(stated(e.hints.join(' '), /heap with brk: (\d+) KiB/)).toBe(heapKb);
      expect(stated(e.explanation, /grows the heap by (\d+) KiB/)).toBe(heapKb);
      // lab-page-life L0 and L1: malloc(100 KiB) comes from the heap, and its first touch costs no new fault
      const t = await probe('first-malloc', ['touch']);
      expect(num(t, 'heap')).toBe(1);
      expect(num(t, 'touchFaults')).toBe(0);
      const l0 = stage('lab-page-life', 'l0') as Extract<Exercise, { kind: 'choice' }>;
      expectCorrect(l0, { choice: optionIndex(l0.options, /^brk$/, 'brk') });
      // the strace scenario's title may not promise an mmap for 128 KiB, which this kernel serves from the heap
      const straceTitle = parseScenario(readFileSync(join(ROOT, 'exercises', 'scenarios', 'malloc-strace.yaml'), 'utf8')).title ?? '';
      if (!mmapped.some((i) => /128 KiB/.test(e.options[i]!))) expect(straceTitle).not.toMatch(/mmap at and above/);
      const small = stage('lab-malloc-strace', 'small');
      expectCorrect(small, { text: 'brk' });
      return `mmapped: ${mmapped.map((i) => e.options[i]).join(', ')}; heap ${heapKb} KiB; largest first malloc from the heap ${largest} B`;
    },
  },
  'mmap-threshold': {
    run: async () => {
      const o = await probe('mmap-threshold');
      expect(num(o, 'firstHeap')).toBe(0); // 300 KiB: its own mmap
      expect(num(o, 'againHeap')).toBe(1); // after free: the heap
      const threshold = num(o, 'threshold');
      // the scenario's description, shown beside the questions, states no outcome; dynamic-threshold's explanation does
      expect(stated(ex('dynamic-threshold').explanation, /raises the threshold to the chunk's size, ([\d,]+) B/)).toBe(threshold);
      const scenario = readFileSync(join(ROOT, 'exercises', 'scenarios', 'malloc-strace.yaml'), 'utf8');
      // the scenario may state the new threshold; if it does, it must be this one (not "300 KiB + header")
      const says = /threshold (?:to|becomes)[^.]*?([\d,]{6,}) B/.exec(scenario);
      if (says) expect(Number(says[1]!.replace(/,/g, ''))).toBe(threshold);
      expect(scenario).not.toMatch(/300 KiB \+ header/);
      const big = stage('lab-malloc-strace', 'big') as Extract<Exercise, { kind: 'choice' }>;
      expect(stated(big.misconceptions.map((m) => m.says).join(' '), /\(([\d,]+) B:/)).toBe(threshold);
      expectCorrect(big, { choice: optionIndex(big.options, /heap/, 'the heap') });
      return `threshold after free: ${threshold} B`;
    },
  },
  'free-large': {
    needs: 'strace',
    run: async () => {
      const r = spawnSync('strace', ['-e', 'trace=munmap,brk,madvise,write', join(bin, 'free-large')], { encoding: 'utf8' });
      const after = r.stderr.slice(r.stderr.indexOf('write(1, "free'));
      const call = /^(\w+)\(/m.exec(after.split('\n').slice(1).join('\n'))?.[1];
      expect(call).toBeDefined();
      expectCorrect(ex('free-large'), { text: call! });
      return `free(1 MiB) → ${call}`;
    },
  },
  'free-middle': {
    run: async () => {
      const o = await probe('free-middle');
      expect(num(o, 'freeRes')).toBeLessThanOrEqual(4);
      expect(num(o, 'trimRes')).toBeGreaterThan(100);
      const e = ex('free-middle', 'choice');
      expectCorrect(e, { choice: optionIndex(e.options, /^No, not by itself$/, 'No, not by itself') });
      expect(stated(e.explanation, /VIRT shrinks by that much: (\d+) kB/)).toBe(num(o, 'trimVirt'));
      expect(e.explanation).not.toMatch(/VIRT stays/);
      // the simulator's free-and-trim.yaml, the same program: within one page
      const sim = runFile('free-and-trim.yaml');
      const at = (l: string) => snap(sim, l).processes.app!;
      expect(Math.abs(at('middle-freed').VmSize - at('after-malloc_trim').VmSize - num(o, 'trimVirt'))).toBeLessThanOrEqual(4);
      expect(Math.abs(at('middle-freed').VmRSS - at('after-malloc_trim').VmRSS - num(o, 'trimRes'))).toBeLessThanOrEqual(4);
      expect(at('all-touched').VmRSS - at('middle-freed').VmRSS).toBe(0);
      return `free in the middle: RES −${o.freeRes} kB; malloc_trim: RES −${o.trimRes} kB, VIRT −${o.trimVirt} kB`;
    },
  },
  'use-after-free': {
    run: async () => {
      const o = await probe('use-after-free');
      const e = ex('use-after-free', 'multiple');
      const truths: number[] = [];
      if (num(o, 'smallSignal') === 0) truths.push(optionIndex(e.options, /64-byte block usually does not fault/, 'small no fault'));
      if (num(o, 'largeSignal') === 11) truths.push(optionIndex(e.options, /1 MiB block faults with SIGSEGV/, 'large SIGSEGV'));
      if (num(o, 'smallSignal') !== 0) truths.push(optionIndex(e.options, /Every use after free faults/, 'every faults'));
      if (num(o, 'zeroed') === 1) truths.push(optionIndex(e.options, /zeroes freed/, 'zeroed'));
      expectCorrect(e, { choices: truths.sort() });
      const sim = snap(runFile('use-after-free.yaml'), 'end-states').processes;
      expect(sim.small!.state).toBe(num(o, 'smallSignal') === 0 ? 'running' : 'killed:sigsegv');
      expect(sim.large!.state).toBe(num(o, 'largeSignal') === 11 ? 'killed:sigsegv' : 'running');
      const l5 = stage('lab-page-life', 'l5') as Extract<Exercise, { kind: 'choice' }>;
      expectCorrect(l5, { choice: optionIndex(l5.options, num(o, 'smallSignal') === 0 ? /^Nothing visible/ : /^SIGSEGV/, 'L5') });
      return `small: signal ${o.smallSignal}; 1 MiB: signal ${o.largeSignal}; freed chunk zeroed: ${o.zeroed}`;
    },
  },
  'status-fields': {
    run: async () => {
      const o = await probe('status-fields');
      expect(num(o, 'VmRSS')).toBe(num(o, 'sum'));
      expect(num(o, 'VmHWM')).toBeGreaterThan(num(o, 'VmRSS') + 16 * 1024); // the peak stays after the memory is gone
      const e = ex('status-fields', 'matching');
      expect(e.hints.join(' ')).toContain('VmRSS = RssAnon + RssFile + RssShmem');
      expect(Object.fromEntries(e.pairs).VmHWM).toMatch(/peak/);
      return `VmRSS ${o.VmRSS} = RssAnon + RssFile + RssShmem; VmHWM ${o.VmHWM} after a peak`;
    },
  },
  'rss-exact': {
    run: async () => {
      const o = await probe('rss-exact');
      const [maj, min] = readFileSync('/proc/sys/kernel/osrelease', 'utf8').split('.').map(Number) as [number, number];
      const e = ex('rss-approximate', 'choice');
      // the gap the tutorial saw: anonymous mappings alone fall short; all of them add up to VmRSS
      expect(num(o, 'anonSum')).toBeLessThan(num(o, 'VmRSS') - 256);
      expect(Math.abs(num(o, 'allSum') - num(o, 'VmRSS'))).toBeLessThanOrEqual(8);
      expectCorrect(ex('smaps-rollup'), { text: '/proc/PID/smaps_rollup' });
      expect(num(o, 'rollupPss')).toBeGreaterThan(0);
      if (maj < 6 || (maj === 6 && min < 16)) return void skip('rss-exact', `Linux ${maj}.${min} may predate the exact status sums of 6.16 (backports vary): status matched smaps_rollup in ${o.equal} of ${o.runs} bursts`);
      expect(`${o.equal} of ${o.runs}`).toBe(`${o.runs} of ${o.runs}`);
      expectCorrect(e, { choice: optionIndex(e.options, /^Only the `\[ anon \]` lines/, 'the [ anon ] lines') });
      // the host panel's tooltip says the same, with the version it depends on
      expect(STATUS_MEANING.VmRSS).toMatch(/exact since Linux 6\.16/);
      return `status = smaps_rollup in ${o.equal} of ${o.runs} bursts; [ anon ] lines ${o.anonSum} kB, all lines ${o.allSum} kB, VmRSS ${o.VmRSS} kB`;
    },
  },
  'shared-pss': {
    run: async () => {
      const out: string[] = [];
      for (const n of [2, 4]) {
        const { stdout } = await run(join(bin, 'shared-pss'), [String(n)]);
        const rows = [...stdout.matchAll(/RssShmem (\d+) Pss (\d+)/g)].map((m) => ({ shmem: Number(m[1]), pss: Number(m[2]) }));
        expect(rows).toHaveLength(n);
        for (const r of rows) {
          expect(r.shmem).toBe(64 * 1024); // every sharer shows all of it in its RES
          expectCorrect(ex('pss'), { value: `${r.pss} kB` }, { n });
        }
        const total = rows.reduce((a, r) => a + r.pss, 0);
        if (n === 2) {
          // what the machine holds: the PSS of all sharers adds up to it, once
          expectCorrect(ex('shared-counted-twice'), { value: `${total} kB` });
          const sim = snap(runFile('shared-memory.yaml'), 'shared');
          for (const who of ['server', 'worker']) expect(Math.abs(sim.processes[who]!.RssShmem - rows[0]!.shmem)).toBeLessThanOrEqual(rows[0]!.shmem * 0.01);
          expect(Math.abs(sim.meminfo.Shmem! - total)).toBeLessThanOrEqual(total * 0.01);
          const table = stage('lab-reading-proc', 'fork');
          expectCorrect(table, { values: { server: `${rows[0]!.shmem} kB`, worker: `${rows[1]!.shmem} kB`, machine: `${total} kB` } });
        }
        out.push(`${n} sharers: PSS ${rows[0]!.pss} kB each, ${total} kB in all`);
      }
      return out.join('; ');
    },
  },
  massif: {
    needs: 'valgrind',
    run: async () => {
      const { stdout } = await run('sh', [join(PROBES, 'massif.sh')], { timeout: 60_000 });
      expect(stdout).toContain('file massif.out.PID');
      expect(Number(/printed (\d+)/.exec(stdout)?.[1])).toBeGreaterThan(0);
      const items = ex('massif', 'ordering').items;
      expect(items.join('\n')).toMatch(/valgrind --tool=massif[\s\S]*massif\.out\.PID[\s\S]*ms_print/);
      return 'massif.out.PID written in the current directory; ms_print printed it';
    },
  },
  'leak-o2': {
    run: async () => {
      const o0 = await probe('leak-o2', [], 'leak-o2-O0');
      const o2 = await probe('leak-o2', [], 'leak-o2-O2');
      expect(num(o0, 'res')).toBeGreaterThan(30 * 1024); // 8 rounds of 4 MiB at -O0
      expect(num(o2, 'res')).toBeLessThan(1024); // gcc -O2 deleted the malloc and the memset
      const e = ex('observe-leak', 'observe');
      expect(e.explanation).toMatch(/-O2 it leaks nothing/);
      const mib = Number(/(\d+) MiB/.exec(e.answer.expr)![1]);
      const kept = await probe('leak-o2', ['kept', String(mib)], 'leak-o2-O0');
      expectCorrect(e, { value: `${kept.res} kB` }, {}, num(kept, 'res') * 1024);
      return `8 rounds of the classic leak: RES +${o0.res} kB at -O0, +${o2.res} kB at -O2; ${mib} MiB kept: +${kept.res} kB`;
    },
  },
  'stack-limit': {
    run: async () => {
      const o = await probe('stack-limit');
      if (num(o, 'limit') !== 8 * 1024 * 1024) return void skip('stack-limit', `ulimit -s is ${num(o, 'limit') / 1024} kB here, not the default 8192`);
      expectCorrect(ex('stack-limit'), { value: `${num(o, 'limit')} B` });
      expect(num(o, 'allocaReturned')).toBe(1); // alloca itself did not fault
      expect(num(o, 'topTouched')).toBe(1);
      expect(num(o, 'bottomTouched')).toBe(0);
      expect(num(o, 'signal')).toBe(11);
      expect(ex('stack-limit').explanation).toMatch(/only moves the stack pointer: nothing faults yet/);
      const simStack = snap(runFile('stack-alloca.yaml'), 'overflowed').processes;
      expect(simStack.ok!.state).toBe('running');
      expect(simStack.overflow!.state).toBe('killed:sigsegv');
      const alloca = parseScenario(readFileSync(join(ROOT, 'exercises', 'scenarios', 'stack-alloca.yaml'), 'utf8'));
      expect(alloca.description).toMatch(/alloca only moves the stack pointer/);
      return 'RLIMIT_STACK 8 MiB; alloca(16 MiB) returned, its top was writable, its bottom was SIGSEGV';
    },
  },
  'mlock-limit': {
    run: async () => {
      const o = await probe('mlock-limit');
      if (num(o, 'limit') !== 8 * 1024 * 1024) return void skip('mlock-limit', `RLIMIT_MEMLOCK is ${o.limit} here, not the default 8 MiB`);
      if (process.getuid?.() === 0 && num(o, 'errno') === 100) throw new Error('could not drop to uid 65534');
      const e = ex('mlock-limit', 'choice');
      const err = num(o, 'errno');
      expectCorrect(e, { choice: optionIndex(e.options, err === num(o, 'ENOMEM') ? /ENOMEM/ : err === 0 ? /locks 16 MiB/ : /ignores/, 'the outcome') });
      return `mlock(16 MiB) as an ordinary user: errno ${err} (ENOMEM ${o.ENOMEM})`;
    },
  },
  'oom-score': {
    run: async () => {
      const child = spawn(join(bin, 'oom-score'), ['64'], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const f = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)![1]) / 4;
        const mem = readFileSync('/proc/meminfo', 'utf8');
        const m = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(mem)![1]) / 4;
        const formula = (badness: number, totalpages: number) => Math.trunc(((1000 + Math.trunc((badness * 1000) / totalpages)) * 2) / 3);
        const real = Number(readFileSync(`/proc/${child.pid}/oom_score`, 'utf8'));
        const mine = formula(f('VmRSS') + f('VmSwap') + f('VmPTE'), m('MemTotal') + m('SwapTotal'));
        expect(Math.abs(real - mine)).toBeLessThanOrEqual(1); // MemTotal undercounts totalram_pages a little
        // the exercise's machine through the same formula: 1 GiB resident on 4 GiB of RAM, no swap
        expectCorrect(ex('oom-score'), { value: String(formula(262144, 1048576)) });
        return `oom_score ${real}, the formula gives ${mine}`;
      } finally {
        child.kill('SIGKILL');
      }
    },
  },
  cow: {
    run: async () => {
      const o = await probe('cow');
      expectCorrect(ex('cow-faults'), { value: o.cow! });
      return `child's COW faults writing 16 MiB: ${o.cow}`;
    },
  },
  'swap-in': {
    needs: 'swap',
    run: async () => {
      const o = pressured('swap-in', { limitMiB: 16 }, ['16']);
      expect(num(o, 'swapped'), 'the pages went to swap').toBeGreaterThan(0);
      expect(num(o, 'intact')).toBe(1);
      expect(num(o, 'present')).toBe(16);
      expect(num(o, 'major') + num(o, 'minor')).toBeGreaterThanOrEqual(1);
      const kind = num(o, 'major') > 0 ? 'major' : 'minor (readahead had brought it into the swap cache)';
      const e = ex('major-fault', 'choice');
      expectCorrect(e, { choice: optionIndex(e.options, /reads the page back from swap/, 'read back from swap') });
      const l2out = stage('lab-page-life', 'l2-out') as Extract<Exercise, { kind: 'choice' }>;
      expectCorrect(l2out, { choice: optionIndex(l2out.options, /^in swap$/, 'in swap') });
      const l2in = stage('lab-page-life', 'l2-in') as Extract<Exercise, { kind: 'choice' }>;
      expectCorrect(l2in, { choice: optionIndex(l2in.options, /^from swap/, 'from swap') });
      return `${o.swapped} of 16 pages in swap, data intact after the touch; its fault was ${kind}`;
    },
  },
  thrash: {
    needs: 'swap',
    run: async () => {
      const in0 = vmstat('pswpin');
      const out0 = vmstat('pswpout');
      const o = pressured('thrash', { limitMiB: 16, swappiness: 100 }, ['16', '3']);
      const pages = num(o, 'pages');
      const passes = [1, 2].map((k) => num(o, `pass${k}`));
      for (const p of passes) expect(p, 'major faults on every pass after the first').toBeGreaterThan(pages * 0.1);
      const swIn = vmstat('pswpin') - in0;
      const swOut = vmstat('pswpout') - out0;
      expect(swIn).toBeGreaterThan(pages);
      expect(swOut).toBeGreaterThan(pages);
      const e = ex('thrashing', 'multiple');
      const truths = [optionIndex(e.options, /majflt climbs on every pass/, 'majflt'), optionIndex(e.options, /pswpin and pswpout both stay high/, 'pswp'), optionIndex(e.options, /working set is larger than RAM/, 'working set')];
      expectCorrect(e, { choices: truths.sort() });
      const majors = passes.reduce((a, b) => a + b, 0);
      return `working set ${pages} pages in a ${pages / 2}-page cgroup: major faults per pass ${passes.join(', ')}; pswpin +${swIn}, pswpout +${swOut} (${(majors / swIn).toFixed(2)} major faults per page swapped in)`;
    },
  },
  'cache-first': {
    needs: 'swap',
    run: async () => {
      const file = join(tmpdir(), `memlab-facts-cache-${process.pid}`);
      try {
        const o = pressured('cache-first', { limitMiB: 64 }, [file, '48', '40', 'once']);
        const dropped = num(o, 'cachedBefore') - num(o, 'cachedAfter');
        expect(num(o, 'cachedBefore')).toBeGreaterThan(40 * 1024);
        expect(dropped, 'cache was dropped').toBeGreaterThan(16 * 1024);
        expect(num(o, 'VmSwap'), 'no anonymous memory went to swap').toBeLessThan(1024);
        const e = ex('cache-first', 'choice');
        expectCorrect(e, { choice: optionIndex(e.options, /Inactive page cache/, 'inactive page cache') });
        const reclaim = stage('lab-pressure', 'reclaim') as Extract<Exercise, { kind: 'choice' }>;
        expectCorrect(reclaim, { choice: optionIndex(reclaim.options, /^page cache, and no anonymous/, 'cache, no anon') });
        return `48 MiB read once, then 40 MiB written in a 64 MiB cgroup: ${dropped} kB of cache dropped, ${o.VmSwap} kB swapped`;
      } finally {
        rmSync(file, { force: true });
      }
    },
  },
  swappiness: {
    needs: 'swap',
    run: async () => {
      if (!support.ok || support.version !== 1) return void skip('swappiness', 'cgroup v2 has no per-cgroup swappiness, and the global vm.swappiness is not ours to change');
      const e = ex('swappiness-tune', 'tune');
      const solution = e.solution['machine.swappiness']!;
      const file = join(tmpdir(), `memlab-facts-swappiness-${process.pid}`);
      try {
        const at = (s: number) => pressured('cache-first', { limitMiB: 64, swappiness: s }, [file, '48', '40', 'active']);
        const high = at(solution);
        const zero = at(0);
        expect(num(high, 'VmSwap'), `swappiness ${solution} swaps anonymous pages out`).toBeGreaterThan(1024);
        expect(num(zero, 'VmSwap'), 'swappiness 0 swaps nothing while cache remains').toBeLessThan(num(high, 'VmSwap') / 4);
        expect(e.hints.join(' ')).toMatch(/At 100 anonymous and file pages weigh the same/);
        return `active cache, 40 MiB written in a 64 MiB cgroup: swappiness ${solution} swapped ${high.VmSwap} kB, swappiness 0 swapped ${zero.VmSwap} kB`;
      } finally {
        rmSync(file, { force: true });
      }
    },
  },
  'mlock-pressure': {
    needs: 'swap',
    run: async () => {
      const o = pressured('mlock-pressure', { limitMiB: 24 }, ['24']);
      expect(num(o, 'residentAtLock'), 'mlock faulted the range in at once').toBe(num(o, 'pages'));
      expect(num(o, 'lockedSwapped')).toBe(0);
      expect(num(o, 'plainSwapped'), 'the unlocked buffer was swapped').toBeGreaterThan(0);
      expect(ex('mlock-limit').explanation).toMatch(/faulted in at once and never swapped/);
      return `under pressure: ${o.plainSwapped} of ${o.pages} plain pages swapped, ${o.lockedSwapped} locked`;
    },
  },
  'oom-victim': {
    needs: 'pressure',
    run: async () => {
      const o = pressured('oom-victim', { limitMiB: 64, swap: false }, ['64']);
      expect(num(o, 'signal')).toBe(9);
      const e = ex('oom-victim', 'choice');
      expectCorrect(e, { choice: optionIndex(e.options, new RegExp(`^'?${o.killed}`), o.killed!) });
      const sim = snap(runFile('oom-killer.yaml'), 'after-oom').processes;
      expect(sim[o.killed!]?.state, `the simulator kills ${o.killed} too`).toBe('killed:oom');
      const ask = stage('lab-oom', 'ask') as Extract<Exercise, { kind: 'choice' }>;
      expectCorrect(ask, { choice: optionIndex(ask.options, new RegExp(`^${o.killed}`), o.killed!) });
      return `in a 64 MiB cgroup the OOM killer killed ${o.killed}, not the worker that asked`;
    },
  },
};

const measuredProbes = [...new Set(Object.values(manifest.exercises).flatMap((cs) => cs.flatMap((c) => (c.check === 'measured' ? [c.probe] : []))))];

describe('the claim manifest', () => {
  it('names, for every measured claim, a probe file here and a comparison in this test, and no comparison is left unused', () => {
    for (const p of measuredProbes) {
      expect(existsSync(join(PROBES, `${p}.c`)) || existsSync(join(PROBES, `${p}.sh`)), `probes/${p}.c or .sh`).toBe(true);
      expect(COMPARERS[p], `a comparison for ${p}`).toBeDefined();
    }
    expect(Object.keys(COMPARERS).sort()).toEqual([...measuredProbes].sort());
  });
});

describe.skipIf(skipping(!canProbe, 'the built-in pack\'s measured claims', linux ? 'no gcc to compile the C probes (apt-get install gcc)' : 'the probes read Linux /proc'))('every measured claim of the built-in pack, on this kernel', () => {
  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), 'memlab-claims-'));
    const sources = readdirSync(PROBES).filter((f) => f.endsWith('.c'));
    const jobs = sources.map((f) => run('gcc', ['-O0', '-w', '-o', join(bin, f.slice(0, -2)), join(PROBES, f)]));
    jobs.push(run('gcc', ['-O0', '-w', '-o', join(bin, 'leak-o2-O0'), join(PROBES, 'leak-o2.c')]));
    jobs.push(run('gcc', ['-O2', '-w', '-o', join(bin, 'leak-o2-O2'), join(PROBES, 'leak-o2.c')]));
    await Promise.all(jobs);
    if (!support.ok) pressureWhy = support.why;
    else if (!swap.start()) pressureWhy = swap.why;
  }, 120_000);
  afterAll(() => {
    swap.stop();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  for (const name of measuredProbes) {
    const c = COMPARERS[name];
    if (!c) continue;
    it(`probe ${name}`, async () => {
      const missing =
        (c.needs === 'strace' && !has('strace') && 'strace is not installed') ||
        (c.needs === 'valgrind' && !(has('valgrind') && has('ms_print')) && 'valgrind is not installed') ||
        (c.needs === 'pressure' && !support.ok && support.why) ||
        (c.needs === 'swap' && pressureWhy);
      if (missing) return void skip(name, missing);
      try {
        const detail = await c.run();
        if (!outcome.has(name)) outcome.set(name, { status: 'passed', detail: detail ?? '' });
      } catch (err) {
        outcome.set(name, { status: 'failed', detail: (err as Error).message.split('\n')[0]! });
        throw err;
      }
    }, 120_000);
  }
});

afterAll(() => {
  const counts = Object.fromEntries(CLAIM_CHECKS.map((k) => [k, 0])) as Record<string, number>;
  let measuredOk = 0;
  const skipped: string[] = [];
  for (const cs of Object.values(manifest.exercises))
    for (const c of cs) {
      counts[c.check]!++;
      if (c.check !== 'measured') continue;
      const o = outcome.get(c.probe);
      if (o?.status === 'passed') measuredOk++;
      else if (o?.status === 'skipped' || !o) skipped.push(c.probe);
    }
  const reasons = [...new Set(skipped)].map((p) => `${p}: ${outcome.get(p)?.detail ?? (canProbe ? 'not run' : 'no gcc or not Linux')}`);
  const line = `claims: ${measuredOk} of ${counts.measured} measured on this kernel, ${counts.simulated} simulated, ${counts.source} sourced, ${counts.history} history; ${skipped.length} skipped${reasons.length ? ` (${reasons.join('; ')})` : ''}`;
  console.log(line);
  for (const [p, o] of outcome) if (o.status === 'passed') console.log(`claims: ${p}: ${o.detail}`);
  if (process.env.MEMLAB_CLAIMS_SUMMARY) writeFileSync(process.env.MEMLAB_CLAIMS_SUMMARY, JSON.stringify({ line, counts, measured: measuredOk, skipped: reasons, outcomes: Object.fromEntries(outcome) }, null, 2));
});
