/**
 * Invariants over random scenarios (fast-check, seeded; the seed is printed on failure):
 * frames are conserved, RSS never exceeds VmSize, swap slots in use match the swap entries,
 * the OOM killer runs only after reclaim failed, and the same scenario runs the same way twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Runner, type Scenario, ScenarioError } from '../../app/common/kernel/index.js';
import { FrameKind } from '../../app/common/kernel/page_alloc.js';
import { parseScenario } from '../../app/common/kernel/scenario.js';

const SEED = Number(process.env.MEMLAB_PROP_SEED ?? 4242);
const MiB = 1024 * 1024;

const procs = ['p0', 'p1', 'p2'];
const stepArb = fc.oneof(
  fc.record({ proc: fc.constantFrom(...procs), malloc: fc.integer({ min: 1, max: 96 * MiB }), as: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ proc: fc.constantFrom(...procs), touch: fc.constantFrom('a', 'b', 'c'), write: fc.boolean(), repeat: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ proc: fc.constantFrom(...procs), free: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ proc: fc.constantFrom(...procs), mmap: fc.integer({ min: 4096, max: 32 * MiB }), as: fc.constantFrom('a', 'b', 'c'), shared: fc.boolean() }),
  fc.record({ proc: fc.constantFrom(...procs), fork: fc.constantFrom('k1', 'k2') }),
  fc.record({ proc: fc.constantFrom(...procs), mlock: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ proc: fc.constantFrom(...procs), read: fc.constant('/data/file'), length: fc.integer({ min: 4096, max: 64 * MiB }) }),
  fc.record({ proc: fc.constantFrom(...procs), malloc_trim: fc.constant(0) }),
  fc.record({ proc: fc.constantFrom(...procs), exit: fc.constant(true) }),
  fc.record({ tick: fc.integer({ min: 1, max: 2000 }) }),
);

const scenarioArb = fc.record({
  machine: fc.record({
    ram: fc.constantFrom(64 * MiB, 96 * MiB, 128 * MiB),
    swap: fc.constantFrom(0, 32 * MiB, 128 * MiB),
    swappiness: fc.integer({ min: 0, max: 200 }),
    overcommit_memory: fc.constantFrom(0, 1),
  }),
  processes: fc.constant(procs.map((name) => ({ name, uid: 0 }))),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 14 }),
});

function checkInvariants(r: Runner): void {
  const k = r.k;
  const c = k.frames.count;
  // frames are conserved: free + anon + page cache + shmem + kernel = total
  expect(c[FrameKind.Free]! + c[FrameKind.Anon]! + c[FrameKind.File]! + c[FrameKind.Shmem]! + c[FrameKind.Kernel]!).toBe(k.frames.total);
  expect(c[FrameKind.Free]).toBe(k.frames.free);
  let swapEntries = 0;
  for (const t of k.tasks) {
    const ps = k.pageSize;
    expect(t.mm.rss * ps).toBeLessThanOrEqual(t.mm.totalVm);
    expect(t.mm.rssAnon).toBeGreaterThanOrEqual(0);
    expect(t.mm.swapEnts).toBeGreaterThanOrEqual(0);
    swapEntries += t.mm.swapEnts;
  }
  // every swap-map count is an entry somewhere (a process's page table or a tmpfs page)
  let counts = 0;
  for (let i = 0; i < k.swap.slots; i++) counts += k.swap.map[i]!;
  expect(counts).toBe(swapEntries + k.shmemSwapped);
}

function build(s: unknown): Scenario {
  return parseScenario(JSON.stringify(s));
}

describe(`kernel invariants over random scenarios (seed ${SEED}; replay with MEMLAB_PROP_SEED)`, () => {
  it('conserve frames, keep RSS within VmSize, account swap, and OOM only after reclaim', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const r = new Runner(build(s), { pageBudget: 5_000_000 });
        while (!r.done) {
          const oomBefore = r.k.vmstat.oom_kill;
          try {
            r.step();
          } catch (e) {
            if ((e as Error).name !== 'ScenarioError') throw e;
            break;
          }
          checkInvariants(r);
          if (r.k.vmstat.oom_kill > oomBefore) {
            const v = r.run.visited;
            expect(v).toContain('cpu.oomKill');
            expect(v.indexOf('cpu.directReclaim')).toBeGreaterThanOrEqual(0);
            expect(v.indexOf('cpu.directReclaim')).toBeLessThan(v.indexOf('cpu.oomKill'));
          }
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('is deterministic: the same scenario gives the same report', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer(), (s, seed) => {
        const once = () => {
          const r = new Runner(build(s), { seed, pageBudget: 5_000_000 });
          while (!r.done) {
            try {
              r.step();
            } catch (e) {
              // a step may stop the run with a ScenarioError (it is in the report); anything else is a crash
              if (!(e instanceof ScenarioError)) throw e;
            }
          }
          return JSON.stringify({ report: r.finish(), pos: r.pos, active: r.activeStates() });
        };
        const a = once();
        expect(JSON.parse(a).report.snapshots.length).toBeGreaterThan(0);
        expect(once()).toBe(a);
      }),
      { seed: SEED + 1, numRuns: 25 },
    );
  });
});

describe('the seed', () => {
  const text = 'processes: [{ name: p }]\nsteps:\n  - { proc: p, malloc: 1MiB, as: m }\n  - { proc: p, touch: m }\n';
  const layout = (seed?: number) => {
    const r = new Runner(parseScenario(text), seed === undefined ? {} : { seed });
    while (!r.done) r.step();
    return { maps: r.k.task('p')!.mm.vmas.map((v) => v.start), report: JSON.stringify(r.finish()), syscalls: r.report.syscalls.map((c) => c.text) };
  };
  it('without one, addresses are those of ASLR off (setarch -R), every run', () => {
    const a = layout();
    expect(a.maps[0]).toBe(0x555555554000);
    expect(a.syscalls[1]).toMatch(/= 0x7ffff7[0-9a-f]{6}$/);
    expect(layout().report).toBe(a.report);
  });
  it('with one, the layout is randomised as ASLR does: the same seed gives the same run, another seed another layout', () => {
    const a = layout(1);
    const b = layout(1);
    const c = layout(2);
    expect(b.report).toBe(a.report);
    expect(a.maps).not.toEqual(layout().maps);
    expect(c.maps).not.toEqual(a.maps);
    // the PIE base moves in whole pages above ELF_ET_DYN_BASE; the mmap area stays below the stack's reach
    for (const l of [a, c]) {
      expect(l.maps[0]! % 4096).toBe(0);
      expect(l.maps[0]!).toBeGreaterThanOrEqual(0x555555554000);
      expect(l.maps.at(-1)!).toBeGreaterThan(l.maps.at(-2)!);
    }
  });
});

describe('limits instead of hangs', () => {
  it('a fork bomb ends with a clear refusal at the process limit', () => {
    const steps = Array.from({ length: 1100 }, (_, i) => ({ proc: 'p', fork: `c${i}` }));
    const r = new Runner(parseScenario(JSON.stringify({ machine: { ram: '1GiB' }, processes: [{ name: 'p' }], steps })));
    while (!r.done) r.step();
    const rep = r.finish();
    expect(rep.log.some((l) => l.text.includes('fork failed: EAGAIN'))).toBe(true);
    expect(r.k.tasks.filter((t) => t.alive).length).toBeLessThanOrEqual(1000);
  });
  it('exhausting RAM and swap ends with OOM kills, never a hang', () => {
    const steps = [0, 1, 2, 3].flatMap((i) => [
      { proc: `p${i}`, malloc: '64MiB', as: 'm' },
      { proc: `p${i}`, touch: 'm' },
    ]);
    const r = new Runner(parseScenario(JSON.stringify({ machine: { ram: '128MiB', swap: '32MiB' }, processes: [0, 1, 2, 3].map((i) => ({ name: `p${i}` })), steps })));
    while (!r.done) r.step();
    const rep = r.finish();
    expect(rep.snapshots.at(-1)!.vmstat.oom_kill).toBeGreaterThan(0);
  });
  it('a run beyond its page budget stops with a clear error', () => {
    const r = new Runner(parseScenario(JSON.stringify({ machine: { ram: '8GiB' }, processes: [{ name: 'p' }], steps: [{ proc: 'p', malloc: '4GiB', as: 'm' }, { proc: 'p', touch: 'm', repeat: 1000 }] })), { pageBudget: 10_000_000 });
    r.step();
    expect(() => r.step()).toThrow(/the run used up its budget of 10,000,000 work units/);
    expect(r.report.error?.step).toBe(2);
  });
});

describe('10,000 processes', () => {
  it('a scenario declaring 10,000 processes gets a clear limit, not a hang', () => {
    const processes = Array.from({ length: 10_000 }, (_, i) => ({ name: `p${i}` }));
    expect(() => parseScenario(JSON.stringify({ processes, steps: [] }))).toThrow(/1000/);
  });
});
