/**
 * Swap, after mm/swapfile.c and mm/swap_state.c: a swap_map of use counts, one per slot (a slot
 * shared by processes after fork counts each mapper), a cursor that scans for a free slot as
 * scan_swap_map_slots does, and the swap cache: pages read from swap stay in it, still backed by
 * their slot, until written or reclaimed (SwapCached in /proc/meminfo). A major fault reads the
 * faulting slot and the slots around it (swap_cluster_readahead: up to 2^vm.page-cluster pages,
 * the window grown and shrunk by __swapin_nr_pages as read-ahead pages are used or not); touching
 * a page read ahead is a minor fault (swap_ra_hit).
 */
import type { Kernel } from './kernel.js';
import { FrameKind, PG } from './page_alloc.js';

/** Linux continues counts past 0x3e in extra pages (swap_count_continued); memlab stops at 255 mappers of one slot. */
export const SWAP_MAP_MAX = 255;
/** SWAPFILE_CLUSTER: slots per allocation cluster */
export const SWAPFILE_CLUSTER = 256;
/** slot >>> SWAPFILE_CLUSTER_SHIFT: its cluster (slots are below 2^31: a swap map of one byte a slot) */
const SWAPFILE_CLUSTER_SHIFT = 8;

export class SwapSpace {
  /** swap_map: how many page-table entries (or tmpfs pages) refer to each slot; one byte a slot, as in Linux. */
  readonly map: Uint8Array;
  /** the swap cache: slot -> frame (-1: not cached; SWAP_HAS_CACHE), and frame -> slot (-1: not in the swap cache) */
  readonly cache: Int32Array;
  readonly slotOfFrame: Int32Array;
  /** pages in the swap cache (SwapCached) */
  cached = 0;
  /** slots referred to or cached */
  inUse = 0;
  private cursor = 0;
  /** readahead state (mm/swap_state.c): the last fault's slot and window */
  prevOffset = 0;
  lastWindow = 1;

  constructor(
    readonly slots: number,
    frames: number,
  ) {
    this.map = new Uint8Array(slots);
    this.cache = new Int32Array(slots).fill(-1);
    // a machine without swap has no swap cache
    this.slotOfFrame = new Int32Array(slots > 0 ? frames : 0).fill(-1);
  }

  get free(): number {
    return this.slots - this.inUse;
  }

  /** slots in use per cluster of SWAPFILE_CLUSTER slots */
  private clusterUse: Uint16Array | null = null;

  /**
   * get_swap_page (scan_swap_map_slots with swap clusters): slots are handed out in order inside
   * a cluster of 256; when the next slot is taken, the allocator moves on to the next wholly free
   * cluster, so pages swapped out together sit together (what readahead counts on). Falls back to
   * any free slot. A slot with count `users`, or -1 when swap is full.
   */
  alloc(users: number): number {
    if (this.inUse >= this.slots || users > SWAP_MAP_MAX) return -1;
    const cu = (this.clusterUse ??= new Uint16Array(Math.ceil(this.slots / SWAPFILE_CLUSTER)));
    let s = this.cursor;
    if (s >= this.slots || this.map[s] !== 0 || this.cache[s] !== -1) {
      s = -1;
      const n = cu.length;
      const c0 = Math.floor(this.cursor / SWAPFILE_CLUSTER);
      for (let i = 1; i <= n; i++) {
        const c = (c0 + i) % n;
        const size = Math.min(SWAPFILE_CLUSTER, this.slots - c * SWAPFILE_CLUSTER);
        if (cu[c] === 0 && size === SWAPFILE_CLUSTER) {
          s = c * SWAPFILE_CLUSTER;
          break;
        }
      }
      if (s < 0) {
        for (let i = 0; i < this.slots; i++) {
          const t = (this.cursor + i) % this.slots;
          if (this.map[t] === 0 && this.cache[t] === -1) {
            s = t;
            break;
          }
        }
      }
      if (s < 0) return -1;
    }
    this.map[s] = users;
    this.inUse++;
    cu[s >>> SWAPFILE_CLUSTER_SHIFT]!++;
    this.cursor = s + 1;
    return s;
  }

  /** the slot is free again (no entry refers to it, the swap cache does not hold it) */
  freeSlot(slot: number): void {
    this.inUse--;
    if (this.clusterUse) this.clusterUse[slot >>> SWAPFILE_CLUSTER_SHIFT]!--;
  }

  /** swap_free: one mapper lets go of the slot (it stays while the swap cache holds it). */
  put(slot: number): void {
    const c = this.map[slot]!;
    if (c === 0) return;
    this.map[slot] = c - 1;
    if (c === 1 && this.cache[slot] === -1) this.freeSlot(slot);
  }

  /** swap_duplicate: one more entry refers to the slot (fork, or a swap-cache page unmapped again). */
  dup(slot: number): boolean {
    if (this.map[slot]! >= SWAP_MAP_MAX) return false;
    this.map[slot]!++;
    return true;
  }
}

/** lookup_swap_cache: the frame holding the slot's page, or -1. */
export function swapCacheLookup(k: Kernel, slot: number): number {
  return k.swap.cache[slot]!;
}

function addToSwapCache(k: Kernel, f: number, slot: number): void {
  k.swap.cache[slot] = f;
  k.swap.slotOfFrame[f] = slot;
  k.swap.cached++;
  k.frames.setFlag(f, PG.SwapCache);
}

/** delete_from_swap_cache: the frame no longer stands for its slot; a slot nobody refers to is freed. */
export function dropFromSwapCache(k: Kernel, f: number): void {
  const sw = k.swap;
  const slot = sw.slotOfFrame[f]!;
  if (slot === undefined || slot < 0) return;
  sw.slotOfFrame[f] = -1;
  sw.cache[slot] = -1;
  sw.cached--;
  k.frames.clearFlag(f, PG.SwapCache);
  k.frames.clearFlag(f, PG.Readahead);
  if (sw.map[slot] === 0) sw.freeSlot(slot);
}

/** __swapin_nr_pages: the readahead window, grown while read-ahead pages are used, 1 for a random fault. */
function swapinNrPages(k: Kernel, offset: number): number {
  const sw = k.swap;
  const maxPages = 1 << k.pageCluster;
  if (maxPages <= 1) return 1;
  const hits = k.swapRaHits;
  k.swapRaHits = 0;
  let pages = hits + 2;
  if (pages === 2) {
    if (offset !== sw.prevOffset + 1 && offset !== sw.prevOffset - 1) pages = 1;
  } else {
    let roundup = 4;
    while (roundup < pages) roundup <<= 1;
    pages = roundup;
  }
  if (pages > maxPages) pages = maxPages;
  // do not shrink readahead too fast
  const lastRa = sw.lastWindow >> 1;
  if (pages < lastRa) pages = lastRa;
  if (!hits) sw.prevOffset = offset;
  sw.lastWindow = pages;
  return pages;
}

/**
 * swap_cluster_readahead: read the faulting slot's page (the caller checked that a frame may be
 * taken) and, around it in an aligned window, every slot in use that is not cached yet, while
 * memory allows. Every page read counts in pswpin; those read ahead in swap_ra. Returns the
 * faulting page's frame, in the swap cache, not mapped yet.
 */
export function swapinReadahead(k: Kernel, slot: number): number {
  const sw = k.swap;
  const fr = k.frames;
  const win = swapinNrPages(k, slot);
  const f = fr.alloc(FrameKind.Anon, -1, 0);
  addToSwapCache(k, f, slot);
  k.vmstat.pswpin++;
  if (win > 1) {
    const start = slot - (slot % win);
    const end = Math.min(sw.slots, slot - (slot % win) + win);
    const { map, cache, slotOfFrame } = sw;
    const flags = fr.flags;
    const min = k.wmark.min;
    let read = 0;
    for (let s = start; s < end; s++) {
      if (s === slot || map[s] === 0 || cache[s] !== -1) continue;
      if (fr.free - 1 < min) break;
      const g = fr.alloc(FrameKind.Anon, -1, 0);
      // add_to_swap_cache, read ahead (neither flag is counted by the frame table)
      cache[s] = g;
      slotOfFrame[g] = s;
      flags[g] = PG.SwapCache | PG.Readahead;
      read++;
    }
    sw.cached += read;
    k.vmstat.pswpin += read;
    k.vmstat.swap_ra += read;
    k.work += read;
  }
  return f;
}

/** Pages in the swap cache that no process maps (read ahead and not used yet, or left behind). */
export function swapCacheUnmapped(k: Kernel): number {
  let n = 0;
  if (k.swap.cached === 0) return 0;
  const sw = k.swap;
  for (let s = 0; s < sw.slots; s++) {
    const f = sw.cache[s]!;
    if (f >= 0 && k.frames.mapcount[f] === 0) n++;
  }
  return n;
}
