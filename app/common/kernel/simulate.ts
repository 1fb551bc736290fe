/**
 * Running a scenario: each step is a handler in a table keyed by the schema's verbs (VERBS: the
 * compiler refuses a verb without one) that makes system calls on the model (mmap.ts, fork.ts,
 * mlock.ts, madvise.ts, filemap's read/write …) and sends page accesses to the kernel statechart,
 * which faults, reclaims and kills. Snapshots are /proc as it would read at that moment.
 *
 * Bounded by what it simulates: a run has a work budget (pages touched, frames scanned, entries
 * copied), a memory budget (the model's arrays, page tables, logs and report), and a maximum
 * snapshot payload; past one, the step stops with a ScenarioError that names it.
 *
 * Deterministic: the same scenario gives the same run. Without a seed, addresses are those of a
 * process started with ASLR off; with one, exec.ts randomises the layout from it (same seed, same run).
 */
import { exitTask } from './exit.js';
import { seededRandom, spawn } from './exec.js';
import { getFile } from './filemap.js';
import { fork } from './fork.js';
import { GlibcArena, type Sys } from './glibc_malloc.js';
import { type Allocation, Kernel, type MachineConfig, type Task, type VmstatKey } from './kernel.js';
import { cloneState, type RunnerCheckpoint } from './checkpoint.js';
import { chartState, type KernelContext, type KernelEvent, newRunState, restoreKernelActor, type RunState, startKernelActor } from './machine.js';
import { madviseDontneed } from './madvise.js';
import { type Access } from './memory.js';
import { populatesForWrite, RLIMIT_MEMLOCK, sysMlock, sysMunlock, sysMunlockall } from './mlock.js';
import { parseProt, sysBrk, sysMmap, sysMunmap, unmapVma, type Vma } from './mmap.js';
import { FrameKind, PG } from './page_alloc.js';
import { type Meminfo, meminfo, type ProcStatus, procStatus, vmstat } from './proc.js';
import { parseScenario, type Scenario, ScenarioError, type Step, type StepVerb } from './scenario.js';
import { MiB } from './units.js';

export interface Snapshot {
  label: string;
  /** the step after which it was taken (0 = before any step) */
  step: number;
  /** the statechart's state: what the kernel is doing and whether kswapd is awake */
  kernel: { cpu: string; kswapd: string };
  /** the zone's watermarks and free memory, in pages */
  zone: { min: number; low: number; high: number; free: number };
  processes: Record<string, ProcStatus>;
  vmstat: Record<VmstatKey, number>;
  meminfo: Meminfo;
}

export interface SyscallRecord {
  step: number;
  proc: string;
  call: string;
  size: number;
  /** strace-style line */
  text: string;
}

export interface SimReport {
  snapshots: Snapshot[];
  syscalls: SyscallRecord[];
  log: Array<{ step: number; text: string }>;
  error?: { step: number; message: string; field?: string; line?: number };
}

export interface SimOptions {
  /** turns on address-space layout randomisation, drawn from this seed (same seed, same run) */
  seed?: number;
  /** work units (page touches, frames scanned, entries copied) the whole run may take */
  workBudget?: number;
  /** @deprecated the old name of workBudget */
  pageBudget?: number;
  /** bytes the run's model and report may hold */
  memoryBudget?: number;
  /** bytes the snapshots may take, as JSON */
  maxSnapshotBytes?: number;
}

/** Default work budget: 300 million units (a few seconds of simulation at most). */
export const DEFAULT_WORK_BUDGET = 300_000_000;
/** @deprecated the old name */
export const DEFAULT_PAGE_BUDGET = DEFAULT_WORK_BUDGET;
/** Default memory budget of one run (one session): 512 MiB, room for a 64 GiB machine's frame table. */
export const DEFAULT_MEMORY_BUDGET = 512 * MiB;
/** Snapshots a run may take, as JSON: 16 MiB. */
export const MAX_SNAPSHOT_BYTES = 16 * MiB;
export const MAX_TASKS = 1000;
/** pages one ACCESS event covers before the runner may pause (about 5 ms of simulation) */
export const SLICE_PAGES = 65536;
/** MAX_RW_COUNT: the most one read(2) or write(2) moves */
export const MAX_RW_COUNT = 0x7ffff000;

const hex = (n: number) => `0x${n.toString(16)}`;
/** the JSON size of one snapshot, about (a process's status is some 330 bytes, /proc/vmstat and meminfo some 900) */
const snapshotBytes = (processes: number) => 1200 + 360 * processes;

export function machineConfig(s: Scenario): MachineConfig {
  const m = s.machine;
  return {
    ramBytes: m.ram,
    swapBytes: m.swap,
    pageSize: m.page_size,
    swappiness: m.swappiness,
    overcommitMemory: m.overcommit_memory,
    overcommitRatio: m.overcommit_ratio,
    minFreeKbytes: m.min_free_kbytes,
    watermarkScaleFactor: m.watermark_scale_factor,
    thp: m.transparent_hugepage,
    kswapdRate: m.kswapd_rate,
    pageCluster: m.page_cluster,
  };
}

type Handler<V extends StepVerb> = (r: Runner, s: Extract<Step, { verb: V }>, n: number) => Generator<void, void, undefined>;
/** One handler per verb of the schema: a verb added to scenario.ts without one here does not compile. */
export type VerbHandlers = { [V in StepVerb]: Handler<V> };

/** A scenario being run one step at a time. */
export class Runner {
  readonly k: Kernel;
  readonly run: RunState;
  readonly actor: ReturnType<typeof startKernelActor>;
  readonly report: SimReport = { snapshots: [], syscalls: [], log: [] };
  /** next step to run (0-based) */
  pos = 0;
  private logSeen = 0;
  readonly workBudget: number;
  readonly memoryBudget: number;
  readonly maxSnapshotBytes: number;
  /** bytes the report holds (syscalls, log, snapshots), about */
  private reportBytes = 0;
  private snapshotBytes = 0;
  stopped = false;
  /** pages the running step's touches have done, of those they cover so far: what a host shows while a long step runs (stepAsync's pauses) */
  readonly progress = { done: 0, total: 0 };

  constructor(
    readonly scenario: Scenario,
    readonly opts: SimOptions = {},
    from?: RunnerCheckpoint,
  ) {
    this.workBudget = opts.workBudget ?? opts.pageBudget ?? DEFAULT_WORK_BUDGET;
    this.memoryBudget = opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    this.maxSnapshotBytes = opts.maxSnapshotBytes ?? MAX_SNAPSHOT_BYTES;
    if (from) {
      // a checkpoint restored: the machine copied again (the checkpoint stays as it was), the chart restarted at its state
      const [k, run] = cloneState(from.state as [Kernel, RunState]);
      this.k = k;
      this.run = run;
      this.actor = restoreKernelActor(k, run, from.chart.value, from.chart.resumed);
      this.pos = from.pos;
      this.report = { snapshots: [...from.report.snapshots], syscalls: [...from.report.syscalls], log: [...from.report.log] } as SimReport;
      if (from.report.error) this.report.error = { ...(from.report.error as NonNullable<SimReport['error']>) };
      ({ logSeen: this.logSeen, reportBytes: this.reportBytes, snapshotBytes: this.snapshotBytes, stopped: this.stopped } = from.counters);
      return;
    }
    const cfg = machineConfig(scenario);
    // the frame table and swap map come first: refuse a machine the budget cannot hold before making it
    const ps = cfg.pageSize;
    const need = Math.floor(cfg.ramBytes / ps) * 12 + Math.floor(cfg.swapBytes / ps);
    if (need > this.memoryBudget) {
      throw new ScenarioError(`simulating ${cfg.ramBytes / MiB} MiB of RAM and ${cfg.swapBytes / MiB} MiB of swap needs ${Math.ceil(need / MiB)} MiB, more than this session's budget of ${Math.floor(this.memoryBudget / MiB)} MiB`, {
        file: scenario.file,
        field: 'machine.ram',
      });
    }
    this.k = new Kernel(cfg);
    const k = this.k;
    k.workLimit = this.workBudget;
    // what is left of the memory budget once the frame table and swap map are made: the page tables' share
    k.tableBytesLimit = Math.max(0, this.memoryBudget - k.memoryBytes()) / 2;
    if (opts.seed !== undefined) k.aslr = seededRandom(opts.seed);
    this.run = newRunState();
    this.actor = startKernelActor(k, this.run);
    for (const p of scenario.processes) {
      const t = spawn(k, p.name);
      t.oomScoreAdj = p.oom_score_adj;
      t.uid = p.uid;
      t.stackLimit = p.stack_limit;
      t.arena = new GlibcArena(k.pageSize);
      t.arena.startBrk = t.mm.startBrk;
    }
    this.collectLog(0);
    this.checkMemory();
  }

  /** A copy of the run at this step boundary, to restore with `new Runner(scenario, opts, checkpoint)` (checkpoint.ts). */
  checkpoint(): RunnerCheckpoint {
    const snap = this.actor.getSnapshot();
    return {
      pos: this.pos,
      state: cloneState([this.k, this.run]),
      chart: { value: snap.value, resumed: snap.context.resumed },
      report: { snapshots: [...this.report.snapshots], syscalls: [...this.report.syscalls], log: [...this.report.log], ...(this.report.error ? { error: { ...this.report.error } } : {}) },
      counters: { logSeen: this.logSeen, reportBytes: this.reportBytes, snapshotBytes: this.snapshotBytes, stopped: this.stopped },
      bytes: this.k.memoryBytes(),
    };
  }

  get done(): boolean {
    return this.stopped || this.pos >= this.scenario.steps.length;
  }

  get kernelContext(): KernelContext {
    return this.actor.getSnapshot().context;
  }

  /** The statechart's active states, e.g. ['cpu.running', 'kswapd.balancing']. */
  activeStates(): string[] {
    const v = this.actor.getSnapshot().value as Record<string, string>;
    return Object.entries(v).map(([region, s]) => `${region}.${s}`);
  }

  snapshot(label: string): Snapshot {
    const processes: Record<string, ProcStatus> = {};
    for (const t of this.k.tasks) processes[t.name] = procStatus(this.k, t);
    const { min, low, high } = this.k.wmark;
    return { label, step: this.pos, kernel: chartState(this.actor), zone: { min, low, high, free: this.k.frames.free }, processes, vmstat: vmstat(this.k), meminfo: meminfo(this.k) };
  }

  private collectLog(step: number): void {
    for (; this.logSeen < this.k.log.length; this.logSeen++) {
      const text = this.k.log[this.logSeen]!;
      this.report.log.push({ step, text });
      this.reportBytes += text.length * 2 + 48;
    }
  }

  /** Run the next step. Throws ScenarioError for a step that cannot be run (the run stops). */
  step(): void {
    for (const _ of this.runStep()) {
      /* run to the end of the step without pausing */
    }
  }

  /** Run the next step, awaiting `pause()` between slices of long work (keeps a host's event loop free). */
  async stepAsync(pause: () => Promise<void>): Promise<void> {
    for (const _ of this.runStep()) await pause();
  }

  private *runStep(): Generator<void, void, undefined> {
    if (this.done) return;
    const s = this.scenario.steps[this.pos]!;
    const n = this.pos + 1;
    this.run.visited = [];
    this.run.taken = [];
    this.k.trace.step = n;
    this.progress.done = this.progress.total = 0;
    try {
      yield* this.exec(s, n);
      // the step may have freed or taken pages outside a fault (munmap, exit, fork): the chart looks
      // at the watermarks again. Where free memory and the watermarks are what the chart last saw,
      // its guards would answer as they did then and it takes nothing: the event is not sent (a
      // 200,000-step scenario of mallocs spent a fifth of its time in xstate for nothing)
      const { free } = this.k.frames;
      const { low, high } = this.k.wmark;
      const seen = this.zoneSeen;
      if (seen[0] !== free || seen[1] !== low || seen[2] !== high) this.send({ type: 'ZONE_CHANGED' });
      if (this.k.work >= this.k.workLimit) this.budgetError();
      this.collectLog(n);
      this.checkMemory();
      if (s.verb === 'snapshot') {
        const bytes = snapshotBytes(this.k.tasks.length);
        if (this.snapshotBytes + bytes > this.maxSnapshotBytes) {
          this.fail(`the snapshots would take more than ${this.maxSnapshotBytes / MiB} MiB (${this.report.snapshots.length} taken so far, ${this.k.tasks.length} processes each); take fewer snapshots`, 'snapshot');
        }
        this.snapshotBytes += bytes;
        this.reportBytes += bytes;
      }
    } catch (err) {
      this.stopped = true;
      if (err instanceof ScenarioError) {
        const line = this.scenario.stepLines[this.pos];
        this.report.error = { step: n, message: err.message, field: err.where.field, line };
        throw new ScenarioError(err.message, { ...err.where, step: n, line, file: this.scenario.file });
      }
      throw err;
    } finally {
      this.collectLog(n);
    }
    this.pos++;
    if (s.verb === 'snapshot') this.report.snapshots.push(this.snapshot(s.snapshot));
  }

  finish(): SimReport {
    this.report.snapshots.push(this.snapshot('end'));
    return this.report;
  }

  /** Bytes the run holds: the model's arrays and tables, the report. */
  memoryBytes(): number {
    return this.k.memoryBytes() + this.reportBytes;
  }

  private checkMemory(): void {
    const used = this.memoryBytes();
    if (used > this.memoryBudget) {
      this.fail(`the simulation needs more than this session's memory budget of ${Math.floor(this.memoryBudget / MiB)} MiB (page tables, page cache, logs and report: ${Math.ceil(used / MiB)} MiB); make the scenario smaller`);
    }
  }

  fail(message: string, field?: string): never {
    throw new ScenarioError(message, { field });
  }

  /** the process a step names, alive */
  task(s: Step): Task {
    const t = this.k.task(s.proc!);
    if (!t) this.fail(`no process named '${s.proc}' (processes: ${this.k.tasks.map((x) => x.name).join(', ')})`, 'proc');
    if (!t.alive) this.fail(`process '${t.name}' is no longer running (${t.state})`, 'proc');
    return t;
  }

  alloc(t: Task, name: string, field: string): Allocation {
    const a = t.allocations.get(name);
    if (!a) this.fail(`${t.name} has no allocation named '${name}'`, field);
    return a;
  }

  sys(t: Task, step: number, call: string, size: number, text: string): void {
    this.report.syscalls.push({ step, proc: t.name, call, size, text });
    this.reportBytes += text.length * 2 + 120;
  }

  /** Carry out the system calls glibc asked for. Returns false when the kernel said ENOMEM. */
  doSys(t: Task, step: number, calls: Sys[], label?: string): boolean {
    const k = this.k;
    for (const c of calls) {
      if (c.call === 'mmap') {
        const r = sysMmap(k, t, { len: c.size, prot: parseProt('rw'), shared: false, file: null, pgoff: 0, kind: 'anon', name: '[ anon ]', label, addr: c.addr });
        const call = `mmap(NULL, ${c.size}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)`;
        if (!r.ok) {
          this.sys(t, step, 'mmap', c.size, `${call} = -1 ENOMEM (Cannot allocate memory)`);
          return false;
        }
        this.sys(t, step, 'mmap', c.size, `${call} = ${hex(c.addr)}`);
      } else if (c.call === 'munmap') {
        sysMunmap(k, t, c.addr, c.size);
        this.sys(t, step, 'munmap', c.size, `munmap(${hex(c.addr)}, ${c.size}) = 0`);
      } else if (c.call === 'brk') {
        if (!this.brk(t, c.addr, step)) return false;
      } else if (c.call === 'madvise') {
        madviseDontneed(k, t, c.addr, c.size);
        this.sys(t, step, 'madvise', c.size, `madvise(${hex(c.addr)}, ${c.size}, MADV_DONTNEED) = 0`);
      }
    }
    return true;
  }

  brk(t: Task, newBrk: number, step: number): boolean {
    const oldBrk = t.mm.brk;
    const ok = sysBrk(this.k, t, newBrk);
    this.sys(t, step, 'brk', newBrk - oldBrk, `brk(${hex(newBrk)}) = ${hex(ok ? newBrk : oldBrk)}`);
    return ok;
  }

  /** free memory and the low and high watermarks when the chart last settled (after an event) */
  private readonly zoneSeen = [Number.NaN, Number.NaN, Number.NaN];

  /** Send the chart an event; it runs to a stable state, and what it saw of the zone is noted. */
  send(e: KernelEvent): void {
    this.actor.send(e);
    this.zoneSeen[0] = this.k.frames.free;
    this.zoneSeen[1] = this.k.wmark.low;
    this.zoneSeen[2] = this.k.wmark.high;
  }

  /** Send one access to the chart; a spent budget ends the step with a clear error. */
  private access(a: Access): void {
    this.send({ type: 'ACCESS', access: a });
    this.progress.done += Math.ceil((a.to - a.from) / a.stride);
    if (this.run.status === 'budget') this.budgetError();
  }

  private budgetError(): never {
    if (this.k.budgetSpent === 'memory') {
      this.fail(`the simulation needs more than this session's memory budget of ${Math.floor(this.memoryBudget / MiB)} MiB (page tables of ${Math.ceil((this.k.pageTablePages * this.k.pageSize) / MiB)} MiB); touch fewer 2 MiB regions`);
    }
    this.fail(`the run used up its budget of ${this.workBudget.toLocaleString('en')} work units (pages touched, frames scanned); make the scenario smaller or touch less`);
  }

  /** Touch [addr, addr+len) page by page through the statechart; the chart delivers SIGSEGV at an unmapped page. */
  *touch(t: Task, addr: number, len: number, write: boolean, stride: number, passes: number, why?: string): Generator<void, void, undefined> {
    if (len <= 0) return;
    const k = this.k;
    const ps = k.pageSize;
    const first = Math.floor(addr / ps) * ps;
    const last = addr + len;
    const stridePages = Math.max(1, Math.round(stride / ps));
    this.progress.total += passes * Math.ceil((last - first) / (stridePages * ps));
    // passes over the whole range: repeat each segment pass by pass so reclaim sees a working set cycle
    for (let pass = 0; pass < passes; pass++) {
      let a = first;
      while (a < last) {
        const v = t.mm.find(a);
        if (!v) {
          // no VMA here: the fault handler finds none (bad_area) and the chart delivers SIGSEGV
          this.access({ task: t, vma: null, addr: a, from: 0, to: 0, stride: 1, write, pos: 0, why });
          return;
        }
        const from = (a - v.start) / ps;
        const to = Math.min(v.pages, Math.ceil((last - v.start) / ps));
        if (to - from <= 64 && this.mmuHandles(v, from, to, stridePages, write)) {
          // every page is present and allows this access: the MMU handles it, the kernel is not involved
          a = v.start + to * ps;
          continue;
        }
        // long ranges go to the kernel in slices, so a host can breathe between them (stepAsync)
        for (let sliceFrom = from; sliceFrom < to; sliceFrom += SLICE_PAGES * stridePages) {
          const sliceTo = Math.min(to, sliceFrom + SLICE_PAGES * stridePages);
          this.access({ task: t, vma: v, addr: v.start + sliceFrom * ps, from: sliceFrom, to: sliceTo, stride: stridePages, write, pos: sliceFrom });
          if (this.run.status === 'killed' || this.run.status === 'panic' || this.run.segvTask === t || !t.alive) return;
          if (sliceTo < to) {
            this.checkMemory();
            yield;
          }
        }
        a = v.start + to * ps;
        if (stridePages > 1) {
          // keep the stride's phase across VMA boundaries
          const off = (a - first) % stride;
          if (off) a += stride - off;
        }
      }
    }
  }

  /** The MMU's own work: every page present and allowing the access (the accessed and dirty bits set), or false. */
  private mmuHandles(v: Vma, from: number, to: number, stride: number, write: boolean): boolean {
    const fr = this.k.frames;
    if (write && !v.prot.write) return false;
    for (let i = from; i < to; i += stride) {
      const p = v.pte(i);
      if (p < 0) return false;
      if (write && (fr.kind[p] === FrameKind.File ? !v.shared : fr.mapcount[p]! > 1 || (fr.flags[p]! & PG.SwapCache) !== 0)) return false;
    }
    for (let i = from; i < to; i += stride) {
      const p = v.pte(i);
      fr.setFlag(p, PG.Referenced); // the hardware accessed bit, harvested by reclaim
      if (write && fr.kind[p] !== FrameKind.Anon) fr.setFlag(p, PG.Dirty);
    }
    this.k.work += Math.ceil((to - from) / stride);
    return true;
  }

  private *exec(s: Step, n: number): Generator<void, void, undefined> {
    yield* (VERBS[s.verb] as Handler<StepVerb>)(this, s, n);
  }

  *mallocInto(t: Task, name: string, size: number, n: number, clear: boolean): Generator<void, Allocation | null, undefined> {
    const k = this.k;
    const r = t.arena.malloc(size, (len) => t.mm.unmappedArea(len));
    if (!this.doSys(t, n, r.sys, name)) {
      t.arena.rollback(r);
      k.log_(`${t.name}: malloc(${size}) returned NULL (ENOMEM, overcommit_memory=${k.cfg.overcommitMemory})`);
      t.allocations.set(name, { name, addr: 0, size: 0, chunk: 0, via: 'mmap', freed: true });
      return null;
    }
    const a: Allocation = { name, addr: r.ptr, size, chunk: r.chunkSize, via: r.mmapped ? 'mmap' : 'brk', freed: false };
    t.allocations.set(name, a);
    for (const w of r.writes) {
      if (!t.alive) break;
      yield* this.touch(t, w.addr, w.len, true, k.pageSize, 1);
    }
    if (clear && r.mustClear && t.alive) yield* this.touch(t, a.addr, size, true, k.pageSize, 1);
    return a;
  }

  freePtr(t: Task, a: Allocation, n: number): void {
    if (a.addr === 0) {
      a.freed = true;
      return; // free(NULL) does nothing
    }
    const r = t.arena.free(a.addr);
    if (r.error) this.fail(`${r.error}: glibc would abort the program (SIGABRT)`, 'free');
    this.doSys(t, n, r.sys);
    a.freed = true;
  }

  /** mlock and populate: the locked range is faulted in through the chart. */
  *lock(t: Task, addr: number, len: number, n: number, quiet = false): Generator<void, void, undefined> {
    const k = this.k;
    const r = sysMlock(k, t, addr, len);
    if (!r.ok) {
      this.sys(t, n, 'mlock', len, `mlock(${hex(addr)}, ${len}) = -1 ENOMEM (Cannot allocate memory)`);
      k.log_(`${t.name}: mlock of ${len} bytes refused: RLIMIT_MEMLOCK is ${RLIMIT_MEMLOCK / 1024} kB for an unprivileged user`);
      return;
    }
    for (const v of r.populate) {
      yield* this.touch(t, v.start, v.end - v.start, populatesForWrite(v), k.pageSize, 1);
      if (!t.alive) return;
    }
    if (!quiet) this.sys(t, n, 'mlock', len, `mlock(${hex(addr)}, ${len}) = 0`);
  }

  /** read(2)/write(2) of a file: the page cache fills (and dirties), the process maps nothing. */
  *fileIo(t: Task, name: string, length: number, write: boolean, n: number): Generator<void, void, undefined> {
    const k = this.k;
    const ps = k.pageSize;
    const len = Math.min(length, MAX_RW_COUNT);
    const pages = Math.ceil(len / ps);
    const call = `${write ? 'write' : 'read'}(3, ..., ${length})`;
    if (pages === 0) {
      this.sys(t, n, write ? 'write' : 'read', 0, `${call} = 0`);
      return;
    }
    const file = getFile(k, name, false, pages);
    // a kernel-internal window onto the file, through the same allocation path as faults
    const r = sysMmap(k, t, { len: pages * ps, prot: parseProt(write ? 'rw' : 'r'), shared: true, file, pgoff: 0, kind: 'file', name });
    if (!r.ok) {
      this.sys(t, n, write ? 'write' : 'read', 0, `${call} = -1 ENOMEM (Cannot allocate memory)`);
      return;
    }
    const { minflt, majflt } = t;
    const vs = { pgfault: k.vmstat.pgfault, pgmajfault: k.vmstat.pgmajfault };
    k.trace.paused = true;
    try {
      yield* this.touch(t, r.addr, pages * ps, write, ps, 1);
    } finally {
      k.trace.paused = false;
    }
    t.minflt = minflt;
    t.majflt = majflt;
    Object.assign(k.vmstat, vs);
    // unmap the window: the pages stay in the page cache
    if (t.alive) unmapVma(k, r.vma);
    this.sys(t, n, write ? 'write' : 'read', len, `${call} = ${len}`);
  }

  /** What is in each frame: counts by kind (for tests and the frame grid legend). */
  frameCounts(): Record<'free' | 'anon' | 'file' | 'shmem' | 'kernel', number> {
    const c = this.k.frames.count;
    return { free: c[FrameKind.Free]!, anon: c[FrameKind.Anon]!, file: c[FrameKind.File]!, shmem: c[FrameKind.Shmem]!, kernel: c[FrameKind.Kernel]! };
  }
}

function protText(p: string): string {
  if (p === 'none' || p === '') return 'PROT_NONE';
  const parts = [];
  if (p.includes('r')) parts.push('PROT_READ');
  if (p.includes('w')) parts.push('PROT_WRITE');
  if (p.includes('x')) parts.push('PROT_EXEC');
  return parts.join('|');
}

/** The scenario verbs, each as system calls and accesses: one entry per verb of the schema (STEP_VERBS). */
export const VERBS: VerbHandlers = {
  *snapshot() {},
  *tick(r, s) {
    r.send({ type: 'TICK', ms: s.tick });
  },
  *set(r, s) {
    const k = r.k;
    const v = s.set;
    if (v.oom_score_adj !== undefined) {
      if (!s.proc) r.fail('oom_score_adj is set for a process: add proc', 'set.oom_score_adj');
      r.task(s).oomScoreAdj = v.oom_score_adj;
    }
    if (v.swappiness !== undefined) k.cfg.swappiness = v.swappiness;
    if (v.overcommit_memory !== undefined) k.cfg.overcommitMemory = v.overcommit_memory;
    if (v.overcommit_ratio !== undefined) k.cfg.overcommitRatio = v.overcommit_ratio;
    if (v.page_cluster !== undefined) k.pageCluster = v.page_cluster;
    // the watermarks are the chart's to change: it then wakes or sleeps kswapd by them
    r.send({ type: 'SYSCTL', minFreeKbytes: v.min_free_kbytes, watermarkScaleFactor: v.watermark_scale_factor });
  },
  *read(r, s, n) {
    yield* r.fileIo(r.task(s), s.read, s.length, false, n);
  },
  *write(r, s, n) {
    yield* r.fileIo(r.task(s), s.write, s.length, true, n);
  },
  // memlab 0.2's names for file I/O, which cannot be mistaken for touching memory
  *read_file(r, s, n) {
    yield* r.fileIo(r.task(s), s.read_file, s.length, false, n);
  },
  *write_file(r, s, n) {
    yield* r.fileIo(r.task(s), s.write_file, s.length, true, n);
  },
  *malloc(r, s, n) {
    yield* r.mallocInto(r.task(s), s.as, s.malloc, n, false);
  },
  *calloc(r, s, n) {
    yield* r.mallocInto(r.task(s), s.as, s.calloc, n, true);
  },
  *realloc(r, s, n) {
    const t = r.task(s);
    const ps = r.k.pageSize;
    const old = r.alloc(t, s.realloc, 'realloc');
    if (old.freed) r.fail(`'${s.realloc}' was freed: realloc of a freed pointer is undefined behaviour`, 'realloc');
    const chunk = t.arena.chunkOf(old.addr);
    const usable = chunk ? chunk.size - (chunk.mmapped ? 16 : 8) : 0;
    const target = s.as ?? s.realloc;
    if (chunk && s.size <= usable && !chunk.mmapped) {
      t.allocations.set(target, { ...old, name: target, size: s.size });
      return;
    }
    const fresh = yield* r.mallocInto(t, target, s.size, n, false);
    if (!fresh) return;
    yield* r.touch(t, old.addr, Math.min(old.size, s.size), false, ps, 1);
    yield* r.touch(t, fresh.addr, Math.min(old.size, s.size), true, ps, 1);
    r.freePtr(t, old, n);
    if (target !== s.realloc) t.allocations.delete(s.realloc);
  },
  *free(r, s, n) {
    const t = r.task(s);
    const a = r.alloc(t, s.free, 'free');
    if (a.freed) r.fail(`double free of '${s.free}': glibc would abort the program ("free(): double free detected in tcache 2", SIGABRT)`, 'free');
    r.freePtr(t, a, n);
  },
  *mmap(r, s, n) {
    const k = r.k;
    const t = r.task(s);
    const ps = k.pageSize;
    const len = Math.ceil(s.mmap / ps) * ps;
    if (len === 0) r.fail('mmap of 0 bytes fails with EINVAL', 'mmap');
    const prot = parseProt(s.prot === 'none' ? '' : s.prot);
    const file = s.file ? getFile(k, s.file, false, Math.ceil((s.offset + len) / ps)) : s.shared ? getFile(k, `shm:${t.pid}:${s.as}:${n}`, true, len / ps) : null;
    const kind = s.file ? 'file' : s.shared ? 'shm' : 'anon';
    const res = sysMmap(k, t, { len, prot, shared: s.shared, file, pgoff: Math.floor(s.offset / ps), kind, name: s.file ?? '[ anon ]', label: s.as });
    const call = `mmap(NULL, ${len}, ${protText(s.prot)}, ${s.shared ? 'MAP_SHARED' : 'MAP_PRIVATE'}${s.file ? '' : '|MAP_ANONYMOUS'}${s.populate ? '|MAP_POPULATE' : ''}, ${s.file ? 3 : -1}, ${s.offset})`;
    if (!res.ok) {
      r.sys(t, n, 'mmap', len, `${call} = -1 ENOMEM (Cannot allocate memory)`);
      k.log_(`${t.name}: mmap of ${len} bytes failed: ENOMEM (${prot.write && !s.shared && k.cfg.overcommitMemory !== 1 ? `overcommit_memory=${k.cfg.overcommitMemory}` : 'no room in the address space'})`);
      t.allocations.set(s.as, { name: s.as, addr: 0, size: 0, chunk: 0, via: 'mmap-direct', freed: true });
      return;
    }
    t.allocations.set(s.as, { name: s.as, addr: res.addr, size: s.mmap, chunk: len, via: 'mmap-direct', freed: false });
    r.sys(t, n, 'mmap', len, `${call} = ${hex(res.addr)}`);
    if (s.populate) yield* r.touch(t, res.addr, len, prot.write && !s.file, ps, 1);
  },
  *munmap(r, s, n) {
    const t = r.task(s);
    const a = r.alloc(t, s.munmap, 'munmap');
    const start = a.addr + (s.offset ?? 0);
    const len = s.length ?? a.chunk - (s.offset ?? 0);
    if (a.addr !== 0 && len > 0) sysMunmap(r.k, t, start, len);
    r.sys(t, n, 'munmap', len, `munmap(${hex(start)}, ${len}) = ${a.addr === 0 ? '-1 EINVAL (Invalid argument)' : '0'}`);
    if (s.offset === undefined && s.length === undefined) a.freed = true;
  },
  *brk(r, s, n) {
    const t = r.task(s);
    r.brk(t, Math.max(t.mm.startBrk, t.mm.brk + s.brk), n);
    t.arena.brk = Math.max(t.arena.brk, t.mm.brk);
  },
  *touch(r, s) {
    const t = r.task(s);
    const ps = r.k.pageSize;
    const a = r.alloc(t, s.touch, 'touch');
    const len = s.length ?? Math.max(0, a.size - s.offset);
    const stride = s.every ? s.every * ps : s.stride ?? ps;
    if (a.addr === 0) {
      // the allocation failed (NULL): the program dereferences NULL
      yield* r.touch(t, s.offset, Math.max(1, Math.min(len, ps)), s.write, ps, 1, `NULL pointer dereference ('${s.touch}' is NULL: its allocation failed)`);
      return;
    }
    yield* r.touch(t, a.addr + s.offset, len, s.write, Math.max(ps, stride), s.repeat);
  },
  *fork(r, s, n) {
    const k = r.k;
    const t = r.task(s);
    const clone = 'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD)';
    if (k.tasks.filter((x) => x.alive).length >= MAX_TASKS) {
      r.sys(t, n, 'clone', 0, `${clone} = -1 EAGAIN (Resource temporarily unavailable)`);
      k.log_(`${t.name}: fork failed: EAGAIN (memlab simulates at most ${MAX_TASKS} processes)`);
      return;
    }
    if (k.task(s.fork)) r.fail(`a process named '${s.fork}' already exists`, 'fork');
    const c = fork(k, t, s.fork);
    if (!c) {
      r.sys(t, n, 'clone', 0, `${clone} = -1 ENOMEM (Cannot allocate memory)`);
      k.log_(`${t.name}: fork failed: ENOMEM (no memory for the child's page tables)`);
      return;
    }
    r.sys(t, n, 'clone', 0, `${clone} = ${c.pid}`);
  },
  *exit(r, s, n) {
    const t = r.task(s);
    exitTask(r.k, t, 'exited');
    r.sys(t, n, 'exit_group', 0, `exit_group(${typeof s.exit === 'number' ? s.exit : 0}) = ?`);
  },
  *mlock(r, s, n) {
    const t = r.task(s);
    const a = r.alloc(t, s.mlock, 'mlock');
    if (a.freed) r.fail(`'${s.mlock}' was freed`, 'mlock');
    yield* r.lock(t, a.addr, s.length ?? a.size, n);
  },
  *munlock(r, s, n) {
    const t = r.task(s);
    const a = r.alloc(t, s.munlock, 'munlock');
    sysMunlock(r.k, t, a.addr, a.size);
    r.sys(t, n, 'munlock', a.size, `munlock(${hex(a.addr)}, ${a.size}) = 0`);
  },
  *mlockall(r, s, n) {
    const t = r.task(s);
    const mode = s.mlockall === true ? 'both' : s.mlockall;
    if (mode !== 'future') for (const v of [...t.mm.vmas]) if (v.kind !== 'vdso') yield* r.lock(t, v.start, v.end - v.start, n, true);
    if (mode !== 'current') t.mm.lockFuture = true;
    r.sys(t, n, 'mlockall', 0, `mlockall(${mode === 'current' ? 'MCL_CURRENT' : mode === 'future' ? 'MCL_FUTURE' : 'MCL_CURRENT|MCL_FUTURE'}) = 0`);
  },
  *munlockall(r, s, n) {
    const t = r.task(s);
    sysMunlockall(r.k, t);
    r.sys(t, n, 'munlockall', 0, 'munlockall() = 0');
  },
  *alloca(r, s) {
    const t = r.task(s);
    const ps = r.k.pageSize;
    const mm = t.mm;
    const stack = mm.vmas.find((v) => v.kind === 'stack')!;
    const want = mm.stackUsed + s.alloca;
    if (want > t.stackLimit) {
      // past RLIMIT_STACK the stack does not grow: the touch below it finds no VMA, the chart delivers SIGSEGV
      const at = mm.stackTop - t.stackLimit - ps;
      yield* r.touch(t, at, ps, true, ps, 1, `stack overflow past RLIMIT_STACK (${t.stackLimit / 1024} kB)`);
      return;
    }
    mm.stackUsed = want;
    const low = Math.floor((mm.stackTop - want) / ps) * ps;
    if (low < stack.start) stack.start = low; // the stack VMA grows down (expand_stack)
    yield* r.touch(t, mm.stackTop - want, s.alloca, true, ps, 1);
  },
  *malloc_trim(r, s, n) {
    const t = r.task(s);
    r.doSys(t, n, t.arena.trim(s.malloc_trim));
  },
  *mallopt(r, s) {
    const t = r.task(s);
    if (s.mallopt.M_MMAP_THRESHOLD !== undefined) t.arena.setThreshold(s.mallopt.M_MMAP_THRESHOLD);
    if (s.mallopt.M_TRIM_THRESHOLD !== undefined) {
      t.arena.trimThreshold = s.mallopt.M_TRIM_THRESHOLD;
      t.arena.noDynThreshold = true;
    }
    if (s.mallopt.M_TOP_PAD !== undefined) t.arena.topPad = s.mallopt.M_TOP_PAD;
  },
};

/** Run a whole scenario. A bad step stops the run: the report carries `error` naming it. */
export function simulate(scenario: Scenario | string, opts: SimOptions = {}): SimReport {
  const s = typeof scenario === 'string' ? parseScenario(scenario) : scenario;
  const r = new Runner(s, opts);
  while (!r.done) {
    try {
      r.step();
    } catch (err) {
      if (err instanceof ScenarioError) break;
      throw err;
    }
  }
  return r.finish();
}
