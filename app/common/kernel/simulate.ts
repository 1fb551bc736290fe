/**
 * Running a scenario: each step becomes system calls on the model (brk, mmap, munmap, mlock …)
 * and page accesses sent to the kernel statechart, which faults, reclaims and kills. Snapshots
 * are /proc as it would read at that moment. Deterministic: the same scenario and seed give the
 * same run (the seed varies nothing the kernel decides by chance today; it is carried for packs
 * that draw parameters and for future randomised placement).
 */
import { GlibcArena, type Sys } from './glibc_malloc.js';
import { type Allocation, Kernel, type MachineConfig, type Task } from './kernel.js';
import { type KernelContext, newRunState, type RunState, startKernelActor } from './machine.js';
import { type Access, faultPage, lockRange, unlockRange } from './memory.js';
import { type FileObject, PTE_NONE, parseProt, Vma } from './mmap.js';
import { FrameKind } from './page_alloc.js';
import { type Meminfo, meminfo, type ProcStatus, procStatus, vmstat } from './proc.js';
import { parseScenario, type Scenario, ScenarioError, type Step } from './scenario.js';
import type { VmstatKey } from './kernel.js';

export interface Snapshot {
  label: string;
  /** the step after which it was taken (0 = before any step) */
  step: number;
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
  seed?: number;
  /** page operations the whole run may take before it is stopped (never a hang) */
  pageBudget?: number;
}

/** Default budget: 200 million page touches (a few seconds of simulation at most). */
export const DEFAULT_PAGE_BUDGET = 200_000_000;
export const MAX_TASKS = 1000;
/** pages one ACCESS event covers before the runner may pause (about 5 ms of simulation) */
export const SLICE_PAGES = 65536;

const hex = (n: number) => `0x${n.toString(16)}`;

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
  };
}

/** A scenario being run one step at a time. */
export class Runner {
  readonly k: Kernel;
  readonly run: RunState;
  readonly actor: ReturnType<typeof startKernelActor>;
  readonly report: SimReport = { snapshots: [], syscalls: [], log: [] };
  /** next step to run (0-based) */
  pos = 0;
  private logSeen = 0;
  private pagesLeft: number;
  stopped = false;

  constructor(
    readonly scenario: Scenario,
    readonly opts: SimOptions = {},
  ) {
    this.k = new Kernel(machineConfig(scenario));
    const k = this.k;
    k.faultInForExec = (t, v, idx) => {
      faultPage(k, t, v, idx, !v.file && v.prot.write, { minor: 0, major: 0, cow: 0, zero: 0 });
    };
    this.run = newRunState();
    this.actor = startKernelActor(k, this.run);
    this.pagesLeft = opts.pageBudget ?? DEFAULT_PAGE_BUDGET;
    for (const p of scenario.processes) {
      const t = k.spawn(p.name);
      t.oomScoreAdj = p.oom_score_adj;
      t.uid = p.uid;
      t.stackLimit = p.stack_limit;
      t.arena = new GlibcArena(k.pageSize);
      t.arena.startBrk = t.mm.startBrk;
    }
    this.collectLog(0);
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
    return { label, step: this.pos, processes, vmstat: vmstat(this.k), meminfo: meminfo(this.k) };
  }

  private collectLog(step: number): void {
    for (; this.logSeen < this.k.log.length; this.logSeen++) this.report.log.push({ step, text: this.k.log[this.logSeen]! });
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
    this.k.trace.step = n;
    try {
      yield* this.exec(s, n);
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

  private fail(message: string, field?: string): never {
    throw new ScenarioError(message, { field });
  }

  private task(s: Step): Task {
    const t = this.k.task(s.proc!);
    if (!t) this.fail(`no process named '${s.proc}' (processes: ${this.k.tasks.map((x) => x.name).join(', ')})`, 'proc');
    if (!t.alive) this.fail(`process '${t.name}' is no longer running (${t.state})`, 'proc');
    return t;
  }

  private alloc(t: Task, name: string, field: string): Allocation {
    const a = t.allocations.get(name);
    if (!a) this.fail(`${t.name} has no allocation named '${name}'`, field);
    return a;
  }

  private sys(t: Task, step: number, call: string, size: number, text: string): void {
    this.report.syscalls.push({ step, proc: t.name, call, size, text });
  }

  /** Carry out the system calls glibc asked for. Returns false when the kernel said ENOMEM. */
  private doSys(t: Task, step: number, calls: Sys[], label?: string): boolean {
    const k = this.k;
    for (const c of calls) {
      if (c.call === 'mmap') {
        const pages = c.size / k.pageSize;
        if (!k.enoughMemory(pages)) {
          this.sys(t, step, 'mmap', c.size, `mmap(NULL, ${c.size}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)`);
          return false;
        }
        const v = k.addVma(new Vma(t.mm, c.addr, c.addr + c.size, 'anon', parseProt('rw'), false, null, 0, '[ anon ]'));
        v.label = label;
        this.sys(t, step, 'mmap', c.size, `mmap(NULL, ${c.size}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = ${hex(c.addr)}`);
      } else if (c.call === 'munmap') {
        for (const v of [...t.mm.vmas]) if (v.start < c.addr + c.size && v.end > c.addr) k.unmapRange(v, c.addr, c.addr + c.size);
        this.sys(t, step, 'munmap', c.size, `munmap(${hex(c.addr)}, ${c.size}) = 0`);
      } else if (c.call === 'brk') {
        if (!this.setBrk(t, c.addr, step)) return false;
      } else if (c.call === 'madvise') {
        for (const v of t.mm.vmas) {
          if (v.start < c.addr + c.size && v.end > c.addr) {
            const a = (Math.max(c.addr, v.start) - v.start) / k.pageSize;
            const b = (Math.min(c.addr + c.size, v.end) - v.start) / k.pageSize;
            for (let i = a; i < b; i++) if (v.pte[i] !== PTE_NONE) k.zapPte(v, i);
          }
        }
        this.sys(t, step, 'madvise', c.size, `madvise(${hex(c.addr)}, ${c.size}, MADV_DONTNEED) = 0`);
      }
    }
    return true;
  }

  private heap(t: Task): Vma | undefined {
    return t.mm.vmas.find((v) => v.kind === 'heap');
  }

  private setBrk(t: Task, newBrk: number, step: number): boolean {
    const k = this.k;
    const mm = t.mm;
    const oldBrk = mm.brk;
    const ps = k.pageSize;
    const end = Math.ceil(newBrk / ps) * ps;
    let heap = this.heap(t);
    if (newBrk > oldBrk) {
      const grow = (end - (heap ? heap.end : mm.startBrk)) / ps;
      if (grow > 0 && !k.enoughMemory(grow)) {
        this.sys(t, step, 'brk', newBrk - oldBrk, `brk(${hex(newBrk)}) = ${hex(oldBrk)}`);
        return false;
      }
      if (!heap) heap = k.addVma(new Vma(mm, mm.startBrk, Math.max(end, mm.startBrk + ps), 'heap', parseProt('rw'), false, null, 0, '[heap]'));
      else if (end > heap.end) heap.resizeEnd(end);
    } else if (heap) {
      if (end <= heap.start) k.unmapVma(heap);
      else if (end < heap.end) k.unmapRange(heap, end, heap.end);
    }
    mm.brk = newBrk;
    this.sys(t, step, 'brk', newBrk - oldBrk, `brk(${hex(newBrk)}) = ${hex(newBrk)}`);
    return true;
  }

  /** Touch [addr, addr+len) page by page through the statechart; SIGSEGV at the first unmapped page. */
  private *touch(t: Task, addr: number, len: number, write: boolean, stride: number, passes: number): Generator<void, void, undefined> {
    if (len <= 0) return;
    const k = this.k;
    const ps = k.pageSize;
    const first = Math.floor(addr / ps) * ps;
    const last = addr + len;
    const budgetPages = (Math.ceil((last - first) / stride) + 1) * passes;
    this.pagesLeft -= budgetPages;
    if (this.pagesLeft < 0) this.fail(`the run exceeded its budget of ${this.opts.pageBudget ?? DEFAULT_PAGE_BUDGET} page touches; make it smaller`);
    // passes over the whole range: repeat each segment pass by pass so reclaim sees a working set cycle
    for (let pass = 0; pass < passes; pass++) {
      let a = first;
      while (a < last) {
        const v = t.mm.find(a);
        if (!v) {
          this.segv(t, a, write);
          return;
        }
        const from = (a - v.start) / ps;
        const to = Math.min(v.pte.length, Math.ceil((last - v.start) / ps));
        const stridePages = Math.max(1, Math.round(stride / ps));
        if (to - from <= 64 && this.noFaultNeeded(v, from, to, stridePages, write)) {
          // every page is present and allows this access: the MMU handles it, the kernel is not involved
          a = v.start + to * ps;
          continue;
        }
        // long ranges go to the kernel in slices, so a host can breathe between them (stepAsync)
        for (let sliceFrom = from; sliceFrom < to; sliceFrom += SLICE_PAGES * stridePages) {
          const sliceTo = Math.min(to, sliceFrom + SLICE_PAGES * stridePages);
          const access: Access = { task: t, vma: v, from: sliceFrom, to: sliceTo, stride: stridePages, write, pos: sliceFrom, passes: 1 };
          this.actor.send({ type: 'ACCESS', access });
          if (this.run.status === 'killed' || this.run.status === 'panic' || this.run.segvTask === t || !t.alive) return;
          if (sliceTo < to) yield;
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

  private noFaultNeeded(v: Vma, from: number, to: number, stride: number, write: boolean): boolean {
    const fr = this.k.frames;
    if (write && !v.prot.write) return false;
    for (let i = from; i < to; i += stride) {
      const p = v.pte[i]!;
      if (p < 0) return false;
      if (write && (fr.kind[p] === FrameKind.File ? !v.shared : fr.mapcount[p]! > 1)) return false;
    }
    for (let i = from; i < to; i += stride) {
      const p = v.pte[i]!;
      fr.flags[p]! |= 2; // PG_referenced: the hardware accessed bit, harvested by reclaim
      if (write && fr.kind[p] !== FrameKind.Anon && !(fr.flags[p]! & 4)) fr.setFlag(p, 4);
    }
    return true;
  }

  private segv(t: Task, addr: number, write: boolean): void {
    this.k.log_(`${t.name}[${t.pid}]: segfault at ${addr.toString(16)} ip 0000555555555189 sp 00007fffffffe3f0 error ${write ? 6 : 4} in ${t.name}[555555555000+1000]`);
    this.k.exitTask(t, 'killed:sigsegv');
  }

  private *exec(s: Step, n: number): Generator<void, void, undefined> {
    const k = this.k;
    switch (s.verb) {
      case 'snapshot':
        return;
      case 'tick':
        this.actor.send({ type: 'TICK', ms: s.tick });
        return;
      case 'set': {
        const v = s.set;
        if (v.oom_score_adj !== undefined) {
          if (!s.proc) this.fail('oom_score_adj is set for a process: add proc', 'set.oom_score_adj');
          this.task(s).oomScoreAdj = v.oom_score_adj;
        }
        if (v.swappiness !== undefined) k.cfg.swappiness = v.swappiness;
        if (v.overcommit_memory !== undefined) k.cfg.overcommitMemory = v.overcommit_memory;
        if (v.overcommit_ratio !== undefined) k.cfg.overcommitRatio = v.overcommit_ratio;
        if (v.watermark_scale_factor !== undefined) k.cfg.watermarkScaleFactor = v.watermark_scale_factor;
        if (v.min_free_kbytes !== undefined) k.minFreeKbytes = v.min_free_kbytes;
        k.recomputeWatermarks();
        return;
      }
      case 'read':
      case 'write':
      case 'read_file':
      case 'write_file': {
        const t = this.task(s);
        const name = s.verb === 'read' ? s.read : s.verb === 'write' ? s.write : s.verb === 'read_file' ? s.read_file : s.write_file;
        yield* this.fileIo(t, name, s.length, s.verb === 'write' || s.verb === 'write_file', n);
        return;
      }
    }
    const t = this.task(s);
    const ps = k.pageSize;
    switch (s.verb) {
      case 'malloc':
      case 'calloc': {
        const size = s.verb === 'malloc' ? s.malloc : s.calloc;
        yield* this.mallocInto(t, s.as, size, n, s.verb === 'calloc');
        return;
      }
      case 'realloc': {
        const old = this.alloc(t, s.realloc, 'realloc');
        if (old.freed) this.fail(`'${s.realloc}' was freed: realloc of a freed pointer is undefined behaviour`, 'realloc');
        const chunk = t.arena.chunkOf(old.addr);
        const usable = chunk ? chunk.size - (chunk.mmapped ? 16 : 8) : 0;
        const target = s.as ?? s.realloc;
        if (chunk && s.size <= usable && !chunk.mmapped) {
          t.allocations.set(target, { ...old, name: target, size: s.size });
          return;
        }
        const fresh = yield* this.mallocInto(t, target, s.size, n, false);
        if (!fresh) return;
        yield* this.touch(t, old.addr, Math.min(old.size, s.size), false, ps, 1);
        yield* this.touch(t, fresh.addr, Math.min(old.size, s.size), true, ps, 1);
        this.freePtr(t, old, n);
        if (target !== s.realloc) t.allocations.delete(s.realloc);
        return;
      }
      case 'free': {
        const a = this.alloc(t, s.free, 'free');
        if (a.freed) this.fail(`double free of '${s.free}': glibc would abort the program ("free(): double free detected in tcache 2", SIGABRT)`, 'free');
        this.freePtr(t, a, n);
        return;
      }
      case 'mmap': {
        const len = Math.ceil(s.mmap / ps) * ps;
        if (len === 0) this.fail('mmap of 0 bytes fails with EINVAL', 'mmap');
        const addr = t.mm.unmappedArea(len);
        if (addr < 0) this.fail('no room left in the address space for this mapping', 'mmap');
        const prot = parseProt(s.prot === 'none' ? '' : s.prot);
        let file: FileObject | null = null;
        if (s.file) file = k.file(s.file, false, Math.ceil((s.offset + len) / ps));
        else if (s.shared) file = k.file(`shm:${t.pid}:${s.as}:${n}`, true, len / ps);
        const privateWritable = prot.write && !s.shared;
        if (privateWritable && !k.enoughMemory(len / ps)) {
          this.sys(t, n, 'mmap', len, `mmap(NULL, ${len}, ${protText(s.prot)}, ${s.shared ? 'MAP_SHARED' : 'MAP_PRIVATE'}${s.file ? '' : '|MAP_ANONYMOUS'}, ${s.file ? 3 : -1}, 0) = -1 ENOMEM (Cannot allocate memory)`);
          k.log_(`${t.name}: mmap of ${len} bytes failed: ENOMEM (overcommit_memory=${k.cfg.overcommitMemory})`);
          t.allocations.set(s.as, { name: s.as, addr: 0, size: 0, chunk: 0, via: 'mmap-direct', freed: true });
          return;
        }
        const kind = s.file ? 'file' : s.shared ? 'shm' : 'anon';
        const v = k.addVma(new Vma(t.mm, addr, addr + len, kind, prot, s.shared, file, Math.floor(s.offset / ps), s.file ?? '[ anon ]'));
        v.label = s.as;
        t.allocations.set(s.as, { name: s.as, addr, size: s.mmap, chunk: len, via: 'mmap-direct', freed: false });
        this.sys(t, n, 'mmap', len, `mmap(NULL, ${len}, ${protText(s.prot)}, ${s.shared ? 'MAP_SHARED' : 'MAP_PRIVATE'}${s.file ? '' : '|MAP_ANONYMOUS'}${s.populate ? '|MAP_POPULATE' : ''}, ${s.file ? 3 : -1}, ${s.offset}) = ${hex(addr)}`);
        if (s.populate) yield* this.touch(t, addr, len, prot.write && !s.file, ps, 1);
        return;
      }
      case 'munmap': {
        const a = this.alloc(t, s.munmap, 'munmap');
        const start = a.addr + (s.offset ?? 0);
        const len = s.length ?? a.chunk - (s.offset ?? 0);
        for (const v of [...t.mm.vmas]) if (v.start < start + len && v.end > start) k.unmapRange(v, Math.floor(start / ps) * ps, Math.ceil((start + len) / ps) * ps);
        this.sys(t, n, 'munmap', len, `munmap(${hex(start)}, ${len}) = 0`);
        if (s.offset === undefined && s.length === undefined) a.freed = true;
        return;
      }
      case 'brk': {
        const cur = t.mm.brk;
        this.setBrk(t, Math.max(t.mm.startBrk, cur + s.brk), n);
        t.arena.brk = Math.max(t.arena.brk, t.mm.brk);
        return;
      }
      case 'touch': {
        const a = this.alloc(t, s.touch, 'touch');
        const len = s.length ?? Math.max(0, a.size - s.offset);
        if (a.addr === 0) {
          this.segv(t, s.offset, s.write);
          return;
        }
        const stride = s.every ? s.every * ps : s.stride ?? ps;
        yield* this.touch(t, a.addr + s.offset, len, s.write, Math.max(ps, stride), s.repeat);
        return;
      }
      case 'fork': {
        if (k.tasks.filter((x) => x.alive).length >= MAX_TASKS) {
          this.sys(t, n, 'clone', 0, 'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD) = -1 EAGAIN (Resource temporarily unavailable)');
          k.log_(`${t.name}: fork failed: EAGAIN (memlab simulates at most ${MAX_TASKS} processes)`);
          return;
        }
        if (k.task(s.fork)) this.fail(`a process named '${s.fork}' already exists`, 'fork');
        const c = k.fork(t, s.fork);
        this.sys(t, n, 'clone', 0, `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD) = ${c.pid}`);
        return;
      }
      case 'exit':
        k.exitTask(t, 'exited');
        this.sys(t, n, 'exit_group', 0, `exit_group(${typeof s.exit === 'number' ? s.exit : 0}) = ?`);
        return;
      case 'mlock': {
        const a = this.alloc(t, s.mlock, 'mlock');
        if (a.freed) this.fail(`'${s.mlock}' was freed`, 'mlock');
        const len = s.length ?? a.size;
        yield* this.lock(t, a.addr, len, n);
        return;
      }
      case 'munlock': {
        const a = this.alloc(t, s.munlock, 'munlock');
        for (const v of t.mm.vmas) if (v.start < a.addr + a.size && v.end > a.addr && v.locked) unlockRange(k, v);
        this.sys(t, n, 'munlock', a.size, `munlock(${hex(a.addr)}, ${a.size}) = 0`);
        return;
      }
      case 'mlockall': {
        const mode = s.mlockall === true ? 'both' : s.mlockall;
        if (mode !== 'future') for (const v of [...t.mm.vmas]) if (v.kind !== 'vdso') yield* this.lock(t, v.start, v.end - v.start, n, true);
        if (mode !== 'current') t.mm.lockFuture = true;
        this.sys(t, n, 'mlockall', 0, `mlockall(${mode === 'current' ? 'MCL_CURRENT' : mode === 'future' ? 'MCL_FUTURE' : 'MCL_CURRENT|MCL_FUTURE'}) = 0`);
        return;
      }
      case 'munlockall':
        for (const v of t.mm.vmas) if (v.locked) unlockRange(k, v);
        t.mm.lockFuture = false;
        this.sys(t, n, 'munlockall', 0, 'munlockall() = 0');
        return;
      case 'alloca': {
        const stack = t.mm.vmas.find((v) => v.kind === 'stack')!;
        const used = (t as Task & { stackUsed?: number }).stackUsed ?? 12 * 1024;
        const want = used + s.alloca;
        if (want > t.stackLimit) {
          k.log_(`${t.name}[${t.pid}]: segfault at ${(t.mm.stackTop - want).toString(16)}: stack overflow past RLIMIT_STACK (${t.stackLimit / 1024} kB)`);
          k.exitTask(t, 'killed:sigsegv');
          return;
        }
        (t as Task & { stackUsed?: number }).stackUsed = want;
        const low = Math.floor((t.mm.stackTop - want) / ps) * ps;
        if (low < stack.start) stack.growDown(low);
        yield* this.touch(t, t.mm.stackTop - want, s.alloca, true, ps, 1);
        return;
      }
      case 'malloc_trim': {
        const calls = t.arena.trim(s.malloc_trim);
        this.doSys(t, n, calls);
        return;
      }
      case 'mallopt': {
        if (s.mallopt.M_MMAP_THRESHOLD !== undefined) t.arena.setThreshold(s.mallopt.M_MMAP_THRESHOLD);
        if (s.mallopt.M_TRIM_THRESHOLD !== undefined) {
          t.arena.trimThreshold = s.mallopt.M_TRIM_THRESHOLD;
          t.arena.noDynThreshold = true;
        }
        if (s.mallopt.M_TOP_PAD !== undefined) t.arena.topPad = s.mallopt.M_TOP_PAD;
        return;
      }
    }
  }

  private *mallocInto(t: Task, name: string, size: number, n: number, clear: boolean): Generator<void, Allocation | null, undefined> {
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

  private freePtr(t: Task, a: Allocation, n: number): void {
    if (a.addr === 0) {
      a.freed = true;
      return; // free(NULL) does nothing
    }
    const r = t.arena.free(a.addr);
    if (r.error) this.fail(`${r.error}: glibc would abort the program (SIGABRT)`, 'free');
    this.doSys(t, n, r.sys);
    a.freed = true;
  }

  private *lock(t: Task, addr: number, len: number, n: number, quiet = false): Generator<void, void, undefined> {
    const k = this.k;
    const ps = k.pageSize;
    const RLIMIT_MEMLOCK = 8 * 1024 * 1024;
    const vmas = t.mm.vmas.filter((v) => v.start < addr + len && v.end > addr && !v.locked);
    const extra = vmas.reduce((s, v) => s + (v.end - v.start), 0);
    const lockedNow = t.mm.vmas.filter((v) => v.locked).reduce((s, v) => s + (v.end - v.start), 0);
    if (t.uid !== 0 && lockedNow + extra > RLIMIT_MEMLOCK) {
      this.sys(t, n, 'mlock', len, `mlock(${hex(addr)}, ${len}) = -1 ENOMEM (Cannot allocate memory)`);
      k.log_(`${t.name}: mlock of ${len} bytes refused: RLIMIT_MEMLOCK is ${RLIMIT_MEMLOCK / 1024} kB for an unprivileged user`);
      return;
    }
    for (const v of vmas) {
      lockRange(k, v);
      // mlock populates the range: writable private pages are faulted in for writing
      yield* this.touch(t, v.start, v.end - v.start, v.prot.write && !v.shared && v.kind !== 'lib' && v.kind !== 'data', ps, 1);
      if (!t.alive) return;
    }
    if (!quiet) this.sys(t, n, 'mlock', len, `mlock(${hex(addr)}, ${len}) = 0`);
  }

  /** read(2)/write(2) of a file: the page cache fills (and dirties), the process maps nothing. */
  private *fileIo(t: Task, name: string, len: number, write: boolean, n: number): Generator<void, void, undefined> {
    const k = this.k;
    const ps = k.pageSize;
    const pages = Math.ceil(len / ps);
    const file = k.file(name, false, pages);
    // a kernel-internal window onto the file, through the same allocation path as faults
    const addr = t.mm.unmappedArea(pages * ps);
    const v = k.addVma(new Vma(t.mm, addr, addr + pages * ps, 'file', parseProt(write ? 'rw' : 'r'), true, file, 0, name));
    const { minflt, majflt } = t;
    const vs = { pgfault: k.vmstat.pgfault, pgmajfault: k.vmstat.pgmajfault };
    k.trace.paused = true;
    try {
      yield* this.touch(t, addr, pages * ps, write, ps, 1);
    } finally {
      k.trace.paused = false;
    }
    t.minflt = minflt;
    t.majflt = majflt;
    Object.assign(k.vmstat, vs);
    if (t.alive) {
      // unmap the window: the pages stay in the page cache
      for (let i = 0; i < v.pte.length; i++) {
        const f = v.pte[i]!;
        if (f >= 0) {
          k.frames.mapcount[f]!--;
          t.mm.rssFile--;
          v.pte[i] = PTE_NONE;
        }
      }
      t.mm.remove(v);
      file.mappers.delete(v);
      k.vmas.delete(v.id);
      t.mm.hiwaterRss = Math.max(0, t.mm.hiwaterRss);
    }
    this.sys(t, n, write ? 'write' : 'read', len, `${write ? 'write' : 'read'}(3, ..., ${len}) = ${len}`);
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
