/**
 * Kernel simulator throughput, measured side by side with a plain typed-array loop doing the
 * same per-page bookkeeping (the floor), and the data plane's memory per page. The simulator is
 * timed as it ships (bundled as the worker is: bench/_shipped.ts); the two sides take turns, each
 * run after a full garbage collection, and the medians are compared.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { parseScenario as ParseScenario, Runner as RunnerClass } from '../app/common/kernel/index.js';
import type { Checkpoints as CheckpointsClass } from '../app/common/kernel/checkpoint.js';
import type { FrameTable as FrameTableClass } from '../app/common/kernel/page_alloc.js';
import { DEFAULT_CHECKPOINTS } from '../app/common/kernel/checkpoint.js';
import { DEFAULT_WORK_LIMITS } from '../app/node/work/limits.js';
import { fullGc, shipped } from './_shipped.js';
import type { BenchRow } from './types.js';

const { parseScenario, Runner, Checkpoints, FrameTable } = await shipped<{
  parseScenario: typeof ParseScenario;
  Runner: typeof RunnerClass;
  Checkpoints: typeof CheckpointsClass;
  FrameTable: typeof FrameTableClass;
}>({
  'app/common/kernel/index.ts': ['parseScenario', 'Runner'],
  'app/common/kernel/checkpoint.ts': ['Checkpoints'],
  'app/common/kernel/page_alloc.ts': ['FrameTable'],
});
type Runner = RunnerClass;
const gc = await fullGc();

const time = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};
const best = (n: number, fn: () => number) => Math.min(...Array.from({ length: n }, fn));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * The floor: what any simulator must do per page fault at least — take a frame, fill its entry
 * and a PTE. Its arrays are made before the clock starts, as the simulator's machine is.
 */
function plainLoop(pages: number, frames: number): number {
  const kind = new Uint8Array(frames);
  const flags = new Uint8Array(frames);
  const owner = new Int32Array(frames);
  const index = new Int32Array(frames);
  const pte = new Int32Array(pages).fill(-1);
  return time(() => {
    let next = 0;
    for (let i = 0; i < pages; i++) {
      if (pte[i] !== -1) continue;
      const f = next++;
      kind[f] = 1;
      flags[f] = 2;
      owner[f] = 1;
      index[f] = i;
      pte[i] = f;
    }
  });
}

/**
 * The scenario's steps against the floor, taking turns `n` times, each after a full GC: the
 * machine is made before the clock starts (its boot is a row of its own), the steps are timed.
 */
function sideBySide(yaml: string, n: number, floor: () => number): { sim: number[]; floor: number[]; boot: number[]; runner: Runner } {
  const scenario = parseScenario(yaml);
  const out = { sim: [] as number[], floor: [] as number[], boot: [] as number[], runner: undefined as unknown as Runner };
  for (let i = 0; i < n; i++) {
    gc();
    out.floor.push(floor());
    gc();
    let r!: Runner;
    out.boot.push(time(() => (r = new Runner(scenario, { pageBudget: 1e9 }))));
    out.sim.push(
      time(() => {
        while (!r.done) r.step();
      }),
    );
    out.runner = r;
  }
  return out;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // touching 4 GiB (1,048,576 faults) on an 8 GiB machine
  const touch = (size: string, ram: string) => `machine: { ram: ${ram} }\nprocesses: [{ name: p }]\nsteps:\n  - { proc: p, malloc: ${size}, as: m }\n  - { proc: p, touch: m }\n`;
  const t4runs = sideBySide(touch('4GiB', '8GiB'), 7, () => plainLoop(1 << 20, 2 << 20));
  const t4 = median(t4runs.sim);
  const floor4 = median(t4runs.floor);
  const ratios4 = t4runs.sim.map((x, i) => x / t4runs.floor[i]!).sort((a, b) => a - b);
  rows.push({
    group: 'kernel',
    name: 'touch 4 GiB in 4 KiB pages (1,048,576 minor faults, page tables made per 2 MiB) on an 8 GiB machine',
    value: t4,
    unit: 'ms',
    ratio: { value: t4 / floor4, against: `plain typed-array loop (${floor4.toFixed(1)} ms), medians of 7 turns each` },
    target: { text: 'within 6x of the plain loop', met: t4 / floor4 <= 6 },
    note: `per-turn ratios ${ratios4[0]!.toFixed(1)}-${ratios4[ratios4.length - 1]!.toFixed(1)}x; fastest of each side ${(Math.min(...t4runs.sim) / Math.min(...t4runs.floor)).toFixed(1)}x`,
  });
  rows.push({ group: 'kernel', name: 'boot an 8 GiB machine (new Runner: frame table, chart, tasks)', value: median(t4runs.boot), unit: 'ms', note: 'not counted in the touch above' });
  const t1 = median(sideBySide(touch('1GiB', '8GiB'), 5, () => 0).sim);
  // the real kernel doing the same touches: a C probe timed in this run
  if (spawnSync('sh', ['-c', 'command -v gcc']).status === 0 && process.platform === 'linux') {
    const dir = mkdtempSync(join(tmpdir(), 'memlab-bench-'));
    writeFileSync(
      join(dir, 't.c'),
      '#include <stdlib.h>\n#include <stdio.h>\n#include <time.h>\nint main(void){size_t n=1UL<<30;char*m=malloc(n);struct timespec a,b;clock_gettime(CLOCK_MONOTONIC,&a);for(size_t i=0;i<n;i+=4096)m[i]=1;clock_gettime(CLOCK_MONOTONIC,&b);printf("%f\\n",(b.tv_sec-a.tv_sec)*1e3+(b.tv_nsec-a.tv_nsec)/1e6);return 0;}\n',
    );
    execFileSync('gcc', ['-O2', '-o', join(dir, 't'), join(dir, 't.c')]);
    const real = Math.min(...[0, 1, 2].map(() => Number(execFileSync(join(dir, 't'), { encoding: 'utf8' }).trim())));
    rows.push({
      group: 'kernel',
      name: 'the real kernel: a C probe touching 1 GiB (262,144 real page faults)',
      value: real,
      unit: 'ms',
      ratio: { value: t1 / real, against: 'simulating the same touches (ratio = simulator / real kernel)' },
      note: 'transparent_hugepage may make the real kernel fault 2 MiB at a time',
    });
  }
  rows.push({ group: 'kernel', name: 'touch 1 GiB (262,144 faults)', value: t1, unit: 'ms', target: { text: 'under 50 ms', met: t1 < 50 } });
  rows.push({ group: 'kernel', name: 'fault throughput (4 GiB touch)', value: (1 << 20) / (t4 / 1000) / 1e6, unit: 'M faults/s' });

  const thrash = `machine: { ram: 256MiB, swap: 1GiB, swappiness: 100 }\nprocesses: [{ name: t }]\nsteps:\n  - { proc: t, malloc: 512MiB, as: ws }\n  - { proc: t, touch: ws, repeat: 10 }\n`;
  const th = sideBySide(thrash, 7, () => plainLoop(131072 * 10, 65536));
  const swaps = th.runner.k.vmstat.pswpin + th.runner.k.vmstat.pswpout;
  const tt = median(th.sim);
  const floorT = median(th.floor);
  const ratiosT = th.sim.map((x, i) => x / th.floor[i]!).sort((a, b) => a - b);
  rows.push({
    group: 'kernel',
    name: `thrash: 256 MiB RAM, 1 GiB swap, 512 MiB working set x10 (${swaps.toLocaleString('en')} swap I/Os, readahead 8 pages)`,
    value: tt,
    unit: 'ms',
    ratio: { value: tt / floorT, against: `plain loop over the same 1,310,720 page visits (${floorT.toFixed(1)} ms), medians of 7 turns each` },
    target: { text: 'within 20x of the plain loop', met: tt / floorT <= 20 },
    note: `per-turn ratios ${ratiosT[0]!.toFixed(1)}-${ratiosT[ratiosT.length - 1]!.toFixed(1)}x; fastest of each side ${(Math.min(...th.sim) / Math.min(...th.floor)).toFixed(1)}x (${Math.min(...th.sim).toFixed(0)} / ${Math.min(...th.floor).toFixed(1)} ms)`,
  });

  // seeking in a 2,000-step scenario: restore the nearest checkpoint and run on (what sim.seek does)
  {
    const steps = Array.from({ length: 2000 }, (_, i) => (i % 2 ? `  - { proc: p, touch: a, length: ${4096 * (1 + (i % 64))} }` : `  - { proc: p, malloc: ${4096 * (1 + (i % 5))}, as: b${i} }`)).join('\n');
    const long = parseScenario(`machine: { ram: 1GiB, swap: 256MiB }\nprocesses: [{ name: p }]\nsteps:\n  - { proc: p, malloc: 64MiB, as: a }\n${steps}\n`);
    const r = new Runner(long);
    // as a sim worker keeps them: in what its live machine leaves of a quarter less than its typed-array budget (services/sim.ts)
    const cps = new Checkpoints({ ...DEFAULT_CHECKPOINTS, maxBytes: (DEFAULT_WORK_LIMITS.arrayMiB * 1048576 * 3) / 4 - r.k.memoryBytes() });
    while (!r.done) {
      r.step();
      if (cps.due(r.pos) && !r.done) cps.add(r.checkpoint());
    }
    // seeks as a student scrubs: back from the end, jumps to random steps (a fixed sequence)
    let x = 12345;
    const targets = Array.from({ length: 40 }, () => (x = (x * 1103515245 + 12345) % 2 ** 31) % 2001);
    const times = targets.map((k) =>
      time(() => {
        const cp = cps.nearest(k);
        const s = cp ? new Runner(long, {}, cp) : new Runner(long);
        while (s.pos < k && !s.done) s.step();
      }),
    );
    times.sort((a, b) => a - b);
    const worst = times[times.length - 1]!;
    rows.push({
      group: 'kernel',
      name: 'seek to a random step of a 2,000-step scenario (1 GiB RAM): nearest checkpoint restored, then run on',
      value: worst,
      unit: 'ms',
      target: { text: 'under 50 ms (the slowest of 40 seeks)', met: worst < 50 },
      note: `median ${times[20]!.toFixed(1)} ms; ${cps.count} checkpoints every ${cps.interval} steps, ${(cps.bytes / 1048576).toFixed(0)} MiB`,
    });
  }

  const procs = Array.from({ length: 200 }, (_, i) => `  - { name: p${i} }`).join('\n');
  const steps = Array.from({ length: 200 }, (_, i) => Array.from({ length: 1000 }, (_, j) => `  - { proc: p${i}, malloc: ${64 + (j % 8) * 32}, as: m${j} }`).join('\n')).join('\n');
  const many = `machine: { ram: 8GiB }\nprocesses:\n${procs}\nsteps:\n${steps}\n`;
  const parsed = parseScenario(many);
  const tm = best(2, () =>
    time(() => {
      const r = new Runner(parsed);
      while (!r.done) r.step();
    }),
  );
  rows.push({ group: 'kernel', name: '200 processes x 1,000 small mallocs', value: tm, unit: 'ms', note: `${((200_000 / tm) * 1000).toFixed(0)} mallocs/s` });

  // memory: a 16 GiB machine with 16 GiB of swap — every typed array of the data plane, counted
  const big = new Runner(parseScenario('machine: { ram: 16GiB, swap: 16GiB }\nprocesses: [{ name: p }]\nsteps: []\n'));
  const fr = big.k.frames as unknown as Record<string, unknown>;
  let bytes = big.k.swap.map.byteLength + big.k.swap.cache.byteLength + big.k.swap.slotOfFrame.byteLength;
  for (const v of Object.values(fr)) if (ArrayBuffer.isView(v)) bytes += v.byteLength;
  for (const t of big.k.tasks) bytes += t.mm.pt.bytes;
  const pages = big.k.frames.total + big.k.swap.slots;
  rows.push({
    group: 'kernel',
    name: 'data plane for 16 GiB RAM + 16 GiB swap (8M pages)',
    value: bytes / 1024 / 1024,
    unit: 'MiB',
    target: { text: 'under 96 MiB', met: bytes / 1024 / 1024 < 96 },
    note: `${(bytes / pages).toFixed(2)} B per page (frames ${FrameTable.BYTES_PER_FRAME} B + 4 B of swap-cache index when there is swap, swap slots 5 B: count and swap cache); heap used ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB`,
  });
  return rows;
}
