/**
 * The model as /proc shows it: /proc/PID/status (fs/proc/task_mmu.c task_mem), /proc/vmstat,
 * /proc/meminfo (fs/proc/meminfo.c, si_mem_available), top's columns and pmap -x's rows.
 */
import { type Kernel, type Task, VMSTAT_KEYS, type VmstatKey } from './kernel.js';
import { commitLimit, committedAs, protString } from './mmap.js';
import { isSwapPte, PTE_NONE, PTE_ZERO } from './pgtable.js';
import { swapCacheUnmapped } from './swap_state.js';
import { FrameKind, PG } from './page_alloc.js';
import { oomScore, pgtablesBytes } from './oom_kill.js';

export interface ProcStatus {
  VmSize: number;
  VmRSS: number;
  RssAnon: number;
  RssFile: number;
  RssShmem: number;
  VmHWM: number;
  VmSwap: number;
  VmLck: number;
  VmPTE: number;
  VmData: number;
  VmStk: number;
  minflt: number;
  majflt: number;
  oom_score: number;
  state: Task['state'];
}

export const STATUS_FIELDS: Record<keyof ProcStatus, string> = {
  VmSize: 'Virtual memory size: every mapped page, touched or not (top: VIRT).',
  VmRSS: 'Resident set size: pages in RAM now, = RssAnon + RssFile + RssShmem (top: RES).',
  RssAnon: 'Resident anonymous memory: heap, stack, anonymous mmaps.',
  RssFile: 'Resident file-backed memory: program text, libraries, mapped files (shared with others).',
  RssShmem: 'Resident shared memory (tmpfs, shared anonymous mappings, SysV shm).',
  VmHWM: 'Peak resident set size ("high water mark").',
  VmSwap: 'Anonymous memory of this process now in swap.',
  VmLck: 'Locked memory (mlock): never reclaimed.',
  VmPTE: 'Page-table memory for this process.',
  VmData: 'Private writable memory other than the stack: data, bss, heap and anonymous mmaps.',
  VmStk: 'The main thread\'s stack.',
  minflt: 'Minor page faults: resolved without I/O (field 10 of /proc/PID/stat).',
  majflt: 'Major page faults: the task waited for I/O, e.g. swap-in (field 12 of /proc/PID/stat).',
  oom_score: '/proc/PID/oom_score: the OOM killer\'s badness scaled to 0..2000.',
  state: 'running, exited, killed:oom or killed:sigsegv.',
};

export function procStatus(k: Kernel, t: Task): ProcStatus {
  const ps = k.pageSize;
  const kb = (pages: number) => (pages * ps) / 1024;
  const m = t.mm;
  let data = 0;
  let stk = 0;
  let lck = 0;
  for (const v of m.vmas) {
    const size = v.end - v.start;
    if (v.kind === 'stack') stk += size;
    else if (v.privateWritable) data += size;
    if (v.locked) lck += size;
  }
  return {
    VmSize: m.totalVm / 1024,
    VmRSS: kb(m.rss),
    RssAnon: kb(m.rssAnon),
    RssFile: kb(m.rssFile),
    RssShmem: kb(m.rssShmem),
    VmHWM: kb(Math.max(m.hiwaterRss, m.rss)),
    VmSwap: kb(m.swapEnts),
    VmLck: lck / 1024,
    VmPTE: t.alive ? pgtablesBytes(t, ps) / 1024 : 0,
    VmData: data / 1024,
    VmStk: stk / 1024,
    minflt: t.minflt,
    majflt: t.majflt,
    oom_score: t.alive ? oomScore(k, t) : 0,
    state: t.state,
  };
}

export function vmstat(k: Kernel): Record<VmstatKey, number> {
  return Object.fromEntries(VMSTAT_KEYS.map((key) => [key, k.vmstat[key]])) as Record<VmstatKey, number>;
}

export interface Meminfo {
  MemTotal: number;
  MemFree: number;
  MemAvailable: number;
  Cached: number;
  SwapCached: number;
  AnonPages: number;
  PageTables: number;
  Shmem: number;
  Dirty: number;
  Mlocked: number;
  SwapTotal: number;
  SwapFree: number;
  Committed_AS: number;
  CommitLimit: number;
  'Active(anon)': number;
  'Inactive(anon)': number;
  'Active(file)': number;
  'Inactive(file)': number;
}

export function meminfo(k: Kernel): Meminfo {
  const ps = k.pageSize;
  const kb = (pages: number) => (pages * ps) / 1024;
  const fr = k.frames;
  const file = fr.count[FrameKind.File]!;
  const shmem = fr.count[FrameKind.Shmem]!;
  // si_mem_available: free above the reserve, plus the page cache that can be dropped
  const reserve = k.wmark.high;
  // swap-cache pages nobody maps are on the anon LRU but not AnonPages (NR_ANON_MAPPED)
  const cacheOnly = swapCacheUnmapped(k);
  let avail = fr.free - reserve;
  avail += file - Math.min(Math.floor(file / 2), k.wmark.low);
  return {
    MemTotal: kb(k.totalPages),
    MemFree: kb(fr.free),
    MemAvailable: kb(Math.max(0, avail)),
    Cached: kb(file + shmem),
    SwapCached: kb(k.swap.cached),
    AnonPages: kb(fr.count[FrameKind.Anon]! - cacheOnly),
    PageTables: kb(k.pageTablePages),
    Shmem: kb(shmem),
    Dirty: kb(fr.dirty),
    Mlocked: kb(fr.mlocked),
    SwapTotal: kb(k.swap.slots),
    SwapFree: kb(k.swap.free),
    Committed_AS: kb(committedAs(k)),
    CommitLimit: kb(commitLimit(k)),
    'Active(anon)': kb(fr.active[FrameKind.Anon]! + fr.active[FrameKind.Shmem]!),
    'Inactive(anon)': kb(fr.count[FrameKind.Anon]! + shmem - fr.active[FrameKind.Anon]! - fr.active[FrameKind.Shmem]!),
    'Active(file)': kb(fr.active[FrameKind.File]!),
    'Inactive(file)': kb(file - fr.active[FrameKind.File]!),
  };
}

export interface TopRow {
  pid: number;
  name: string;
  VIRT: number;
  RES: number;
  SHR: number;
  SWAP: number;
  MEM_PCT: number;
  minflt: number;
  majflt: number;
  oom_score: number;
  oom_score_adj: number;
  state: Task['state'];
}

export function topRows(k: Kernel): TopRow[] {
  const total = k.totalPages;
  return k.tasks.map((t) => {
    const s = procStatus(k, t);
    return {
      pid: t.pid,
      name: t.name,
      VIRT: s.VmSize,
      RES: s.VmRSS,
      SHR: s.RssFile + s.RssShmem,
      SWAP: s.VmSwap,
      MEM_PCT: Math.round((t.mm.rss / total) * 1000) / 10,
      minflt: s.minflt,
      majflt: s.majflt,
      oom_score: s.oom_score,
      oom_score_adj: t.oomScoreAdj,
      state: s.state,
    };
  });
}

export interface PmapRow {
  start: number;
  end: number;
  /** pmap -x columns */
  address: string;
  kbytes: number;
  rss: number;
  dirty: number;
  mode: string;
  mapping: string;
  /** the model's own: what the VMA is, and its pages by where they are */
  kind: string;
  label?: string;
  resident: number;
  swapped: number;
  zero: number;
  untouched: number;
  locked: boolean;
}

export function pmap(k: Kernel, t: Task): PmapRow[] {
  const ps = k.pageSize;
  return t.mm.vmas.map((v) => {
    let resident = 0;
    let swapped = 0;
    let zero = 0;
    let dirty = 0;
    v.forEachPte((_i, p) => {
      if (p >= 0) {
        resident++;
        if (k.frames.kind[p] === FrameKind.Anon || k.frames.flags[p]! & PG.Dirty) dirty++;
      } else if (p === PTE_ZERO) zero++;
      else if (isSwapPte(p)) swapped++;
    });
    if (v.file?.shmem) {
      const file = v.file;
      file.pages.forEach(v.pgoff, v.pgoff + v.pages, (pi, e) => {
        if (isSwapPte(e) && v.pte(pi - v.pgoff) === PTE_NONE) swapped++;
      });
    }
    return {
      start: v.start,
      end: v.end,
      address: v.start.toString(16).padStart(16, '0'),
      kbytes: (v.end - v.start) / 1024,
      rss: (resident * ps) / 1024,
      dirty: (dirty * ps) / 1024,
      mode: protString(v.prot, v.shared),
      mapping: v.mapping,
      kind: v.kind,
      label: v.label,
      resident,
      swapped,
      zero,
      untouched: v.pages - resident - swapped - zero,
      locked: v.locked,
    };
  });
}
