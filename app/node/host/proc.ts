/**
 * Reading the real kernel's /proc: system memory, reclaim counters, pressure, watermarks,
 * sysctls, processes and their maps. Processes vanish between listing and reading and some are
 * unreadable: both are reported as such, never thrown.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

const read = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

export function procAvailable(): { ok: boolean; why?: string } {
  if (process.platform !== 'linux') return { ok: false, why: `this is ${process.platform}, not Linux: there is no /proc to read` };
  if (!existsSync('/proc/self/status')) return { ok: false, why: '/proc is not mounted here' };
  return { ok: true };
}

/** "Key:   123 kB" lines into numbers (kB where the file says kB) */
export function parseKeyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

export const MEMINFO_KEYS = ['MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'AnonPages', 'Shmem', 'Dirty', 'Mapped', 'SwapTotal', 'SwapFree'] as const;
export const VMSTAT_KEYS = ['pgfault', 'pgmajfault', 'pswpin', 'pswpout', 'pgscan_kswapd', 'pgscan_direct', 'pgsteal_kswapd', 'pgsteal_direct', 'oom_kill'] as const;

export function meminfo(): Record<string, number> {
  const all = parseKeyValues(read('/proc/meminfo') ?? '');
  return Object.fromEntries(MEMINFO_KEYS.map((k) => [k, all[k] ?? 0]));
}

export function vmstat(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (read('/proc/vmstat') ?? '').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && (VMSTAT_KEYS as readonly string[]).includes(k)) out[k] = Number(v);
  }
  for (const k of VMSTAT_KEYS) out[k] ??= 0;
  return out;
}

/** /proc/pressure/memory: some/full avg10 (percent of time tasks stalled on memory) */
export function pressure(): { some: number; full: number } | null {
  const t = read('/proc/pressure/memory');
  if (!t) return null;
  const get = (kind: string) => Number(new RegExp(`^${kind} avg10=([\\d.]+)`, 'm').exec(t)?.[1] ?? 0);
  return { some: get('some'), full: get('full') };
}

/** min/low/high of each zone, in pages, from /proc/zoneinfo */
export function zoneWatermarks(): Array<{ node: number; zone: string; min: number; low: number; high: number; free: number; managed: number }> {
  const t = read('/proc/zoneinfo') ?? '';
  const zones: Array<{ node: number; zone: string; min: number; low: number; high: number; free: number; managed: number }> = [];
  for (const block of t.split(/^Node /m).slice(1)) {
    const head = /^(\d+), zone\s+(\w+)/.exec(block);
    if (!head) continue;
    const n = (k: string) => Number(new RegExp(`^\\s+${k}\\s+(\\d+)`, 'm').exec(block)?.[1] ?? 0);
    const managed = n('managed');
    if (!managed) continue;
    zones.push({ node: Number(head[1]), zone: head[2]!, min: n('min'), low: n('low'), high: n('high'), free: n('nr_free_pages') || Number(/pages free\s+(\d+)/.exec(block)?.[1] ?? 0), managed });
  }
  return zones;
}

export const SYSCTLS: Record<string, { path: string; meaning: string }> = {
  swappiness: { path: '/proc/sys/vm/swappiness', meaning: 'How readily reclaim swaps anonymous memory rather than dropping page cache (0–200).' },
  overcommit_memory: { path: '/proc/sys/vm/overcommit_memory', meaning: '0 heuristic, 1 always grant, 2 strict (CommitLimit).' },
  overcommit_ratio: { path: '/proc/sys/vm/overcommit_ratio', meaning: 'With overcommit_memory=2: the share of RAM (%) that, with swap, makes CommitLimit.' },
  min_free_kbytes: { path: '/proc/sys/vm/min_free_kbytes', meaning: 'The min watermark, summed over zones; low and high are derived from it.' },
  watermark_scale_factor: { path: '/proc/sys/vm/watermark_scale_factor', meaning: 'Gap between the watermarks in ten-thousandths of memory: how early kswapd wakes.' },
  transparent_hugepage: { path: '/sys/kernel/mm/transparent_hugepage/enabled', meaning: 'Transparent huge pages: always, madvise (only regions that ask), or never.' },
};

export function sysctls(): Array<{ name: string; value: string; meaning: string }> {
  return Object.entries(SYSCTLS).map(([name, s]) => {
    const raw = (read(s.path) ?? '').trim();
    const value = name === 'transparent_hugepage' ? (/\[(\w+)\]/.exec(raw)?.[1] ?? raw) : raw;
    return { name, value: value || 'unreadable', meaning: s.meaning };
  });
}

export interface ProcRow {
  pid: number;
  user: string;
  command: string;
  state: 'ok' | 'unreadable' | 'gone' | 'kernel-thread';
  VIRT: number;
  RES: number;
  SHR: number;
  SWAP: number;
  minflt: number;
  majflt: number;
  oom_score: number;
  oom_score_adj: number;
}

let users: Map<number, string> | null = null;
function userName(uid: number): string {
  if (!users) {
    users = new Map();
    for (const line of (read('/etc/passwd') ?? '').split('\n')) {
      const p = line.split(':');
      if (p.length > 2) users.set(Number(p[2]), p[0]!);
    }
  }
  return users.get(uid) ?? String(uid);
}

/** the process is gone, a zombie, or exiting (PF_EXITING in the flags of /proc/PID/stat) */
function exiting(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === null) return true;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const PF_EXITING = 0x4;
  return f[0] === 'Z' || f[0] === 'X' || (Number(f[6] ?? 0) & PF_EXITING) !== 0;
}

/** One process, from stat + status (+ oom files); never throws. */
export function readProcess(pid: number): ProcRow {
  const base: ProcRow = { pid, user: '?', command: '?', state: 'ok', VIRT: 0, RES: 0, SHR: 0, SWAP: 0, minflt: 0, majflt: 0, oom_score: 0, oom_score_adj: 0 };
  const stat = read(`/proc/${pid}/stat`);
  if (stat === null) return { ...base, state: existsSync(`/proc/${pid}`) ? 'unreadable' : 'gone' };
  // comm may hold spaces and parentheses: the fields start after the last ')'
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const f = stat.slice(close + 2).split(' ');
  // a zombie has exited: only its entry is left until its parent reaps it
  if (f[0] === 'Z' || f[0] === 'X') return { ...base, command: comm, state: 'gone' };
  const status = read(`/proc/${pid}/status`);
  if (status === null) return { ...base, command: comm, state: 'gone' };
  const s = parseKeyValues(status);
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
  const PF_KTHREAD = 0x00200000;
  const kernelThread = (Number(f[6] ?? 0) & PF_KTHREAD) !== 0 || !('VmSize' in s);
  // a process killed between the two reads has let its memory go (exit_mm) before it is a zombie:
  // its status has no VmSize, like a kernel thread's, but it is exiting (PF_EXITING) or gone by now
  if (kernelThread && (Number(f[6] ?? 0) & PF_KTHREAD) === 0 && exiting(pid)) return { ...base, command: comm, state: 'gone' };
  return {
    pid,
    user: userName(uid),
    command: comm,
    state: kernelThread ? 'kernel-thread' : 'ok',
    VIRT: s.VmSize ?? 0,
    RES: s.VmRSS ?? 0,
    SHR: (s.RssFile ?? 0) + (s.RssShmem ?? 0),
    SWAP: s.VmSwap ?? 0,
    minflt: Number(f[7] ?? 0), // field 10 of stat
    majflt: Number(f[9] ?? 0), // field 12
    oom_score: Number((read(`/proc/${pid}/oom_score`) ?? '0').trim()),
    oom_score_adj: Number((read(`/proc/${pid}/oom_score_adj`) ?? '0').trim()),
  };
}

export function listPids(): number[] {
  try {
    return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
  } catch {
    return [];
  }
}

export function processes(): ProcRow[] {
  return listPids().map(readProcess).filter((p) => p.state !== 'gone');
}

/** smaps_rollup: PSS, SwapPss and USS (private clean + dirty). Takes the process's mmap lock: only on demand. */
export function rollup(pid: number): { Rss: number; Pss: number; SwapPss: number; USS: number } | null {
  const t = read(`/proc/${pid}/smaps_rollup`);
  if (!t) return null;
  const s = parseKeyValues(t);
  return { Rss: s.Rss ?? 0, Pss: s.Pss ?? 0, SwapPss: s.SwapPss ?? 0, USS: (s.Private_Clean ?? 0) + (s.Private_Dirty ?? 0) };
}

export interface MapRow {
  address: string;
  kbytes: number;
  rss: number;
  dirty: number;
  swap: number;
  mode: string;
  mapping: string;
  segment: 'text' | 'rodata' | 'data' | 'bss' | 'heap' | 'stack' | 'anonymous' | 'library' | 'vdso' | 'file' | 'other';
}

/** pmap -x from /proc/PID/smaps, with each mapping classified. */
export function maps(pid: number): MapRow[] | null {
  const t = read(`/proc/${pid}/smaps`);
  if (t === null) return null;
  let exe = '';
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    exe = '';
  }
  const rows: Array<MapRow & { path: string; inode: number }> = [];
  let cur: (MapRow & { path: string; inode: number }) | null = null;
  let prevExe = false;
  for (const line of t.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      if (cur) rows.push(cur);
      const start = parseInt(head[1]!, 16);
      const end = parseInt(head[2]!, 16);
      const path = head[5]!.trim();
      const mode = head[3]!;
      cur = { address: head[1]!.padStart(16, '0'), kbytes: (end - start) / 1024, rss: 0, dirty: 0, swap: 0, mode, mapping: path || '[ anon ]', path, inode: Number(head[4]), segment: 'other' };
      const isExe = !!exe && path === exe;
      cur.segment =
        path === '[heap]' ? 'heap'
        : path === '[stack]' ? 'stack'
        : path === '[vdso]' || path === '[vvar]' || path === '[vsyscall]' ? 'vdso'
        : isExe ? (mode.includes('x') ? 'text' : mode.includes('w') ? 'data' : 'rodata') // r--p: the ELF headers, .rodata, .eh_frame; RELRO after relocation
        : !path ? (prevExe && mode.includes('w') ? 'bss' : 'anonymous')
        : /\.so(\.|$)/.test(path) ? 'library'
        : 'file';
      prevExe = isExe;
      continue;
    }
    const kv = /^(Rss|Private_Dirty|Shared_Dirty|Swap):\s+(\d+)/.exec(line);
    if (cur && kv) {
      const v = Number(kv[2]);
      if (kv[1] === 'Rss') cur.rss = v;
      else if (kv[1] === 'Swap') cur.swap = v;
      else cur.dirty += v;
    }
  }
  if (cur) rows.push(cur);
  return rows.map(({ path: _p, inode: _i, ...r }) => r);
}

export function statusFields(pid: number): Record<string, string> | null {
  const t = read(`/proc/${pid}/status`);
  if (t === null) return null;
  const out: Record<string, string> = {};
  for (const line of t.split('\n')) {
    const m = /^(Vm\w+|Rss\w+|Name|State|Threads|HugetlbPages):\s+(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}
