/**
 * Address spaces, after mm/mmap.c: the mm_struct with its VMAs (vm_area_struct) and page tables,
 * the brk heap, top-down mmap placement below mmap_base, munmap (splitting a VMA when the hole is
 * in its middle), and the overcommit check (__vm_enough_memory, mm/util.c).
 * Addresses are those of an x86-64 process started without ASLR (as under gdb), unless the run
 * has a seed: then exec.ts randomises the bases as Linux's ASLR does, the same seed the same way.
 */
import type { FileObject } from './filemap.js';
import type { Kernel, Task } from './kernel.js';
import { tableFrames, zapPte } from './memory.js';
import { type ChunkMeter, PageTables } from './pgtable.js';

export { PTE_NONE, PTE_ZERO, pteSwap, swapSlotOf, isSwapPte } from './pgtable.js';

export type VmaKind = 'text' | 'rodata' | 'data' | 'bss' | 'heap' | 'stack' | 'anon' | 'file' | 'shm' | 'lib' | 'vdso';

/** TASK_SIZE on x86-64 with 4-level page tables: the top of user space (128 TiB). */
export const TASK_SIZE = 0x7ffffffff000;

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

let nextVmaId = 1;

/**
 * anon_vma (mm/rmap.c): the VMAs that may map the same anonymous pages (a VMA and its copies in
 * forked children, and the pieces of a split VMA). An anonymous frame's owner is its anon_vma;
 * its index is the page's number counted from `base`, so reclaim finds every PTE that maps it.
 */
export class AnonVma {
  readonly id = nextVmaId++;
  readonly members = new Set<Vma>();
  /** the members in order as an array, for reclaim's rmap walk (no iterator per page) */
  list: Vma[] = [];
  constructor(readonly base: number) {}

  add(v: Vma): void {
    if (this.members.has(v)) return;
    this.members.add(v);
    this.list.push(v);
  }

  delete(v: Vma): void {
    if (this.members.delete(v)) this.list = this.list.filter((w) => w !== v);
  }
}

export class Vma {
  readonly id = nextVmaId++;
  locked = false;
  /** anon_vma: the family that shares anonymous pages with this one after fork */
  anon: AnonVma;
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
    anon?: AnonVma,
  ) {
    this.anon = anon ?? new AnonVma(start / mm.pageSize);
  }

  /** the virtual page number of the first page */
  get vpn0(): number {
    return this.start / this.mm.pageSize;
  }
  get pages(): number {
    return (this.end - this.start) / this.mm.pageSize;
  }
  /** the page-table entry of page idx of this VMA */
  pte(idx: number): number {
    return this.mm.pt.get(this.start / this.mm.pageSize + idx);
  }
  setPte(idx: number, v: number): void {
    this.mm.pt.set(this.start / this.mm.pageSize + idx, v);
  }
  /** Every entry other than PTE_NONE, by page index in the VMA (empty 2 MiB spans cost nothing). */
  forEachPte(fn: (idx: number, pte: number) => void, from = 0, to = this.pages): void {
    const v0 = this.vpn0;
    this.mm.pt.forEach(v0 + from, v0 + to, (vpn, pte) => fn(vpn - v0, pte));
  }
  /** the index of this VMA's page idx in its anon_vma (frames.index of an anonymous page) */
  anonIndex(idx: number): number {
    return this.vpn0 + idx - this.anon.base;
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
}

/** The mm_struct: one process's address space. */
export class Mm {
  vmas: Vma[] = [];
  /** the page tables (pgd): entries exist only where something was touched */
  readonly pt: PageTables;
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
  /** bytes of the stack in use (the deepest alloca so far) */
  stackUsed = 12 * 1024;

  constructor(
    readonly pageSize: number,
    meter?: ChunkMeter,
  ) {
    this.pt = new PageTables(pageSize, meter);
  }

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

  /** Is any part of [start, end) mapped by a VMA? */
  mapped(start: number, end: number): boolean {
    for (const v of this.vmas) if (v.start < end && v.end > start) return true;
    return false;
  }

  /** get_unmapped_area, top-down: the highest gap below mmap_base that fits `len` (-1: none) */
  unmappedArea(len: number, align = this.pageSize): number {
    if (!(len > 0) || len > TASK_SIZE) return -1;
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

export function addVma(k: Kernel, v: Vma): Vma {
  k.vmas.set(v.id, v);
  v.mm.insert(v);
  v.anon.add(v);
  k.anonVmas.set(v.anon.id, v.anon);
  if (v.file) v.file.mappers.add(v);
  if (v.mm.lockFuture) v.locked = true;
  return v;
}

/** free_pgtables for [start, end): tables whose whole span no VMA maps any more go back to the allocator. */
function freePgtables(k: Kernel, mm: Mm, start: number, end: number): void {
  const ps = k.pageSize;
  mm.pt.freeTables(start / ps, end / ps, (a, b) => mm.mapped(a * ps, b * ps), tableFrames(k));
}

function detach(k: Kernel, v: Vma): void {
  v.mm.remove(v);
  v.anon.delete(v);
  if (v.anon.members.size === 0) k.anonVmas.delete(v.anon.id);
  if (v.file) v.file.mappers.delete(v);
  k.vmas.delete(v.id);
}

/** Remove a whole VMA: zap its entries, free the page tables nothing else uses. */
export function unmapVma(k: Kernel, v: Vma): void {
  v.forEachPte((i) => zapPte(k, v, i));
  detach(k, v);
  freePgtables(k, v.mm, v.start, v.end);
}

/** Unmap [start, end) of a VMA (page aligned), splitting it when the hole is in the middle. */
export function unmapRange(k: Kernel, v: Vma, start: number, end: number): void {
  const ps = k.pageSize;
  if (start <= v.start && end >= v.end) return unmapVma(k, v);
  const a = (Math.max(start, v.start) - v.start) / ps;
  const b = (Math.min(end, v.end) - v.start) / ps;
  v.forEachPte((i) => zapPte(k, v, i), a, b);
  if (start <= v.start) {
    // cut the front
    v.pgoff += b;
    v.start = end;
  } else if (end >= v.end) {
    v.end = start;
  } else {
    // split: keep the front in v, the back becomes a new VMA of the same anon_vma
    const back = new Vma(v.mm, end, v.end, v.kind, v.prot, v.shared, v.file, v.pgoff + b, v.name, v.anon);
    back.locked = v.locked;
    back.label = v.label;
    v.end = start;
    addVma(k, back);
  }
  freePgtables(k, v.mm, start, end);
}

/** munmap(2) of [addr, addr + len): every VMA it covers, page aligned. */
export function sysMunmap(k: Kernel, t: Task, addr: number, len: number): void {
  const ps = k.pageSize;
  const start = Math.floor(addr / ps) * ps;
  const end = Math.ceil((addr + len) / ps) * ps;
  for (const v of [...t.mm.vmas]) if (v.start < end && v.end > start) unmapRange(k, v, start, end);
}

/** Committed_AS: what private writable mappings could need (the overcommit charge). */
export function committedAs(k: Kernel): number {
  let pages = 0;
  for (const t of k.tasks) if (t.alive) for (const v of t.mm.vmas) if (v.privateWritable || (v.shared && !v.file?.name.startsWith('/'))) pages += v.pages;
  return pages;
}

/** CommitLimit (overcommit_memory=2): swap + RAM * overcommit_ratio / 100 */
export function commitLimit(k: Kernel): number {
  return k.swap.slots + Math.floor((k.managedPages * k.cfg.overcommitRatio) / 100);
}

/**
 * __vm_enough_memory: may a new private writable mapping of `pages` be made?
 * 0 (heuristic): refuse only what could never fit (more than RAM + swap); 1: always; 2: strict.
 */
export function enoughMemory(k: Kernel, pages: number): boolean {
  if (k.cfg.overcommitMemory === 1) return true;
  if (k.cfg.overcommitMemory === 0) return pages <= k.managedPages + k.swap.slots;
  return committedAs(k) + pages <= commitLimit(k);
}

export type MmapResult = { ok: true; addr: number; vma: Vma } | { ok: false; errno: 'ENOMEM' | 'EINVAL' };

/** mmap(2): place a mapping top-down below mmap_base. Nothing is faulted in here (MAP_POPULATE is the caller's touch). */
export function sysMmap(
  k: Kernel,
  t: Task,
  o: { len: number; prot: Prot; shared: boolean; file: FileObject | null; pgoff: number; kind: VmaKind; name: string; label?: string; addr?: number },
): MmapResult {
  const ps = k.pageSize;
  const len = Math.ceil(o.len / ps) * ps;
  if (len === 0) return { ok: false, errno: 'EINVAL' };
  if (len > TASK_SIZE) return { ok: false, errno: 'ENOMEM' };
  if (o.prot.write && !o.shared && !enoughMemory(k, len / ps)) return { ok: false, errno: 'ENOMEM' };
  const addr = o.addr ?? t.mm.unmappedArea(len);
  if (addr < 0) return { ok: false, errno: 'ENOMEM' };
  const v = addVma(k, new Vma(t.mm, addr, addr + len, o.kind, o.prot, o.shared, o.file, o.pgoff, o.name));
  v.label = o.label;
  return { ok: true, addr, vma: v };
}

/** brk(2): move the program break; false when the kernel refuses (ENOMEM), the break then stays. */
export function sysBrk(k: Kernel, t: Task, newBrk: number): boolean {
  const mm = t.mm;
  const ps = k.pageSize;
  const end = Math.ceil(newBrk / ps) * ps;
  let heap = mm.vmas.find((v) => v.kind === 'heap');
  if (newBrk > mm.brk) {
    const grow = (end - (heap ? heap.end : mm.startBrk)) / ps;
    if (grow > 0 && (!enoughMemory(k, grow) || mm.mapped(heap ? heap.end : mm.startBrk, end) || end > mm.mmapBase)) return false;
    if (!heap) heap = addVma(k, new Vma(mm, mm.startBrk, Math.max(end, mm.startBrk + ps), 'heap', parseProt('rw'), false, null, 0, '[heap]'));
    else if (end > heap.end) heap.end = end;
  } else if (heap) {
    if (end <= heap.start) unmapVma(k, heap);
    else if (end < heap.end) unmapRange(k, heap, end, heap.end);
  }
  mm.brk = newBrk;
  return true;
}
