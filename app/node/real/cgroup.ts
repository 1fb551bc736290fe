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
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
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

const V1 = '/sys/fs/cgroup/memory';
const nap = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let counter = 0;

function read(p: string): string | null {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/** this process's cgroup path for the v1 memory controller, or the v2 unified path */
function ownCgroup(): { v1?: string; v2?: string } {
  const out: { v1?: string; v2?: string } = {};
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [id, ctrls, path] = line.split(':');
    if (path === undefined) continue;
    if (ctrls!.split(',').includes('memory')) out.v1 = path;
    if (id === '0' && ctrls === '') out.v2 = path;
  }
  return out;
}

function killAll(dir: string): void {
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

function removeDir(dir: string): void {
  killAll(dir);
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      nap(20);
    }
  }
}

function none(why: string): Containment {
  return { kind: 'none', why, adopt() {}, oomKills: () => 0, maxUsage: () => null, setSwappiness: () => false, remove() {} };
}

/** cgroups an earlier memlab left behind (killed before it could remove them): empty, their memlab gone */
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
    removeDir(join(parent, name));
  }
}

function v1(ram: number, swap: number): Containment | string {
  const own = ownCgroup().v1;
  if (own === undefined || !existsSync(join(V1, 'memory.limit_in_bytes'))) return 'no cgroup v1 memory controller';
  sweep(join(V1, own));
  const dir = join(V1, own, `memlab-real-${process.pid}-${++counter}`);
  try {
    mkdirSync(dir);
  } catch (err) {
    return `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code}`;
  }
  const notes: string[] = [];
  try {
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(ram));
    if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(ram + swap));
    else notes.push('swap accounting is off (no memory.memsw.*): swap is not limited');
  } catch (err) {
    removeDir(dir);
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
    remove: () => removeDir(dir),
  };
}

function v2Events(dir: string): number {
  return Number(/^oom_kill (\d+)/m.exec(read(join(dir, 'memory.events')) ?? '')?.[1] ?? 0);
}

function v2(ram: number, swap: number): Containment | string {
  const own = ownCgroup().v2;
  const root = '/sys/fs/cgroup';
  if (own === undefined || !existsSync(join(root, 'cgroup.controllers'))) return 'no cgroup v2 hierarchy';
  const parent = join(root, own);
  if ((read(join(parent, 'cgroup.subtree_control')) ?? '').split(/\s+/).includes('memory')) {
    const dir = join(parent, `memlab-real-${process.pid}-${++counter}`);
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.max'), String(ram));
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), String(swap));
      return {
        kind: 'cgroup-v2',
        path: dir,
        limitBytes: ram,
        swapLimitBytes: swap,
        adopt(pid) {
          writeFileSync(join(dir, 'cgroup.procs'), String(pid));
        },
        oomKills: () => v2Events(dir),
        maxUsage: () => {
          const t = read(join(dir, 'memory.peak'));
          return t === null ? null : Number(t.trim());
        },
        setSwappiness: () => false,
        remove: () => removeDir(dir),
      };
    } catch {
      try {
        rmdirSync(dir);
      } catch {
        /* never made */
      }
    }
  }
  // systemd's user manager owns a delegated subtree: a transient scope around the executor
  const probe = spawnSync('systemd-run', ['--user', '--scope', '--quiet', '-p', 'MemoryMax=64M', 'true'], { timeout: 5000, stdio: 'ignore' });
  if (probe.status !== 0) return 'cgroup v2: the current cgroup does not delegate memory and systemd-run --user --scope is unavailable';
  let path: string | undefined;
  const unit = `memlab-real-${process.pid}-${++counter}.scope`;
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
export function makeContainment(ram: number, swap: number, opts: { disable?: boolean } = {}): Containment {
  if (opts.disable) return none('cgroups turned off for this run');
  if (process.platform !== 'linux') return none(`this is ${process.platform}: no cgroups`);
  const reasons: string[] = [];
  for (const make of [v1, v2]) {
    const r = make(ram, swap);
    if (typeof r !== 'string') return r;
    reasons.push(r);
  }
  return none(reasons.join('; '));
}
