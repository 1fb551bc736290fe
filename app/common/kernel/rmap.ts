/**
 * Reverse mapping, after mm/rmap.c: from an anonymous frame to the page-table entries that map
 * it, through its anon_vma (the frame's owner) and its index counted from the anon_vma's base.
 * Reclaim unmaps a page this way (try_to_unmap, inlined in vmscan.ts reclaimAnon for speed); the
 * frame grid asks it whose a frame is.
 */
import type { Kernel } from './kernel.js';
import type { Mm, Vma } from './mmap.js';

/**
 * rmap_walk_anon (mm/rmap.c): each VMA of the anonymous frame f's anon_vma whose page table maps f
 * at the frame's index, with the mapped virtual page number; fn returning true stops the walk.
 * After fork parent and child share one anon_vma, so only the page tables tell a copy-on-write
 * copy (mapped by the one that wrote) from the page it was copied from.
 */
export function rmapWalkAnon(k: Kernel, f: number, fn: (v: Vma, vpn: number) => boolean | void): void {
  const anon = k.anonVmas.get(k.frames.owner[f]!);
  if (!anon) return;
  const vpn = anon.base + k.frames.index[f]!;
  const list = anon.list;
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    if (vpn < v.vpn0 || vpn >= v.vpn0 + v.pages || v.mm.pt.get(vpn) !== f) continue;
    if (fn(v, vpn) === true) return;
  }
}

/**
 * The address space an anonymous frame belongs to: the first whose page table maps it (rmap), or,
 * for a swap-cache page nobody maps, the first VMA of its anon_vma; undefined for a frame no
 * anon_vma holds.
 */
export function anonFrameMm(k: Kernel, f: number): Mm | undefined {
  let mm: Mm | undefined;
  rmapWalkAnon(k, f, (v) => {
    mm = v.mm;
    return true;
  });
  return mm ?? k.anonVmas.get(k.frames.owner[f]!)?.members.values().next().value?.mm;
}
