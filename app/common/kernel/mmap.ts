/**
 * Address spaces, after mm/mmap.c: VMAs (vm_area_struct) with their page tables, the brk heap,
 * top-down mmap placement below mmap_base, and the files (and tmpfs objects) they map.
 * Addresses are those of an x86-64 process started without ASLR (as under gdb), so they are
 * the same every run and read like a real pmap.
 */

/** Page-table entry values. >= 0: a present frame. */
export const PTE_NONE = -1; // never touched (or dropped): the next touch faults
export const PTE_ZERO = -2; // mapped to the shared zero page (read of untouched anonymous memory)
/** <= -3: swapped out to slot (-3 - pte) */
export const pteSwap = (slot: number) => -3 - slot;
export const swapSlotOf = (pte: number) => -3 - pte;
export const isSwapPte = (pte: number) => pte <= -3;

export type VmaKind = 'text' | 'rodata' | 'data' | 'bss' | 'heap' | 'stack' | 'anon' | 'file' | 'shm' | 'lib' | 'vdso';

export interface Prot {
  read: boolean;
  write: boolean;
  exec: boolean;
}

export function parseProt(p: string): Prot {
  return { read: p.includes('r'), write: p.includes('w'), exec: p.includes('x') };
}

export function protString(p: Prot, shared: boolean): string {
  return `${p.read ? 'r' : '-'}${p.write ? 'w' : '-'}${p.exec ? 'x' : '-'}${shared ? 's' : 'p'}`;
}

/** A file, or a tmpfs object behind shared anonymous memory: its page cache, by page index. */
export class FileObject {
  /** frame holding each page, PTE_NONE when not cached; for shmem also swap entries */
  pages: Int32Array;
  /** VMAs that map it (the file's i_mmap, for rmap) */
  readonly mappers = new Set<Vma>();
  constructor(
    readonly id: number,
    readonly name: string,
    readonly shmem: boolean,
    sizePages: number,
  ) {
    this.pages = new Int32Array(sizePages).fill(PTE_NONE);
  }
  ensure(pages: number): void {
    if (pages <= this.pages.length) return;
    const n = new Int32Array(Math.max(pages, this.pages.length * 2)).fill(PTE_NONE);
    n.set(this.pages);
    this.pages = n;
  }
}

let nextVmaId = 1;
export function resetVmaIds(): void {
  nextVmaId = 1;
}

export class Vma {
  readonly id = nextVmaId++;
  /** page-table entries, one per page (see PTE_*) */
  pte: Int32Array;
  locked = false;
  /** anon_vma: the VMAs that share anonymous pages with this one after fork (same addresses) */
  family: Set<Vma>;
  /** name of the allocation behind it, for the UI (malloc'd pointer, mmap name) */
  label?: string;

  constructor(
    public mm: Mm,
    public start: number,
    public end: number,
    readonly kind: VmaKind,
    readonly prot: Prot,
    readonly shared: boolean,
    readonly file: FileObject | null,
    /** first file page mapped */
    public pgoff: number,
    readonly name: string,
  ) {
    this.pte = new Int32Array((end - start) / mm.pageSize).fill(PTE_NONE);
    this.family = new Set([this]);
  }

  get pages(): number {
    return (this.end - this.start) / this.mm.pageSize;
  }
  /** writable private: counts toward VmData / commit charge */
  get privateWritable(): boolean {
    return this.prot.write && !this.shared;
  }
  /** pmap's Mapping column */
  get mapping(): string {
    if (this.kind === 'heap') return '[heap]';
    if (this.kind === 'stack') return '[stack]';
    if (this.kind === 'vdso') return this.name; // [vdso] or [vvar]
    if (this.kind === 'shm') return '/dev/zero (deleted)';
    if (this.file) return this.file.name;
    return '[ anon ]';
  }
  contains(addr: number): boolean {
    return addr >= this.start && addr < this.end;
  }
  /** grow or shrink at the end (brk) */
  resizeEnd(newEnd: number): void {
    const pages = (newEnd - this.start) / this.mm.pageSize;
    const n = new Int32Array(pages).fill(PTE_NONE);
    n.set(this.pte.subarray(0, Math.min(pages, this.pte.length)));
    this.pte = n;
    this.end = newEnd;
  }
  /** grow downwards (the stack) */
  growDown(newStart: number): void {
    const add = (this.start - newStart) / this.mm.pageSize;
    const n = new Int32Array(this.pte.length + add).fill(PTE_NONE);
    n.set(this.pte, add);
    this.pte = n;
    this.start = newStart;
  }
}

/** The mm_struct: one process's address space. */
export class Mm {
  vmas: Vma[] = [];
  startBrk = 0;
  brk = 0;
  /** mmap_base: top-down allocations start below it */
  mmapBase = 0x7ffff7fff000;
  stackTop = 0x7ffffffff000;
  /** rss counters, as mm->rss_stat: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES */
  rssFile = 0;
  rssAnon = 0;
  rssShmem = 0;
  swapEnts = 0;
  hiwaterRss = 0;
  lockedVm = 0;
  /** mlockall(MCL_FUTURE) */
  lockFuture = false;

  constructor(readonly pageSize: number) {}

  get rss(): number {
    return this.rssFile + this.rssAnon + this.rssShmem;
  }
  updateHiwater(): void {
    const r = this.rss;
    if (r > this.hiwaterRss) this.hiwaterRss = r;
  }

  find(addr: number): Vma | undefined {
    // VMAs are few; a linear scan reads like find_vma and is fast enough
    for (const v of this.vmas) if (addr >= v.start && addr < v.end) return v;
    return undefined;
  }

  insert(v: Vma): void {
    this.vmas.push(v);
    this.vmas.sort((a, b) => a.start - b.start);
  }

  remove(v: Vma): void {
    this.vmas = this.vmas.filter((x) => x !== v);
  }

  /** get_unmapped_area, top-down: the highest gap below mmap_base that fits `len` */
  unmappedArea(len: number, align = this.pageSize): number {
    let ceiling = this.mmapBase;
    const below = [...this.vmas].filter((v) => v.start < this.mmapBase && v.kind !== 'stack').sort((a, b) => b.start - a.start);
    for (const v of below) {
      if (v.end <= ceiling) {
        const start = Math.floor((ceiling - len) / align) * align;
        if (start >= v.end) return start;
      }
      ceiling = Math.min(ceiling, v.start);
    }
    const start = Math.floor((ceiling - len) / align) * align;
    if (start <= this.brk + 64 * 1024 * 1024) return -1;
    return start;
  }

  get totalVm(): number {
    return this.vmas.reduce((a, v) => a + (v.end - v.start), 0);
  }
}
