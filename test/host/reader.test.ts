/** The /proc reader against ps, pmap and free on real processes with known allocations. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { skipping } from '../skip.js';
import { maps, meminfo, processes, readProcess, rollup } from '../../app/node/host/proc.js';
import { killAllProbes, runMallocTouch } from '../../app/node/host/probe.js';

const linux = process.platform === 'linux' && existsSync('/proc/self/status');
const has = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;

function holder(mib: number) {
  const c = spawn(process.execPath, ['-e', `const b = Buffer.alloc(${mib} * 1048576, 1); process.stdout.write('ready\\n'); setInterval(() => b[0]++, 500);`], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise<typeof c>((r) => c.stdout.once('data', () => r(c)));
}

describe.skipIf(skipping(!linux, 'reading /proc', 'not Linux: no /proc to read'))('reading /proc', () => {
  it('agrees with ps on VIRT and RES of a process holding 64 MiB (within 2%)', async () => {
    const c = await holder(64);
    try {
      const mine = readProcess(c.pid!);
      const ps = execFileSync('ps', ['-o', 'vsz=,rss=', '-p', String(c.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
      expect(mine.state).toBe('ok');
      expect(Math.abs(mine.VIRT - ps[0]!)).toBeLessThanOrEqual(ps[0]! * 0.02);
      expect(Math.abs(mine.RES - ps[1]!)).toBeLessThanOrEqual(ps[1]! * 0.02);
      expect(mine.RES).toBeGreaterThan(64 * 1024);
    } finally {
      c.kill();
    }
  });

  it.skipIf(skipping(!has('pmap'), 'agreement with pmap -x', 'no pmap on PATH (apt-get install procps)'))('agrees with pmap -x on the mapping sizes and the total RSS', async () => {
    const c = await holder(32);
    try {
      const rows = maps(c.pid!)!;
      const pm = execFileSync('pmap', ['-x', String(c.pid)], { encoding: 'utf8' });
      const total = /total kB\s+(\d+)\s+(\d+)/.exec(pm)!;
      const kb = rows.reduce((a, r) => a + r.kbytes, 0);
      const rss = rows.reduce((a, r) => a + r.rss, 0);
      expect(Math.abs(kb - Number(total[1]))).toBeLessThanOrEqual(Number(total[1]) * 0.01);
      expect(Math.abs(rss - Number(total[2]))).toBeLessThanOrEqual(Number(total[2]) * 0.02);
      expect(rows.some((r) => r.segment === 'heap')).toBe(true);
      expect(rows.some((r) => r.segment === 'stack')).toBe(true);
      expect(rows.some((r) => r.segment === 'library')).toBe(true);
      expect(rollup(c.pid!)!.Pss).toBeGreaterThan(32 * 1024);
    } finally {
      c.kill();
    }
  });

  it.skipIf(skipping(!has('free'), 'agreement with free -k', 'no free on PATH (apt-get install procps)'))('agrees with free -k on total memory', () => {
    const free = execFileSync('free', ['-k'], { encoding: 'utf8' });
    const total = Number(/Mem:\s+(\d+)/.exec(free)![1]);
    expect(meminfo().MemTotal).toBe(total);
  });

  it('processes killed while they are sampled show as gone, never as errors', async () => {
    const kids = await Promise.all(Array.from({ length: 6 }, () => holder(4)));
    const pids = kids.map((k) => k.pid!);
    for (const [i, k] of kids.entries()) if (i % 2 === 0) k.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    for (let round = 0; round < 5; round++) {
      const rows = processes();
      for (const pid of pids) {
        const r = readProcess(pid);
        expect(['ok', 'gone']).toContain(r.state);
      }
      expect(rows.length).toBeGreaterThan(0);
      kids[round]?.kill('SIGKILL');
    }
    for (const k of kids) k.kill('SIGKILL');
    expect(readProcess(pids[0]!).state).toBe('gone');
    expect(maps(pids[0]!)).toBeNull();
  });

  it('a probe measures its own malloc-and-touch and is cleaned up', async () => {
    const r = await runMallocTouch(32 * 1048576);
    expect(r.after.VmRSS - r.before.VmRSS).toBeGreaterThan(30 * 1024);
    expect(readProcess(r.pid).state).toBe('gone');
    await expect(runMallocTouch(Number.MAX_SAFE_INTEGER)).rejects.toThrow(/refused: .* MemAvailable/);
    killAllProbes();
  });
});
