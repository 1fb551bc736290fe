/**
 * Page-frame reclaim, after mm/vmscan.c: the LRU lists (approximated by a clock over the frame
 * table with the Active and Referenced bits: a referenced page gets a second chance and is
 * activated, an unreferenced active page is deactivated, an unreferenced inactive page is
 * reclaimed), get_scan_count's balance of file against anonymous pages (swappiness,
 * cache_trim_mode: page cache first), kswapd balancing to the high watermark, and direct
 * reclaim in SWAP_CLUSTER_MAX batches with priority falling from DEF_PRIORITY to 0.
 */
import type { Kernel } from './kernel.js';
import type { AnonVma } from './mmap.js';
import { FrameKind, PG } from './page_alloc.js';
import { PTE_NONE, pteIndex, pteSwap } from './pgtable.js';
import { dropFromSwapCache } from './swap_state.js';

export const DEF_PRIORITY = 12;
export const SWAP_CLUSTER_MAX = 32;

type Who = 'kswapd' | 'direct';

export interface ScanPlan {
  file: number;
  anon: number;
  reason: 'no-swap' | 'swappiness-0' | 'file-tiny' | 'cache-trim' | 'proportional';
}

/** get_scan_count: how many file and anon pages to scan at this priority. */
export function getScanCount(k: Kernel, priority: number): ScanPlan {
  const fr = k.frames;
  const anon = fr.count[FrameKind.Anon]! + fr.count[FrameKind.Shmem]!;
  const file = fr.count[FrameKind.File]!;
  const inactiveFile = file - fr.active[FrameKind.File]!;
  const scan = (n: number) => Math.max(Math.min(n, SWAP_CLUSTER_MAX), Math.floor(n / 2 ** priority));
  const swappiness = k.cfg.swappiness;
  if (k.swap.free === 0) return { file: scan(file), anon: 0, reason: 'no-swap' };
  // the file LRU is about to run out: anonymous pages must go (prepare_scan_count: file_is_tiny)
  if (file + fr.free <= k.wmark.high && anon > 0) return { file: 0, anon: scan(anon), reason: 'file-tiny' };
  if (swappiness === 0) return { file: scan(file), anon: 0, reason: 'swappiness-0' };
  // plenty of inactive page cache: trim it and leave anonymous memory alone (cache_trim_mode)
  if (inactiveFile > 0 && inactiveFile >> priority > 0 && inactiveFile >= SWAP_CLUSTER_MAX) return { file: scan(file), anon: 0, reason: 'cache-trim' };
  const ap = swappiness;
  const fp = 200 - swappiness;
  return {
    anon: Math.ceil((scan(anon) * ap) / (ap + fp)) * 2,
    file: Math.ceil((scan(file) * fp) / (ap + fp)) * 2,
    reason: 'proportional',
  };
}

/** shrink_folio_list over one LRU type: scan up to `budget` frames of `kind`, reclaim up to `want`. */
function shrinkList(k: Kernel, lru: 'anon' | 'file', budget: number, want: number, who: Who): number {
  const fr = k.frames;
  const n = fr.total;
  const h = k.lruHands;
  let pos = h[lru];
  let scanned = 0;
  let reclaimed = 0;
  let examined = 0;
  // the list's kinds: anon and shmem, or file (read once, compared per frame)
  const kindA = lru === 'anon' ? FrameKind.Anon : FrameKind.File;
  const kindB = lru === 'anon' ? FrameKind.Shmem : FrameKind.File;
  const kinds = fr.kind;
  let lastOwner = -1;
  let lastAnon: AnonVma | undefined;
  const active = fr.active;
  let activated = 0;
  let deactivated = 0;
  // one pass over the list at most: a list of 10 pages is not looked for among a million frames twice
  const onList = lru === 'anon' ? fr.count[FrameKind.Anon]! + fr.count[FrameKind.Shmem]! : fr.count[FrameKind.File]!;
  const limit = Math.min(budget, onList);
  while (scanned < limit && reclaimed < want && examined < n) {
    const f = pos;
    pos = pos + 1 === n ? 0 : pos + 1;
    examined++;
    const kind = kinds[f]!;
    if (kind !== kindA && kind !== kindB) continue;
    scanned++;
    const flags = fr.flags[f]!;
    if (flags & PG.Mlocked) continue; // unevictable
    if (flags & PG.Referenced) {
      // a second chance: the page goes (or stays) on the active list (the flag bits written here, the counts kept as setFlag keeps them)
      if (flags & PG.Active) fr.flags[f] = flags & ~PG.Referenced;
      else {
        fr.flags[f] = (flags & ~PG.Referenced) | PG.Active;
        active[kind]!++;
        activated++;
      }
      continue;
    }
    if (flags & PG.Active) {
      fr.flags[f] = flags & ~PG.Active;
      active[kind]!--;
      deactivated++;
      continue;
    }
    if (kind === FrameKind.File) {
      if (flags & PG.Dirty) {
        // dirty page cache is written back before it can be freed
        fr.clearFlag(f, PG.Dirty);
        k.vmstat.nr_written++;
        continue;
      }
      reclaimFile(k, f);
    } else {
      // the rmap walk starts from the frame's anon_vma (reclaim meets runs of frames of one)
      const owner = fr.owner[f]!;
      if (owner !== lastOwner) {
        lastOwner = owner;
        lastAnon = k.anonVmas.get(owner);
      }
      if (!reclaimAnon(k, lastAnon, f)) continue; // no swap slot: it stays
    }
    reclaimed++;
  }
  h[lru] = pos;
  k.work += examined;
  k.vmstat.pgactivate += activated;
  k.vmstat.pgdeactivate += deactivated;
  if (who === 'kswapd') {
    k.vmstat.pgscan_kswapd += scanned;
    k.vmstat.pgsteal_kswapd += reclaimed;
  } else {
    k.vmstat.pgscan_direct += scanned;
    k.vmstat.pgsteal_direct += reclaimed;
  }
  return reclaimed;
}

/** Drop a clean page-cache page: unmap it from every mapper (rmap through the file's i_mmap). */
function reclaimFile(k: Kernel, f: number): void {
  const file = k.filesById.get(k.frames.owner[f]!);
  const pi = k.frames.index[f]!;
  if (file) {
    if (k.frames.mapcount[f]! > 0) {
      for (const v of file.mappers) {
        const idx = pi - v.pgoff;
        if (idx >= 0 && idx < v.pages && v.pte(idx) === f) {
          v.setPte(idx, PTE_NONE);
          v.mm.rssFile--;
        }
      }
    }
    file.pages.set(pi, PTE_NONE);
  }
  k.frames.release(f);
}

/** Swap out an anonymous (or tmpfs) page: every PTE that maps it gets the swap entry. */
function reclaimAnon(k: Kernel, anon: AnonVma | undefined, f: number): boolean {
  const fr = k.frames;
  if (fr.kind[f] === FrameKind.Shmem) {
    const file = k.filesById.get(fr.owner[f]!);
    const slot = k.swap.alloc(1);
    if (slot < 0 || !file) return false;
    const pi = fr.index[f]!;
    for (const v of file.mappers) {
      const idx = pi - v.pgoff;
      if (idx >= 0 && idx < v.pages && v.pte(idx) === f) {
        v.setPte(idx, PTE_NONE);
        v.mm.rssShmem--;
      }
    }
    file.pages.set(pi, pteSwap(slot));
    k.shmemSwapped++;
    k.vmstat.pswpout++;
    fr.release(f);
    return true;
  }
  const cachedSlot = fr.flags[f]! & PG.SwapCache ? k.swap.slotOfFrame[f]! : -1;
  if (fr.mapcount[f] === 0) {
    // a swap-cache page nobody maps (read ahead, not used): still on disk, dropped without I/O
    if (cachedSlot < 0) return false;
    dropFromSwapCache(k, f);
    fr.release(f);
    return true;
  }
  if (!anon) return false;
  // a page still in the swap cache is clean: its slot already holds it, no write (no pswpout)
  const slot = cachedSlot >= 0 ? cachedSlot : k.swap.alloc(1);
  if (slot < 0) return false;
  const vpn = anon.base + fr.index[f]!;
  let mapped = 0;
  // try_to_unmap: the rmap walk (rmap.ts rmapWalkAnon, inlined here: it runs once per page
  // reclaimed, on the thrash bench's hot path) over every VMA of the anon_vma that maps the page
  const list = anon.list;
  const addr = vpn * k.pageSize;
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    if (addr < v.start || addr >= v.end) continue;
    const table = v.mm.pt.tableOf(vpn);
    if (table === undefined) continue;
    const at = pteIndex(vpn, table.length);
    if (table[at] !== f) continue;
    table[at] = pteSwap(slot);
    v.mm.rssAnon--;
    v.mm.swapEnts++;
    mapped++;
  }
  if (cachedSlot >= 0) {
    for (let i = 0; i < mapped; i++) k.swap.dup(slot);
    dropFromSwapCache(k, f);
  } else {
    // the slot's count is the entries that refer to it
    k.swap.map[slot] = mapped;
    if (mapped === 0) {
      k.swap.freeSlot(slot);
      return false;
    }
    k.vmstat.pswpout++;
  }
  k.work += mapped;
  fr.release(f);
  return true;
}

/** shrink_lruvec at one priority: scan as get_scan_count says, stop once `want` pages are free. */
export function shrinkLruvec(k: Kernel, priority: number, want: number, who: Who): number {
  const plan = getScanCount(k, priority);
  let got = 0;
  if (plan.file > 0) got += shrinkList(k, 'file', plan.file, want - got, who);
  if (got < want && plan.anon > 0) got += shrinkList(k, 'anon', plan.anon, want - got, who);
  return got;
}

/** One batch of kswapd's work (balance_pgdat), run as the allocator runs. */
export function kswapdBatch(k: Kernel): number {
  let got = 0;
  for (let prio = DEF_PRIORITY; prio >= 0 && got < SWAP_CLUSTER_MAX; prio--) got += shrinkLruvec(k, prio, SWAP_CLUSTER_MAX - got, 'kswapd');
  return got;
}

/** kswapd given time (a tick): reclaim until free memory is back above the high watermark. */
export function kswapdBalance(k: Kernel, maxPages: number): number {
  let got = 0;
  while (k.frames.free < k.wmark.high && got < maxPages && k.work < k.workLimit) {
    const n = kswapdBatch(k);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * Direct reclaim (do_try_to_free_pages): the allocating task reclaims SWAP_CLUSTER_MAX pages
 * itself, priority from DEF_PRIORITY down to 0, scanning harder each time. Returns the pages freed.
 */
export function directReclaim(k: Kernel): number {
  k.vmstat.allocstall_normal++;
  let got = 0;
  for (let prio = DEF_PRIORITY; prio >= 0; prio--) {
    got += shrinkLruvec(k, prio, SWAP_CLUSTER_MAX - got, 'direct');
    if (got >= SWAP_CLUSTER_MAX) break;
  }
  return got;
}

/** Dirty page cache older than dirty_expire is written back by the flusher threads on a tick. */
export function writebackDirty(k: Kernel): number {
  const fr = k.frames;
  let n = 0;
  let f = 0;
  for (; f < fr.total && fr.dirty > 0; f++) {
    if (fr.flags[f]! & PG.Dirty) {
      fr.clearFlag(f, PG.Dirty);
      n++;
    }
  }
  k.vmstat.nr_written += n;
  k.work += f;
  return n;
}
