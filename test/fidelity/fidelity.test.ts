/**
 * The simulator held to this machine's real kernel: small C probes do what a scenario does and
 * report /proc/self/status, getrusage and strace; the simulator must agree within the stated
 * tolerance. Where the host cannot run a probe (no gcc, no strace, THP forced on) the test says
 * why it is skipped.
 *
 * Assumptions made explicit: glibc 2.3x malloc on x86-64 with 4 KiB pages; transparent huge
 * pages not used for plain malloc memory (host 'madvise' or 'never' — with 'always' anonymous
 * faults come 2 MiB at a time and fault counts differ by design); the simulator's process image
 * is a small C program's, so absolute VmSize/VmRSS differ by the host binary's own libraries:
 * the tests compare what a step changes, as a student does with top.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { oomScore } from '../../app/common/kernel/oom_kill.js';
import { runFile, snap } from '../kernel/helpers.js';
import { skipping } from '../skip.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const linux = process.platform === 'linux' && existsSync('/proc/self/status');
const thp = existsSync('/sys/kernel/mm/transparent_hugepage/enabled') ? /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] : 'never';
const canProbe = linux && has('gcc');
if (!canProbe) console.log(`fidelity tests skipped: ${linux ? 'no gcc on this machine' : 'not a Linux host'}`);
if (thp === 'always') console.log('fault-count fidelity tests skipped: transparent_hugepage=always here, so anonymous faults come 2 MiB at a time');

let dir = '';
let probe = '';
beforeAll(() => {
  if (!canProbe) return;
  dir = mkdtempSync(join(tmpdir(), 'memlab-probe-'));
  probe = join(dir, 'probes');
  execFileSync('gcc', ['-O0', '-o', probe, join(import.meta.dirname, 'probes.c')]);
  execFileSync('gcc', ['-O0', '-o', join(dir, 'malloc-strace'), join(import.meta.dirname, 'malloc-strace.c')]);
});

function lines(out: string): Record<string, Record<string, number>> {
  const r: Record<string, Record<string, number>> = {};
  for (const l of out.trim().split('\n')) {
    const [tag, ...kv] = l.split(' ');
    const o: Record<string, number> = {};
    for (let i = 0; i < kv.length; i += 2) o[kv[i]!] = Number(kv[i + 1]);
    r[tag!] = o;
  }
  return r;
}

describe.skipIf(skipping(!canProbe, 'the simulator against this kernel', linux ? 'no gcc to compile the C probes (apt-get install gcc)' : 'the probes read Linux /proc'))('the simulator against this kernel', () => {
  it('malloc 2 GiB then memset 1 GiB: VIRT and RES change alike (within 1%)', () => {
    const host = lines(execFileSync(probe, ['virt-res'], { encoding: 'utf8' }));
    const sim = runFile('virt-vs-res.yaml');
    const s0 = snap(sim, 'start').processes['a.out']!;
    const s1 = snap(sim, 'after-malloc').processes['a.out']!;
    const s2 = snap(sim, 'after-memset').processes['a.out']!;
    const hostVirt = host['after-malloc']!.VmSize! - host.start!.VmSize!;
    const hostRes = host['after-memset']!.VmRSS! - host['after-malloc']!.VmRSS!;
    // the simulator's process makes its first malloc here, so it also sets up a 132 KiB heap; the probe warmed it up
    expect(Math.abs(s1.VmSize - s0.VmSize - 132 - hostVirt)).toBeLessThanOrEqual(hostVirt * 0.01);
    expect(Math.abs(s2.VmRSS - s1.VmRSS - hostRes)).toBeLessThanOrEqual(hostRes * 0.01);
  });

  it.skipIf(skipping(thp === 'always', 'one minor fault per page', 'transparent_hugepage is always: the kernel faults 2 MiB at a time'))('one minor fault per page touched (64 MiB: 16384 faults, within 1%)', () => {
    const pages = 16384;
    const hostFaults = Number(execFileSync(probe, ['faults'], { encoding: 'utf8' }).trim().split(' ')[1]);
    expect(Math.abs(hostFaults - pages)).toBeLessThanOrEqual(pages * 0.01);
    const sim = snap(runFile('fork-cow.yaml'), 'before-fork').processes.parent!.minflt;
    expect(Math.abs(sim - pages)).toBeLessThanOrEqual(pages * 0.01);
  });

  it.skipIf(skipping(thp === 'always', 'one copy-on-write fault per page', 'transparent_hugepage is always: the kernel copies 2 MiB at a time'))('fork + a 16 MiB write in the child: one copy-on-write fault per page (within 1%)', () => {
    const hostCow = Number(/cow (\d+)/.exec(execFileSync(probe, ['cow'], { encoding: 'utf8' }))![1]);
    const sim = snap(runFile('fork-cow.yaml'), 'child-wrote').processes.child!.minflt;
    expect(Math.abs(hostCow - 4096)).toBeLessThanOrEqual(4096 * 0.01);
    expect(Math.abs(sim - hostCow)).toBeLessThanOrEqual(4096 * 0.01);
  });

  it.skipIf(skipping(!has('strace'), 'brk and mmap sizes against strace', 'no strace on PATH (apt-get install strace)'))('malloc 4 KiB, 128 KiB, 300 KiB, free, 300 KiB again: the same brk and mmap sizes as strace shows', () => {
    const r = spawnSync('strace', ['-e', 'trace=brk,mmap,munmap', join(dir, 'malloc-strace')], { encoding: 'utf8' });
    const calls = r.stderr.split('\n');
    // the program's own calls come after the dynamic loader's: from the first brk(NULL) on
    const firstOwn = calls.map((l) => l.startsWith('brk(NULL)')).lastIndexOf(true);
    const mine = calls.slice(firstOwn);
    const host: string[] = [];
    let brk = 0;
    for (const l of mine) {
      let m = /^brk\((0x[0-9a-f]+|NULL)\)\s+= (0x[0-9a-f]+)/.exec(l);
      if (m) {
        const v = parseInt(m[2]!, 16);
        if (m[1] !== 'NULL' && brk) host.push(`brk ${v - brk}`);
        brk = v;
        continue;
      }
      m = /^mmap\(NULL, (\d+),/.exec(l);
      if (m) host.push(`mmap ${m[1]}`);
      m = /^munmap\(0x[0-9a-f]+, (\d+)\)/.exec(l);
      if (m) host.push(`munmap ${m[1]}`);
    }
    const sim = runFile('malloc-strace.yaml').syscalls.map((s) => `${s.call} ${s.size}`);
    expect(sim).toEqual(host);
  });

  it('free() in the middle of the heap returns nothing; malloc_trim returns whole pages', () => {
    const host = lines(execFileSync(probe, ['trim'], { encoding: 'utf8' }));
    const sim = runFile('free-and-trim.yaml');
    // anonymous memory only: the probe's first printf also faults in libc pages (RssFile), which is not malloc's doing
    const hostDrop = host['middle-freed']!.RssAnon! - host['after-malloc_trim']!.RssAnon!;
    const simDrop = snap(sim, 'middle-freed').processes.app!.VmRSS - snap(sim, 'after-malloc_trim').processes.app!.VmRSS;
    expect(Math.abs(host['middle-freed']!.RssAnon! - host['all-touched']!.RssAnon!)).toBeLessThanOrEqual(8); // stdout's buffer at most
    expect(hostDrop).toBeGreaterThan(100);
    expect(Math.abs(simDrop - hostDrop)).toBeLessThanOrEqual(8); // within two pages
  });

  it.skipIf(skipping(process.getuid?.() !== 0, 'mlock and VmLck', 'not root: RLIMIT_MEMLOCK (64 KiB for a user) is too small to lock the probe\'s range'))('mlock makes the range resident and counts it in VmLck', () => {
    const host = lines(execFileSync(probe, ['mlock'], { encoding: 'utf8' }));
    expect(host.locked!.VmLck! - host.before!.VmLck!).toBe(32 * 1024 + 4);
    const sim = snap(runFile('mlock.yaml'), 'locked').processes.secret!;
    expect(sim.VmLck).toBe(host.locked!.VmLck! - host.before!.VmLck!);
  });

  it('oom_score of a real process follows the 6.x formula from its rss, swap and page tables', async () => {
    const child = spawn(probe, ['hold', '200'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const pid = child.pid!;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const f = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)![1]);
      const mem = readFileSync('/proc/meminfo', 'utf8');
      const m = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(mem)![1]);
      const real = Number(readFileSync(`/proc/${pid}/oom_score`, 'utf8'));
      const adj = Number(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8'));
      // the simulator's formula, fed with the real process's numbers (pages)
      const totalpages = (m('MemTotal') + m('SwapTotal')) / 4;
      const fakeKernel = { totalPages: m('MemTotal') / 4, swap: { slots: m('SwapTotal') / 4 }, pageSize: 4096 };
      const rss = f('VmRSS') / 4;
      const fakeTask = {
        alive: true,
        oomScoreAdj: adj,
        // the page tables it holds, as the simulator's sparse page tables count them (VmPTE is mm_pgtables_bytes)
        mm: { rss, swapEnts: f('VmSwap') / 4, vmas: [], pt: { pgtablesBytes: f('VmPTE') * 1024 } },
      };
      const points = rss + f('VmSwap') / 4 + f('VmPTE') / 4 + adj * Math.floor(totalpages / 1000);
      const expected = Math.trunc(((1000 + Math.trunc((points * 1000) / totalpages)) * 2) / 3);
      const viaSim = oomScore(fakeKernel as never, fakeTask as never);
      expect(viaSim).toBe(expected);
      // MemTotal undercounts totalram_pages slightly (reserved pages): allow one point
      expect(Math.abs(real - expected)).toBeLessThanOrEqual(1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
