/**
 * The simulator is bounded by what it simulates, not by what it is told to map: page tables are
 * made per touched 2 MiB region (and take a frame each, as on Linux), every size is a safe
 * integer, and a run past its work, memory or snapshot budget stops with a ScenarioError naming
 * the step, never a RangeError or an exhausted heap.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario, Runner, ScenarioError } from '../../app/common/kernel/index.js';

const run = (text: string, opts: ConstructorParameters<typeof Runner>[1] = {}) => {
  const r = new Runner(parseScenario(text), opts);
  let error: ScenarioError | undefined;
  while (!r.done) {
    try {
      r.step();
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      error = e;
    }
  }
  return { r, report: r.finish(), error };
};

describe('sparse page tables', () => {
  it('a 1 TiB mapping costs nothing until touched; a touch costs one table per 2 MiB region', () => {
    const { r, report, error } = run(`machine: { ram: 1GiB, overcommit_memory: 1 }
processes: [{ name: p }]
steps:
  - { snapshot: start }
  - { proc: p, mmap: 1TiB, as: m }
  - { snapshot: mapped }
  - { proc: p, touch: m, length: 4KiB }
  - { snapshot: one-page }
  - { proc: p, touch: m, offset: 1TiB, length: 0 }
  - { proc: p, touch: m, offset: 4KiB, length: 2MiB }
  - { snapshot: next-region }
`);
    expect(error).toBeUndefined();
    const at = (l: string) => report.snapshots.find((s) => s.label === l)!;
    // mapping 1 TiB: VmSize grows by 1 TiB, no page table, no frame
    expect(at('mapped').processes.p!.VmSize - at('start').processes.p!.VmSize).toBe(1024 ** 3);
    expect(at('mapped').processes.p!.VmPTE).toBe(at('start').processes.p!.VmPTE);
    expect(at('mapped').meminfo.MemFree).toBe(at('start').meminfo.MemFree);
    // the first touch: one page, one PTE table, and a PMD and PUD table above it (a new 1 GiB / 512 GiB span)
    const tables = (at('one-page').processes.p!.VmPTE - at('mapped').processes.p!.VmPTE) / 4;
    expect(tables).toBeGreaterThanOrEqual(1);
    expect(tables).toBeLessThanOrEqual(3);
    expect(at('mapped').meminfo.MemFree - at('one-page').meminfo.MemFree).toBe(4 + tables * 4);
    expect(at('one-page').meminfo.PageTables - at('mapped').meminfo.PageTables).toBe(tables * 4);
    // 2 MiB more from the second page crosses into the next 2 MiB region: one more PTE table
    expect(at('next-region').processes.p!.VmPTE - at('one-page').processes.p!.VmPTE).toBe(4);
    expect(at('one-page').meminfo.MemFree - at('next-region').meminfo.MemFree).toBe(2048 + 4);
    // the model holds a few tables, not an entry per page of the terabyte
    expect(r.memoryBytes()).toBeLessThan(32 * 1024 * 1024);
  });

  it('four 1 TiB mappings and a 20 TiB one are cheap; 20 TiB under heuristic overcommit is ENOMEM, not a crash', () => {
    const big = `machine: { ram: 1GiB, overcommit_memory: 1 }
processes: [{ name: p }]
steps:
${[1, 2, 3, 4].map((i) => `  - { proc: p, mmap: 1TiB, as: m${i} }\n  - { proc: p, touch: m${i}, length: 1MiB }`).join('\n')}
  - { proc: p, mmap: 20TiB, as: huge }
  - { proc: p, touch: huge, offset: 19TiB, length: 64KiB }
  - { snapshot: s }
`;
    const { r, report, error } = run(big);
    expect(error).toBeUndefined();
    expect(report.snapshots[0]!.processes.p!.VmSize).toBeGreaterThan(24 * 1024 ** 3);
    expect(r.memoryBytes()).toBeLessThan(32 * 1024 * 1024);
    const heuristic = run(`machine: { ram: 1GiB }
processes: [{ name: p }]
steps:
  - { proc: p, mmap: 20TiB, as: huge }
  - { proc: p, malloc: 20TiB, as: m }
`);
    expect(heuristic.error).toBeUndefined();
    expect(heuristic.report.syscalls.map((c) => c.text)).toEqual([
      'mmap(NULL, 21990232555520, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)',
      // malloc's first call sets up its tcache on the heap, then asks mmap for the 20 TiB, which the kernel refuses
      expect.stringMatching(/^brk\(0x[0-9a-f]+\) = 0x[0-9a-f]+$/),
      'mmap(NULL, 21990232559616, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)',
    ]);
    expect(heuristic.report.log.some((l) => /malloc\(21990232555520\) returned NULL/.test(l.text))).toBe(true);
  });

  it('a mapping larger than the address space (2^52 bytes) fails with ENOMEM even when overcommit allows anything', () => {
    const { report, error } = run(`machine: { ram: 1GiB, overcommit_memory: 1 }
processes: [{ name: p }]
steps:
  - { proc: p, mmap: 4503599627370496, as: m }
  - { proc: p, malloc: 4503599627370496, as: x }
  - { proc: p, touch: x }
`);
    expect(error).toBeUndefined();
    expect(report.syscalls[0]!.text).toMatch(/= -1 ENOMEM/);
    // malloc returned NULL; touching it is a NULL dereference, delivered by the chart
    expect(report.snapshots.at(-1)!.processes.p!.state).toBe('killed:sigsegv');
    expect(report.log.some((l) => /NULL pointer dereference/.test(l.text))).toBe(true);
  });

  it('read(2) moves at most MAX_RW_COUNT bytes, as Linux does', () => {
    const { report, error } = run(`machine: { ram: 4GiB }
processes: [{ name: p }]
steps:
  - { proc: p, read: /big, length: 1TiB }
`, { workBudget: 5_000_000 });
    expect(error).toBeUndefined();
    expect(report.syscalls[0]!.text).toBe('read(3, ..., 1099511627776) = 2147479552');
  });
});

describe('sizes are safe integers', () => {
  const bad = (size: string) => () => parseScenario(`processes: [{ name: p }]\nsteps:\n  - { proc: p, malloc: ${size}, as: m }\n`);
  it('refuses 1e308 and 2^53 + 1 as sizes, naming the step and field', () => {
    for (const size of ['1e308', '9007199254740993', '"9007199254740993"', '"8192TiB"', '"1.3KiB"', '0.5']) {
      expect(bad(size), size).toThrow(ScenarioError);
      try {
        bad(size)();
      } catch (e) {
        expect((e as ScenarioError).where.step).toBe(1);
        expect((e as ScenarioError).where.field).toBe('malloc');
      }
    }
    expect(bad('1e308')).toThrow(/too large to be exact/);
    expect(bad('"1.3KiB"')).toThrow(/whole number of bytes/);
    expect(() => bad('"16TiB"')()).not.toThrow();
  });
  it('refuses a fractional tick and counts that are not safe integers', () => {
    expect(() => parseScenario('processes: [{ name: p }]\nsteps:\n  - { tick: 1.5 }\n')).toThrow(ScenarioError);
    expect(() => parseScenario('processes: [{ name: p }]\nsteps:\n  - { proc: p, malloc: 4096, as: m }\n  - { proc: p, touch: m, every: 9007199254740993 }\n')).toThrow(ScenarioError);
  });
});

describe('budgets', () => {
  it('a touch of 20 TiB stops at the work budget with an error naming the step', () => {
    const { r, error } = run(`machine: { ram: 1GiB, overcommit_memory: 1 }
processes: [{ name: p }]
steps:
  - { proc: p, mmap: 20TiB, as: m }
  - { proc: p, touch: m, write: false }
`, { workBudget: 1_000_000 });
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error!.where.step).toBe(2);
    expect(error!.message).toMatch(/budget of 1,000,000 work units/);
    expect(r.k.work).toBeLessThanOrEqual(1_000_001);
  });

  it('page tables past the memory budget stop the run with an error naming the step', () => {
    // a read every 2 MiB of a 1 TiB mapping: the zero page costs nothing, but each read needs its own PTE table
    const { r, error } = run(`machine: { ram: 16GiB, overcommit_memory: 1 }
processes: [{ name: p }]
steps:
  - { proc: p, mmap: 1TiB, as: m }
  - { proc: p, touch: m, write: false, every: 512 }
`, { memoryBudget: 300 * 1024 * 1024 });
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error!.where.step).toBe(2);
    expect(error!.message).toMatch(/memory budget of 300 MiB/);
    expect(r.memoryBytes()).toBeLessThan(300 * 1024 * 1024);
  });

  it('a machine bigger than the memory budget is refused before it is made', () => {
    expect(() => new Runner(parseScenario('machine: { ram: 64GiB }\nprocesses: [{ name: p }]\nsteps: []\n'), { memoryBudget: 64 * 1024 * 1024 })).toThrow(/more than this session's budget of 64 MiB/);
  });

  it('snapshots past the payload limit stop the run at that snapshot', () => {
    const processes = Array.from({ length: 40 }, (_, i) => ({ name: `p${i}` }));
    const steps = Array.from({ length: 5000 }, (_, i) => ({ snapshot: `s${i}` }));
    const { r, error, report } = run(JSON.stringify({ machine: { ram: '1GiB' }, processes, steps }), { maxSnapshotBytes: 1024 * 1024 });
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error!.message).toMatch(/snapshots would take more than 1 MiB/);
    expect(error!.where.step).toBe(r.pos + 1);
    expect(JSON.stringify(report.snapshots).length).toBeLessThan(1.25 * 1024 * 1024);
  });
});
