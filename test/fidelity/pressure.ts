/**
 * Memory pressure for the fidelity probes, without pressing on the machine: a memory cgroup of its
 * own (v1 at /sys/fs/cgroup/memory, or v2) around one probe, and a temporary swap file, both named
 * with this process's pid and removed afterwards. Root only; elsewhere `pressureSupport()` says why not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const V1 = '/sys/fs/cgroup/memory';
const V2 = '/sys/fs/cgroup';

export type Support = { ok: true; version: 1 | 2 } | { ok: false; why: string };

/** Can this process make memory cgroups? (Not whether it can add swap: see SwapFile.) */
export function pressureSupport(): Support {
  if (process.platform !== 'linux') return { ok: false, why: 'not a Linux host' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'not running as root: memory cgroups and swap files need root' };
  if (existsSync(join(V1, 'memory.limit_in_bytes'))) return { ok: true, version: 1 };
  if (existsSync(join(V2, 'cgroup.controllers')) && readFileSync(join(V2, 'cgroup.controllers'), 'utf8').includes('memory')) return { ok: true, version: 2 };
  return { ok: false, why: 'no memory cgroup controller (neither v1 at /sys/fs/cgroup/memory nor v2 with memory)' };
}

let seq = 0;

export interface CgroupOptions {
  limitMiB: number;
  /** allow swap (default) or forbid it (memsw = limit / swap.max = 0) */
  swap?: boolean;
  /** cgroup v1 only: memory.swappiness */
  swappiness?: number;
}

/** Run argv inside a fresh memory cgroup; returns stdout. The cgroup is removed afterwards. */
export function runInCgroup(version: 1 | 2, opts: CgroupOptions, argv: string[], timeoutMs = 60_000): { stdout: string; stderr: string; status: number | null } {
  const name = `memlab-facts-${process.pid}-${++seq}`;
  const dir = version === 1 ? join(V1, name) : join(V2, name);
  const bytes = String(opts.limitMiB * 1024 * 1024);
  mkdirSync(dir);
  try {
    if (version === 1) {
      writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
      if (opts.swap === false && existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), bytes);
      if (opts.swappiness !== undefined) writeFileSync(join(dir, 'memory.swappiness'), String(opts.swappiness));
    } else {
      writeFileSync(join(dir, 'memory.max'), bytes);
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), opts.swap === false ? '0' : 'max');
    }
    const r = spawnSync('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, ...argv], { encoding: 'utf8', timeout: timeoutMs });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  } finally {
    // the probe and its children have exited; the cgroup can go (v1 moves its charges to the parent)
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        spawnSync('sleep', ['0.1']);
      }
    }
  }
}

/** A temporary swap file, on while the probes that need swap run. */
export class SwapFile {
  readonly path = join(tmpdir(), `memlab-facts-swap-${process.pid}`);
  on = false;
  why = '';
  constructor(readonly mib: number) {}
  start(): boolean {
    const steps: Array<[string, string[]]> = [
      ['fallocate', ['-l', `${this.mib}M`, this.path]],
      ['chmod', ['600', this.path]],
      ['mkswap', [this.path]],
      ['swapon', [this.path]],
    ];
    for (const [cmd, args] of steps) {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.status !== 0) {
        this.why = `cannot make a swap file (${cmd}: ${(r.stderr || r.error?.message || 'failed').trim()})`;
        this.stop();
        return false;
      }
    }
    this.on = true;
    return true;
  }
  stop(): void {
    if (this.on) spawnSync('swapoff', [this.path]);
    this.on = false;
    rmSync(this.path, { force: true });
  }
}

/** A /proc/vmstat counter. */
export function vmstat(key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync('/proc/vmstat', 'utf8'));
  return m ? Number(m[1]) : 0;
}
