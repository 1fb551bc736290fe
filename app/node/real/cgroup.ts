/**
 * A memory cgroup of its own for one real run, sized to the scenario's RAM and swap, so pressure
 * and the OOM killer act inside it and nowhere else.
 *   cgroup v1: a child of this process's memory cgroup (memory.limit_in_bytes,
 *              memory.memsw.limit_in_bytes where swap accounting is on, memory.oom_control).
 *   cgroup v2: a child of this process's cgroup when that is writable and delegates memory,
 *              else `systemd-run --user --scope -p MemoryMax=… -p MemorySwapMax=…` around the
 *              executor (the caller spawns through `wrap`).
 * Names carry memlab's pid and a counter; `remove` kills what is left inside and removes it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type ContainmentKind = 'cgroup-v1' | 'cgroup-v2' | 'systemd-run' | 'none';

export interface Containment {
  kind: ContainmentKind;
  /** the cgroup's directory (for systemd-run: known once the first process is in it) */
  path?: string;
  limitBytes?: number;
  swapLimitBytes?: number;
  /** why there is no cgroup, or what could not be set */
  why?: string;
  /** argv prefix to start the first process inside it (systemd-run) */
  wrap?: string[];
  /** put a running process in (v1/v2 child); no-op for systemd-run */
  adopt(pid: number): void;
  /** OOM kills inside the cgroup so far */
  oomKills(): number;
  /** peak usage in bytes where the kernel keeps it */
  maxUsage(): number | null;
  /** set the cgroup's own swappiness where the kernel has one (v1) */
  setSwappiness(v: number): boolean;
  /** SIGKILL everything inside and remove the cgroup */
  remove(): void;
}

/** where the cgroup filesystems are mounted, and which cgroups this process is in */
export interface CgroupHost {
  /** the cgroup mount root: v1 controllers at ROOT/memory, v2 at ROOT (unified) or ROOT/unified (hybrid) */
  root: string;
  /** the text of /proc/self/cgroup */
  self: string;
}
export const hostCgroups = (): CgroupHost => ({ root: '/sys/fs/cgroup', self: read('/proc/self/cgroup') ?? '' });

const nap = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let counter = 0;

function read(p: string): string | null {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/** this process's cgroup path for the v1 memory controller, and its v2 (unified) path */
export function ownCgroup(self: string): { v1?: string; v2?: string } {
  const out: { v1?: string; v2?: string } = {};
  for (const line of self.split('\n')) {
    const [id, ctrls, path] = line.split(':');
    if (path === undefined) continue;
    if (ctrls!.split(',').includes('memory')) out.v1 = path;
    if (id === '0' && ctrls === '') out.v2 = path;
  }
  return out;
}

/** cgroup v2's hierarchy under `root`: ROOT itself (unified) or ROOT/unified (hybrid), or null */
export function v2Root(root: string): string | null {
  if (existsSync(join(root, 'cgroup.controllers'))) return root;
  if (existsSync(join(root, 'unified', 'cgroup.controllers'))) return join(root, 'unified');
  return null;
}

function killAll(dir: string): void {
  // cgroup v2 (5.14+) kills the whole cgroup at once
  if (existsSync(join(dir, 'cgroup.kill'))) {
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1');
    } catch {
      /* the pids below then */
    }
  }
  for (let round = 0; round < 50; round++) {
    const pids = (read(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
    if (!pids.length) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    nap(20);
  }
}

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;
const onCgroupFs = (dir: string) => {
  try {
    const t = statfsSync(dir).type;
    return t === CGROUP_SUPER_MAGIC || t === CGROUP2_SUPER_MAGIC;
  } catch {
    return true;
  }
};

/** kill everything in a cgroup memlab made and remove it */
export function removeCgroup(dir: string): void {
  killAll(dir);
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // not a cgroup filesystem (a test's fixture tree): its interface files are plain files
      if (code === 'ENOTEMPTY' && !onCgroupFs(dir)) return rmSync(dir, { recursive: true, force: true });
      nap(20);
    }
  }
}

function none(why: string): Containment {
  return { kind: 'none', why, adopt() {}, oomKills: () => 0, maxUsage: () => null, setSwappiness: () => false, remove() {} };
}

/** cgroups an earlier memlab left behind (killed before it could remove them): their memlab gone */
function sweep(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^memlab-real-(\d+)-\d+$/.exec(name);
    if (!m || Number(m[1]) === process.pid || existsSync(`/proc/${m[1]}`)) continue;
    removeCgroup(join(parent, name));
  }
}

const unique = () => `memlab-real-${process.pid}-${++counter}`;

/** cgroup v1: a child of this process's memory cgroup */
export function v1(ram: number, swap: number, host: CgroupHost): Containment | string {
  const own = ownCgroup(host.self).v1;
  const mem = join(host.root, 'memory');
  if (own === undefined || !existsSync(join(mem, own, 'memory.limit_in_bytes'))) return 'no cgroup v1 memory controller';
  sweep(join(mem, own));
  const dir = join(mem, own, unique());
  try {
    mkdirSync(dir);
  } catch (err) {
    return `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code}`;
  }
  const notes: string[] = [];
  try {
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(ram));
    if (existsSync(join(mem, own, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(ram + swap));
    else notes.push('swap accounting is off (no memory.memsw.*): swap is not limited');
  } catch (err) {
    removeCgroup(dir);
    return `cannot set the limits of ${dir}: ${(err as Error).message}`;
  }
  return {
    kind: 'cgroup-v1',
    path: dir,
    limitBytes: ram,
    swapLimitBytes: swap,
    ...(notes.length ? { why: notes.join('; ') } : {}),
    adopt(pid) {
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    },
    oomKills() {
      return Number(/^oom_kill (\d+)/m.exec(read(join(dir, 'memory.oom_control')) ?? '')?.[1] ?? 0);
    },
    maxUsage() {
      const t = read(join(dir, 'memory.max_usage_in_bytes'));
      return t === null ? null : Number(t.trim());
    },
    setSwappiness(v) {
      try {
        writeFileSync(join(dir, 'memory.swappiness'), String(v));
        return true;
      } catch {
        return false;
      }
    },
    remove: () => removeCgroup(dir),
  };
}

/** memory.events' oom_kill: the OOM killer's kills in the cgroup (and below it) */
function v2Events(dir: string): number {
  return Number(/^oom_kill (\d+)/m.exec(read(join(dir, 'memory.events')) ?? '')?.[1] ?? 0);
}

const words = (t: string | null) => (t ?? '').split(/\s+/).filter(Boolean);

/**
 * cgroup v2: a child of this process's cgroup, where that is writable and memory is (or can be)
 * enabled in its cgroup.subtree_control. The "no internal processes" rule forbids enabling it in a
 * cgroup that has processes of its own (memlab's, usually): then the reason says so.
 */
export function v2Child(ram: number, swap: number, host: CgroupHost): Containment | string {
  const root = v2Root(host.root);
  const own = ownCgroup(host.self).v2;
  if (!root || own === undefined) return 'no cgroup v2 hierarchy';
  const parent = join(root, own).replace(/(.)\/+$/, '$1');
  const available = words(read(join(parent, 'cgroup.controllers')));
  if (!available.includes('memory')) return `cgroup v2 has no memory controller in ${parent} (it offers: ${available.join(' ') || 'none'})${existsSync(join(host.root, 'memory', 'memory.limit_in_bytes')) ? ': memory is bound to cgroup v1 here' : ''}`;
  if (!words(read(join(parent, 'cgroup.subtree_control'))).includes('memory')) {
    try {
      writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
    } catch (err) {
      return `cgroup v2: cannot enable memory for the children of ${parent} (${(err as NodeJS.ErrnoException).code}${(err as NodeJS.ErrnoException).code === 'EBUSY' ? ': it has processes of its own' : ''})`;
    }
  }
  sweep(parent);
  const dir = join(parent, unique());
  try {
    mkdirSync(dir);
  } catch (err) {
    return `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code}`;
  }
  const notes: string[] = [];
  try {
    writeFileSync(join(dir, 'memory.max'), String(ram));
    // memory.swap.max is there where swap is accounted (not in the root cgroup: look at the child too)
    if (existsSync(join(parent, 'memory.swap.max')) || existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), String(swap));
    else notes.push('swap accounting is off (no memory.swap.max): swap is not limited');
  } catch (err) {
    removeCgroup(dir);
    return `cannot set the limits of ${dir}: ${(err as Error).message}`;
  }
  return {
    kind: 'cgroup-v2',
    path: dir,
    limitBytes: ram,
    swapLimitBytes: swap,
    ...(notes.length ? { why: notes.join('; ') } : {}),
    adopt(pid) {
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    },
    oomKills: () => v2Events(dir),
    maxUsage: () => {
      const t = read(join(dir, 'memory.peak'));
      return t === null ? null : Number(t.trim());
    },
    // cgroup v2 has no per-cgroup swappiness (only memory.swap.max)
    setSwappiness: () => false,
    remove: () => removeCgroup(dir),
  };
}

/** cgroup v2 where systemd's user manager owns a delegated subtree: a transient scope around the executor */
function v2Systemd(ram: number, swap: number, host: CgroupHost): Containment | string {
  const root = v2Root(host.root);
  if (!root) return 'no cgroup v2 hierarchy';
  const probe = spawnSync('systemd-run', ['--user', '--scope', '--quiet', '-p', 'MemoryMax=64M', 'true'], { timeout: 5000, stdio: 'ignore' });
  if (probe.status !== 0) return 'systemd-run --user --scope is unavailable';
  let path: string | undefined;
  const unit = `${unique()}.scope`;
  const c: Containment = {
    kind: 'systemd-run',
    limitBytes: ram,
    swapLimitBytes: swap,
    wrap: ['systemd-run', '--user', '--scope', '--quiet', `--unit=${unit}`, '-p', `MemoryMax=${ram}`, '-p', `MemorySwapMax=${swap}`, '--'],
    adopt(pid) {
      const line = (read(`/proc/${pid}/cgroup`) ?? '').split('\n').find((l) => l.startsWith('0::'));
      if (line) c.path = path = join(root, line.slice(3));
    },
    oomKills: () => (path ? v2Events(path) : 0),
    maxUsage: () => null,
    setSwappiness: () => false,
    remove() {
      if (path) killAll(path);
      spawnSync('systemctl', ['--user', 'stop', unit], { timeout: 5000, stdio: 'ignore' });
    },
  };
  return c;
}

/** A cgroup for one run, or kind 'none' with the reason. */
export function makeContainment(ram: number, swap: number, opts: { disable?: boolean; host?: CgroupHost; systemd?: boolean } = {}): Containment {
  if (opts.disable) return none('cgroups turned off for this run');
  if (process.platform !== 'linux') return none(`this is ${process.platform}: no cgroups`);
  const host = opts.host ?? hostCgroups();
  const reasons: string[] = [];
  for (const make of opts.systemd === false ? [v1, v2Child] : [v1, v2Child, v2Systemd]) {
    const r = make(ram, swap, host);
    if (typeof r !== 'string') return r;
    reasons.push(r);
  }
  return none(reasons.join('; '));
}
