/**
 * The simulated machine's state: the zone's frames (page_alloc), swap (swap_state), files and
 * their page cache, the task list, the sysctls and the /proc/vmstat counters. The mm files
 * (memory, vmscan, oom_kill, mmap, glibc_malloc) act on it; the statechart (machine.ts)
 * decides what happens next.
 */
import { FaultTrace } from './trace.js';
import { createActor } from 'xstate';
import { GlibcArena } from './glibc_malloc.js';
import { processMachine } from './machine.js';
import { FileObject, isSwapPte, Mm, PTE_NONE, PTE_ZERO, swapSlotOf, Vma, type VmaKind, parseProt } from './mmap.js';
import { computeWatermarks, defaultMinFreeKbytes, FrameKind, FrameTable, PG, type Watermarks } from './page_alloc.js';
import { SwapSpace } from './swap_state.js';
import { GiB, KiB, MiB } from './units.js';

export type TaskState = 'running' | 'blocked' | 'exited' | 'killed:oom' | 'killed:sigsegv';

/** What malloc/mmap handed out, by the name the scenario gave it. */
export interface Allocation {
  name: string;
  addr: number;
  size: number;
  /** glibc chunk size (malloc) or mapping length (mmap) */
  chunk: number;
  via: 'brk' | 'mmap' | 'mmap-direct' | 'stack';
  freed: boolean;
}

const LIFECYCLE_STATE: Record<string, TaskState> = {
  running: 'running',
  blocked: 'blocked',
  exited: 'exited',
  killedOom: 'killed:oom',
  killedSigsegv: 'killed:sigsegv',
};

export class Task {
  /** the process's lifecycle as its own small statechart (machine.ts: processMachine) */
  readonly lifecycle = createActor(processMachine).start();
  get state(): TaskState {
    return LIFECYCLE_STATE[this.lifecycle.getSnapshot().value as string]!;
  }
  minflt = 0;
  majflt = 0;
  oomScoreAdj = 0;
  uid = 1000;
  stackLimit = 8 * MiB;
  readonly allocations = new Map<string, Allocation>();
  arena: GlibcArena;
  constructor(
    readonly pid: number,
    readonly name: string,
    readonly mm: Mm,
  ) {
    this.arena = new GlibcArena(mm.pageSize);
  }
  get alive(): boolean {
    return this.state === 'running' || this.state === 'blocked';
  }
}

export interface MachineConfig {
  ramBytes: number;
  swapBytes: number;
  pageSize: number;
  swappiness: number;
  overcommitMemory: 0 | 1 | 2;
  overcommitRatio: number;
  minFreeKbytes?: number;
  watermarkScaleFactor: number;
  thp: 'never' | 'always' | 'madvise';
  /** pages kswapd reclaims for each page allocated while it is awake (its speed against the allocator) */
  kswapdRate: number;
}

export const VMSTAT_KEYS = [
  'pgfault',
  'pgmajfault',
  'pswpin',
  'pswpout',
  'pgscan_kswapd',
  'pgscan_direct',
  'pgsteal_kswapd',
  'pgsteal_direct',
  'oom_kill',
  'allocstall_normal',
  'pageoutrun',
  'pgactivate',
  'pgdeactivate',
  'thp_fault_alloc',
  'nr_written',
] as const;
export type VmstatKey = (typeof VMSTAT_KEYS)[number];

export interface KernelLogLine {
  text: string;
}

export class Kernel {
  readonly pageSize: number;
  readonly frames: FrameTable;
  readonly swap: SwapSpace;
  /** frames the kernel itself holds at boot (slab, page tables of its own, ...) */
  readonly kernelFrames: number;
  /** pages not even in MemTotal (struct page array, kernel image) */
  readonly reservedPages: number;
  readonly managedPages: number;
  wmark: Watermarks;
  minFreeKbytes: number;
  readonly tasks: Task[] = [];
  readonly files = new Map<string, FileObject>();
  readonly vmas = new Map<number, Vma>();
  readonly vmstat: Record<VmstatKey, number>;
  log: string[] = [];
  /** every page fault, as perf trace / the exceptions:page_fault_user tracepoint shows them */
  readonly trace = new FaultTrace();
  kswapdAwake = false;
  /** tmpfs pages now in swap (not in any process's VmSwap) */
  shmemSwapped = 0;
  /** kswapd's credit: pages it may reclaim now, earned as the allocator runs */
  kswapdCredit = 0;
  /** ms of simulated time */
  now = 0;
  private nextPid = 1000;
  private nextFileId = 1;
  /** the zero page: a frame of the kernel's, shared by every read of untouched memory */
  committedPages = 0;

  constructor(readonly cfg: MachineConfig) {
    this.pageSize = cfg.pageSize;
    const totalPages = Math.floor(cfg.ramBytes / cfg.pageSize);
    // struct page (64 B per page) and a kernel image: not in MemTotal
    this.reservedPages = Math.ceil((totalPages * 64) / cfg.pageSize) + Math.ceil((16 * MiB) / cfg.pageSize);
    this.managedPages = Math.max(0, totalPages - this.reservedPages);
    this.frames = new FrameTable(this.managedPages);
    this.swap = new SwapSpace(Math.floor(cfg.swapBytes / cfg.pageSize));
    // boot-time kernel allocations: slab, per-cpu, the kernel's page tables: about 1.5% of RAM, at least 8 MiB
    this.kernelFrames = Math.min(this.managedPages, Math.max(Math.ceil((8 * MiB) / cfg.pageSize), Math.floor(this.managedPages * 0.015)));
    for (let i = 0; i < this.kernelFrames; i++) this.frames.alloc(FrameKind.Kernel, -1, i);
    this.minFreeKbytes = cfg.minFreeKbytes ?? defaultMinFreeKbytes((this.managedPages * cfg.pageSize) / KiB);
    this.wmark = computeWatermarks(this.managedPages, this.minFreeKbytes, cfg.pageSize, cfg.watermarkScaleFactor);
    this.vmstat = Object.fromEntries(VMSTAT_KEYS.map((k) => [k, 0])) as Record<VmstatKey, number>;
  }

  recomputeWatermarks(): void {
    this.wmark = computeWatermarks(this.managedPages, this.minFreeKbytes, this.pageSize, this.cfg.watermarkScaleFactor);
  }

  get totalPages(): number {
    return this.managedPages;
  }

  task(name: string): Task | undefined {
    return this.tasks.find((t) => t.name === name);
  }

  file(name: string, shmem = false, sizePages = 0): FileObject {
    let f = this.files.get(name);
    if (!f) {
      f = new FileObject(this.nextFileId++, name, shmem, Math.max(1, sizePages));
      this.files.set(name, f);
    }
    f.ensure(sizePages);
    return f;
  }
  fileById(id: number): FileObject | undefined {
    for (const f of this.files.values()) if (f.id === id) return f;
    return undefined;
  }

  addVma(v: Vma): Vma {
    this.vmas.set(v.id, v);
    v.mm.insert(v);
    if (v.file) v.file.mappers.add(v);
    if (v.mm.lockFuture) v.locked = true;
    return v;
  }

  /**
   * exec: a small C program's image as the kernel and ld.so lay it out on x86-64 with glibc 2.36
   * (what `pmap -x` shows for such a program before main), with the pages exec and the dynamic
   * loader have already touched.
   */
  spawn(name: string): Task {
    const mm = new Mm(this.pageSize);
    const t = new Task(this.nextPid++, name, mm);
    const ps = this.pageSize;
    const exe = this.file(name, false, 8);
    const libc = this.file('/usr/lib/x86_64-linux-gnu/libc.so.6', false, Math.ceil((1948 * KiB) / ps));
    const ld = this.file('/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', false, Math.ceil((216 * KiB) / ps));
    const base = 0x555555554000;
    const seg = (start: number, size: number, kind: VmaKind, prot: string, file: FileObject | null, pgoff: number, label: string) =>
      this.addVma(new Vma(mm, start, start + size, kind, parseProt(prot), false, file, pgoff, label));
    const pg = (n: number) => n * ps;
    seg(base, pg(1), 'rodata', 'r', exe, 0, name);
    seg(base + pg(1), pg(1), 'text', 'rx', exe, 1, name);
    seg(base + pg(2), pg(1), 'rodata', 'r', exe, 2, name);
    seg(base + pg(3), pg(1), 'rodata', 'r', exe, 3, name); // RELRO
    seg(base + pg(4), pg(1), 'data', 'rw', exe, 4, name);
    mm.startBrk = mm.brk = base + pg(5);
    let top = 0x7ffff7fff000 + pg(2);
    const lib = (size: number, prot: string, f: FileObject | null, pgoff: number, kind: VmaKind, label: string) => {
      top -= size;
      return seg(top, size, kind, prot, f, pgoff, label);
    };
    // ld.so, top-down
    lib(pg(2), 'rw', ld, 52, 'lib', 'ld.so');
    lib(pg(2), 'r', ld, 50, 'lib', 'ld.so');
    lib(pg(10), 'r', ld, 40, 'lib', 'ld.so');
    lib(pg(39), 'rx', ld, 1, 'lib', 'ld.so');
    lib(pg(1), 'r', ld, 0, 'lib', 'ld.so');
    lib(pg(2), 'rx', null, 0, 'vdso', '[vdso]');
    lib(pg(4), 'r', null, 0, 'vdso', '[vvar]');
    lib(pg(2), 'rw', null, 0, 'anon', '[ anon ]');
    lib(pg(13), 'rw', null, 0, 'anon', '[ anon ]');
    lib(pg(2), 'rw', libc, 485, 'lib', 'libc');
    lib(pg(4), 'r', libc, 481, 'lib', 'libc');
    lib(pg(85), 'r', libc, 396, 'lib', 'libc');
    lib(pg(345), 'rx', libc, 38, 'lib', 'libc');
    lib(pg(38), 'r', libc, 0, 'lib', 'libc');
    lib(pg(3), 'rw', null, 0, 'anon', '[ anon ]');
    mm.mmapBase = top;
    const stack = seg(mm.stackTop - 132 * KiB, 132 * KiB, 'stack', 'rw', null, 0, '[stack]');
    this.tasks.push(t);
    // what exec and ld.so touched: the program's pages, most of libc's and ld.so's code, the stack top
    for (const v of mm.vmas) {
      if (v.kind === 'vdso') continue;
      const n = v.file ? (v.kind === 'lib' && v.prot.exec ? Math.ceil(v.pages * 0.62) : v.pages) : v === stack ? 3 : Math.min(v.pages, 3);
      this.populateForExec(t, v, n);
    }
    mm.updateHiwater();
    return t;
  }

  private populateForExec(t: Task, v: Vma, n: number): void {
    // uses the fault path without counting faults against the program (exec's own work)
    const { minflt, majflt } = t;
    const vm = { ...this.vmstat };
    for (let i = 0; i < n; i++) this.faultInForExec(t, v, i);
    t.minflt = minflt;
    t.majflt = majflt;
    Object.assign(this.vmstat, vm);
  }

  /** Set by memory.ts to avoid an import cycle. */
  faultInForExec: (t: Task, v: Vma, idx: number) => void = () => {};

  log_(text: string): void {
    this.log.push(text);
  }

  /** Drop one PTE's hold on whatever it maps (zap_pte_range for one entry). */
  zapPte(v: Vma, idx: number): void {
    const pte = v.pte[idx]!;
    const mm = v.mm;
    if (pte >= 0) {
      const f = pte;
      const kind = this.frames.kind[f]!;
      if (kind === FrameKind.Anon) mm.rssAnon--;
      else if (kind === FrameKind.Shmem) mm.rssShmem--;
      else mm.rssFile--;
      if (this.frames.flags[f]! & PG.Mlocked && v.locked) mm.lockedVm--;
      const mc = this.frames.mapcount[f]! - 1;
      this.frames.mapcount[f] = mc;
      if (kind === FrameKind.Anon) {
        if (mc <= 0) this.frames.release(f);
        else if (this.frames.owner[f] === v.id) this.reassignAnonOwner(f, v, idx);
      } else if (mc <= 0 && this.frames.flags[f]! & PG.Mlocked) {
        this.frames.clearFlag(f, PG.Mlocked);
      }
    } else if (isSwapPte(pte)) {
      this.swap.put(swapSlotOf(pte));
      mm.swapEnts--;
    }
    v.pte[idx] = PTE_NONE;
  }

  /** After the owner lets go of a shared anonymous frame, another VMA of its anon_vma family owns it. */
  reassignAnonOwner(f: number, from: Vma, idx: number): void {
    for (const other of from.family) {
      if (other !== from && other.pte[idx] === f) {
        this.frames.owner[f] = other.id;
        return;
      }
    }
  }

  unmapVma(v: Vma): void {
    for (let i = 0; i < v.pte.length; i++) if (v.pte[i] !== PTE_NONE) this.zapPte(v, i);
    v.mm.remove(v);
    v.family.delete(v);
    if (v.file) v.file.mappers.delete(v);
    this.vmas.delete(v.id);
  }

  /** Unmap [start, end) of a VMA, splitting it when the hole is in the middle. */
  unmapRange(v: Vma, start: number, end: number): void {
    const ps = this.pageSize;
    if (start <= v.start && end >= v.end) return this.unmapVma(v);
    const a = (Math.max(start, v.start) - v.start) / ps;
    const b = (Math.min(end, v.end) - v.start) / ps;
    for (let i = a; i < b; i++) if (v.pte[i] !== PTE_NONE) this.zapPte(v, i);
    if (start <= v.start) {
      // cut the front
      v.pte = v.pte.slice(b);
      v.pgoff += b;
      v.start = end;
    } else if (end >= v.end) {
      v.resizeEnd(start);
    } else {
      // split: keep the front in v, the back becomes a new VMA
      const back = new Vma(v.mm, end, v.end, v.kind, v.prot, v.shared, v.file, v.pgoff + b, v.name);
      back.pte = v.pte.slice(b);
      back.locked = v.locked;
      back.label = v.label;
      back.family = v.family;
      v.family.add(back);
      v.pte = v.pte.slice(0, a);
      v.end = start;
      this.addVma(back);
      // frames owned by v at indices >= b now belong to back, at index - b
      for (let i = 0; i < back.pte.length; i++) {
        const f = back.pte[i]!;
        if (f >= 0 && this.frames.kind[f] === FrameKind.Anon && this.frames.owner[f] === v.id) {
          this.frames.owner[f] = back.id;
          this.frames.index[f] = i;
        }
      }
    }
  }

  exitTask(t: Task, state: TaskState): void {
    for (const v of [...t.mm.vmas]) this.unmapVma(v);
    t.allocations.clear();
    t.lifecycle.send({ type: state === 'killed:oom' ? 'OOM_KILL' : state === 'killed:sigsegv' ? 'SIGSEGV' : 'EXIT' });
  }

  /** fork(): the child gets copies of the VMAs and page tables; anonymous pages are shared copy-on-write. */
  fork(parent: Task, childName: string): Task {
    const mm = new Mm(this.pageSize);
    mm.startBrk = parent.mm.startBrk;
    mm.brk = parent.mm.brk;
    mm.mmapBase = parent.mm.mmapBase;
    const child = new Task(this.nextPid++, childName, mm);
    child.oomScoreAdj = parent.oomScoreAdj;
    child.uid = parent.uid;
    child.stackLimit = parent.stackLimit;
    child.arena = parent.arena.clone();
    for (const [k, a] of parent.allocations) child.allocations.set(k, { ...a });
    for (const pv of parent.mm.vmas) {
      const cv = new Vma(mm, pv.start, pv.end, pv.kind, pv.prot, pv.shared, pv.file, pv.pgoff, pv.name);
      cv.label = pv.label;
      cv.pte.set(pv.pte);
      // mlock is not inherited across fork
      cv.family = pv.family;
      pv.family.add(cv);
      this.addVma(cv);
      for (let i = 0; i < cv.pte.length; i++) {
        const pte = cv.pte[i]!;
        if (pte >= 0) {
          this.frames.mapcount[pte]!++;
          const kind = this.frames.kind[pte]!;
          if (kind === FrameKind.Anon) mm.rssAnon++;
          else if (kind === FrameKind.Shmem) mm.rssShmem++;
          else mm.rssFile++;
        } else if (isSwapPte(pte)) {
          this.swap.dup(swapSlotOf(pte));
          mm.swapEnts++;
        }
      }
    }
    mm.hiwaterRss = mm.rss;
    this.tasks.push(child);
    return child;
  }

  /** Committed_AS: what private writable mappings could need (the overcommit charge). */
  committedAs(): number {
    let pages = 0;
    for (const t of this.tasks) if (t.alive) for (const v of t.mm.vmas) if (v.privateWritable || (v.shared && !v.file?.name.startsWith('/'))) pages += v.pages;
    return pages;
  }

  /** CommitLimit (overcommit_memory=2): swap + RAM * overcommit_ratio / 100 */
  commitLimit(): number {
    return this.swap.slots + Math.floor((this.managedPages * this.cfg.overcommitRatio) / 100);
  }

  /**
   * __vm_enough_memory: may a new private writable mapping of `pages` be made?
   * 0 (heuristic): refuse only what could never fit (more than RAM + swap); 1: always; 2: strict.
   */
  enoughMemory(pages: number): boolean {
    if (this.cfg.overcommitMemory === 1) return true;
    if (this.cfg.overcommitMemory === 0) return pages <= this.managedPages + this.swap.slots;
    return this.committedAs() + pages <= this.commitLimit();
  }

  static readonly ZERO = PTE_ZERO;
}

export const DEFAULT_MACHINE: MachineConfig = {
  ramBytes: 4 * GiB,
  swapBytes: 0,
  pageSize: 4 * KiB,
  swappiness: 60,
  overcommitMemory: 0,
  overcommitRatio: 50,
  watermarkScaleFactor: 10,
  thp: 'never',
  kswapdRate: 0.5,
};
