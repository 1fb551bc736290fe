/**
 * The simulated machine's state, and only its state: the zone's frames (page_alloc), swap and the
 * swap cache (swap_state), files and their page cache (filemap), the task list, the sysctls, the
 * /proc/vmstat counters and the run's budgets. The operations live where Linux keeps them:
 * exec.ts (fs/exec.c), fork.ts (kernel/fork.c), exit.ts (kernel/exit.c), mmap.ts (brk, mmap,
 * munmap), mlock.ts, madvise.ts, memory.ts (faults), vmscan.ts (reclaim), oom_kill.ts; the
 * statechart (machine.ts) decides what happens next.
 */
import { createActor } from 'xstate';
import type { FileObject } from './filemap.js';
import { GlibcArena } from './glibc_malloc.js';
import { processMachine } from './machine.js';
import type { AnonVma, Mm, Vma } from './mmap.js';
import { computeWatermarks, defaultMinFreeKbytes, FrameKind, FrameTable, type Watermarks } from './page_alloc.js';
import { ChunkMeter } from './pgtable.js';
import { SwapSpace } from './swap_state.js';
import { FaultTrace } from './trace.js';
import { GiB, KiB, MiB } from './units.js';

export type TaskState = 'running' | 'exited' | 'killed:oom' | 'killed:sigsegv';

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
    return this.state === 'running';
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
  /** vm.page-cluster: swap readahead reads up to 2^page_cluster pages (default 3) */
  pageCluster?: number;
}

export const VMSTAT_KEYS = [
  'pgfault',
  'pgmajfault',
  'pswpin',
  'pswpout',
  'swap_ra',
  'swap_ra_hit',
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

/** Bytes of a machine's frame table and swap map (and the swap slot of each frame, where there is swap): what it holds once booted. */
export function machineTableBytes(frames: number, swapSlots: number): number {
  return frames * FrameTable.BYTES_PER_FRAME + swapSlots * 5 + (swapSlots > 0 ? frames * 4 : 0);
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
  /** vm.page-cluster */
  pageCluster: number;
  readonly tasks: Task[] = [];
  readonly files = new Map<string, FileObject>();
  readonly filesById = new Map<number, FileObject>();
  readonly vmas = new Map<number, Vma>();
  /** the bytes every process's page tables hold in the model (its PTE tables' entries), kept as tables are made and freed */
  readonly tableMeter = new ChunkMeter();
  /** anon_vmas by id: an anonymous frame's owner */
  readonly anonVmas = new Map<number, AnonVma>();
  readonly vmstat: Record<VmstatKey, number>;
  log: string[] = [];
  /** every page fault, as perf trace / the exceptions:page_fault_user tracepoint shows them */
  readonly trace = new FaultTrace();
  /** tmpfs pages now in swap (not in any process's VmSwap) */
  shmemSwapped = 0;
  /** frames holding process page tables (PageTables in /proc/meminfo) */
  pageTablePages = 0;
  /**
   * Fault page by page only, never in runs (memory.ts's faultAnonRun and swapCacheRun): the two
   * must give the same machine, and test/kernel/bulk-faults.test.ts holds them to it.
   */
  perPageFaults = false;
  /** the LRU clocks' hands (vmscan.ts): where the next scan of each list starts */
  readonly lruHands = { anon: 0, file: 0 };
  /** kswapd's credit: pages it may reclaim now, earned as the allocator runs */
  kswapdCredit = 0;
  /** swapin_readahead_hits: read-ahead pages used since the last window was sized */
  swapRaHits = 0;
  /** ms of simulated time */
  now = 0;
  nextPid = 1000;
  /** work units done (a page touched, a frame scanned, an entry copied): the run's time budget */
  work = 0;
  workLimit = Number.POSITIVE_INFINITY;
  /** bytes the page tables may take in the simulator (4 bytes an entry: a table of 4 KiB holds 512) */
  tableBytesLimit = Number.POSITIVE_INFINITY;
  /** which budget stopped the run */
  budgetSpent: 'work' | 'memory' | null = null;
  /** address-space layout randomisation: null = off (setarch -R), else the run's seeded generator */
  aslr: (() => number) | null = null;

  constructor(readonly cfg: MachineConfig) {
    this.pageSize = cfg.pageSize;
    const totalPages = Math.floor(cfg.ramBytes / cfg.pageSize);
    // struct page (64 B per page) and a kernel image: not in MemTotal
    this.reservedPages = Math.ceil((totalPages * 64) / cfg.pageSize) + Math.ceil((16 * MiB) / cfg.pageSize);
    this.managedPages = Math.max(0, totalPages - this.reservedPages);
    this.frames = new FrameTable(this.managedPages);
    this.swap = new SwapSpace(Math.floor(cfg.swapBytes / cfg.pageSize), this.managedPages);
    // boot-time kernel allocations: slab, per-cpu, the kernel's page tables: about 1.5% of RAM, at least 8 MiB
    this.kernelFrames = Math.min(this.managedPages, Math.max(Math.ceil((8 * MiB) / cfg.pageSize), Math.floor(this.managedPages * 0.015)));
    for (let i = 0; i < this.kernelFrames; i++) this.frames.alloc(FrameKind.Kernel, -1, i);
    this.minFreeKbytes = cfg.minFreeKbytes ?? defaultMinFreeKbytes((this.managedPages * cfg.pageSize) / KiB);
    this.wmark = computeWatermarks(this.managedPages, this.minFreeKbytes, cfg.pageSize, cfg.watermarkScaleFactor);
    this.pageCluster = cfg.pageCluster ?? 3;
    this.vmstat = Object.fromEntries(VMSTAT_KEYS.map((k) => [k, 0])) as Record<VmstatKey, number>;
  }

  /** __setup_per_zone_wmarks after a sysctl changed min_free_kbytes or watermark_scale_factor */
  recomputeWatermarks(): void {
    this.wmark = computeWatermarks(this.managedPages, this.minFreeKbytes, this.pageSize, this.cfg.watermarkScaleFactor);
  }

  get totalPages(): number {
    return this.managedPages;
  }

  task(name: string): Task | undefined {
    return this.tasks.find((t) => t.name === name);
  }

  /** bytes the kernel log holds */
  logBytes = 0;
  log_(text: string): void {
    this.log.push(text);
    this.logBytes += text.length * 2 + 40;
  }

  /**
   * Bytes the simulation holds for this machine (the session's memory budget counts them): the
   * frame table, the swap map, the page tables and page-cache indexes, the fault trace.
   */
  memoryBytes(): number {
    let b = machineTableBytes(this.frames.total, this.swap.slots);
    // page tables, VMAs and tasks kept as counts (no walk over 10,000 processes after every step)
    b += this.tableMeter.bytes + this.vmas.size * 200 + this.tasks.length * 2000;
    for (const f of this.files.values()) b += f.pages.bytes;
    b += this.trace.bytes;
    return b + this.logBytes;
  }
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
  pageCluster: 3,
};
