/**
 * exec, after fs/exec.c and fs/binfmt_elf.c (with ld.so's work folded in): a small C program's
 * image as the kernel and ld.so lay it out on x86-64 with glibc 2.36 (what `pmap -x` shows for
 * such a program before main), with the pages exec and the dynamic loader have already touched.
 *
 * Address-space layout randomisation: with ASLR off (a run without a seed: `setarch -R`, or gdb)
 * the bases are Linux's fixed ones, so every run prints the same addresses. A run with a seed
 * randomises them as Linux's ASLR does on x86-64 (arch_mmap_rnd: 28 bits of pages for the PIE
 * base and mmap_base, 22 bits for the stack, up to 32 MiB for the brk start), drawn from the
 * seed: the same seed gives the same layout, and so the same run.
 */
import { getFile, type FileObject } from './filemap.js';
import type { Kernel } from './kernel.js';
import { Task } from './kernel.js';
import { faultPage } from './memory.js';
import { addVma, Mm, parseProt, TASK_SIZE, Vma, type VmaKind } from './mmap.js';
import { KiB, MiB } from './units.js';

/** ELF_ET_DYN_BASE: where a PIE is loaded without randomisation */
export const ELF_ET_DYN_BASE = 0x555555554000;
/** mmap_base without randomisation: TASK_SIZE less the 128 MiB minimum gap */
export const MMAP_BASE_NORND = 0x7ffff7fff000;

/** mulberry32: a small seeded generator of 32-bit values (the run's only source of chance) */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

interface Layout {
  pieBase: number;
  mmapTop: number;
  stackTop: number;
  brkPad: number;
}

function layout(k: Kernel): Layout {
  const rnd = k.aslr;
  if (!rnd) return { pieBase: ELF_ET_DYN_BASE, mmapTop: MMAP_BASE_NORND, stackTop: TASK_SIZE, brkPad: 0 };
  const page = 4096;
  const mmapRnd = (rnd() & ((1 << 28) - 1)) * page; // mmap_rnd_bits = 28
  const pieRnd = (rnd() & ((1 << 28) - 1)) * page;
  const stackRnd = (rnd() & ((1 << 22) - 1)) * page; // stack_maxrandom_size: 16 GiB
  const brkRnd = (rnd() % 0x2000) * page; // randomize_page(brk, 0x02000000)
  // mmap_base: below the stack's rlimit, its random range and the guard gap
  const gap = Math.max(128 * MiB, 8 * MiB + (1 << 22) * page + 256 * page);
  return { pieBase: ELF_ET_DYN_BASE + pieRnd, mmapTop: TASK_SIZE - gap - mmapRnd, stackTop: TASK_SIZE - stackRnd, brkPad: brkRnd };
}

/** execve of a small dynamically linked C program: a new task with its image mapped and partly touched. */
export function spawn(k: Kernel, name: string): Task {
  const mm = new Mm(k.pageSize, k.tableMeter);
  const t = new Task(k.nextPid++, name, mm);
  const ps = k.pageSize;
  const lay = layout(k);
  const exe = getFile(k, name, false, 8);
  const libc = getFile(k, '/usr/lib/x86_64-linux-gnu/libc.so.6', false, Math.ceil((1948 * KiB) / ps));
  const ld = getFile(k, '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', false, Math.ceil((216 * KiB) / ps));
  const base = lay.pieBase;
  const seg = (start: number, size: number, kind: VmaKind, prot: string, file: FileObject | null, pgoff: number, label: string) =>
    addVma(k, new Vma(mm, start, start + size, kind, parseProt(prot), false, file, pgoff, label));
  const pg = (n: number) => n * ps;
  seg(base, pg(1), 'rodata', 'r', exe, 0, name);
  seg(base + pg(1), pg(1), 'text', 'rx', exe, 1, name);
  seg(base + pg(2), pg(1), 'rodata', 'r', exe, 2, name);
  seg(base + pg(3), pg(1), 'rodata', 'r', exe, 3, name); // RELRO
  seg(base + pg(4), pg(1), 'data', 'rw', exe, 4, name);
  mm.startBrk = mm.brk = base + pg(5) + lay.brkPad;
  let top = lay.mmapTop + pg(2);
  const lib = (size: number, prot: string, f: FileObject | null, pgoff: number, kind: VmaKind, label: string) => {
    top -= size;
    return seg(top, size, kind, prot, f, pgoff, label);
  };
  // ld.so, top-down
  lib(pg(2), 'rw', ld, 52, 'lib', 'ld.so');
  lib(pg(2), 'r', ld, 50, 'lib', 'ld.so');
  lib(pg(10), 'r', ld, 40, 'lib', 'ld.so');
  lib(pg(39), 'rx', ld, 1, 'lib', 'ld.so');
  lib(pg(1), 'r', ld, 0, 'lib', 'ld.so');
  lib(pg(2), 'rx', null, 0, 'vdso', '[vdso]');
  lib(pg(4), 'r', null, 0, 'vdso', '[vvar]');
  lib(pg(2), 'rw', null, 0, 'anon', '[ anon ]');
  lib(pg(13), 'rw', null, 0, 'anon', '[ anon ]');
  lib(pg(2), 'rw', libc, 485, 'lib', 'libc');
  lib(pg(4), 'r', libc, 481, 'lib', 'libc');
  lib(pg(85), 'r', libc, 396, 'lib', 'libc');
  lib(pg(345), 'rx', libc, 38, 'lib', 'libc');
  lib(pg(38), 'r', libc, 0, 'lib', 'libc');
  lib(pg(3), 'rw', null, 0, 'anon', '[ anon ]');
  mm.mmapBase = top;
  mm.stackTop = lay.stackTop;
  const stack = seg(mm.stackTop - 132 * KiB, 132 * KiB, 'stack', 'rw', null, 0, '[stack]');
  k.tasks.push(t);
  // what exec and ld.so touched: the program's pages, most of libc's and ld.so's code, the stack top
  const { minflt, majflt } = t;
  const vm = { ...k.vmstat };
  const tally = { minor: 0, major: 0, cow: 0, zero: 0 };
  const mode = { kswapdAwake: false, swapIn: true };
  k.trace.paused = true;
  for (const v of mm.vmas) {
    if (v.kind === 'vdso') continue;
    const n = v.file ? (v.kind === 'lib' && v.prot.exec ? Math.ceil(v.pages * 0.62) : v.pages) : v === stack ? 3 : Math.min(v.pages, 3);
    const from = v === stack ? v.pages - n : 0;
    for (let i = from; i < from + n; i++) faultPage(k, t, v, i, !v.file && v.prot.write, tally, mode);
  }
  k.trace.paused = false;
  // exec's own work: not the program's faults
  t.minflt = minflt;
  t.majflt = majflt;
  Object.assign(k.vmstat, vm);
  mm.updateHiwater();
  return t;
}
