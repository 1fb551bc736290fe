/**
 * madvise, after mm/madvise.c: MADV_DONTNEED drops the pages of a range (zap_page_range): the
 * next touch faults in a fresh zeroed page. glibc's malloc_trim uses it on free pages of the heap.
 */
import type { Kernel, Task } from './kernel.js';
import { zapPte } from './memory.js';

export function madviseDontneed(k: Kernel, t: Task, addr: number, len: number): void {
  const ps = k.pageSize;
  for (const v of t.mm.vmas) {
    if (v.start < addr + len && v.end > addr) {
      const a = Math.floor((Math.max(addr, v.start) - v.start) / ps);
      const b = Math.ceil((Math.min(addr + len, v.end) - v.start) / ps);
      v.forEachPte((i) => zapPte(k, v, i), a, b);
    }
  }
}
