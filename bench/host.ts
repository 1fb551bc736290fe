/** Host panel cost: sampling every process from /proc against `ps` doing the same, measured side by side; and the panel's CPU at 1 Hz. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { processes, meminfo, vmstat } from '../app/node/host/proc.js';
import type { BenchRow } from './types.js';

export async function run(): Promise<BenchRow[]> {
  if (!existsSync('/proc/self/status')) return [];
  const N = 20;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) processes();
  const ours = (performance.now() - t0) / N;
  const t1 = performance.now();
  for (let i = 0; i < N; i++) execFileSync('ps', ['-eo', 'pid,vsz,rss,min_flt,maj_flt'], { encoding: 'utf8' });
  const ps = (performance.now() - t1) / N;
  // the panel at 1 Hz: one system + process sample a second; CPU share of one core
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < N; i++) {
    meminfo();
    vmstat();
    processes();
  }
  const cpu = process.cpuUsage(c0);
  const perSample = (cpu.user + cpu.system) / 1000 / N;
  void w0;
  const n = processes().length;
  return [
    {
      group: 'host',
      name: `sample every process (${n}) from /proc`,
      value: ours,
      unit: 'ms',
      ratio: { value: ours / ps, against: `ps -eo pid,vsz,rss,min_flt,maj_flt (${ps.toFixed(1)} ms, incl. its process start)` },
      target: { text: 'cheaper than ps', met: ours < ps },
    },
    { group: 'host', name: 'panel at 1 Hz: CPU share of one core', value: perSample / 10, unit: '%', target: { text: 'under 2% of one core', met: perSample / 10 < 2 } },
  ];
}
