/** The shipped scenarios reproduce what the seeds claim where it is true, and what Linux does where they are not. */
import { describe, expect, it } from 'vitest';
import { runFile, runText, snap } from './helpers.js';

const GiB_kB = 1024 * 1024;

describe('VIRT vs RES (seed 000)', () => {
  const r = runFile('virt-vs-res.yaml');
  it('malloc(2 GiB) grows VIRT by 2 GiB and RES by almost nothing', () => {
    const a = snap(r, 'start').processes['a.out']!;
    const b = snap(r, 'after-malloc').processes['a.out']!;
    // 2 GiB + a page for the chunk header, and the 132 KiB heap glibc sets up on its first malloc
    expect(b.VmSize - a.VmSize).toBe(2 * GiB_kB + 4 + 132);
    expect(b.VmRSS - a.VmRSS).toBeLessThanOrEqual(12); // headers and the tcache: a few pages
  });
  it('memset of 1 GiB makes 1 GiB resident, one minor fault per page', () => {
    const b = snap(r, 'after-malloc').processes['a.out']!;
    const c = snap(r, 'after-memset').processes['a.out']!;
    // the range starts 16 bytes into a page malloc already touched, and ends 16 bytes into a new one
    expect(c.VmRSS - b.VmRSS).toBe(GiB_kB);
    expect(c.minflt - b.minflt).toBe(262144);
    expect(c.VmSize).toBe(b.VmSize);
  });
});

describe("the issue's example scenario", () => {
  const text = `machine: { ram: 4GiB, swap: 1GiB, swappiness: 60 }   # page_size, overcommit_memory, ... optional
processes:
  - { name: a }
  - { name: b, oom_score_adj: 500 }
steps:
  - { proc: a, malloc: 2GiB, as: m }
  - { proc: a, touch: m, length: 1GiB }           # write by default; offset, stride, write: false
  - { snapshot: after-memset }
  - { proc: a, fork: c }                          # c shares a's pages copy-on-write
  - { proc: c, touch: m, length: 64MiB }
  - { proc: b, malloc: 300KiB, as: x }
  - { proc: b, free: x }
  - { proc: b, mlock: y }                         # an error: y was never allocated -> exit 2, names step 8
`;
  it('runs steps 1-7 and stops at step 8 naming y', () => {
    const { report, error } = runText(text);
    expect(error?.message).toContain("'y'");
    expect(report.error).toMatchObject({ step: 8, field: 'mlock' });
    expect(report.snapshots.map((s) => s.label)).toEqual(['after-memset', 'end']);
    const end = snap(report, 'end');
    expect(end.processes.c!.minflt).toBe(16385); // 64 MiB from an unaligned pointer spans 16385 pages: each a COW break
    expect(report.syscalls.filter((s) => s.proc === 'b').map((s) => `${s.call} ${s.size}`)).toEqual(['brk 135168', 'mmap 311296', 'munmap 311296']);
  });
});

describe('malloc: brk below the threshold, mmap at and above it (seed 003, strace)', () => {
  const r = runFile('malloc-strace.yaml');
  it('asks the kernel exactly as glibc 2.36 does on this machine', () => {
    expect(r.syscalls.map((s) => `${s.call} ${s.size}`)).toEqual([
      'brk 135168', // the heap's first 132 KiB: tcache + malloc(4 KiB) + M_TOP_PAD
      // malloc(128 KiB) fits in the top chunk: no system call
      'mmap 311296', // malloc(300 KiB)
      'munmap 311296', // free raises the threshold to 311296
      'brk 307200', // so malloc(300 KiB) now comes from the heap
    ]);
  });
});

describe('free() and malloc_trim', () => {
  const r = runFile('free-and-trim.yaml');
  it('freeing chunks in the middle of the heap returns nothing; malloc_trim releases whole pages; freeing the top shrinks the heap', () => {
    const all = snap(r, 'all-touched').processes.app!;
    const mid = snap(r, 'middle-freed').processes.app!;
    const trim = snap(r, 'after-malloc_trim').processes.app!;
    const top = snap(r, 'top-freed').processes.app!;
    expect(mid.VmRSS).toBe(all.VmRSS);
    expect(mid.VmSize).toBe(all.VmSize);
    expect(trim.VmRSS).toBeLessThan(mid.VmRSS - 100);
    expect(r.syscalls.some((s) => s.call === 'madvise')).toBe(true);
    expect(top.VmSize).toBeLessThan(trim.VmSize);
  });
});

describe('fork and copy-on-write', () => {
  const r = runFile('fork-cow.yaml');
  it('shares pages after fork, copies only what is written', () => {
    const before = snap(r, 'before-fork');
    const after = snap(r, 'after-fork');
    const wrote = snap(r, 'child-wrote');
    const read = snap(r, 'child-read');
    // no page is copied at fork, but the child's page tables are: MemFree drops by exactly them
    expect(after.processes.child!.VmPTE).toBeGreaterThan(0);
    expect(after.meminfo.PageTables - before.meminfo.PageTables).toBe(after.processes.child!.VmPTE);
    expect(before.meminfo.MemFree - after.meminfo.MemFree).toBe(after.processes.child!.VmPTE);
    expect(after.processes.child!.VmRSS).toBe(after.processes.parent!.VmRSS); // shared pages count in both
    expect(wrote.processes.child!.minflt).toBe(4097); // 16 MiB from an unaligned pointer: 4097 pages copied
    expect(after.meminfo.MemFree - wrote.meminfo.MemFree).toBe(4097 * 4);
    expect(read.meminfo.MemFree).toBe(wrote.meminfo.MemFree); // reads copy nothing
  });
});

describe('page life (seed 003 L0-L5)', () => {
  const r = runFile('page-life.yaml');
  it('swaps an idle page out under pressure and back in with a major fault; small use-after-free does not fault', () => {
    expect(snap(r, 'L2-swapped-out').processes.demo!.VmSwap).toBeGreaterThan(0);
    expect(snap(r, 'L2-swapped-in').processes.demo!.majflt).toBe(1);
    expect(snap(r, 'L3-second-page').processes.demo!.minflt).toBe(snap(r, 'L2-swapped-in').processes.demo!.minflt + 1);
    expect(snap(r, 'L5-use-after-free').processes.demo!.state).toBe('running');
  });
});

describe('use after free', () => {
  const r = runFile('use-after-free.yaml');
  it('is silent for a small chunk and SIGSEGV for a munmapped one', () => {
    const s = snap(r, 'end-states').processes;
    expect(s.small!.state).toBe('running');
    expect(s.large!.state).toBe('killed:sigsegv');
    expect(r.log.some((l) => /large\[\d+\]: segfault at/.test(l.text))).toBe(true);
  });
});

describe('reclaim', () => {
  it('takes page cache before anonymous memory, with kswapd then direct reclaim', () => {
    const r = runFile('pressure-kswapd.yaml');
    const warm = snap(r, 'cache-warm');
    const dropped = snap(r, 'cache-dropped');
    const swapping = snap(r, 'swapping');
    expect(dropped.meminfo.Cached).toBeLessThan(warm.meminfo.Cached / 2);
    expect(dropped.vmstat.pswpout).toBe(0); // cache went first
    expect(dropped.vmstat.pgscan_kswapd).toBeGreaterThan(0);
    expect(swapping.vmstat.pswpout).toBeGreaterThan(0);
    expect(swapping.vmstat.pgscan_direct).toBeGreaterThan(0);
    expect(swapping.vmstat.allocstall_normal).toBeGreaterThan(0);
  });

  it('with swappiness 0 keeps anonymous memory while page cache remains', () => {
    const r = runFile('swappiness-0.yaml');
    const s = snap(r, 'end-of-growth');
    expect(s.vmstat.pswpout).toBe(0);
    expect(s.meminfo.Cached).toBeGreaterThan(0);
  });

  it('thrashes a working set larger than RAM', () => {
    const r = runFile('thrash.yaml');
    const s = snap(r, 'thrashed');
    // every major fault reads its page and the slots around it (vm.page-cluster = 3: 8 pages); the rest are swap-cache hits
    expect(s.processes.thrasher!.majflt).toBeGreaterThan(100_000);
    expect(s.vmstat.pgmajfault).toBe(s.processes.thrasher!.majflt);
    expect(s.vmstat.pswpin).toBe(s.vmstat.pgmajfault + s.vmstat.swap_ra);
    expect(s.vmstat.pswpin / s.vmstat.pgmajfault).toBeGreaterThan(7);
    expect(s.vmstat.pswpin / s.vmstat.pgmajfault).toBeLessThanOrEqual(8);
    expect(s.vmstat.swap_ra_hit).toBeGreaterThan(0.9 * s.vmstat.swap_ra);
  });
});

describe('mlock', () => {
  const r = runFile('mlock.yaml');
  it('pins locked pages under pressure and refuses more than RLIMIT_MEMLOCK to a user', () => {
    const s = snap(r, 'under-pressure').processes;
    expect(s.secret!.VmLck).toBe(32 * 1024 + 4);
    expect(s.secret!.VmRSS).toBeGreaterThanOrEqual(32 * 1024); // the key stayed
    expect(s.secret!.VmSwap).toBeGreaterThan(0); // the plain buffer did not
    expect(s.user!.VmLck).toBe(0);
    expect(r.syscalls.find((c) => c.proc === 'user' && c.call === 'mlock')?.text).toContain('ENOMEM');
  });
});

describe('the OOM killer', () => {
  it('kills the process with the highest badness, not the allocator', () => {
    const r = runFile('oom-killer.yaml');
    const s = snap(r, 'after-oom');
    expect(s.vmstat.oom_kill).toBe(1);
    expect(s.processes.database!.state).toBe('killed:oom');
    expect(s.processes.worker!.state).toBe('running');
    const report = r.log.map((l) => l.text);
    expect(report.some((l) => /^worker invoked oom-killer: gfp_mask=/.test(l))).toBe(true);
    expect(report.some((l) => /^Out of memory: Killed process \d+ \(database\) total-vm:\d+kB, anon-rss:\d+kB, file-rss:\d+kB, shmem-rss:\d+kB, UID:1000 pgtables:\d+kB oom_score_adj:0$/.test(l))).toBe(true);
    // OOM only after reclaim failed: direct reclaim ran
    expect(s.vmstat.pgscan_direct).toBeGreaterThan(0);
  });

  it('follows oom_score_adj', () => {
    const r = runFile('oom-score-adj.yaml');
    const s = snap(r, 'after-oom');
    expect(s.processes.cache!.state).toBe('killed:oom');
    expect(s.processes.database!.state).toBe('running');
    const full = snap(r, 'full');
    expect(full.processes.cache!.oom_score).toBeGreaterThan(full.processes.database!.oom_score);
  });
});

describe('stack and overcommit', () => {
  it('alloca within RLIMIT_STACK is fine; past it is SIGSEGV', () => {
    const r = runFile('stack-alloca.yaml');
    expect(snap(r, 'half-the-limit').processes.ok!.VmStk).toBeGreaterThanOrEqual(4096);
    expect(snap(r, 'overflowed').processes.overflow!.state).toBe('killed:sigsegv');
  });
  it('overcommit 0 refuses only the impossible; 2 enforces the commit limit', () => {
    const r = runFile('overcommit.yaml');
    const calls = r.syscalls.filter((c) => c.call === 'mmap').map((c) => c.text);
    expect(calls[0]).toContain('ENOMEM');
    expect(calls[1]).not.toContain('ENOMEM');
    expect(calls[2]).toContain('ENOMEM');
  });
  it('shared memory counts in every RES but once in the machine', () => {
    const r = runFile('shared-memory.yaml');
    const s = snap(r, 'shared');
    expect(s.processes.server!.RssShmem).toBe(64 * 1024);
    expect(s.processes.worker!.RssShmem).toBe(64 * 1024);
    expect(s.meminfo.Shmem).toBe(64 * 1024);
  });
});
