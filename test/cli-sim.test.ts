/** `memlab sim FILE`: the scenario's /proc at each snapshot, and with --faults every page fault. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { skipping } from './skip.js';
import { run } from '../app/cli/sim.js';
import { runCli } from './cli-capture.js';

const builtin = (id: string) => join(import.meta.dirname, '..', 'exercises', 'scenarios', `${id}.yaml`);

const sim = (...args: string[]) => runCli(run, args);

describe('memlab sim', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints each snapshot\'s /proc, and with --faults every fault as perf trace would', async () => {
    const plain = await sim(builtin('fork-cow'));
    expect(plain.code).toBe(0);
    expect(plain.out).toContain('== snapshot "child-wrote" after step 7 ==');
    expect(plain.out).not.toContain('page faults');
    const r = await sim(builtin('fork-cow'), '--faults');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const at = lines.indexOf('== page faults (perf trace -F all) ==');
    expect(at).toBeGreaterThan(0);
    const faults = lines.slice(at + 1).filter(Boolean);
    // 64 MiB written by the parent, then 16 MiB copied on write by the child: malloc's pointer
    // is 16 bytes into the mmap's first page, so 16 MiB from it spans 4,097 pages
    expect(faults.filter((l) => / parent\/\d+ minfault write => .*\(buf\)$/.test(l))).toHaveLength(16385);
    expect(faults.filter((l) => / child\/\d+ minfault \(copy-on-write\) write => .*\(buf\)$/.test(l))).toHaveLength(4097);
    // and the child's reads map nothing new: no fault
    expect(faults.some((l) => /\[step 8\] child/.test(l))).toBe(false);
  });

  it('--json carries the statechart\'s state and the zone\'s watermarks in pages; --seed turns ASLR on, the same seed the same run', async () => {
    const j = await sim(builtin('pressure-kswapd'), '--json');
    expect(j.code).toBe(0);
    const report = JSON.parse(j.out) as { snapshots: Array<{ label: string; kernel: { cpu: string; kswapd: string }; zone: { min: number; low: number; high: number; free: number } }> };
    for (const s of report.snapshots) {
      expect(s.kernel.cpu).toBe('running');
      expect(['asleep', 'balancing']).toContain(s.kernel.kswapd);
      expect(s.zone.min).toBeLessThan(s.zone.low);
      expect(s.zone.low).toBeLessThan(s.zone.high);
      // the chart and the zone agree, from outside
      if (s.kernel.kswapd === 'asleep') expect(s.zone.free).toBeGreaterThanOrEqual(s.zone.low);
      else expect(s.zone.free).toBeLessThan(s.zone.high);
    }
    expect(report.snapshots.map((s) => s.kernel.kswapd)).toContain('balancing');
    const plain = (await sim(builtin('malloc-strace'))).out;
    const a = await sim(builtin('malloc-strace'), '--seed', '7');
    const b = await sim(builtin('malloc-strace'), '--seed', '7');
    expect(a.code).toBe(0);
    expect(b.out).toBe(a.out);
    expect(a.out).not.toBe(plain);
    expect((await sim(builtin('malloc-strace'), '--seed', '1e308')).code).toBe(2);
  });

  it('exits 2 naming the line of a broken scenario, and of a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clisim-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'machine: { ram: 1GiB }\nprocesses: [{ name: a }]\nsteps:\n  - { proc: a, malloc: 3 potatoes, as: x }\n');
    const bad = await sim(f, '--faults');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad\.yaml:4: step 1 \(malloc\)/);
    const missing = await sim(join(dir, 'none.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read');
  });

  it('refuses an oversize file before reading it: 20 MB of 10^6 processes, and a 20 GB sparse file, at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clisim-'));
    const f = join(dir, 'huge.yaml');
    writeFileSync(f, `machine: { ram: 1GiB }\nprocesses:\n${'  - { name: proc }\n'.repeat(1_000_000)}steps:\n  - { snapshot: s }\n`);
    const r = await sim(f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/huge\.yaml is larger than 2 MB, the most a scenario may be; it was not read/);
    // read whole, this would take minutes and 20 GB; refused on its size, it takes no time at all
    const sparse = join(dir, 'sparse.yaml');
    writeFileSync(sparse, '');
    truncateSync(sparse, 20e9);
    const r2 = await sim(sparse);
    expect(r2.code).toBe(2);
    expect(r2.err).toContain('it was not read');
  });

  it.skipIf(skipping(process.platform === 'win32', 'refusing a FIFO', 'Windows has no FIFOs (mkfifo)'))('refuses a FIFO instead of waiting on it forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clisim-'));
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = await sim(fifo);
    expect(r.code).toBe(2);
    expect(r.err).toContain('it is not a regular file');
  });

  // The scenario parser is the kernel's (app/common/kernel/scenario.ts, issue 14's simulator side):
  // these fail until it validates every size as a safe integer with a unit.
  it('a size of 1e308 bytes is a clear error naming the step, not brk(0x8e679c…)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clisim-'));
    const f = join(dir, 'e308.yaml');
    writeFileSync(f, 'machine: { ram: 2GiB }\nprocesses:\n  - { name: a }\nsteps:\n  - { proc: a, brk: 1e308 }\n');
    const r = await sim(f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/e308\.yaml:5: step 1/);
  });

  it('a size of 2^53+1 bytes is a clear error, not silently rounded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clisim-'));
    const f = join(dir, 'e53.yaml');
    writeFileSync(f, 'machine: { ram: 2GiB }\nprocesses:\n  - { name: a }\nsteps:\n  - { proc: a, malloc: 9007199254740993, as: b }\n');
    const r = await sim(f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/e53\.yaml:5: step 1/);
  });
});
