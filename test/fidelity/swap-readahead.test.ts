/**
 * Swap readahead held to the real kernel: a C probe thrashes a 128 MiB working set in a 64 MiB
 * memory cgroup of its own, with a temporary swap file, and reports its major faults; /proc/vmstat
 * gives the pages read from swap (pswpin). With vm.page-cluster = 3 a major fault reads its page
 * and up to 7 around it, so majflt/pswpin is near 1/8 on Linux; the simulator's thrash must give
 * a ratio within 25% of the real one.
 *
 * Needs root (a cgroup and swapon), gcc and a Linux host; skipped with the reason printed
 * otherwise. The cgroup and the swap file carry this process's pid and are removed afterwards.
 * cgroup v1 (/sys/fs/cgroup/memory) and v2 (/sys/fs/cgroup with the memory controller) both work.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipping } from '../skip.js';
import { parseScenario, Runner } from '../../app/common/kernel/index.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const root = process.getuid?.() === 0;
const v1 = '/sys/fs/cgroup/memory';
const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers') && readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').includes('memory');
const why = process.platform !== 'linux' ? 'not a Linux host' : !root ? 'not root (a memory cgroup and swapon need it)' : !has('gcc') ? 'no gcc' : !has('swapon') || !has('mkswap') ? 'no swapon/mkswap' : !existsSync(v1) && !v2 ? 'no memory cgroup controller' : '';

const name = `memlab-ra-${process.pid}`;
const swapFile = join(tmpdir(), `memlab-swap-${process.pid}`);
const cgroup = existsSync(v1) ? join(v1, name) : join('/sys/fs/cgroup', name);
let swapOn = false;

afterAll(() => {
  if (swapOn) spawnSync('swapoff', [swapFile]);
  rmSync(swapFile, { force: true });
  if (existsSync(cgroup)) {
    try {
      rmdirSync(cgroup);
    } catch {
      /* a process still inside; it exits with the probe */
    }
  }
});

const vmstat = (): Record<string, number> => Object.fromEntries(readFileSync('/proc/vmstat', 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k!, Number(v)]));

const PROBE = `#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
int main(int argc, char **argv) {
  size_t n = (size_t)atol(argv[1]) << 20;
  int passes = atoi(argv[2]);
  char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 1;
  madvise(m, n, MADV_NOHUGEPAGE);
  for (size_t i = 0; i < n; i += 4096) m[i] = 1;
  struct rusage a, b;
  getrusage(RUSAGE_SELF, &a);
  for (int p = 0; p < passes; p++)
    for (size_t i = 0; i < n; i += 4096) m[i] = (char)(p + 2);
  getrusage(RUSAGE_SELF, &b);
  printf("%ld\\n", b.ru_majflt - a.ru_majflt);
  return 0;
}
`;

describe.skipIf(skipping(Boolean(why), 'swap readahead against the real kernel', why))('swap readahead against the real kernel', () => {
  it('majflt/pswpin of a thrashing working set is within 25% of the real kernel\'s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlab-ra-'));
    writeFileSync(join(dir, 'thrash.c'), PROBE);
    execFileSync('gcc', ['-O1', '-o', join(dir, 'thrash'), join(dir, 'thrash.c')]);
    // a swap file of its own, and a 64 MiB memory cgroup of its own: only the probe is under pressure
    execFileSync('dd', ['if=/dev/zero', `of=${swapFile}`, 'bs=1M', 'count=256', 'status=none']);
    execFileSync('chmod', ['600', swapFile]);
    execFileSync('mkswap', [swapFile], { stdio: 'ignore' });
    execFileSync('swapon', [swapFile]);
    swapOn = true;
    mkdirSync(cgroup);
    if (existsSync(v1)) {
      writeFileSync(join(cgroup, 'memory.limit_in_bytes'), String(64 << 20));
      if (existsSync(join(cgroup, 'memory.swappiness'))) writeFileSync(join(cgroup, 'memory.swappiness'), '60');
    } else {
      writeFileSync(join(cgroup, 'memory.max'), String(64 << 20));
    }
    const pageCluster = Number(readFileSync('/proc/sys/vm/page-cluster', 'utf8'));
    const before = vmstat();
    const out = execFileSync('sh', ['-c', `echo $$ > ${join(cgroup, 'cgroup.procs')} && exec ${join(dir, 'thrash')} 128 2`], { encoding: 'utf8' });
    const after = vmstat();
    const majflt = Number(out.trim());
    const pswpin = after.pswpin! - before.pswpin!;
    rmSync(dir, { recursive: true, force: true });
    expect(majflt).toBeGreaterThan(1000);
    expect(pswpin).toBeGreaterThan(majflt);
    const real = majflt / pswpin;

    // the simulator: the same shape (a working set twice the memory it may use, two passes), page-cluster as on this host
    const r = new Runner(
      parseScenario(`machine: { ram: 96MiB, swap: 256MiB, page_cluster: ${pageCluster} }
processes: [{ name: t }]
steps:
  - { proc: t, mmap: 128MiB, as: ws }
  - { proc: t, touch: ws }
  - { snapshot: warm }
  - { proc: t, touch: ws, repeat: 2 }
  - { snapshot: thrashed }
`),
    );
    while (!r.done) r.step();
    const rep = r.finish();
    const [warm, done] = [rep.snapshots[0]!, rep.snapshots[1]!];
    const simMaj = done.vmstat.pgmajfault - warm.vmstat.pgmajfault;
    const simIn = done.vmstat.pswpin - warm.vmstat.pswpin;
    expect(simMaj).toBeGreaterThan(1000);
    const sim = simMaj / simIn;
    console.log(`majflt/pswpin: real ${real.toFixed(3)} (${majflt}/${pswpin}), simulated ${sim.toFixed(3)} (${simMaj}/${simIn}), vm.page-cluster=${pageCluster}`);
    expect(Math.abs(sim - real) / real).toBeLessThanOrEqual(0.25);
  }, 180_000);
});
