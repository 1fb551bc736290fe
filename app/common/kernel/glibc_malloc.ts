/**
 * The user-space allocator above the kernel, after glibc 2.3x malloc/malloc.c (main arena,
 * 64-bit): chunk headers and 16-byte alignment, tcache for small chunks, best-fit reuse of free
 * chunks with coalescing, the top chunk, sysmalloc choosing mmap for requests at or above
 * M_MMAP_THRESHOLD (128 KiB, raised dynamically when an mmapped chunk is freed) and brk with
 * M_TOP_PAD otherwise, systrim past M_TRIM_THRESHOLD, and malloc_trim's MADV_DONTNEED of whole
 * free pages. It asks the kernel for memory only through the system calls it returns.
 */

const SIZE_SZ = 8;
const MALLOC_ALIGNMENT = 16;
const MINSIZE = 32;
const DEFAULT_MMAP_THRESHOLD = 128 * 1024;
const DEFAULT_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024; // 4 * 1024 * 1024 * sizeof(long)
const DEFAULT_TOP_PAD = 128 * 1024;
const FASTBIN_CONSOLIDATION_THRESHOLD = 64 * 1024;
const TCACHE_MAX_CHUNK = 1040; // chunks of up to 1032 bytes of user data
const TCACHE_COUNT = 7;
const TCACHE_STRUCT_SIZE = 640; // sizeof(tcache_perthread_struct): 64 counts (uint16) + 64 pointers

export type Sys =
  | { call: 'brk'; addr: number; size: number } // new break; size > 0 grows, < 0 shrinks
  | { call: 'mmap'; addr: number; size: number }
  | { call: 'munmap'; addr: number; size: number }
  | { call: 'madvise'; addr: number; size: number }; // MADV_DONTNEED

export interface MallocResult {
  /** the pointer returned to the program (0 = NULL) */
  ptr: number;
  chunk: number;
  chunkSize: number;
  mmapped: boolean;
  sys: Sys[];
  /** bytes malloc itself writes: chunk headers (these pages become resident) */
  writes: Array<{ addr: number; len: number }>;
  /** calloc only: whether the memory must be cleared by writing (reused chunk) */
  mustClear?: boolean;
}

interface Chunk {
  addr: number;
  size: number;
  free: boolean;
  mmapped: boolean;
  inTcache: boolean;
}

export const request2size = (req: number) => Math.max(MINSIZE, Math.floor((req + SIZE_SZ + MALLOC_ALIGNMENT - 1) / MALLOC_ALIGNMENT) * MALLOC_ALIGNMENT);
const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;
const alignDown = (x: number, a: number) => Math.floor(x / a) * a;

export class GlibcArena {
  mmapThreshold = DEFAULT_MMAP_THRESHOLD;
  trimThreshold = 128 * 1024;
  topPad = DEFAULT_TOP_PAD;
  /** mallopt(M_MMAP_THRESHOLD, ...) switches the dynamic raise off */
  noDynThreshold = false;
  /** heap chunks by address (not the top chunk) */
  private chunks = new Map<number, Chunk>();
  /** mmapped chunks by address */
  private mmapped = new Map<number, Chunk>();
  private tcache = new Map<number, number[]>();
  heapStart = 0;
  top = 0; // address of the top chunk
  brk = 0; // end of the heap
  /** set by the kernel side: the program break at exec, and where mmap places things */
  startBrk = 0;

  constructor(readonly pageSize: number) {}

  clone(): GlibcArena {
    const a = new GlibcArena(this.pageSize);
    Object.assign(a, { mmapThreshold: this.mmapThreshold, trimThreshold: this.trimThreshold, topPad: this.topPad, noDynThreshold: this.noDynThreshold });
    a.heapStart = this.heapStart;
    a.top = this.top;
    a.brk = this.brk;
    a.startBrk = this.startBrk;
    a.tcacheReady = this.tcacheReady;
    for (const [k, c] of this.chunks) {
      const copy = { ...c };
      a.chunks.set(k, copy);
      if (copy.free) a.freeSet.add(copy);
    }
    for (const [k, c] of this.mmapped) a.mmapped.set(k, { ...c });
    for (const [k, v] of this.tcache) a.tcache.set(k, [...v]);
    return a;
  }

  /** the free chunks (glibc's bins), kept beside the chunk map so a search never walks chunks in use */
  private freeSet = new Set<Chunk>();

  get topSize(): number {
    return this.brk - this.top;
  }

  /** bytes of heap in use by the program (for the massif-style view) */
  inUseBytes(): { heap: number; mmapped: number; free: number; top: number } {
    let heap = 0;
    let free = 0;
    for (const c of this.chunks.values()) {
      if (c.free || c.inTcache) free += c.size;
      else heap += c.size;
    }
    let mm = 0;
    for (const c of this.mmapped.values()) mm += c.size;
    return { heap, mmapped: mm, free, top: this.topSize };
  }

  chunkOf(ptr: number): { size: number; mmapped: boolean; free: boolean } | undefined {
    const addr = ptr - 2 * SIZE_SZ;
    const c = this.chunks.get(addr) ?? this.mmapped.get(addr);
    return c ? { size: c.size, mmapped: c.mmapped, free: c.free || c.inTcache } : undefined;
  }

  /** glibc allocates its tcache_perthread_struct (640 bytes) on the first malloc */
  private tcacheReady = false;

  /** `mmapAt` asks the kernel for an address for a new mapping (get_unmapped_area); -1 if none. */
  malloc(req: number, mmapAt: (len: number) => number): MallocResult {
    if (!this.tcacheReady) {
      this.tcacheReady = true;
      const t = this.mallocInner(TCACHE_STRUCT_SIZE, mmapAt);
      const r = this.mallocInner(req, mmapAt);
      return { ...r, sys: [...t.sys, ...r.sys], writes: [...t.writes, ...r.writes] };
    }
    return this.mallocInner(req, mmapAt);
  }

  private mallocInner(req: number, mmapAt: (len: number) => number): MallocResult {
    const nb = request2size(req);
    // tcache
    const tc = this.tcache.get(nb);
    if (tc && tc.length) {
      const addr = tc.pop()!;
      const c = this.chunks.get(addr)!;
      c.inTcache = false;
      return { ptr: addr + 2 * SIZE_SZ, chunk: addr, chunkSize: c.size, mmapped: false, sys: [], writes: [], mustClear: true };
    }
    // best fit among free chunks (the bins)
    let best: Chunk | undefined;
    for (const c of this.freeSet) if (c.size >= nb && (!best || c.size < best.size || (c.size === best.size && c.addr < best.addr))) best = c;
    if (best) {
      const writes = [{ addr: best.addr, len: 16 }];
      if (best.size - nb >= MINSIZE) {
        const rest: Chunk = { addr: best.addr + nb, size: best.size - nb, free: true, mmapped: false, inTcache: false };
        this.chunks.set(rest.addr, rest);
        this.freeSet.add(rest);
        best.size = nb;
        writes.push({ addr: rest.addr, len: 16 });
      }
      best.free = false;
      this.freeSet.delete(best);
      return { ptr: best.addr + 2 * SIZE_SZ, chunk: best.addr, chunkSize: best.size, mmapped: false, sys: [], writes, mustClear: true };
    }
    // the top chunk
    if (this.heapStart && this.topSize >= nb + MINSIZE) return this.fromTop(nb, []);
    // sysmalloc
    if (nb >= this.mmapThreshold) {
      const size = alignUp(nb + SIZE_SZ, this.pageSize);
      const addr = mmapAt(size);
      if (addr >= 0) {
        const c: Chunk = { addr, size, free: false, mmapped: true, inTcache: false };
        this.mmapped.set(addr, c);
        return { ptr: addr + 2 * SIZE_SZ, chunk: addr, chunkSize: size, mmapped: true, sys: [{ call: 'mmap', addr, size }], writes: [{ addr, len: 16 }], mustClear: false };
      }
      // mmap failed: glibc falls back to the heap
    }
    const sys: Sys[] = [];
    if (!this.heapStart) {
      this.heapStart = this.top = this.brk = alignUp(this.startBrk, MALLOC_ALIGNMENT);
      const size = alignUp(nb + this.topPad + MINSIZE, this.pageSize);
      this.brk += size;
      sys.push({ call: 'brk', addr: this.brk, size });
    } else {
      const size = alignUp(nb + this.topPad + MINSIZE - this.topSize, this.pageSize);
      this.brk += size;
      sys.push({ call: 'brk', addr: this.brk, size });
    }
    return this.fromTop(nb, sys);
  }

  private fromTop(nb: number, sys: Sys[]): MallocResult {
    const c: Chunk = { addr: this.top, size: nb, free: false, mmapped: false, inTcache: false };
    this.chunks.set(c.addr, c);
    this.top += nb;
    return { ptr: c.addr + 2 * SIZE_SZ, chunk: c.addr, chunkSize: nb, mmapped: false, sys, writes: [{ addr: c.addr, len: 16 }, { addr: this.top, len: 16 }], mustClear: false };
  }

  /** Undo a malloc whose system call the kernel refused (ENOMEM). */
  rollback(r: MallocResult): void {
    if (r.mmapped) this.mmapped.delete(r.chunk);
    else {
      this.chunks.delete(r.chunk);
      if (r.chunk + r.chunkSize === this.top) this.top = r.chunk;
      for (const s of r.sys) if (s.call === 'brk') this.brk -= s.size;
    }
  }

  /** free(); returns the system calls it makes (munmap, brk shrink). Throws on a bad pointer (glibc aborts). */
  free(ptr: number): { sys: Sys[]; error?: string } {
    const addr = ptr - 2 * SIZE_SZ;
    const m = this.mmapped.get(addr);
    if (m) {
      this.mmapped.delete(addr);
      // the dynamic mmap threshold (glibc 2.26+)
      if (!this.noDynThreshold && m.size > this.mmapThreshold && m.size <= DEFAULT_MMAP_THRESHOLD_MAX) {
        this.mmapThreshold = m.size;
        this.trimThreshold = 2 * m.size;
      }
      return { sys: [{ call: 'munmap', addr: m.addr, size: m.size }] };
    }
    const c = this.chunks.get(addr);
    if (!c) return { sys: [], error: 'free(): invalid pointer' };
    if (c.free || c.inTcache) return { sys: [], error: 'free(): double free detected in tcache 2' };
    if (c.size <= TCACHE_MAX_CHUNK) {
      const bin = this.tcache.get(c.size) ?? [];
      if (bin.length < TCACHE_COUNT) {
        bin.push(c.addr);
        this.tcache.set(c.size, bin);
        c.inTcache = true;
        return { sys: [] };
      }
    }
    c.free = true;
    this.freeSet.add(c);
    // coalesce forward and backward
    let merged = c;
    const next = this.chunks.get(c.addr + c.size);
    if (next && next.free) {
      c.size += next.size;
      this.chunks.delete(next.addr);
      this.freeSet.delete(next);
    }
    for (const p of this.freeSet) {
      if (p !== c && p.addr + p.size === c.addr) {
        p.size += c.size;
        this.chunks.delete(c.addr);
        this.freeSet.delete(c);
        merged = p;
        break;
      }
    }
    const sys: Sys[] = [];
    if (merged.addr + merged.size === this.top) {
      this.chunks.delete(merged.addr);
      this.freeSet.delete(merged);
      this.top = merged.addr;
    }
    if (merged.size >= FASTBIN_CONSOLIDATION_THRESHOLD || this.top === merged.addr) {
      if (this.topSize >= this.trimThreshold) sys.push(...this.systrim(this.topPad));
    }
    return { sys };
  }

  /** systrim: give back the top of the heap beyond pad */
  private systrim(pad: number): Sys[] {
    const extra = alignDown(this.topSize - pad - MINSIZE - 1, this.pageSize);
    if (extra <= 0) return [];
    this.brk -= extra;
    return [{ call: 'brk', addr: this.brk, size: -extra }];
  }

  /** malloc_trim(pad): trim the top, then MADV_DONTNEED every whole free page inside the heap. */
  trim(pad: number): Sys[] {
    // consolidate: tcache and free chunks merge (malloc_consolidate) before trimming
    const sys: Sys[] = [];
    for (const bin of this.tcache.values()) {
      for (const addr of bin) {
        const c = this.chunks.get(addr);
        if (c) {
          c.inTcache = false;
          c.free = true;
          this.freeSet.add(c);
        }
      }
    }
    this.tcache.clear();
    const sorted = [...this.chunks.values()].sort((a, b) => a.addr - b.addr);
    for (let i = 0; i < sorted.length; i++) {
      const c = sorted[i]!;
      if (!c.free || !this.chunks.has(c.addr)) continue;
      let n = this.chunks.get(c.addr + c.size);
      while (n && n.free) {
        c.size += n.size;
        this.chunks.delete(n.addr);
        this.freeSet.delete(n);
        n = this.chunks.get(c.addr + c.size);
      }
      if (c.addr + c.size === this.top) {
        this.chunks.delete(c.addr);
        this.freeSet.delete(c);
        this.top = c.addr;
      }
    }
    sys.push(...this.systrim(pad));
    for (const c of this.freeSet) {
      const start = alignUp(c.addr + 4 * SIZE_SZ, this.pageSize);
      const end = alignDown(c.addr + c.size, this.pageSize);
      if (end - start >= this.pageSize) sys.push({ call: 'madvise', addr: start, size: end - start });
    }
    return sys;
  }

  /** mallopt(M_MMAP_THRESHOLD) and friends */
  setThreshold(bytes: number): void {
    this.mmapThreshold = bytes;
    this.noDynThreshold = true;
  }
}
