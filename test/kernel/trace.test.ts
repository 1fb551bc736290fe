/** The page-fault trace (perf trace -F all): one entry per fault /proc/vmstat counts, in a ring buffer. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../app/common/kernel/scenario.js';
import { Runner } from '../../app/common/kernel/simulate.js';
import { FaultKind, FaultTrace, formatFault } from '../../app/common/kernel/trace.js';

const run = (yaml: string) => {
  const r = new Runner(parseScenario(yaml, 't.yaml'));
  while (!r.done) r.step();
  return r;
};

describe('fault trace', () => {
  it('holds one entry per fault /proc/vmstat counts, in every built-in scenario', () => {
    const dir = join(import.meta.dirname, '..', '..', 'exercises', 'scenarios');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml') && x !== 'thrash.yaml')) {
      const r = new Runner(parseScenario(readFileSync(join(dir, f), 'utf8'), f));
      while (!r.done) {
        try {
          r.step();
        } catch {
          break;
        }
      }
      const t = r.k.trace;
      expect(t.written, f).toBe(r.k.vmstat.pgfault);
      let major = 0;
      for (let i = 0; i < t.length; i++) if (t.entry(i).kind === FaultKind.Major) major++;
      if (t.lost === 0) expect(major, f).toBe(r.k.vmstat.pgmajfault);
    }
  });

  it('says which fault each was: first write, zero-page read, copy-on-write, and at which address and mapping', () => {
    const r = run(`
machine: { ram: 1GiB }
processes: [{ name: p }]
steps:
  - { proc: p, malloc: 1MiB, as: a }
  - { proc: p, touch: a, length: 16KiB, write: false }
  - { proc: p, touch: a, length: 8KiB }
  - { proc: p, fork: c }
  - { proc: c, touch: a, length: 4KiB }
`);
    const t = r.k.trace;
    const es = Array.from({ length: t.length }, (_, i) => t.entry(i)).filter((e) => e.mapping.includes('(a)'));
    // malloc writes the chunk header into the first page of its mmap (step 1); the reads map the
    // zero page (4 pages after the first); the writes replace two of them with frames; after fork
    // the child's 4 KiB write, 16 bytes into the chunk, copies two pages
    expect(es.map((e) => [e.kind, e.write, e.comm, e.step])).toEqual([
      [FaultKind.Minor, true, 'p', 1],
      ...[0, 1, 2, 3].map(() => [FaultKind.Zero, false, 'p', 2]),
      [FaultKind.Minor, true, 'p', 3],
      [FaultKind.Minor, true, 'p', 3],
      [FaultKind.Cow, true, 'c', 5],
      [FaultKind.Cow, true, 'c', 5],
    ]);
    // one fault a page, 4 KiB apart, in the order touched
    expect(es[2]!.address - es[1]!.address).toBe(4096);
    expect(es[7]!.address).toBe(es[0]!.address);
    expect(formatFault(es[7]!)).toMatch(/^\[step 5\] c\/\d+ minfault \(copy-on-write\) write => 0x[0-9a-f]{12} \[ anon \] \(a\)$/);
    expect(t.written).toBe(r.k.vmstat.pgfault);
  });

  it('is a ring buffer: past its capacity the oldest entries are overwritten and counted as lost', () => {
    const t = new FaultTrace();
    const vma = { id: 1, mapping: '[heap]' };
    const n = FaultTrace.CAPACITY + 1000;
    for (let i = 0; i < n; i++) t.record(7, 'x', vma, i * 4096, FaultKind.Minor, true);
    expect(t.length).toBe(FaultTrace.CAPACITY);
    expect(t.lost).toBe(1000);
    expect(t.entry(0).address).toBe(1000 * 4096);
    expect(t.entry(t.length - 1).address).toBe((n - 1) * 4096);
    expect(() => t.entry(t.length)).toThrow(RangeError);
  });
});
