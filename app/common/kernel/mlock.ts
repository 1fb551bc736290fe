/**
 * mlock, after mm/mlock.c: locked VMAs' pages are unevictable (VmLck, Mlocked); mlock and
 * mlockall(MCL_CURRENT) populate the range (the caller faults it in through the chart);
 * MCL_FUTURE locks every later mapping; an unprivileged task may lock RLIMIT_MEMLOCK (8 MiB).
 * Simplified: mlock of part of a VMA locks the whole VMA (Linux splits it).
 */
import type { Kernel, Task } from './kernel.js';
import { lockRange, unlockRange } from './memory.js';
import type { Vma } from './mmap.js';
import { MiB } from './units.js';

export const RLIMIT_MEMLOCK = 8 * MiB;

export type MlockResult = { ok: true; populate: Vma[] } | { ok: false; errno: 'ENOMEM' };

/** mlock(2): lock the VMAs [addr, addr + len) touches; returns those to populate. */
export function sysMlock(k: Kernel, t: Task, addr: number, len: number): MlockResult {
  const vmas = t.mm.vmas.filter((v) => v.start < addr + len && v.end > addr && !v.locked);
  const extra = vmas.reduce((s, v) => s + (v.end - v.start), 0);
  const lockedNow = t.mm.vmas.filter((v) => v.locked).reduce((s, v) => s + (v.end - v.start), 0);
  if (t.uid !== 0 && lockedNow + extra > RLIMIT_MEMLOCK) return { ok: false, errno: 'ENOMEM' };
  for (const v of vmas) lockRange(k, v);
  return { ok: true, populate: vmas };
}

/** munlock(2) */
export function sysMunlock(k: Kernel, t: Task, addr: number, len: number): void {
  for (const v of t.mm.vmas) if (v.start < addr + len && v.end > addr && v.locked) unlockRange(k, v);
}

/** munlockall(2) */
export function sysMunlockall(k: Kernel, t: Task): void {
  for (const v of t.mm.vmas) if (v.locked) unlockRange(k, v);
  t.mm.lockFuture = false;
}

/** How mlock populates a VMA: writable private memory is faulted in for writing (library data is read). */
export function populatesForWrite(v: Vma): boolean {
  return v.prot.write && !v.shared && v.kind !== 'lib' && v.kind !== 'data';
}
