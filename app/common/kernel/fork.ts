/**
 * fork, after kernel/fork.c (dup_mm, dup_mmap) and mm/memory.c (copy_page_range): the child gets
 * copies of the parent's VMAs and page tables (each table a frame of its own: MemFree drops on
 * fork); anonymous pages are shared copy-on-write, swap entries duplicated, mlock not inherited.
 */
import type { Kernel } from './kernel.js';
import { Task } from './kernel.js';
import { tableFrames } from './memory.js';
import { addVma, Mm, Vma } from './mmap.js';
import { FrameKind } from './page_alloc.js';
import { isSwapPte, PTE_NONE, swapSlotOf } from './pgtable.js';

/** Returns the child, or null when there is no memory for its page tables (fork fails with ENOMEM). */
export function fork(k: Kernel, parent: Task, childName: string): Task | null {
  const pt = parent.mm.pt;
  if (k.frames.free < pt.nrPtes + pt.nrPmds + pt.nrPuds) return null;
  const mm = new Mm(k.pageSize, k.tableMeter);
  mm.startBrk = parent.mm.startBrk;
  mm.brk = parent.mm.brk;
  mm.mmapBase = parent.mm.mmapBase;
  mm.stackTop = parent.mm.stackTop;
  mm.stackUsed = parent.mm.stackUsed;
  const child = new Task(k.nextPid++, childName, mm);
  child.oomScoreAdj = parent.oomScoreAdj;
  child.uid = parent.uid;
  child.stackLimit = parent.stackLimit;
  child.arena = parent.arena.clone();
  for (const [key, a] of parent.allocations) child.allocations.set(key, { ...a });
  for (const pv of parent.mm.vmas) {
    const cv = new Vma(mm, pv.start, pv.end, pv.kind, pv.prot, pv.shared, pv.file, pv.pgoff, pv.name, pv.anon);
    cv.label = pv.label;
    // mlock is not inherited across fork
    addVma(k, cv);
  }
  const frames = tableFrames(k);
  const fr = k.frames;
  for (const key of pt.tableKeys()) {
    const entries = mm.pt.copyTable(key, pt.table(key)!, frames);
    k.work += entries.length;
    for (let i = 0; i < entries.length; i++) {
      const pte = entries[i]!;
      if (pte === PTE_NONE) continue;
      if (pte >= 0) {
        fr.mapcount[pte]!++;
        const kind = fr.kind[pte]!;
        if (kind === FrameKind.Anon) mm.rssAnon++;
        else if (kind === FrameKind.Shmem) mm.rssShmem++;
        else mm.rssFile++;
      } else if (isSwapPte(pte)) {
        k.swap.dup(swapSlotOf(pte));
        mm.swapEnts++;
      }
    }
  }
  mm.hiwaterRss = mm.rss;
  k.tasks.push(child);
  return child;
}
