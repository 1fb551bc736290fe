/**
 * Files and the page cache, after mm/filemap.c (and mm/shmem.c for tmpfs objects): a file's
 * pages in RAM by page index (the address_space's xarray: sparse, so a 1 TiB file that nobody
 * read costs nothing), the VMAs that map it (i_mmap, for rmap), and read(2)/write(2), which fill
 * and dirty the page cache without mapping anything into the process.
 */
import type { Kernel } from './kernel.js';
import type { Vma } from './mmap.js';
import { SparseEntries } from './pgtable.js';

/** A file, or a tmpfs object behind shared anonymous memory: its page cache, by page index. */
export class FileObject {
  /** frame holding each page, PTE_NONE when not cached; for shmem also swap entries */
  readonly pages = new SparseEntries(512);
  /** VMAs that map it (the file's i_mmap, for rmap) */
  readonly mappers = new Set<Vma>();
  constructor(
    readonly id: number,
    readonly name: string,
    readonly shmem: boolean,
    /** i_size in pages */
    public sizePages: number,
  ) {}
}

/** The file (or tmpfs object) by name, made on first use; it grows to `sizePages` when written or mapped beyond its end. */
export function getFile(k: Kernel, name: string, shmem = false, sizePages = 0): FileObject {
  let f = k.files.get(name);
  if (!f) {
    f = new FileObject(k.files.size + 1, name, shmem, Math.max(1, sizePages));
    k.files.set(name, f);
    k.filesById.set(f.id, f);
  }
  if (sizePages > f.sizePages) f.sizePages = sizePages;
  return f;
}
