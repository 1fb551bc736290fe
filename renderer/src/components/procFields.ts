/**
 * Where every number the lab shows comes from on a real Linux system, and what it means: the
 * texts of the tooltips in the simulator (process table, address map, frame grid, counters) and
 * the host panel. One place, so the simulator and the live /proc readings explain a field the
 * same way.
 *
 * app/common/kernel/proc.ts has STATUS_FIELDS, but the renderer only reaches app/common/api
 * (the `@api` alias) and never bundles the kernel, so the texts live here, naming their /proc
 * source in full (they follow fs/proc/task_mmu.c, fs/proc/meminfo.c, mm/vmstat.c and procps).
 */

export interface ProcField {
  /** the exact file and field, e.g. "VmRSS in /proc/PID/status (kB)" */
  source: string;
  /** what it means, in a sentence a learner can hold against the simulator */
  meaning: string;
}

const status = (field: string, meaning: string, unit = ' (kB)'): ProcField => ({ source: `${field} in /proc/PID/status${unit}`, meaning });
const meminfo = (field: string, meaning: string): ProcField => ({ source: `${field} in /proc/meminfo (kB)`, meaning });
const vmstat = (field: string, meaning: string): ProcField => ({ source: `${field} in /proc/vmstat`, meaning });
const smaps = (field: string, meaning: string, file = 'smaps'): ProcField => ({ source: `${field} in /proc/PID/${file} (kB)`, meaning });
const zoneinfo = (field: string, meaning: string): ProcField => ({ source: `${field} in /proc/zoneinfo (pages, per zone)`, meaning });

export const PROC_FIELDS = {
  // ---- top's columns (procps top reads /proc/PID/stat, statm and status) ----
  'top.PID': { source: 'the directory name in /proc/PID (field 1 of /proc/PID/stat)', meaning: 'process ID' },
  'top.USER': { source: 'Uid in /proc/PID/status, looked up in /etc/passwd', meaning: 'the owner of the process (real user ID)' },
  'top.VIRT': status('VmSize', 'virtual memory size — every mapped page, touched or not (top: VIRT)'),
  'top.RES': status('VmRSS', 'resident set size — pages of this process now in RAM (anonymous + file + shmem: RssAnon + RssFile + RssShmem; top: RES)'),
  'top.SHR': status('RssFile + RssShmem', 'resident shared memory — file-backed pages and shmem/tmpfs pages, which other processes may map too (top: SHR)'),
  'top.SWAP': status('VmSwap', 'swap entries in this process\'s page tables — its private anonymous pages now in swap; shmem in swap is not counted (top: SWAP)'),
  'top.MEM_PCT': { source: '%MEM = VmRSS in /proc/PID/status ÷ MemTotal in /proc/meminfo × 100', meaning: 'the share of RAM this process holds, as top computes it (RES / MemTotal)' },
  'top.minflt': { source: 'minflt, field 10 of /proc/PID/stat', meaning: 'minor page faults since the process started — resolved without I/O (a new zeroed page, the zero page, or a page already in the page cache)' },
  'top.majflt': { source: 'majflt, field 12 of /proc/PID/stat', meaning: 'major page faults since the process started — the task waited for I/O (swap-in or a file read)' },
  'top.minfltRate': { source: 'minflt, field 10 of /proc/PID/stat, change per second between samples', meaning: 'minor page faults per second — resolved without I/O' },
  'top.majfltRate': { source: 'majflt, field 12 of /proc/PID/stat, change per second between samples', meaning: 'major page faults per second — the task waited for I/O (swap-in or a file read)' },
  'top.RES_SWAP': status('VmRSS + VmSwap', 'everything the process holds, in RAM or in swap'),
  'top.oom_score': { source: '/proc/PID/oom_score', meaning: 'the OOM killer\'s badness (RSS + swap entries + page tables, shifted by oom_score_adj) scaled to 0..2000; the highest is killed first' },
  'top.oom_score_adj': { source: '/proc/PID/oom_score_adj', meaning: 'added to the badness in thousandths of RAM + swap: -1000 never kill … +1000 kill first' },
  'top.COMMAND': { source: '/proc/PID/comm (field 2 of /proc/PID/stat)', meaning: 'the command name' },
  'sim.state': { source: 'State in /proc/PID/status (the simulator\'s own names)', meaning: 'running, blocked (D: waiting for I/O), exited, or killed (by the OOM killer or SIGSEGV)' },

  // ---- pmap -x's columns: pmap reads /proc/PID/smaps ----
  'pmap.Address': { source: 'start of the range, first column of /proc/PID/maps (and smaps)', meaning: 'where the mapping (VMA) begins in the virtual address space' },
  'pmap.Kbytes': smaps('Size', 'the mapping\'s virtual size (end − start in /proc/PID/maps), touched or not'),
  'pmap.RSS': smaps('Rss', 'resident set size of this mapping — its pages now in RAM'),
  'pmap.Dirty': smaps('Shared_Dirty + Private_Dirty', 'resident pages changed since they were read: file pages must be written back and anonymous pages swapped out before their frame can be reused'),
  'pmap.Swap': smaps('Swap', 'pages of this mapping now in swap'),
  'pmap.Mode': { source: 'perms column of /proc/PID/maps', meaning: 'r read, w write, x execute, s shared / p private (L: locked by mlock, VmFlags lo in smaps)' },
  'pmap.Mapping': { source: 'pathname column of /proc/PID/maps', meaning: 'the file mapped, [heap], [stack], or [ anon ] for anonymous memory' },
  'pmap.Segment': { source: 'the lab\'s classification of /proc/PID/maps (perms, inode and pathname)', meaning: 'text (r-x code), rodata (the program\'s read-only r-- parts: string literals, constants, ELF headers), data, bss, heap, stack, library, anonymous, vdso or another file' },
  'pmap.pages': {
    source: 'Rss and Swap in /proc/PID/smaps ÷ page size; per page, /proc/PID/pagemap (bit 63 present, bit 62 swapped) and KPF_ZERO_PAGE in /proc/kpageflags',
    meaning: 'the mapping\'s pages: resident in RAM, swapped out, mapped to the shared zero page (read but never written; not counted in Rss), or not in RAM (never touched, or a file page dropped from the page cache: it is still in its file)',
  },

  // ---- /proc/PID/smaps_rollup ----
  'rollup.Rss': smaps('Rss', 'all the process\'s resident pages, summed over its mappings (= VmRSS, counted exactly)', 'smaps_rollup'),
  'rollup.Pss': smaps('Pss', 'proportional set size — each resident page divided by the number of processes that map it', 'smaps_rollup'),
  'rollup.SwapPss': smaps('SwapPss', 'swapped pages divided by the number of processes that share them', 'smaps_rollup'),
  'rollup.USS': smaps('Private_Clean + Private_Dirty', 'unique set size — pages only this process maps: what killing it would free', 'smaps_rollup'),

  // ---- /proc/vmstat: counters since boot ----
  'vmstat.pgfault': vmstat('pgfault', 'page faults since boot, minor and major, of every task'),
  'vmstat.pgmajfault': vmstat('pgmajfault', 'major faults since boot — the task waited for I/O (swap or file)'),
  'vmstat.pswpin': vmstat('pswpin', 'pages read in from swap since boot'),
  'vmstat.pswpout': vmstat('pswpout', 'pages written out to swap since boot'),
  'vmstat.pgscan_kswapd': vmstat('pgscan_kswapd', 'pages kswapd scanned on the LRU lists since boot — background reclaim, woken below the low watermark'),
  'vmstat.pgscan_direct': vmstat('pgscan_direct', 'pages scanned by direct reclaim since boot — an allocating task had to reclaim itself, free memory being below the min watermark'),
  'vmstat.pgsteal_kswapd': vmstat('pgsteal_kswapd', 'pages kswapd reclaimed (freed) since boot'),
  'vmstat.pgsteal_direct': vmstat('pgsteal_direct', 'pages direct reclaim freed since boot'),
  'vmstat.oom_kill': vmstat('oom_kill', 'processes the OOM killer has killed since boot'),

  // ---- /proc/meminfo ----
  'meminfo.MemTotal': meminfo('MemTotal', 'RAM the kernel manages (physical RAM less what firmware and the kernel image reserve)'),
  'meminfo.MemFree': meminfo('MemFree', 'completely unused RAM'),
  'meminfo.MemAvailable': meminfo('MemAvailable', 'what can be allocated without swapping: free memory above the watermarks plus reclaimable page cache and slab'),
  'meminfo.Buffers': meminfo('Buffers', 'block-device page cache (filesystem metadata)'),
  'meminfo.Cached': meminfo('Cached', 'page cache (file pages) and tmpfs/shmem'),
  'meminfo.AnonPages': meminfo('AnonPages', 'anonymous pages mapped into processes'),
  'meminfo.Shmem': meminfo('Shmem', 'tmpfs and shared memory (counted in Cached too)'),
  'meminfo.Dirty': meminfo('Dirty', 'page cache waiting to be written back'),
  'meminfo.Mapped': meminfo('Mapped', 'page cache mapped into processes'),
  'meminfo.Mlocked': meminfo('Mlocked', 'pages locked with mlock: never reclaimed'),
  'meminfo.SwapTotal': meminfo('SwapTotal', 'swap space'),
  'meminfo.SwapFree': meminfo('SwapFree', 'unused swap'),
  'meminfo.kernel': meminfo('Slab + KernelStack + PageTables + …', 'memory the kernel holds for itself: never reclaimed by swapping'),
  'meminfo.fileClean': meminfo('Cached − Shmem − Dirty', 'clean page cache: dropped at once under pressure, read again from the file when needed'),

  // ---- /proc/zoneinfo: per zone, in pages ----
  'zoneinfo.free': zoneinfo('nr_free_pages ("pages free")', 'free pages in the zone'),
  'zoneinfo.min': zoneinfo('min', 'below it, allocations reclaim directly (direct reclaim) and only the kernel\'s reserves are left'),
  'zoneinfo.low': zoneinfo('low', 'below it, kswapd wakes to reclaim in the background'),
  'zoneinfo.high': zoneinfo('high', 'kswapd reclaims until free pages are back above it, then sleeps'),
  'zoneinfo.managed': zoneinfo('managed', 'pages the buddy allocator manages in the zone'),

  // ---- /proc/pressure ----
  'pressure.memory': { source: 'avg10 in /proc/pressure/memory (%)', meaning: 'share of the last 10 s in which some (or all, "full") tasks stalled waiting for memory' },
} satisfies Record<string, ProcField>;

export type ProcFieldKey = keyof typeof PROC_FIELDS;

/** The tooltip: "VmRSS in /proc/PID/status (kB): resident set size — …". */
export function procTip(key: ProcFieldKey): string {
  const f: ProcField = PROC_FIELDS[key];
  return `${f.source}: ${f.meaning}`;
}

/** The tooltip of a field the caller names at run time (meminfo and vmstat rows); '' when unknown. */
export function procTipOf(prefix: 'meminfo' | 'vmstat' | 'zoneinfo', field: string): string {
  const key = `${prefix}.${field}`;
  return key in PROC_FIELDS ? procTip(key as ProcFieldKey) : `${field} in /proc/${prefix}`;
}

/** /proc/PID/status fields the host panel shows: what each means (the file is named by the panel's heading). */
export const STATUS_MEANING: Record<string, string> = {
  Name: 'the command name',
  State: 'R running, S sleeping, D waiting for I/O (uninterruptible), Z zombie, T stopped',
  VmPeak: 'the largest VmSize so far',
  VmSize: 'all mapped virtual memory (top: VIRT)',
  VmLck: 'memory locked with mlock: never reclaimed',
  VmPin: 'pinned memory (e.g. for device DMA)',
  VmHWM: 'the largest VmRSS so far (high water mark)',
  VmRSS: 'pages in RAM now (top: RES) = RssAnon + RssFile + RssShmem; exact since Linux 6.16, which sums the per-CPU counters (6.2–6.15 read them approximately)',
  RssAnon: 'resident anonymous memory: heap, stack, anonymous mmaps',
  RssFile: 'resident file pages: the program, libraries, mapped files',
  RssShmem: 'resident shared memory (tmpfs, shared anonymous mappings, SysV shm)',
  VmData: 'private writable memory other than the stack',
  VmStk: 'the main thread\'s stack',
  VmExe: 'the program\'s own text',
  VmLib: 'shared library code',
  VmPTE: 'page tables',
  VmSwap: 'anonymous memory now in swap',
  HugetlbPages: 'explicit huge pages (hugetlbfs)',
  Threads: 'threads in the process',
};

/**
 * Where a counter a guided stage points at is read on Linux: "VmRSS in /proc/PID/status of demo",
 * "oom_score in /proc/PID/oom_score of cache", "minflt, field 10 of /proc/PID/stat of demo".
 * owner is a process name, or vmstat / meminfo.
 */
export function counterSource(owner: string, field: string): string {
  if (owner === 'vmstat') return `${field} in /proc/vmstat`;
  if (owner === 'meminfo') return `${field} in /proc/meminfo`;
  if (field === 'oom_score' || field === 'oom_score_adj') return `${field} in /proc/PID/${field} of ${owner}`;
  if (field === 'minflt') return `minflt, field 10 of /proc/PID/stat of ${owner}`;
  if (field === 'majflt') return `majflt, field 12 of /proc/PID/stat of ${owner}`;
  return `${field} in /proc/PID/status of ${owner}`;
}

/** The tooltip of a /proc/PID/status line. */
export const statusTip = (field: string): string => `${field} in /proc/PID/status${STATUS_MEANING[field] ? `: ${STATUS_MEANING[field]}` : ''}`;

/** Where each sysctl the host panel shows is read from. */
export const SYSCTL_PATHS: Record<string, string> = {
  swappiness: '/proc/sys/vm/swappiness',
  overcommit_memory: '/proc/sys/vm/overcommit_memory',
  overcommit_ratio: '/proc/sys/vm/overcommit_ratio',
  min_free_kbytes: '/proc/sys/vm/min_free_kbytes',
  watermark_scale_factor: '/proc/sys/vm/watermark_scale_factor',
  transparent_hugepage: '/sys/kernel/mm/transparent_hugepage/enabled',
};
