/**
 * Page tables, after include/linux/pgtable.h and mm/memory.c (__pte_alloc, free_pgtables): one
 * process's tables as the MMU walks them. A table is one page of 8-byte entries, so one PTE table
 * maps PTRS_PER_PTE = page_size / 8 pages (2 MiB with 4 KiB pages), one PMD table 512 PTE tables
 * (1 GiB), one PUD table 512 PMD tables (512 GiB). A table exists only once something in its span
 * is mapped, and it takes a frame of RAM (MemFree drops, /proc/meminfo's PageTables grows), as on
 * Linux: a 1 TiB mapping that nobody touches costs nothing, a touch of a new 2 MiB region costs a
 * page. The PGD (one page per process) is left out, as mm_pgtables_bytes leaves it out.
 *
 * The entries: >= 0 a present frame; PTE_NONE never touched (or dropped); PTE_ZERO the shared
 * zero page; <= -3 a swap entry (slot -3 - pte).
 */

export const PTE_NONE = -1;
export const PTE_ZERO = -2;
export const pteSwap = (slot: number) => -3 - slot;
export const swapSlotOf = (pte: number) => -3 - pte;
export const isSwapPte = (pte: number) => pte <= -3;
/**
 * vpn's entry in its PTE table: vpn mod size, written without `%` (a user vpn passes 2^31, and
 * `%` on such a number is a floating-point remainder call; floor and multiply are not).
 */
export const pteIndex = (vpn: number, size: number) => vpn - Math.floor(vpn * (1 / size)) * size;

/**
 * A sparse array of Int32 in chunks of `size` entries, PTE_NONE where nothing was set: a file's
 * page cache (the xarray of struct address_space) and the base of the page tables.
 */
/** Bytes held by the chunks of every SparseEntries that shares it (a kernel's page tables: its memory budget counts them without a walk over its processes). */
export class ChunkMeter {
  bytes = 0;
}

export class SparseEntries {
  protected readonly chunks = new Map<number, Int32Array>();
  /**
   * A direct-mapped cache in front of the Map, CACHE_SLOTS chunks by key (a TLB of sorts):
   * reclaim's rmap walk and the fault loop look up tables in no order a single "last" could
   * follow; a thrashing 512 MiB working set is 256 tables. Made at the first lookup.
   */
  private cacheKeys: Float64Array | undefined;
  private cacheTables: (Int32Array | undefined)[] = [];
  private static readonly CACHE_SLOTS = 256;
  /** 1 / size, exact (size is a power of two): a key is a multiply and a floor, not a division */
  protected readonly inv: number;
  constructor(
    readonly size: number,
    private readonly meter?: ChunkMeter,
  ) {
    if (!(size > 0 && (size & (size - 1)) === 0)) throw new RangeError(`SparseEntries: ${size} entries a chunk is not a power of two`);
    this.inv = 1 / size;
  }

  protected chunk(key: number): Int32Array | undefined {
    // the low bits of the key (ToInt32 keeps them exact for any key below 2^53)
    const slot = key & (SparseEntries.CACHE_SLOTS - 1);
    const keys = (this.cacheKeys ??= new Float64Array(SparseEntries.CACHE_SLOTS).fill(-1));
    if (keys[slot] === key) return this.cacheTables[slot];
    const c = this.chunks.get(key);
    keys[slot] = key;
    this.cacheTables[slot] = c;
    return c;
  }

  /** the cache's slot for `key` now holds `c` (made) or nothing (dropped) */
  private cacheSet(key: number, c: Int32Array | undefined): void {
    const slot = key & (SparseEntries.CACHE_SLOTS - 1);
    if (this.cacheKeys && this.cacheKeys[slot] === key) this.cacheTables[slot] = c;
  }

  get(i: number): number {
    const key = Math.floor(i * this.inv);
    const c = this.chunk(key);
    return c === undefined ? PTE_NONE : c[i - key * this.size]!;
  }

  /** Set an entry; the chunk is made when missing (the page cache: no frame of its own here). */
  set(i: number, v: number): void {
    const key = Math.floor(i * this.inv);
    let c = this.chunk(key);
    if (c === undefined) {
      if (v === PTE_NONE) return;
      c = this.makeChunk(key);
    }
    c[i - key * this.size] = v;
  }

  protected makeChunk(key: number): Int32Array {
    const c = new Int32Array(this.size).fill(PTE_NONE);
    this.chunks.set(key, c);
    this.cacheSet(key, c);
    if (this.meter) this.meter.bytes += this.size * 4;
    return c;
  }

  protected dropChunk(key: number): void {
    if (this.chunks.delete(key) && this.meter) this.meter.bytes -= this.size * 4;
    this.cacheSet(key, undefined);
  }

  /** Every entry other than PTE_NONE in [from, to), in order, chunk by chunk (empty spans cost nothing). */
  forEach(from: number, to: number, fn: (i: number, v: number) => void): void {
    if (to <= from) return;
    const keys = this.keysIn(from, to);
    for (const key of keys) {
      const c = this.chunks.get(key);
      if (!c) continue;
      const base = key * this.size;
      const a = Math.max(from, base) - base;
      const b = Math.min(to, base + this.size) - base;
      for (let j = a; j < b; j++) {
        const v = c[j]!;
        if (v !== PTE_NONE) fn(base + j, v);
      }
    }
  }

  /** The chunk keys that hold something in [from, to), ascending. */
  keysIn(from: number, to: number): number[] {
    const k0 = Math.floor(from * this.inv);
    const k1 = Math.floor((to - 1) * this.inv);
    if (k1 - k0 + 1 <= this.chunks.size) {
      const out: number[] = [];
      for (let key = k0; key <= k1; key++) if (this.chunks.has(key)) out.push(key);
      return out;
    }
    return [...this.chunks.keys()].filter((key) => key >= k0 && key <= k1).sort((a, b) => a - b);
  }

  /** Chunks held (for the memory budget: 4 bytes an entry). */
  get chunkCount(): number {
    return this.chunks.size;
  }

  get bytes(): number {
    return this.chunks.size * this.size * 4;
  }
}

/** Where a table's page comes from and goes back to (the kernel's frame allocator). */
export interface TableFrames {
  take(): number;
  give(frame: number): void;
}

/** One process's page tables: PTE tables as chunks of entries, the PMD and PUD tables above them counted. */
export class PageTables extends SparseEntries {
  /** per PTE table: the frame it lives in */
  private readonly pteFrame = new Map<number, number>();
  /** per PMD table (key = PTE-table key / ptrs): its frame and how many PTE tables hang below it */
  private readonly pmd = new Map<number, { frame: number; n: number }>();
  private readonly pud = new Map<number, { frame: number; n: number }>();

  constructor(
    readonly pageSize: number,
    meter?: ChunkMeter,
  ) {
    super(pageSize / 8, meter);
  }

  get nrPtes(): number {
    return this.pteFrame.size;
  }
  get nrPmds(): number {
    return this.pmd.size;
  }
  get nrPuds(): number {
    return this.pud.size;
  }
  /** mm_pgtables_bytes: every PTE, PMD and PUD table, a page each */
  get pgtablesBytes(): number {
    return (this.nrPtes + this.nrPmds + this.nrPuds) * this.pageSize;
  }

  /** Is the PTE table that holds vpn there? */
  present(vpn: number): boolean {
    return this.chunk(Math.floor(vpn * this.inv)) !== undefined;
  }

  /** The PTE table holding vpn (its entries, indexed by pteIndex(vpn, size)), or undefined when it does not exist yet. */
  tableOf(vpn: number): Int32Array | undefined {
    return this.chunk(Math.floor(vpn * this.inv));
  }

  /** Table pages a first entry at vpn needs (0 when its PTE table exists; up to 3). */
  missing(vpn: number): number {
    const key = Math.floor(vpn * this.inv);
    if (this.chunk(key) !== undefined) return 0;
    const pmdKey = Math.floor(key * this.inv);
    if (this.pmd.has(pmdKey)) return 1;
    return this.pud.has(Math.floor(pmdKey * this.inv)) ? 2 : 3;
  }

  /** __pte_alloc (and __pmd_alloc, __pud_alloc above it): make the tables for vpn. */
  populate(vpn: number, frames: TableFrames): void {
    const key = Math.floor(vpn * this.inv);
    if (this.chunk(key) !== undefined) return;
    const pmdKey = Math.floor(key * this.inv);
    const pudKey = Math.floor(pmdKey * this.inv);
    let pmd = this.pmd.get(pmdKey);
    if (!pmd) {
      let pud = this.pud.get(pudKey);
      if (!pud) this.pud.set(pudKey, (pud = { frame: frames.take(), n: 0 }));
      pud.n++;
      this.pmd.set(pmdKey, (pmd = { frame: frames.take(), n: 0 }));
    }
    pmd.n++;
    this.pteFrame.set(key, frames.take());
    this.makeChunk(key);
  }

  /** Set an entry whose table exists (the fault path populates first). */
  override set(vpn: number, v: number): void {
    const key = Math.floor(vpn * this.inv);
    const c = this.chunk(key);
    if (c === undefined) {
      if (v === PTE_NONE) return;
      throw new Error(`no page table for page ${vpn}`);
    }
    c[vpn - key * this.size] = v;
  }

  /** free_pgtables: drop the PTE tables of [from, to) that `keep` does not want, and the PMD/PUD tables left empty. */
  freeTables(from: number, to: number, keep: (firstVpn: number, endVpn: number) => boolean, frames: TableFrames): void {
    for (const key of this.keysIn(from, to)) {
      const base = key * this.size;
      if (keep(base, base + this.size)) continue;
      this.dropChunk(key);
      frames.give(this.pteFrame.get(key)!);
      this.pteFrame.delete(key);
      const pmdKey = Math.floor(key * this.inv);
      const pmd = this.pmd.get(pmdKey)!;
      if (--pmd.n === 0) {
        frames.give(pmd.frame);
        this.pmd.delete(pmdKey);
        const pudKey = Math.floor(pmdKey * this.inv);
        const pud = this.pud.get(pudKey)!;
        if (--pud.n === 0) {
          frames.give(pud.frame);
          this.pud.delete(pudKey);
        }
      }
    }
  }

  /** Every table's key (fork copies them all). */
  tableKeys(): number[] {
    return [...this.chunks.keys()].sort((a, b) => a - b);
  }

  /** The raw entries of one table (fork's copy_pte_range reads them). */
  table(key: number): Int32Array | undefined {
    return this.chunks.get(key);
  }

  /** Make the table `key` (with its upper levels) holding a copy of `entries`. */
  copyTable(key: number, entries: Int32Array, frames: TableFrames): Int32Array {
    this.populate(key * this.size, frames);
    const c = this.chunks.get(key)!;
    c.set(entries);
    return c;
  }
}
