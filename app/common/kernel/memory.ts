/**
 * Page faults, after mm/memory.c: a touch of a range of pages, done by the data plane in one
 * loop (never one event per page). Each page may take
 * - a minor fault: first touch of anonymous memory (a zeroed frame; a read maps the shared zero
 *   page instead), a file page found in the page cache, a copy-on-write break after fork;
 * - a major fault: a page read back from swap (the task blocks on I/O) or from its file;
 * - SIGSEGV: a write to a read-only mapping (an address outside every VMA is caught before).
 * Whenever an allocation would take free memory below a watermark the loop stops and says why;
 * the statechart (machine.ts) then wakes kswapd, reclaims directly or kills, and resumes it.
 */
import { type Kernel, type Task } from './kernel.js';
import { isSwapPte, PTE_NONE, PTE_ZERO, pteSwap, swapSlotOf, type Vma } from './mmap.js';
import { FrameKind, PG } from './page_alloc.js';
import { FaultKind } from './trace.js';
import { kswapdBatch } from './vmscan.js';

export interface Access {
  task: Task;
  vma: Vma;
  /** page indices in the VMA: from, from + stride, ... < to */
  from: number;
  to: number;
  stride: number;
  write: boolean;
  /** next page to touch */
  pos: number;
  /** remaining passes over the range (touch ... repeat: N) */
  passes: number;
}

export type FaultStatus = 'done' | 'need-memory' | 'kswapd-wake' | 'kswapd-sleep' | 'segv';

export interface FaultTally {
  minor: number;
  major: number;
  cow: number;
  zero: number;
}

export const SWAP_CLUSTER_MAX = 32;
const HPAGE_PAGES = 512;

/** Is there a free frame for a normal allocation without going below min? */
function mayAllocate(k: Kernel, n = 1): boolean {
  return k.frames.free - n >= k.wmark.min;
}

function newFrame(k: Kernel, v: Vma, kind: FrameKind, owner: number, index: number): number {
  const f = k.frames.alloc(kind, owner, index);
  if (v.locked) k.frames.setFlag(f, PG.Mlocked);
  return f;
}

/** A fresh anonymous frame mapped at v[idx] (first write, COW copy, swap-in): the caller does the counting. */
function mapFreshAnon(k: Kernel, v: Vma, idx: number): number {
  const f = newFrame(k, v, FrameKind.Anon, v.id, idx);
  k.frames.mapcount[f] = 1;
  k.frames.setFlag(f, PG.Referenced);
  v.pte[idx] = f;
  return f;
}

/** Called after every allocation: kswapd, if awake, reclaims alongside the allocator. */
function afterAlloc(k: Kernel, n: number): FaultStatus | null {
  if (k.kswapdAwake) {
    k.kswapdCredit += n * k.cfg.kswapdRate;
    while (k.kswapdCredit >= SWAP_CLUSTER_MAX) {
      k.kswapdCredit -= SWAP_CLUSTER_MAX;
      kswapdBatch(k);
      if (k.frames.free >= k.wmark.high) return 'kswapd-sleep';
    }
  } else if (k.frames.free < k.wmark.low) {
    return 'kswapd-wake';
  }
  return null;
}

/** Fault one page in; returns null when done, or the status that stops the loop before it. */
export function faultPage(k: Kernel, t: Task, v: Vma, idx: number, write: boolean, tally: FaultTally): FaultStatus | null {
  const mm = t.mm;
  const fr = k.frames;
  const pte = v.pte[idx]!;
  if (write && !v.prot.write) return 'segv';
  if (!write && !v.prot.read && !v.prot.exec) return 'segv';

  // present
  if (pte >= 0) {
    const kind = fr.kind[pte]!;
    if (write && kind === FrameKind.Anon && fr.mapcount[pte]! > 1) {
      // copy-on-write break after fork (do_wp_page)
      if (!mayAllocate(k)) return 'need-memory';
      mapFreshAnon(k, v, idx);
      fr.mapcount[pte]!--;
      if (fr.owner[pte] === v.id) k.reassignAnonOwner(pte, v, idx);
      tally.minor++;
      tally.cow++;
      return afterAlloc(k, 1);
    }
    if (write && kind === FrameKind.File && !v.shared) {
      // first write to a private file page: copy it to an anonymous page (do_cow_fault)
      if (!mayAllocate(k)) return 'need-memory';
      mapFreshAnon(k, v, idx);
      fr.mapcount[pte]!--;
      mm.rssFile--;
      mm.rssAnon++;
      tally.minor++;
      tally.cow++;
      return afterAlloc(k, 1);
    }
    if (!(fr.flags[pte]! & PG.Referenced)) fr.setFlag(pte, PG.Referenced);
    if (write && (kind === FrameKind.File || kind === FrameKind.Shmem)) fr.setFlag(pte, PG.Dirty);
    return null;
  }

  // file-backed or shared (page cache / tmpfs object)
  if (v.file) {
    const file = v.file;
    const pi = v.pgoff + idx;
    file.ensure(pi + 1);
    let f = file.pages[pi]!;
    let major = false;
    if (f < 0) {
      if (!mayAllocate(k)) return 'need-memory';
      if (isSwapPte(f)) {
        // shmem page in swap
        k.swap.put(swapSlotOf(f));
        k.shmemSwapped--;
        k.vmstat.pswpin++;
      }
      const wasSwap = isSwapPte(f);
      f = newFrame(k, v, file.shmem ? FrameKind.Shmem : FrameKind.File, file.id, pi);
      file.pages[pi] = f;
      // a file page not in the cache is read from disk: a major fault. A fresh tmpfs page is zeroed: minor.
      major = !file.shmem || wasSwap;
    }
    if (write && !v.shared) {
      // private write: the page is copied into an anonymous page for this process
      if (!mayAllocate(k)) return 'need-memory';
      mapFreshAnon(k, v, idx);
      mm.rssAnon++;
    } else {
      fr.mapcount[f]!++;
      fr.setFlag(f, PG.Referenced);
      if (write) fr.setFlag(f, PG.Dirty);
      v.pte[idx] = f;
      if (file.shmem) mm.rssShmem++;
      else mm.rssFile++;
    }
    if (v.locked) fr.setFlag(v.pte[idx]!, PG.Mlocked);
    if (major) tally.major++;
    else tally.minor++;
    mm.updateHiwater();
    return afterAlloc(k, 1);
  }

  // anonymous
  if (isSwapPte(pte)) {
    // swap-in (do_swap_page): the task blocks while the page is read
    if (!mayAllocate(k)) return 'need-memory';
    const slot = swapSlotOf(pte);
    mapFreshAnon(k, v, idx);
    // processes that still map this slot (shared after fork) keep their swap entries
    k.swap.put(slot);
    mm.swapEnts--;
    mm.rssAnon++;
    k.vmstat.pswpin++;
    tally.major++;
    mm.updateHiwater();
    return afterAlloc(k, 1);
  }
  if (pte === PTE_NONE && !write) {
    // a read of never-written anonymous memory maps the shared zero page: no frame, no RSS
    v.pte[idx] = PTE_ZERO;
    tally.minor++;
    tally.zero++;
    return null;
  }
  // first write (or write after a zero-page read): a zeroed frame
  if (k.cfg.thp === 'always' && pte === PTE_NONE && !v.file) {
    const r = tryHugeFault(k, v, idx, tally);
    if (r !== undefined) return r;
  }
  if (!mayAllocate(k)) return 'need-memory';
  mapFreshAnon(k, v, idx);
  mm.rssAnon++;
  tally.minor++;
  mm.updateHiwater();
  return afterAlloc(k, 1);
}

/** Transparent huge pages: the whole aligned 2 MiB around idx in one fault, when it fits. */
function tryHugeFault(k: Kernel, v: Vma, idx: number, tally: FaultTally): FaultStatus | null | undefined {
  const span = (HPAGE_PAGES * 4096) / k.pageSize;
  const first = Math.floor((v.start / k.pageSize + idx) / span) * span - v.start / k.pageSize;
  if (first < 0 || first + span > v.pte.length) return undefined;
  for (let i = first; i < first + span; i++) if (v.pte[i] !== PTE_NONE) return undefined;
  if (!mayAllocate(k, span)) return undefined; // falls back to a small page
  for (let i = first; i < first + span; i++) {
    const f = newFrame(k, v, FrameKind.Anon, v.id, i);
    k.frames.mapcount[f] = 1;
    k.frames.setFlag(f, PG.Referenced);
    v.pte[i] = f;
  }
  v.mm.rssAnon += span;
  k.vmstat.thp_fault_alloc++;
  tally.minor++;
  v.mm.updateHiwater();
  return afterAlloc(k, span);
}

/** Run an access until it is done or must stop for the kernel to act. */
export function runAccess(k: Kernel, a: Access, tally: FaultTally): FaultStatus {
  const { task, vma, stride } = a;
  const trace = k.trace;
  while (a.passes > 0) {
    for (; a.pos < a.to; a.pos += stride) {
      const minor = tally.minor;
      const major = tally.major;
      const cow = tally.cow;
      const zero = tally.zero;
      const st = faultPage(k, task, vma, a.pos, a.write, tally);
      if (tally.minor !== minor || tally.major !== major) {
        // a fault was taken (not just a present page touched): trace it
        const kind = tally.major !== major ? FaultKind.Major : tally.cow !== cow ? FaultKind.Cow : tally.zero !== zero ? FaultKind.Zero : FaultKind.Minor;
        trace.record(task.pid, task.name, vma, vma.start + a.pos * k.pageSize, kind, a.write);
      }
      if (st === null) continue;
      if (st === 'kswapd-wake' || st === 'kswapd-sleep') {
        // the page itself was faulted in; resume after it
        a.pos += stride;
        return st;
      }
      return st;
    }
    a.passes--;
    if (a.passes > 0) a.pos = a.from;
  }
  return 'done';
}

/** Account the faults of a tally to the task and /proc/vmstat. */
export function accountFaults(k: Kernel, t: Task, tally: FaultTally): void {
  t.minflt += tally.minor;
  t.majflt += tally.major;
  k.vmstat.pgfault += tally.minor + tally.major;
  k.vmstat.pgmajfault += tally.major;
}

/** mlock / MAP_POPULATE: fault every page in for writing? mlock faults for read if not writable. */
export function lockRange(k: Kernel, v: Vma): void {
  v.locked = true;
  for (let i = 0; i < v.pte.length; i++) {
    const f = v.pte[i]!;
    if (f >= 0 && !(k.frames.flags[f]! & PG.Mlocked)) k.frames.setFlag(f, PG.Mlocked);
  }
}

export function unlockRange(k: Kernel, v: Vma): void {
  v.locked = false;
  for (let i = 0; i < v.pte.length; i++) {
    const f = v.pte[i]!;
    if (f >= 0 && k.frames.flags[f]! & PG.Mlocked) {
      // still locked by another mapper?
      let other = false;
      for (const w of v.family) if (w !== v && w.locked && w.pte[i] === f) other = true;
      if (!other) k.frames.clearFlag(f, PG.Mlocked);
    }
  }
}

export { pteSwap };
