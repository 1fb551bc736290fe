/**
 * Run a scenario for real, beside the simulator, one step at a time.
 *
 * One executor process per scenario process (all forked from one pristine launcher, so every one
 * starts with glibc's heap untouched and the whole tree sits in one cgroup). After each step every
 * executor is idle in read(2) on its socket: memlab samples /proc/PID/{status,stat,oom_score,
 * smaps_rollup}, /proc/meminfo and /proc/vmstat, and reads the system calls the step made off
 * /proc/PID/maps (brk: the [heap]'s end; mmap/munmap: address ranges that appeared or went).
 *
 * Safety: a memory cgroup of its own sized to the scenario's RAM and swap (cgroup.ts); without one,
 * scenarios that put memory under pressure are refused and the rest are capped at 25% of
 * MemAvailable. Every executor dies with memlab (PR_SET_PDEATHSIG on the launcher, EOF on its
 * socket for the rest, the process group and the cgroup killed on stop).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RealInfo, RealReport, RealStep, SnapshotLike, SyscallLike } from '../../common/api/real.js';
import { describeStep, Runner, type Scenario, ScenarioError, type Snapshot, type Step } from '../../common/kernel/index.js';
import { meminfo as hostMeminfo, parseKeyValues, readProcess, vmstat as hostVmstat } from '../host/proc.js';
import { type Containment, makeContainment } from './cgroup.js';
import { type Executor, findExecutor, which } from './toolchain.js';

/** without a cgroup, a run may take at most this share of MemAvailable */
export const REAL_SHARE = 0.25;
/** a tick step waits at most this long for real (the simulator's minutes are not worth waiting for) */
export const MAX_TICK_MS = 1000;
/** how often MemAvailable is read while a run's steps execute */
export const MEMAVAILABLE_EVERY_MS = 20;

export class RealRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RealRefused';
  }
}

export interface RealOptions {
  dataDir: string;
  /** PATH for finding cc / python3 (tests hide the compiler) */
  path?: string;
  prefer?: 'c' | 'python';
  /** run without a cgroup even where one could be had (tests of the refusal) */
  noCgroup?: boolean;
  /** how to see the system calls: strace where it is on PATH and may trace (the default), or the maps diff */
  syscalls?: 'strace' | 'maps';
  onStep?: (rec: RealStep, pids: Record<string, number>) => void;
  /** the executor's pid as soon as it is known (tests assert they are gone) */
  onPid?: (name: string, pid: number) => void;
  /**
   * Who runs the simulator's pass over the scenario before anything real starts. The lab passes a
   * worker thread's (app/node/work): that pass can take as long as the scenario is big, and the
   * lab's event loop answers every client. Without one (the CLI) it runs here, via plan().
   */
  planner?: (s: Scenario) => Promise<PlanData>;
}

const read = (p: string): string | null => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
};

/** the simulator's ProcStatus is a closed interface; the wire shape is an open record of the same fields */
const asSnap = (s: Snapshot): SnapshotLike => s as unknown as SnapshotLike;
const hex = (n: number) => `0x${n.toString(16)}`;

/** let the host's event loop answer others between slices of simulation */
const breathe = () => new Promise<void>((r) => setImmediate(r));

/** The simulator's whole run, step by step, made before anything real starts: what it will need, and what to compare with. */
export interface SimPlan {
  runner: Runner;
  start: SnapshotLike;
  steps: Array<{ snap: SnapshotLike; syscalls: SyscallLike[]; error?: string }>;
  peakBytes: number;
  pressure: boolean;
  why: string[];
}

/** A plan without its Runner: what a worker thread hands back (plain data, structured-cloneable). */
export type PlanData = Omit<SimPlan, 'runner'>;

export async function plan(s: Scenario): Promise<SimPlan> {
  const r = new Runner(s);
  const used = (m: SnapshotLike['meminfo']) => (m.MemTotal! - m.MemFree!) * 1024;
  const start = asSnap(r.snapshot('start'));
  const base = used(start.meminfo);
  let peak = 0;
  const steps: SimPlan['steps'] = [];
  let calls = 0;
  for (let i = 0; i < s.steps.length; i++) {
    let error: string | undefined;
    try {
      await r.stepAsync(breathe);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      error = err.message;
    }
    const snap = asSnap(r.snapshot(`after step ${i + 1}`));
    steps.push({ snap, syscalls: r.report.syscalls.slice(calls), ...(error ? { error } : {}) });
    calls = r.report.syscalls.length;
    peak = Math.max(peak, used(snap.meminfo) - base);
    if (error) break;
  }
  const v = steps[steps.length - 1]?.snap.vmstat ?? start.vmstat;
  const why: string[] = [];
  if (v.oom_kill) why.push('the OOM killer kills');
  if (v.pswpout) why.push('pages are swapped out');
  if (v.pgscan_kswapd || v.pgscan_direct) why.push('reclaim scans');
  return { runner: r, start, steps, peakBytes: peak, pressure: why.length > 0, why };
}

/** What the simulator says the scenario will need: its peak memory, and whether it presses. */
export async function assess(s: Scenario): Promise<{ peakBytes: number; pressure: boolean; why: string[] }> {
  const p = await plan(s);
  return { peakBytes: p.peakBytes, pressure: p.pressure, why: p.why };
}

interface MapRange {
  start: number;
  end: number;
  path: string;
}
function readMaps(pid: number): MapRange[] {
  const out: MapRange[] = [];
  for (const line of (read(`/proc/${pid}/maps`) ?? '').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (m) out.push({ start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16), path: m[3]!.trim() });
  }
  return out;
}

/** ranges in a but not in b, merged */
function minus(a: MapRange[], b: MapRange[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const r of a) {
    let pieces: Array<[number, number]> = [[r.start, r.end]];
    for (const x of b) {
      const next: Array<[number, number]> = [];
      for (const [s, e] of pieces) {
        if (x.end <= s || x.start >= e) next.push([s, e]);
        else {
          if (x.start > s) next.push([s, x.start]);
          if (x.end < e) next.push([x.end, e]);
        }
      }
      pieces = next;
    }
    out.push(...pieces);
  }
  out.sort((p, q) => p[0] - q[0]);
  const merged: Array<[number, number]> = [];
  for (const p of out) {
    const last = merged[merged.length - 1];
    if (last && last[1] === p[0]) last[1] = p[1];
    else merged.push([p[0], p[1]]);
  }
  return merged;
}

/** the system calls a step made, read off the maps before and after it */
export function syscallsFromMaps(before: MapRange[], after: MapRange[], step: number, proc: string): SyscallLike[] {
  const out: SyscallLike[] = [];
  // the heap may be more than one VMA (after fork, brk cannot merge its growth into a VMA that
  // has pages: the kernel makes a new one, still [heap]): its end is the last one's
  const heapEnd = (m: MapRange[]) => m.filter((r) => r.path === '[heap]').reduce<number | null>((e, r) => Math.max(e ?? 0, r.end), null);
  const heapStart = (m: MapRange[]) => m.filter((r) => r.path === '[heap]').reduce<number | null>((s, r) => Math.min(s ?? Infinity, r.start), null);
  const start = heapStart(after) ?? heapStart(before);
  if (start !== null) {
    const endB = heapEnd(before) ?? start;
    const endA = heapEnd(after) ?? start;
    if (endA !== endB) out.push({ step, proc, call: 'brk', size: endA - endB, text: `brk(${hex(endA)}) = ${hex(endA)}` });
  }
  // the stack grows by faults, not calls; the heap is brk's
  const plain = (m: MapRange[]) => m.filter((r) => r.path !== '[heap]' && r.path !== '[stack]');
  for (const [s, e] of minus(plain(after), plain(before))) {
    const path = after.find((r) => r.start <= s && r.end >= e)?.path ?? '';
    out.push({ step, proc, call: 'mmap', size: e - s, text: `mmap(NULL, ${e - s}, …, ${path ? `MAP_…, fd of ${path}` : 'MAP_PRIVATE|MAP_ANONYMOUS, -1'}, 0) = ${hex(s)}` });
  }
  for (const [s, e] of minus(plain(before), plain(after))) out.push({ step, proc, call: 'munmap', size: e - s, text: `munmap(${hex(s)}, ${e - s}) = 0` });
  return out;
}

/** the system calls strace records, the same four as the maps diff shows */
export const STRACE_CALLS = ['brk', 'mmap', 'munmap', 'mremap'] as const;

/**
 * strace, where it is on PATH and may trace here (ptrace can be forbidden: containers, Yama);
 * the reason where not.
 */
const straceFound = new Map<string, { argv: string[] } | { why: string }>();
export function findStrace(path: string): { argv: string[] } | { why: string } {
  const bin = which('strace', path);
  const known = straceFound.get(bin ?? '');
  if (known) return known;
  const found = probeStrace(bin);
  straceFound.set(bin ?? '', found);
  return found;
}

function probeStrace(bin: string | null): { argv: string[] } | { why: string } {
  if (!bin) return { why: 'strace is not on PATH' };
  const argv = [bin, '-f', '-qq', '--seccomp-bpf', '-e', `trace=${STRACE_CALLS.join(',')}`, '-e', 'signal=none'];
  const probe = spawnSync(argv[0]!, [...argv.slice(1), '-o', '/dev/null', '--', process.execPath, '-e', '0'], { timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (probe.status !== 0) return { why: `strace cannot trace here: ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n')[0]}` };
  return { argv };
}

/** one line of `strace -f` output (pid first) as a system call of a step; null for what is not one */
export function parseStraceLine(line: string, lastBrk: Map<number, number>, pageSize = 4096): { pid: number; call: SyscallLike['call']; size: number; text: string } | null {
  const m = /^(\d+)\s+(brk|mmap|munmap|mremap)\((.*)\)\s+=\s+(.+)$/.exec(line.trim());
  if (!m) return null;
  const pid = Number(m[1]);
  const call = m[2]!;
  const args = m[3]!.split(', ');
  const result = m[4]!.trim();
  const text = `${call}(${m[3]}) = ${result}`;
  const pages = (n: number) => Math.ceil(n / pageSize) * pageSize;
  if (call === 'brk') {
    const now = Number(result.split(' ')[0]);
    const before = lastBrk.get(pid);
    lastBrk.set(pid, now);
    if (before === undefined || now === before) return null; // brk(NULL), or a refused brk
    return { pid, call, size: now - before, text };
  }
  if (call === 'mmap') return { pid, call, size: pages(Number(args[1])), text };
  if (call === 'munmap') return { pid, call, size: pages(Number(args[1])), text };
  return { pid, call, size: pages(Number(args[2])) - pages(Number(args[1])), text };
}

const ZERO_PROC = { VmSize: 0, VmRSS: 0, RssAnon: 0, RssFile: 0, RssShmem: 0, VmHWM: 0, VmSwap: 0, VmLck: 0, VmPTE: 0, VmData: 0, VmStk: 0, minflt: 0, majflt: 0, oom_score: 0, Rss_rollup: 0, Pss: 0 };

/** one process as /proc shows it now; null when it is gone */
export function sampleProcess(pid: number): Record<string, number> | null {
  const stat = read(`/proc/${pid}/stat`);
  const status = read(`/proc/${pid}/status`);
  if (!stat || !status) return null;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (f[0] === 'Z' || f[0] === 'X') return null;
  const s = parseKeyValues(status);
  const roll = parseKeyValues(read(`/proc/${pid}/smaps_rollup`) ?? '');
  const out: Record<string, number> = { pid };
  for (const k of ['VmSize', 'VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'VmHWM', 'VmSwap', 'VmLck', 'VmPTE', 'VmData', 'VmStk']) out[k] = s[k] ?? 0;
  out.minflt = Number(f[7] ?? 0);
  out.majflt = Number(f[9] ?? 0);
  out.oom_score = Number((read(`/proc/${pid}/oom_score`) ?? '0').trim());
  out.Rss_rollup = roll.Rss ?? 0;
  out.Pss = roll.Pss ?? 0;
  return out;
}

interface Proc {
  name: string;
  pid: number;
  sock: Socket;
  buf: string;
  waiter: ((line: string | null) => void) | null;
  alive: boolean;
  /** why it is gone: exited, killed:oom, killed:sigsegv, killed */
  state: string;
  exiting: boolean;
}

/** A scenario being run for real. `start()` then `run()`; `stop()` at any time. */
export class RealRun {
  private simRunner: Runner | undefined;
  private plan!: PlanData;
  readonly info: RealInfo;
  private exe!: Executor;
  private cg!: Containment;
  private server!: Server;
  private sockDir!: string;
  private filesDir!: string;
  private launcher!: ChildProcess;
  /** strace's output file and how far it has been read; null where the maps diff is used */
  private trace: { file: string; offset: number; lastBrk: Map<number, number> } | null = null;
  private procs = new Map<string, Proc>();
  private hellos = new Map<string, (p: Proc) => void>();
  private stopping = false;
  private cleaned = false;
  private oomSeen = 0;
  private systemOomBase = 0;
  readonly report: RealReport;
  /** every pid this run started */
  readonly pids: number[] = [];

  constructor(
    readonly scenario: Scenario,
    readonly opts: RealOptions,
  ) {
    this.info = {
      executor: 'c',
      executorNote: '',
      containment: { kind: 'none' },
      syscallSource: 'maps',
      memAvailableBefore: 0,
      memAvailableLowest: 0,
      oomKills: 0,
      notes: [],
    };
    this.report = { snapshots: [], syscalls: [], log: [], steps: [], info: this.info, stopped: false };
  }

  /** the simulator's run of the same scenario (at its end once started here; made on first use when a planner ran it elsewhere) */
  get sim(): Runner {
    return (this.simRunner ??= new Runner(this.scenario));
  }

  /** Decide whether it may run, find the executor, make the cgroup, start the processes. */
  async start(): Promise<void> {
    const s = this.scenario;
    this.exe = findExecutor({ dataDir: this.opts.dataDir, path: this.opts.path, prefer: this.opts.prefer });
    this.info.executor = this.exe.kind;
    this.info.executorNote = this.exe.note;
    if (this.exe.kind === 'python') this.info.notes.push('the Python executor: the interpreter has used glibc\'s heap before the first step, so the scenario\'s malloc, calloc, realloc and free go to an arena of its own that follows glibc\'s malloc.c (brk below M_MMAP_THRESHOLD with M_TOP_PAD, mmap above it, the dynamic threshold, trimming): the system calls are real, the policy is glibc\'s carried out by the executor; its own start-up faults are more, which the Δ step comparison leaves out');
    const need = (this.plan = this.opts.planner ? await this.opts.planner(s) : await plan(s));
    if ('runner' in need) this.simRunner = need.runner as Runner;
    const availKb = hostMeminfo().MemAvailable ?? 0;
    this.info.memAvailableBefore = this.info.memAvailableLowest = availKb;
    const cap = Math.floor(availKb * 1024 * REAL_SHARE);
    const mib = (b: number) => `${Math.round(b / 1048576)} MiB`;
    if (need.peakBytes > cap) throw new RealRefused(`refused: the scenario needs about ${mib(need.peakBytes)}, more than ${REAL_SHARE * 100}% of this machine's MemAvailable (${mib(availKb * 1024)})`);
    let limit = s.machine.ram;
    if (limit > cap) {
      if (need.pressure) throw new RealRefused(`refused: the scenario presses on ${mib(s.machine.ram)} of RAM (${need.why.join(', ')}), more than ${REAL_SHARE * 100}% of this machine's MemAvailable (${mib(availKb * 1024)})`);
      limit = cap;
    }
    this.cg = makeContainment(limit, s.machine.swap, { disable: this.opts.noCgroup });
    this.info.containment = { kind: this.cg.kind, ...(this.cg.path ? { path: this.cg.path } : {}), ...(this.cg.limitBytes ? { limitBytes: this.cg.limitBytes, swapLimitBytes: this.cg.swapLimitBytes } : {}), ...(this.cg.why ? { why: this.cg.why } : {}) };
    if (this.cg.kind === 'none' && need.pressure) {
      throw new RealRefused(`refused: in the simulator ${need.why.join(', ')}; without a memory cgroup of its own that pressure would fall on the whole machine (${this.cg.why}). Run memlab as root (cgroup v1), or where systemd-run --user --scope or a delegated cgroup v2 subtree is available.`);
    }
    if (limit < s.machine.ram) this.info.notes.push(`the cgroup is ${mib(limit)}, not the scenario's ${mib(s.machine.ram)} of RAM: ${REAL_SHARE * 100}% of MemAvailable (the scenario does not need more)`);
    const hostSwap = (hostMeminfo().SwapTotal ?? 0) * 1024;
    if (s.machine.swap > 0 && hostSwap === 0) this.info.notes.push('this machine has no swap: where the simulator swaps, the kernel here can only reclaim page cache or kill');
    if (s.machine.page_size !== 4096) this.info.notes.push(`the scenario's pages are ${s.machine.page_size / 1024} KiB; this machine's are 4 KiB`);
    if (process.getuid?.() === 0) this.info.notes.push('the executors run as root: RLIMIT_MEMLOCK does not limit mlock (CAP_IPC_LOCK), unlike the scenario\'s uid');
    this.systemOomBase = hostVmstat().oom_kill ?? 0;

    this.sockDir = mkdtempSync(join(tmpdir(), 'memlab-real-'));
    this.filesDir = join(this.opts.dataDir, 'real', `files-${process.pid}-${Date.now()}`);
    mkdirSync(this.filesDir, { recursive: true });
    const sockPath = join(this.sockDir, 's');
    this.server = createServer((c) => this.accept(c));
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(sockPath, () => resolve());
    });
    const st = this.opts.syscalls === 'maps' ? { why: 'the maps diff was asked for' } : findStrace(this.opts.path ?? process.env.PATH ?? '');
    let traceArgv: string[] = [];
    if ('argv' in st) {
      this.trace = { file: join(this.sockDir, 'strace'), offset: 0, lastBrk: new Map() };
      traceArgv = [...st.argv, '-o', this.trace.file, '--'];
      this.info.syscallSource = 'strace';
    } else {
      this.info.syscallSource = 'maps';
      this.info.notes.push(`the kernel's system calls are read off /proc/PID/maps before and after each step, not recorded by strace (${st.why}): each step shows its net change to the address space, so calls that undo each other within one step are not seen`);
    }
    const argv = [...(this.cg.wrap ?? []), ...traceArgv, ...this.exe.argv, sockPath, '@launcher'];
    const launched = this.hello('@launcher');
    this.launcher = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: this.opts.path ?? process.env.PATH } });
    let stderr = '';
    this.launcher.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const early = new Promise<never>((_, reject) => {
      this.launcher.once('error', (e) => reject(e));
      this.launcher.once('exit', (code, sig) => reject(new Error(`the executor exited before it started (${sig ?? code}): ${stderr.trim()}`)));
    });
    const root = await Promise.race([launched, early]);
    this.pids.push(root.pid);
    this.opts.onPid?.('@launcher', root.pid);
    if (this.cg.kind !== 'none') this.cg.adopt(root.pid);
    if (s.machine.transparent_hugepage === 'never') await this.cmd(root, 'thp_disable');
    if (this.cg.kind !== 'none' && s.machine.swappiness !== 60 && this.cg.setSwappiness(s.machine.swappiness)) this.info.notes.push(`the cgroup's memory.swappiness is ${s.machine.swappiness}`);
    for (const p of s.processes) {
      const child = await this.fork(root, p.name);
      if (p.oom_score_adj) {
        const r = await this.cmd(child, `oom_score_adj ${p.oom_score_adj}`);
        if (!r?.startsWith('ok')) this.info.notes.push(`${p.name}'s oom_score_adj of ${p.oom_score_adj} could not be set here (${r?.slice(4) ?? 'it died'})${p.oom_score_adj < 0 ? ': lowering it needs CAP_SYS_RESOURCE, which memlab does not have here, so the OOM killer weighs this process without it' : ''}`);
      }
    }
  }

  private accept(c: Socket): void {
    let proc: Proc | null = null;
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!proc) {
          const m = /^hello (\S+) (\d+)$/.exec(line);
          if (!m) return void c.destroy();
          proc = { name: m[1]!, pid: Number(m[2]), sock: c, buf: '', waiter: null, alive: true, state: 'running', exiting: false };
          this.procs.set(proc.name, proc);
          this.hellos.get(proc.name)?.(proc);
          this.hellos.delete(proc.name);
        } else {
          const w = proc.waiter;
          proc.waiter = null;
          w?.(line);
        }
      }
    });
    c.on('close', () => {
      if (!proc) return;
      proc.alive = false;
      const w = proc.waiter;
      proc.waiter = null;
      w?.(null);
    });
    c.on('error', () => {});
  }

  private hello(name: string): Promise<Proc> {
    return new Promise((resolve) => this.hellos.set(name, resolve));
  }

  /** send one command; the reply line, or null when the process died doing it */
  private cmd(p: Proc, line: string): Promise<string | null> {
    if (!p.alive) return Promise.resolve(null);
    return new Promise((resolve) => {
      p.waiter = resolve;
      p.sock.write(`${line}\n`);
    });
  }

  private async fork(parent: Proc, name: string): Promise<Proc> {
    const got = this.hello(name);
    const r = await this.cmd(parent, `fork ${name}`);
    if (!r?.startsWith('ok')) throw new Error(`fork of ${name} failed: ${r ?? 'the parent died'}`);
    const child = await got;
    if (this.trace) {
      this.readTrace(); // the parent's calls so far, so that the child starts from its break
      const b = this.trace.lastBrk.get(parent.pid);
      if (b !== undefined) this.trace.lastBrk.set(child.pid, b);
    }
    this.pids.push(child.pid);
    this.opts.onPid?.(name, child.pid);
    return child;
  }

  private fileOf(name: string): string {
    return join(this.filesDir, name.replace(/^\/+/, '').replace(/[^\w.-]+/g, '_') || 'file');
  }

  /** the executor command for a step, or null when the step needs none */
  private command(s: Step): string | null {
    switch (s.verb) {
      case 'malloc':
        return `malloc ${s.as} ${s.malloc}`;
      case 'calloc':
        return `calloc ${s.as} ${s.calloc}`;
      case 'realloc':
        return `realloc ${s.realloc} ${s.as ?? s.realloc} ${s.size}`;
      case 'free':
        return `free ${s.free}`;
      case 'mmap':
        return `mmap ${s.as} ${s.mmap} ${s.prot} ${s.shared ? 1 : 0} ${s.populate ? 1 : 0} ${s.offset} ${s.file ? this.fileOf(s.file) : '-'}`;
      case 'munmap':
        return `munmap ${s.munmap} ${s.offset ?? 0} ${s.length ?? -1}`;
      case 'brk':
        return `brk ${s.brk}`;
      case 'touch': {
        const ps = 4096;
        const stride = Math.max(ps, s.every ? s.every * ps : (s.stride ?? ps));
        return `touch ${s.touch} ${s.offset} ${s.length ?? -1} ${stride} ${s.write ? 1 : 0} ${s.repeat}`;
      }
      case 'exit':
        return `exit ${typeof s.exit === 'number' ? s.exit : 0}`;
      case 'mlock':
        return `mlock ${s.mlock} ${s.length ?? -1}`;
      case 'munlock':
        return `munlock ${s.munlock} -1`;
      case 'mlockall':
        return `mlockall ${s.mlockall === true ? 'both' : s.mlockall}`;
      case 'munlockall':
        return 'munlockall';
      case 'alloca':
        return `alloca ${s.alloca}`;
      case 'malloc_trim':
        return `malloc_trim ${s.malloc_trim}`;
      case 'read':
        return `read ${this.fileOf(s.read)} ${s.length}`;
      case 'write':
        return `write ${this.fileOf(s.write)} ${s.length}`;
      default:
        return null;
    }
  }

  /** strace's lines since the last read, as system calls (every process's break is kept up to date) */
  private readTrace(): Array<{ pid: number; call: string; size: number; text: string }> {
    const t = this.trace;
    if (!t || !existsSync(t.file)) return [];
    const fd = openSync(t.file, 'r');
    let text = '';
    try {
      const size = fstatSync(fd).size;
      if (size <= t.offset) return [];
      const buf = Buffer.alloc(size - t.offset);
      readSync(fd, buf, 0, buf.length, t.offset);
      text = buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
    const end = text.lastIndexOf('\n');
    if (end < 0) return [];
    t.offset += Buffer.byteLength(text.slice(0, end + 1));
    const out = [];
    for (const line of text.slice(0, end).split('\n')) {
      const c = parseStraceLine(line, t.lastBrk);
      if (c) out.push(c);
    }
    return out;
  }

  /** the whole machine's MemAvailable now: the lowest seen is kept */
  sampleMemAvailable(): number {
    const kb = hostMeminfo().MemAvailable ?? Infinity;
    this.memAvailableSamples++;
    this.info.memAvailableLowest = Math.min(this.info.memAvailableLowest, kb);
    return kb;
  }

  /** how often MemAvailable was read during the run */
  memAvailableSamples = 0;

  private snapshotReal(label: string, step: number): SnapshotLike {
    const processes: SnapshotLike['processes'] = {};
    for (const p of this.procs.values()) {
      if (p.name.startsWith('@')) continue;
      const sample = p.alive ? sampleProcess(p.pid) : null;
      processes[p.name] = sample ? { ...sample, state: 'running' } : { ...ZERO_PROC, pid: p.pid, state: p.state };
    }
    const mi = hostMeminfo();
    this.memAvailableSamples++;
    this.info.memAvailableLowest = Math.min(this.info.memAvailableLowest, mi.MemAvailable ?? Infinity);
    return { label, step, processes, meminfo: mi, vmstat: hostVmstat() };
  }

  /** wait for the OOM killer's victims to be gone from memlab's view (their sockets close) */
  private async settle(): Promise<void> {
    const kills = this.cg.kind !== 'none' ? this.cg.oomKills() : (hostVmstat().oom_kill ?? 0) - this.systemOomBase;
    if (kills <= this.oomSeen) return;
    const fresh = kills - this.oomSeen;
    this.oomSeen = kills;
    this.info.oomKills = kills;
    const aliveBefore = [...this.procs.values()].filter((p) => p.state === 'running' && !p.name.startsWith('@'));
    for (let i = 0; i < 200; i++) {
      const gone = aliveBefore.filter((p) => !p.alive || !existsSync(`/proc/${p.pid}/status`) || sampleProcess(p.pid) === null);
      if (gone.length >= fresh) {
        for (const p of gone) if (p.state === 'running') p.state = 'killed:oom';
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async doStep(s: Step, n: number, notes: string[]): Promise<SyscallLike[]> {
    const calls: SyscallLike[] = [];
    if (s.verb === 'snapshot') return calls;
    if (s.verb === 'tick') {
      const ms = Math.min(s.tick, MAX_TICK_MS);
      if (ms < s.tick) notes.push(`${s.tick} ms pass in the simulator; memlab waits ${ms} ms here`);
      await new Promise((r) => setTimeout(r, ms));
      return calls;
    }
    if (s.verb === 'set') {
      const v = s.set;
      if (v.oom_score_adj !== undefined && s.proc) {
        const p = this.procs.get(s.proc);
        const r = p ? await this.cmd(p, `oom_score_adj ${v.oom_score_adj}`) : null;
        if (!r?.startsWith('ok')) notes.push(`oom_score_adj could not be set here: ${r ?? 'no such process'}`);
      }
      if (v.swappiness !== undefined && !this.cg.setSwappiness(v.swappiness)) notes.push('swappiness is not changed on this machine (no per-cgroup swappiness here)');
      const sysctl = (['overcommit_memory', 'overcommit_ratio', 'min_free_kbytes', 'watermark_scale_factor'] as const).filter((k) => v[k] !== undefined);
      if (sysctl.length) notes.push(`memlab does not change this machine's ${sysctl.join(', ')}: the kernel here keeps its own`);
      return calls;
    }
    if (s.verb === 'mallopt') {
      const p = this.procs.get(s.proc!);
      for (const [k, val] of Object.entries(s.mallopt)) if (val !== undefined && p) await this.cmd(p, `mallopt ${k} ${val}`);
      return calls;
    }
    const p = this.procs.get(s.proc!);
    if (!p) throw new Error(`no process named '${s.proc}'`);
    if (!p.alive) {
      notes.push(`${p.name} is no longer running here (${p.state})`);
      return calls;
    }
    if (s.verb === 'fork') {
      const child = await this.fork(p, s.fork);
      calls.push({ step: n, proc: p.name, call: 'clone', size: 0, text: `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD) = ${child.pid}` });
      return calls;
    }
    const line = this.command(s);
    if (line === null) {
      notes.push(`'${s.verb}' is not run for real`);
      return calls;
    }
    const before = this.trace ? [] : readMaps(p.pid);
    this.readTrace(); // what came before this step is not its
    if (s.verb === 'exit') p.exiting = true;
    const r = await this.cmd(p, line);
    if (this.trace) for (const c of this.readTrace()) if (c.pid === p.pid) calls.push({ step: n, proc: p.name, call: c.call, size: c.size, text: c.text });
    if (r === null) {
      // died doing it: settle() and markDeaths() say how (the OOM killer, or a fault)
      if (s.verb === 'exit') p.state = 'exited';
      if (s.verb === 'exit') calls.push({ step: n, proc: p.name, call: 'exit_group', size: 0, text: `exit_group(${typeof s.exit === 'number' ? s.exit : 0}) = ?` });
      return calls;
    }
    if (r.startsWith('err')) notes.push(`${p.name}: ${r.slice(4)}`);
    if (!this.trace) calls.push(...syscallsFromMaps(before, readMaps(p.pid), n, p.name));
    if (s.verb === 'mlock' || s.verb === 'munlock') calls.push({ step: n, proc: p.name, call: s.verb, size: Number(/locked=(\d+)/.exec(r)?.[1] ?? 0), text: `${s.verb}(…) = ${r.startsWith('ok') ? 0 : -1}` });
    if (s.verb === 'read' || s.verb === 'write') calls.push({ step: n, proc: p.name, call: s.verb, size: Number(/bytes=(\d+)/.exec(r)?.[1] ?? 0), text: `${s.verb}(3, …, ${s.length}) = ${/bytes=(\d+)/.exec(r)?.[1] ?? -1}` });
    return calls;
  }

  /** a process that died without being asked: SIGSEGV unless the OOM killer counted it */
  private markDeaths(): void {
    for (const p of this.procs.values()) {
      if (p.name.startsWith('@')) continue;
      if (p.alive && sampleProcess(p.pid) === null) p.alive = false;
      if (!p.alive && p.state === 'running') p.state = p.exiting ? 'exited' : 'killed:sigsegv';
    }
  }

  /** Run every step (or until stopped). */
  async run(): Promise<RealReport> {
    const s = this.scenario;
    const simStart = this.plan.start;
    const realStart = this.snapshotReal('start', 0);
    this.report.steps.push({ step: 0, text: 'before the first step', sim: simStart, real: realStart, simSyscalls: [], realSyscalls: [], notes: [...this.info.notes] });
    this.emit(this.report.steps[0]!);
    // MemAvailable is watched while steps run too, not only between them (a step that allocates
    // until the OOM killer acts is where it would dip)
    const watch = setInterval(() => this.sampleMemAvailable(), MEMAVAILABLE_EVERY_MS);
    try {
      for (let i = 0; i < s.steps.length && !this.stopping; i++) {
        const step = s.steps[i]!;
        const n = i + 1;
        const notes: string[] = [];
        const planned = this.plan.steps[i];
        const simError = planned ? (planned.error ?? null) : 'the simulator stopped before this step';
        const realCalls = await this.doStep(step, n, notes);
        if (this.stopping) break;
        await this.settle();
        this.markDeaths();
        const simSnap = planned?.snap ?? this.plan.steps[this.plan.steps.length - 1]?.snap ?? this.plan.start;
        const realSnap = this.snapshotReal(`after step ${n}`, n);
        const simSyscalls = planned?.syscalls ?? [];
        this.report.syscalls.push(...realCalls);
        if (simError) notes.push(`the simulator stopped here: ${simError}`);
        const rec: RealStep = { step: n, text: describeStep(step), sim: simSnap, real: realSnap, simSyscalls, realSyscalls: realCalls, notes };
        this.report.steps.push(rec);
        for (const note of notes) this.report.log.push({ step: n, text: note });
        if (step.verb === 'snapshot') this.report.snapshots.push({ ...realSnap, label: step.snapshot });
        this.emit(rec);
        if (simError) {
          this.report.error = { step: n, message: simError };
          break;
        }
      }
      if (!this.stopping) this.report.snapshots.push({ ...this.snapshotReal('end', s.steps.length), label: 'end' });
    } finally {
      clearInterval(watch);
      this.report.stopped = this.stopping;
      await this.cleanup();
    }
    return this.report;
  }

  private emit(rec: RealStep): void {
    const pids: Record<string, number> = {};
    for (const p of this.procs.values()) pids[p.name] = p.pid;
    this.opts.onStep?.(rec, pids);
  }

  /** Stop now: kill every executor (mid-step too), remove the cgroup. */
  async stop(): Promise<number[]> {
    this.stopping = true;
    await this.cleanup();
    return this.pids;
  }

  private killGroup(): void {
    const pgid = this.launcher?.pid;
    if (pgid) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const p of this.procs.values()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  private async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    live.delete(this);
    this.killGroup();
    for (const p of this.procs.values()) {
      p.sock.destroy();
      const w = p.waiter;
      p.waiter = null;
      w?.(null);
    }
    this.cg?.remove();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    // wait until no executor is left (zombies count as gone: nothing of them is left but the entry)
    for (let i = 0; i < 300 && this.pids.some((pid) => readProcess(pid).state !== 'gone'); i++) await new Promise((r) => setTimeout(r, 10));
    if (this.sockDir) rmSync(this.sockDir, { recursive: true, force: true });
    if (this.filesDir) rmSync(this.filesDir, { recursive: true, force: true });
  }

  register(): this {
    live.add(this);
    return this;
  }
}

const live = new Set<RealRun>();
/** on exit, whatever is still running dies with memlab */
process.once('exit', () => {
  for (const r of live) (r as unknown as { killGroup(): void }).killGroup();
});

/** Start and run a scenario for real in one call (the CLI, tests). */
export async function runReal(scenario: Scenario, opts: RealOptions): Promise<{ run: RealRun; report: RealReport }> {
  const run = new RealRun(scenario, opts).register();
  try {
    await run.start();
  } catch (err) {
    await run.stop();
    throw err;
  }
  return { run, report: await run.run() };
}
