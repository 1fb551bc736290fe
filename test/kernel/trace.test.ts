/** The page-fault trace (perf trace -F all): one entry per fault /proc/vmstat counts, in a ring buffer. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
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

/**
 * The trace stores runs of evenly spaced faults, not entries: whatever mix of single faults and
 * runs is recorded, every entry it holds is the one a plain list of the last CAPACITY faults holds.
 */
describe('fault trace runs', () => {
  type Op = { pid: number; vma: number; addr: number; step: number; n: number; stride: number; kind: FaultKind; write: boolean; runStep: number; same: boolean };
  const op = fc.record({
    pid: fc.integer({ min: 1, max: 3 }),
    vma: fc.integer({ min: 1, max: 3 }),
    addr: fc.integer({ min: 0, max: 64 }).map((x) => 0x7f0000000000 + x * 4096),
    step: fc.integer({ min: 1, max: 4 }).map((x) => x * 4096),
    n: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1000, max: 90_000 })),
    stride: fc.constantFrom(0, 1, 2),
    kind: fc.constantFrom(FaultKind.Minor, FaultKind.Major, FaultKind.Cow, FaultKind.Zero),
    write: fc.boolean(),
    runStep: fc.integer({ min: 0, max: 3 }),
    // the same task, VMA, kind and spacing as the fault before (so runs go on, or almost do)
    same: fc.boolean(),
  });
  it('holds exactly the newest CAPACITY faults, each as recorded', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops: Op[]) => {
        const t = new FaultTrace();
        // the plain list, kept as the calls that made it: entry g is call k's (g - first[k])-th fault
        const calls: Array<{ first: number; n: number; text: (i: number) => string }> = [];
        let total = 0;
        let step = 0;
        let nextAddr = 0;
        let prev: Op | undefined;
        for (const drawn of ops) {
          const o: Op = drawn.same && prev ? { ...drawn, pid: prev.pid, vma: prev.vma, kind: prev.kind, write: prev.write, step: prev.step } : drawn;
          prev = o;
          step += o.runStep === 0 ? 1 : 0;
          t.step = step;
          // stride 1: go on where the last fault left off (so runs can grow); 0: anywhere
          const addr = o.stride === 1 && nextAddr ? nextAddr : o.addr;
          const vma = { id: o.vma, mapping: `m${o.vma}` };
          const single = o.n === 1 && o.stride !== 2;
          if (single) t.record(o.pid, `c${o.pid}`, vma, addr, o.kind, o.write);
          else t.recordRun(o.pid, `c${o.pid}`, vma, addr, o.step, o.n, o.kind, o.write);
          const s = step;
          calls.push({ first: total, n: o.n, text: (i) => `${s} ${o.pid} ${addr + i * (single ? 0 : o.step)} ${o.kind} ${o.write} m${o.vma}` });
          total += o.n;
          nextAddr = addr + o.n * o.step;
        }
        const model = (g: number) => {
          let lo = 0;
          let hi = calls.length - 1;
          while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (calls[mid]!.first <= g) lo = mid;
            else hi = mid - 1;
          }
          return calls[lo]!.text(g - calls[lo]!.first);
        };
        const kept = Math.min(total, FaultTrace.CAPACITY);
        expect(t.written).toBe(total);
        expect(t.length).toBe(kept);
        expect(t.lost).toBe(total - kept);
        // entries in order (the cursor path), and some out of order (the search path)
        const show = (i: number) => {
          const e = t.entry(i);
          return `${e.step} ${e.pid} ${e.address} ${e.kind} ${e.write} ${e.mapping}`;
        };
        for (let i = 0; i < kept; i += Math.max(1, Math.floor(kept / 3000))) expect(show(i)).toBe(model(total - kept + i));
        for (let i = kept - 1; i >= 0; i -= Math.max(1, Math.floor(kept / 97))) expect(show(i)).toBe(model(total - kept + i));
      }),
      { numRuns: 200 },
    );
  });

  it('stores a first touch of a million pages as one run, and faults in no order at most MAX_RUNS runs', () => {
    const t = new FaultTrace();
    t.recordRun(1, 'p', { id: 1, mapping: '[heap]' }, 0x10000, 4096, 1 << 20, FaultKind.Minor, true);
    expect(t.bytes).toBe(new FaultTrace().bytes);
    expect(t.length).toBe(FaultTrace.CAPACITY);
    expect(t.entry(0).address).toBe(0x10000 + ((1 << 20) - FaultTrace.CAPACITY) * 4096);
    // faults that make no run: each its own; past MAX_RUNS the oldest go (fewer than CAPACITY held)
    const u = new FaultTrace();
    const n = FaultTrace.MAX_RUNS + 10;
    for (let i = 0; i < n; i++) u.record(1, 'p', { id: 1 + (i % 2), mapping: 'x' }, 0x10000 + i * 4096, FaultKind.Minor, true);
    expect(u.length).toBe(FaultTrace.MAX_RUNS);
    expect(u.lost).toBe(10);
    expect(u.entry(0).address).toBe(0x10000 + 10 * 4096);
    expect(u.bytes).toBeLessThanOrEqual(FaultTrace.MAX_RUNS * 41);
  });
});
