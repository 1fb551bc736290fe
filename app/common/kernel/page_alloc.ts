/**
 * Physical memory, after mm/page_alloc.c: one zone of page frames described by typed arrays
 * (never one object per page), a free list, and the min/low/high watermarks computed as
 * Linux 6.x computes them from min_free_kbytes and watermark_scale_factor.
 */

/** What a frame holds (the frame grid's colours). */
export const enum FrameKind {
  Free = 0,
  Anon = 1,
  File = 2, // page cache
  Shmem = 3, // tmpfs / shared anonymous
  Kernel = 4,
}

/** Page flags (a subset of include/linux/page-flags.h). */
export const enum PG {
  Active = 1,
  Referenced = 2,
  Dirty = 4,
  Mlocked = 8,
  /** in the swap cache: the page also has a swap slot (PG_swapcache) */
  SwapCache = 16,
  /** read ahead from swap and not used yet (PG_readahead) */
  Readahead = 32,
}

export interface Watermarks {
  min: number;
  low: number;
  high: number;
}

/**
 * init_per_zone_wmark_min: min_free_kbytes = sqrt(lowmem_kbytes * 16), clamped to
 * [128, 262144] (Linux 6.x). With THP enabled khugepaged raises it further
 * (set_recommended_min_free_kbytes); the model leaves that out and says so.
 */
export function defaultMinFreeKbytes(lowmemKbytes: number): number {
  const v = Math.floor(Math.sqrt(lowmemKbytes * 16));
  return Math.min(262144, Math.max(128, v));
}

/**
 * __setup_per_zone_wmarks for a single zone: min = min_free_kbytes in pages;
 * tmp = max(min / 4, managed * watermark_scale_factor / 10000); low = min + tmp; high = min + 2 tmp.
 */
export function computeWatermarks(managedPages: number, minFreeKbytes: number, pageSize: number, scaleFactor: number): Watermarks {
  const min = Math.floor((minFreeKbytes * 1024) / pageSize);
  const tmp = Math.max(min >> 2, Math.floor((managedPages * scaleFactor) / 10000));
  return { min, low: min + tmp, high: min + 2 * tmp };
}

export class FrameTable {
  readonly kind: Uint8Array;
  readonly flags: Uint8Array;
  /** page-table entries mapping this frame (page_mapcount) */
  readonly mapcount: Uint16Array;
  /** anon: its anon_vma's id (shared by a VMA and its copies in forked children: which process maps it is rmap's to say, `rmapWalkAnon`); file/shmem: the file object id */
  readonly owner: Int32Array;
  /** index of the page counted from its anon_vma's base (anon) or in its file (page cache); for a free frame, the next free frame */
  readonly index: Int32Array;
  /**
   * The free list, a queue: first the frames never handed out, [fresh, total) in order (nothing
   * to thread: a 64 GiB machine is made without a loop over its frames), then the frames freed
   * since, threaded through `index` (free frames have no page index) as Linux threads its free
   * lists through struct page.
   */
  private fresh = 0;
  private freeHead = -1;
  private freeTail = -1;
  private freeTop = 0;
  /** frames of each kind, kept as they change (nr_free_pages, NR_ANON_MAPPED, NR_FILE_PAGES, ...) */
  readonly count = new Float64Array(5);
  dirty = 0;
  mlocked = 0;
  /** frames of each kind on the active LRU list */
  readonly active = new Float64Array(5);

  constructor(readonly total: number) {
    this.kind = new Uint8Array(total);
    this.flags = new Uint8Array(total);
    this.mapcount = new Uint16Array(total);
    // a frame's owner is read only while the frame is in use (never-used frames are not filled:
    // a fresh 64 GiB machine costs no pass over its frames)
    this.owner = new Int32Array(total);
    this.index = new Int32Array(total);
    // low frames are handed out first
    this.freeTop = total;
    this.count[FrameKind.Free] = total;
  }

  get free(): number {
    return this.freeTop;
  }

  /** Take a free frame (the caller has checked watermarks). -1 if none at all. */
  alloc(kind: FrameKind, owner: number, index: number): number {
    if (this.freeTop === 0) return -1;
    let f: number;
    if (this.fresh < this.total) f = this.fresh++;
    else {
      f = this.freeHead;
      this.freeHead = this.index[f]!;
      if (this.freeHead === -1) this.freeTail = -1;
    }
    this.freeTop--;
    this.kind[f] = kind;
    this.flags[f] = 0;
    this.mapcount[f] = 0;
    this.owner[f] = owner;
    this.index[f] = index;
    this.count[FrameKind.Free]--;
    this.count[kind]++;
    return f;
  }

  /**
   * Take `n` free frames for anonymous pages of one anon_vma at once (the caller has checked the
   * watermarks): frame i of the run gets page index `index0 + i * indexStep`, mapcount 1 and the
   * Referenced bit, and is written into `pte[at + i * pteStep]`. One loop over the arrays, no
   * call per page: what a first touch of a large range costs.
   */
  allocAnonRun(owner: number, index0: number, indexStep: number, n: number, pte: Int32Array, at: number, pteStep: number): void {
    if (n > this.freeTop) throw new Error(`allocAnonRun: ${n} frames asked, ${this.freeTop} free`);
    const { kind, flags, mapcount, index } = this;
    const own = this.owner;
    // never-used frames first, then the freed ones
    const fromFresh = Math.min(n, this.total - this.fresh);
    let f = this.fresh;
    for (let i = 0; i < fromFresh; i++, f++) {
      kind[f] = FrameKind.Anon;
      flags[f] = PG.Referenced;
      mapcount[f] = 1;
      own[f] = owner;
      index[f] = index0 + i * indexStep;
      pte[at + i * pteStep] = f;
    }
    this.fresh = f;
    f = this.freeHead;
    for (let i = fromFresh; i < n; i++) {
      const next = index[f]!;
      kind[f] = FrameKind.Anon;
      flags[f] = PG.Referenced;
      mapcount[f] = 1;
      own[f] = owner;
      index[f] = index0 + i * indexStep;
      pte[at + i * pteStep] = f;
      f = next;
    }
    this.freeHead = f;
    if (f === -1) this.freeTail = -1;
    this.freeTop -= n;
    this.count[FrameKind.Free] -= n;
    this.count[FrameKind.Anon] += n;
  }

  release(f: number): void {
    const k = this.kind[f]!;
    if (k === FrameKind.Free) throw new Error(`frame ${f} freed twice`);
    if (this.flags[f]! & PG.Dirty) this.dirty--;
    if (this.flags[f]! & PG.Mlocked) this.mlocked--;
    if (this.flags[f]! & PG.Active) this.active[k]--;
    this.count[k]--;
    this.count[FrameKind.Free]++;
    this.kind[f] = FrameKind.Free;
    this.flags[f] = 0;
    this.mapcount[f] = 0;
    this.owner[f] = -1;
    // freed frames queue at the tail and are handed out in the order they were freed: pages reclaimed
    // in one sweep are refilled in that order, so the clock meets them again in the order they were
    // used (what the kernel's LRU lists keep; readahead of neighbouring swap slots counts on it)
    this.index[f] = -1;
    if (this.freeTail === -1) this.freeHead = f;
    else this.index[this.freeTail] = f;
    this.freeTail = f;
    this.freeTop++;
  }

  setFlag(f: number, flag: PG): void {
    const old = this.flags[f]!;
    if (old & flag) return;
    this.flags[f] = old | flag;
    if (flag === PG.Dirty) this.dirty++;
    else if (flag === PG.Mlocked) this.mlocked++;
    else if (flag === PG.Active) this.active[this.kind[f]!]++;
  }

  clearFlag(f: number, flag: PG): void {
    const old = this.flags[f]!;
    if (!(old & flag)) return;
    this.flags[f] = old & ~flag;
    if (flag === PG.Dirty) this.dirty--;
    else if (flag === PG.Mlocked) this.mlocked--;
    else if (flag === PG.Active) this.active[this.kind[f]!]--;
  }

  /** Bytes the data plane holds per frame (for the benchmark's bytes-per-page figure). */
  static readonly BYTES_PER_FRAME = 1 + 1 + 2 + 4 + 4;
}
