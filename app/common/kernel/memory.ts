/**
 * Page faults, after mm/memory.c: a touch of a range of pages, done by the data plane in one
 * loop (never one event per page). Each page may take
 * - a minor fault: first touch of anonymous memory (a zeroed frame; a read maps the shared zero
 *   page instead), a file page found in the page cache, a copy-on-write break after fork, a page
 *   found in the swap cache (read ahead, or still cached after an earlier swap-in);
 * - a major fault: a page read back from swap (do_swap_page, with readahead of the slots around
 *   it: swap_state.ts) or from its file;
 * - SIGSEGV: an address no VMA covers, or an access the mapping does not allow.
 * The loop never decides what the kernel does next: it stops and reports a result (done,
 * below-min, below-low, balanced, swap, segv, budget), and the statechart (machine.ts) takes it.
 * A page table is allocated (a frame of its own) on the first fault in each 2 MiB span.
 */
import type { Kernel, Task } from './kernel.js';
import type { Vma } from './mmap.js';
import { FrameKind, PG } from './page_alloc.js';
import { isSwapPte, PTE_NONE, PTE_ZERO, pteIndex, pteSwap, swapSlotOf, type TableFrames } from './pgtable.js';
import { dropFromSwapCache, swapCacheLookup, swapinReadahead } from './swap_state.js';
import { FaultKind } from './trace.js';
import { directReclaim, kswapdBatch } from './vmscan.js';

export interface Access {
  task: Task;
  /** null: no VMA covers `addr` (do_user_addr_fault's bad_area) */
  vma: Vma | null;
  /** the first address touched (for the SIGSEGV report) */
  addr: number;
  /** page indices in the VMA: from, from + stride, ... < to */
  from: number;
  to: number;
  stride: number;
  write: boolean;
  /** next page to touch */
  pos: number;
  /** why an address outside every VMA was touched, for the kernel log (stack overflow, freed mapping) */
  why?: string;
}

/**
 * What the data plane reports when it stops:
 * - done: every page of the access is in;
 * - below-min: the next allocation would take free memory below the min watermark;
 * - no-progress: (in direct reclaim) a round of reclaim freed nothing;
 * - below-low: kswapd is asleep and free memory fell below the low watermark;
 * - balanced: kswapd is awake and free memory is back above the high watermark;
 * - swap: the next page is in swap (do_swap_page is next);
 * - segv: the access is not allowed (or no VMA covers it);
 * - budget: the run's work budget is spent.
 */
export type FaultStatus = 'done' | 'below-min' | 'no-progress' | 'below-low' | 'balanced' | 'swap' | 'segv' | 'budget';

export interface FaultTally {
  minor: number;
  major: number;
  cow: number;
  zero: number;
  /** pages direct reclaim freed for this access */
  reclaimed?: number;
}

/** What the chart tells the data plane about the moment (the chart owns it; the data plane only reads it). */
export interface FaultMode {
  /** kswapd is balancing (the chart's kswapd region): it reclaims beside the allocator */
  kswapdAwake: boolean;
  /** the chart is in swapIn: do_swap_page may run */
  swapIn: boolean;
  /** the chart is in directReclaim: an allocation below min reclaims SWAP_CLUSTER_MAX pages first (__alloc_pages_direct_reclaim) */
  reclaim?: boolean;
}

export const SWAP_CLUSTER_MAX = 32;
const HPAGE_PAGES = 512;

/** Is there a free frame for `n` normal allocations without going below min? */
export function mayAllocate(k: Kernel, n = 1): boolean {
  return k.frames.free - n >= k.wmark.min;
}

export function tableFrames(k: Kernel): TableFrames {
  return {
    take: () => {
      const f = k.frames.alloc(FrameKind.Kernel, -1, 0);
      if (f < 0) throw new Error('page table allocated with no free frame (the caller checks)');
      k.pageTablePages++;
      return f;
    },
    give: (f) => {
      k.frames.release(f);
      k.pageTablePages--;
    },
  };
}

/** A page table for v's page idx (and the PMD/PUD above it) if missing; false when memory is short. */
function pteAlloc(k: Kernel, v: Vma, idx: number, extra: number): boolean {
  const vpn = v.vpn0 + idx;
  const need = v.mm.pt.missing(vpn);
  if (need === 0) return mayAllocate(k, extra);
  if (!mayAllocate(k, need + extra)) return false;
  if ((k.pageTablePages * k.pageSize) / 2 > k.tableBytesLimit) {
    // the session's memory budget: the run stops here (runAccess reports 'budget')
    k.budgetSpent = 'memory';
    k.workLimit = k.work;
    return false;
  }
  v.mm.pt.populate(vpn, tableFrames(k));
  k.work += v.mm.pt.size >> 4;
  return true;
}

function newFrame(k: Kernel, v: Vma, kind: FrameKind, owner: number, index: number): number {
  const f = k.frames.alloc(kind, owner, index);
  if (v.locked) k.frames.setFlag(f, PG.Mlocked);
  return f;
}

/** A fresh anonymous frame mapped at v[idx] (first write, COW copy, swap-in): the caller does the counting. */
function mapFreshAnon(k: Kernel, v: Vma, idx: number): number {
  const f = newFrame(k, v, FrameKind.Anon, v.anon.id, v.anonIndex(idx));
  k.frames.mapcount[f] = 1;
  k.frames.setFlag(f, PG.Referenced);
  v.setPte(idx, f);
  return f;
}

/** After every allocation: kswapd, if the chart has it awake, reclaims alongside the allocator. */
function afterAlloc(k: Kernel, n: number, mode: FaultMode): FaultStatus | null {
  if (mode.kswapdAwake) {
    k.kswapdCredit += n * k.cfg.kswapdRate;
    while (k.kswapdCredit >= SWAP_CLUSTER_MAX) {
      k.kswapdCredit -= SWAP_CLUSTER_MAX;
      kswapdBatch(k);
      if (k.frames.free >= k.wmark.high) return 'balanced';
    }
  } else if (k.frames.free < k.wmark.low) {
    return 'below-low';
  }
  return null;
}

/** Fault one page in; returns null when done, or the status that stops the loop before (or after) it. */
export function faultPage(k: Kernel, t: Task, v: Vma, idx: number, write: boolean, tally: FaultTally, mode: FaultMode): FaultStatus | null {
  const mm = t.mm;
  const fr = k.frames;
  const pte = v.pte(idx);
  if (write && !v.prot.write) return 'segv';
  if (!write && !v.prot.read && !v.prot.exec) return 'segv';

  // present
  if (pte >= 0) {
    const kind = fr.kind[pte]!;
    if (write && kind === FrameKind.Anon && fr.mapcount[pte]! > 1) {
      // copy-on-write break after fork (do_wp_page)
      if (!mayAllocate(k)) return 'below-min';
      mapFreshAnon(k, v, idx);
      fr.mapcount[pte]!--;
      tally.minor++;
      tally.cow++;
      return afterAlloc(k, 1, mode);
    }
    if (write && kind === FrameKind.File && !v.shared) {
      // first write to a private file page: copy it to an anonymous page (do_cow_fault)
      if (!mayAllocate(k)) return 'below-min';
      mapFreshAnon(k, v, idx);
      fr.mapcount[pte]!--;
      mm.rssFile--;
      mm.rssAnon++;
      tally.minor++;
      tally.cow++;
      return afterAlloc(k, 1, mode);
    }
    if (write && kind === FrameKind.Anon && fr.flags[pte]! & PG.SwapCache) {
      // a write to a page mapped read-only from the swap cache: do_wp_page reuses it, its swap copy is stale
      dropFromSwapCache(k, pte);
      tally.minor++;
    }
    if (!(fr.flags[pte]! & PG.Referenced)) fr.setFlag(pte, PG.Referenced);
    if (write && (kind === FrameKind.File || kind === FrameKind.Shmem)) fr.setFlag(pte, PG.Dirty);
    return null;
  }

  // file-backed or shared (page cache / tmpfs object)
  if (v.file) {
    const file = v.file;
    const pi = v.pgoff + idx;
    let f = file.pages.get(pi);
    let major = false;
    const privateCopy = write && !v.shared;
    if (!pteAlloc(k, v, idx, (f < 0 ? 1 : 0) + (privateCopy ? 1 : 0))) return 'below-min';
    if (f < 0) {
      const wasSwap = isSwapPte(f);
      if (wasSwap) {
        // shmem page in swap
        k.swap.put(swapSlotOf(f));
        k.shmemSwapped--;
        k.vmstat.pswpin++;
      }
      f = newFrame(k, v, file.shmem ? FrameKind.Shmem : FrameKind.File, file.id, pi);
      file.pages.set(pi, f);
      if (pi >= file.sizePages) file.sizePages = pi + 1;
      // a file page not in the cache is read from disk: a major fault. A fresh tmpfs page is zeroed: minor.
      major = !file.shmem || wasSwap;
    }
    if (privateCopy) {
      // private write: the page is copied into an anonymous page for this process
      mapFreshAnon(k, v, idx);
      mm.rssAnon++;
    } else {
      fr.mapcount[f]!++;
      fr.setFlag(f, PG.Referenced);
      if (write) fr.setFlag(f, PG.Dirty);
      v.setPte(idx, f);
      if (file.shmem) mm.rssShmem++;
      else mm.rssFile++;
    }
    if (v.locked) fr.setFlag(v.pte(idx), PG.Mlocked);
    if (major) tally.major++;
    else tally.minor++;
    mm.updateHiwater();
    return afterAlloc(k, 1, mode);
  }

  // anonymous
  if (isSwapPte(pte)) {
    const slot = swapSlotOf(pte);
    const cached = swapCacheLookup(k, slot);
    if (cached >= 0) {
      // in the swap cache (read ahead, or still cached): a minor fault, no I/O
      mapFromSwapCache(k, v, idx, cached, slot, write);
      tally.minor++;
      return null;
    }
    // do_swap_page: only in the chart's swapIn state
    if (!mode.swapIn) return 'swap';
    // the page and the readahead window around it are allocated as the fault allocates: reclaim first when they do not fit
    if (!mayAllocate(k, 1 << k.pageCluster)) return 'below-min';
    const f = swapinReadahead(k, slot);
    mapFromSwapCache(k, v, idx, f, slot, write);
    tally.major++;
    return afterAlloc(k, 1, mode);
  }
  if (pte === PTE_NONE && !write) {
    // a read of never-written anonymous memory maps the shared zero page: no frame, no RSS
    if (!pteAlloc(k, v, idx, 0)) return 'below-min';
    v.setPte(idx, PTE_ZERO);
    tally.minor++;
    tally.zero++;
    return null;
  }
  // first write (or write after a zero-page read): a zeroed frame
  if (k.cfg.thp === 'always' && pte === PTE_NONE) {
    const r = tryHugeFault(k, v, idx, tally, mode);
    if (r !== undefined) return r;
  }
  if (!pteAlloc(k, v, idx, 1)) return 'below-min';
  mapFreshAnon(k, v, idx);
  mm.rssAnon++;
  tally.minor++;
  mm.updateHiwater();
  return afterAlloc(k, 1, mode);
}

/** do_swap_page's second half: map the (swap-cache) frame, let go of this PTE's hold on the slot. */
function mapFromSwapCache(k: Kernel, v: Vma, idx: number, f: number, slot: number, write: boolean, table?: Int32Array, at = 0): void {
  const fr = k.frames;
  const mm = v.mm;
  if (fr.mapcount[f] === 0) {
    // the first mapper gives the page its place in an anon_vma (folio_add_anon_rmap)
    fr.owner[f] = v.anon.id;
    fr.index[f] = v.anonIndex(idx);
  }
  fr.mapcount[f]!++;
  const flags = fr.flags[f]!;
  // Referenced set, Readahead cleared (neither is counted by the frame table)
  fr.flags[f] = (flags | PG.Referenced) & ~PG.Readahead;
  if (flags & PG.Readahead) {
    k.vmstat.swap_ra_hit++;
    k.swapRaHits++;
  }
  if (v.locked) fr.setFlag(f, PG.Mlocked);
  // the caller that holds the PTE table writes the entry straight into it
  if (table !== undefined) table[at] = f;
  else v.setPte(idx, f);
  k.swap.put(slot);
  mm.swapEnts--;
  mm.rssAnon++;
  mm.updateHiwater();
  // should_try_to_free_swap: a write by the only user, a locked page, or swap more than half full frees the slot
  if (write && fr.mapcount[f] === 1 && k.swap.map[slot] === 0) dropFromSwapCache(k, f);
  else if (v.locked || k.swap.inUse * 2 > k.swap.slots) dropFromSwapCache(k, f);
}

/** Transparent huge pages: the whole aligned 2 MiB around idx in one fault, when it fits. */
function tryHugeFault(k: Kernel, v: Vma, idx: number, tally: FaultTally, mode: FaultMode): FaultStatus | null | undefined {
  const span = (HPAGE_PAGES * 4096) / k.pageSize;
  const first = Math.floor((v.vpn0 + idx) / span) * span - v.vpn0;
  if (first < 0 || first + span > v.pages) return undefined;
  for (let i = first; i < first + span; i++) if (v.pte(i) !== PTE_NONE) return undefined;
  // a huge page is mapped by the PMD: no PTE table (the model keeps one for its entries but does not charge it)
  if (!mayAllocate(k, span + 2)) return undefined; // falls back to a small page
  if (!pteAlloc(k, v, first, span)) return undefined;
  for (let i = first; i < first + span; i++) {
    const f = newFrame(k, v, FrameKind.Anon, v.anon.id, v.anonIndex(i));
    k.frames.mapcount[f] = 1;
    k.frames.setFlag(f, PG.Referenced);
    v.setPte(i, f);
  }
  v.mm.rssAnon += span;
  k.vmstat.thp_fault_alloc++;
  tally.minor++;
  v.mm.updateHiwater();
  return afterAlloc(k, span, mode);
}

/**
 * First writes to untouched anonymous pages, as many as fit in one loop (do_anonymous_page for a
 * run of pages): from a.pos while the PTEs are none (or the zero page), inside one PTE table
 * that exists, and while free memory stays at or above the low watermark, so no page of the run
 * would make the chart act (kswapd is asleep: below low is the chart's to see, on the next page
 * the per-page path takes). Frames come off the free list in one loop (page_alloc's
 * allocAnonRun), the faults go to the trace in one loop. Returns the pages faulted (0: the
 * per-page path takes the next page).
 */
function faultAnonRun(k: Kernel, a: Access, v: Vma, tally: FaultTally): number {
  const pt = v.mm.pt;
  const vpn0 = v.vpn0;
  const stride = a.stride;
  const vpn = vpn0 + a.pos;
  const table = pt.tableOf(vpn);
  if (table === undefined) return 0;
  const size = pt.size;
  const at = pteIndex(vpn, size);
  // pages of the access left in this table, the frames above low, the work budget
  let n = Math.min(Math.ceil((a.to - a.pos) / stride), Math.ceil((size - at) / stride), k.frames.free - k.wmark.low, k.workLimit - k.work);
  if (n <= 0) return 0;
  for (let i = 0; i < n; i++) {
    const e = table[at + i * stride]!;
    if (e !== PTE_NONE && e !== PTE_ZERO) {
      n = i;
      break;
    }
  }
  if (n === 0) return 0;
  k.frames.allocAnonRun(v.anon.id, vpn - v.anon.base, stride, n, table, at, stride);
  const mm = v.mm;
  mm.rssAnon += n;
  mm.updateHiwater();
  tally.minor += n;
  k.work += n;
  k.trace.recordRun(a.task.pid, a.task.name, v, v.start + a.pos * k.pageSize, stride * k.pageSize, n, FaultKind.Minor, true);
  a.pos += n * stride;
  return n;
}

/**
 * Swapped-out pages found in the swap cache (read ahead by an earlier major fault, or still
 * cached): minor faults that take no frame, so nothing in a run of them can make the chart act.
 * From a.pos while the entries are swap entries whose slot is cached, inside one PTE table, within
 * the work budget. Returns the pages faulted.
 */
function swapCacheRun(k: Kernel, a: Access, v: Vma, tally: FaultTally): number {
  const vpn = v.vpn0 + a.pos;
  const table = v.mm.pt.tableOf(vpn);
  if (table === undefined) return 0;
  const stride = a.stride;
  const at = pteIndex(vpn, table.length);
  const n = Math.min(Math.ceil((a.to - a.pos) / stride), Math.ceil((table.length - at) / stride), k.workLimit - k.work);
  const sw = k.swap;
  const cache = sw.cache;
  // a locked VMA sets PG_mlocked on each page it maps: the page-by-page path counts those
  if (v.locked) {
    let i = 0;
    for (; i < n; i++) {
      const e = table[at + i * stride]!;
      if (!isSwapPte(e)) break;
      const slot = swapSlotOf(e);
      const f = cache[slot]!;
      if (f < 0) break;
      const idx = a.pos + i * stride;
      mapFromSwapCache(k, v, idx, f, slot, a.write, table, at + i * stride);
      k.trace.record(a.task.pid, a.task.name, v, v.start + idx * k.pageSize, FaultKind.Minor, a.write);
    }
    tally.minor += i;
    k.work += i;
    a.pos += i * stride;
    return i;
  }
  // mapFromSwapCache for each page of the run, written out once over the arrays (the thrash
  // bench's hot path): the page gets its anon_vma place if nobody maps it, one more mapper, the
  // Referenced bit, its PTE; its slot one user less; the cache lets go of it where
  // should_try_to_free_swap says so (a write by its only user, or swap more than half full)
  const fr = k.frames;
  const { mapcount, flags, owner, index } = fr;
  const map = sw.map;
  const slotOfFrame = sw.slotOfFrame;
  const write = a.write;
  const anonId = v.anon.id;
  const index0 = v.vpn0 + a.pos - v.anon.base;
  let raHits = 0;
  let i = 0;
  for (; i < n; i++) {
    const pi = at + i * stride;
    const e = table[pi]!;
    if (e > -3) break; // not a swap entry
    const slot = -3 - e;
    const f = cache[slot]!;
    if (f < 0) break;
    const mc = mapcount[f]!;
    if (mc === 0) {
      owner[f] = anonId;
      index[f] = index0 + i * stride;
    }
    mapcount[f] = mc + 1;
    const fl = flags[f]!;
    if (fl & PG.Readahead) raHits++;
    table[pi] = f;
    // swap_free: one user less (the cache still holds the slot, so it is not freed here)
    const c = map[slot]!;
    if (c !== 0) map[slot] = c - 1;
    if ((write && mc === 0 && c <= 1) || sw.inUse * 2 > sw.slots) {
      // delete_from_swap_cache
      flags[f] = fl & ~(PG.Readahead | PG.SwapCache) | PG.Referenced;
      slotOfFrame[f] = -1;
      cache[slot] = -1;
      sw.cached--;
      if (c <= 1) sw.freeSlot(slot);
    } else flags[f] = (fl | PG.Referenced) & ~PG.Readahead;
  }
  if (i === 0) return 0;
  const mm = v.mm;
  mm.swapEnts -= i;
  mm.rssAnon += i;
  mm.updateHiwater();
  k.vmstat.swap_ra_hit += raHits;
  k.swapRaHits += raHits;
  k.trace.recordRun(a.task.pid, a.task.name, v, v.start + a.pos * k.pageSize, stride * k.pageSize, i, FaultKind.Minor, write);
  tally.minor += i;
  k.work += i;
  a.pos += i * stride;
  return i;
}

/** Run an access until it is done or must stop for the kernel to act. */
export function runAccess(k: Kernel, a: Access, tally: FaultTally, mode: FaultMode): FaultStatus {
  const { task, stride } = a;
  const vma = a.vma;
  if (!vma) return 'segv';
  const trace = k.trace;
  // a run of first writes to anonymous memory goes in one loop while nothing can make the chart act
  const bulk = !k.perPageFaults && a.write && !vma.file && vma.prot.write && !vma.locked && !mode.kswapdAwake && k.cfg.thp !== 'always';
  // swap-cache hits, too, when the mapping allows the access
  const cacheHits = !k.perPageFaults && !vma.file && (a.write ? vma.prot.write : vma.prot.read || vma.prot.exec);
  for (; a.pos < a.to; a.pos += stride) {
    if ((bulk && faultAnonRun(k, a, vma, tally) > 0) || (cacheHits && swapCacheRun(k, a, vma, tally) > 0)) {
      a.pos -= stride; // the loop's step
      continue;
    }
    if (k.work >= k.workLimit) {
      k.budgetSpent ??= 'work';
      return 'budget';
    }
    k.work++;
    const minor = tally.minor;
    const major = tally.major;
    const cow = tally.cow;
    const zero = tally.zero;
    const st = faultPage(k, task, vma, a.pos, a.write, tally, mode);
    if (st !== null && k.work >= k.workLimit) return 'budget';
    if (tally.minor !== minor || tally.major !== major) {
      // a fault was taken (not just a present page touched): trace it
      const kind = tally.major !== major ? FaultKind.Major : tally.cow !== cow ? FaultKind.Cow : tally.zero !== zero ? FaultKind.Zero : FaultKind.Minor;
      trace.record(task.pid, task.name, vma, vma.start + a.pos * k.pageSize, kind, a.write);
    }
    if (st === null) continue;
    if (st === 'below-min' && mode.reclaim) {
      // the allocating task reclaims, then retries the allocation; a round that frees nothing goes back to the chart
      const got = directReclaim(k);
      tally.reclaimed = (tally.reclaimed ?? 0) + got;
      if (got === 0) return 'no-progress';
      a.pos -= stride;
      continue;
    }
    if (st === 'below-low' || st === 'balanced') {
      // the page itself was faulted in; resume after it
      a.pos += stride;
    }
    return st;
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

/** Drop one PTE's hold on whatever it maps (zap_pte_range for one entry). */
export function zapPte(k: Kernel, v: Vma, idx: number): void {
  const pte = v.pte(idx);
  const mm = v.mm;
  const fr = k.frames;
  k.work++;
  if (pte >= 0) {
    const f = pte;
    const kind = fr.kind[f]!;
    if (kind === FrameKind.Anon) mm.rssAnon--;
    else if (kind === FrameKind.Shmem) mm.rssShmem--;
    else mm.rssFile--;
    if (fr.flags[f]! & PG.Mlocked && v.locked) mm.lockedVm--;
    const mc = fr.mapcount[f]! - 1;
    fr.mapcount[f] = mc;
    if (kind === FrameKind.Anon) {
      if (mc <= 0) {
        if (fr.flags[f]! & PG.SwapCache) dropFromSwapCache(k, f);
        fr.release(f);
      }
    } else if (mc <= 0 && fr.flags[f]! & PG.Mlocked) {
      fr.clearFlag(f, PG.Mlocked);
    }
  } else if (isSwapPte(pte)) {
    k.swap.put(swapSlotOf(pte));
    mm.swapEnts--;
  }
  v.setPte(idx, PTE_NONE);
}

/** mlock: the VMA's pages become unevictable (the caller faults the range in). */
export function lockRange(k: Kernel, v: Vma): void {
  v.locked = true;
  v.forEachPte((_i, f) => {
    if (f >= 0 && !(k.frames.flags[f]! & PG.Mlocked)) k.frames.setFlag(f, PG.Mlocked);
  });
}

export function unlockRange(k: Kernel, v: Vma): void {
  v.locked = false;
  v.forEachPte((i, f) => {
    if (f >= 0 && k.frames.flags[f]! & PG.Mlocked) {
      // still locked by another mapper of the same anon_vma?
      let other = false;
      for (const w of v.anon.members) if (w !== v && w.locked && w.mm !== v.mm && w.mm.pt.get(v.vpn0 + i) === f) other = true;
      if (!other) k.frames.clearFlag(f, PG.Mlocked);
    }
  });
}

export { pteSwap };
