/**
 * Seeking by checkpoints (checkpoint.ts): restoring the nearest checkpoint at or before step k and
 * running on to k gives exactly the run a fresh start gives at k (snapshot, chart state, report,
 * frames, swap, the fault trace), from wherever the run stood, for random scenarios and k
 * (fast-check, seeded). And checkpoints stay bounded.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Checkpoints } from '../../app/common/kernel/checkpoint.js';
import { parseScenario, Runner, type Scenario, ScenarioError } from '../../app/common/kernel/index.js';
import { SCENARIOS } from './helpers.js';

const SEED = Number(process.env.MEMLAB_PROP_SEED ?? 1717);
const MiB = 1024 * 1024;
const procs = ['p0', 'p1'];
const stepArb = fc.oneof(
  fc.record({ proc: fc.constantFrom(...procs), malloc: fc.integer({ min: 1, max: 48 * MiB }), as: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ proc: fc.constantFrom(...procs), touch: fc.constantFrom('a', 'b', 'c'), write: fc.boolean(), repeat: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ proc: fc.constantFrom(...procs), mmap: fc.integer({ min: 4096, max: 16 * MiB }), as: fc.constantFrom('a', 'b', 'c'), shared: fc.boolean() }),
  fc.record({ proc: fc.constantFrom(...procs), fork: fc.constantFrom('k1', 'k2') }),
  fc.record({ proc: fc.constantFrom(...procs), read: fc.constant('/data/file'), length: fc.integer({ min: 4096, max: 32 * MiB }) }),
  fc.record({ tick: fc.integer({ min: 1, max: 500 }) }),
  fc.record({ snapshot: fc.constantFrom('s1', 's2') }),
);
const scenarioArb = fc.record({
  machine: fc.record({ ram: fc.constantFrom(64 * MiB, 80 * MiB), swap: fc.constantFrom(0, 32 * MiB), swappiness: fc.integer({ min: 0, max: 200 }) }),
  processes: fc.constant(procs.map((name) => ({ name }))),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 16 }),
});
/** every process starts with its three allocations, so most random steps find what they name */
const withAllocations = (raw: { steps: unknown[] }) => ({
  ...raw,
  steps: [...procs.flatMap((proc) => ['a', 'b', 'c'].map((as, i) => ({ proc, malloc: (i + 1) * MiB, as }))), ...raw.steps],
});

const build = (s: unknown): Scenario => parseScenario(JSON.stringify(s));

/** run on to step `to` (or the end, or a step that fails) */
function runTo(r: Runner, to: number): void {
  while (!r.done && r.pos < to) {
    try {
      r.step();
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
    }
  }
}

/** everything a view of step k shows, and the data plane under it */
function seen(r: Runner) {
  const k = r.k;
  const h = (a: ArrayBufferView) => createHash('sha1').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
  // the trace: how many faults were written, and the newest 512 as the view's tail shows them
  const tail = Array.from({ length: Math.min(512, k.trace.length) }, (_, i) => JSON.stringify(k.trace.entry(k.trace.length - 1 - i)));
  const trace = `${k.trace.written} ${createHash('sha1').update(tail.join('\n')).digest('hex')}`;
  return {
    pos: r.pos,
    done: r.done,
    active: r.activeStates(),
    taken: r.run.taken,
    snapshot: r.snapshot('now'),
    report: { snapshots: r.report.snapshots, syscalls: r.report.syscalls, log: r.report.log, error: r.report.error },
    frames: [h(k.frames.kind), h(k.frames.flags), h(k.frames.mapcount)],
    swap: [h(k.swap.map), h(k.swap.cache)],
    trace,
  };
}

describe('seek by checkpoints', () => {
  it('seek to k from anywhere equals a fresh run to k (random scenarios, positions and k)', () => {
    let restored = 0;
    fc.assert(
      fc.property(scenarioArb, fc.nat(), fc.nat(), fc.boolean(), (raw, fromSeed, kSeed, fromEnd) => {
        const s = build(withAllocations(raw));
        const n = s.steps.length;
        // a student who ran to the end and scrubs back, or one anywhere in the run
        const from = fromEnd ? n : fromSeed % (n + 1);
        const k = kSeed % (n + 1);
        // the session: runs to `from`, keeping a checkpoint every 2 steps, then seeks to k
        const cps = new Checkpoints({ interval: 3, maxCount: 4, maxBytes: 1 << 30 });
        let r = new Runner(s);
        while (!r.done && r.pos < from) {
          runTo(r, r.pos + 1);
          if (cps.due(r.pos)) cps.add(r.checkpoint());
        }
        const cp = cps.nearest(k);
        if (k < r.pos || (cp && cp.pos > r.pos)) {
          r = cp ? new Runner(s, {}, cp) : new Runner(s);
          if (cp) restored++;
        }
        const ranFrom = r.pos;
        runTo(r, k);
        expect(k - ranFrom).toBeLessThanOrEqual(Math.max(k, 0));
        const fresh = new Runner(s);
        runTo(fresh, k);
        expect(seen(r)).toEqual(seen(fresh));
        // and the restored run goes on exactly as the fresh one to the end
        runTo(r, n);
        runTo(fresh, n);
        expect(seen(r)).toEqual(seen(fresh));
      }),
      { seed: SEED, numRuns: 30 },
    );
    // the property went through restored checkpoints, not only fresh starts
    expect(restored).toBeGreaterThan(5);
  });

  it('every step of the pressure and OOM scenarios (kswapd balancing, direct reclaim, a kill), restored from its checkpoint, is the step a fresh run reaches', () => {
    for (const f of ['pressure-kswapd.yaml', 'oom-killer.yaml']) {
      const s = parseScenario(readFileSync(join(SCENARIOS, f), 'utf8'), f);
      const digest = (r: Runner) => createHash('sha1').update(JSON.stringify(seen(r))).digest('hex');
      const fresh = new Runner(s);
      const want = [digest(fresh)];
      const cps = new Checkpoints({ interval: 1, maxCount: 1000, maxBytes: 1 << 30 });
      while (!fresh.done) {
        runTo(fresh, fresh.pos + 1);
        want[fresh.pos] = digest(fresh);
        if (cps.due(fresh.pos)) cps.add(fresh.checkpoint());
      }
      // the chart stood at kswapd balancing at some checkpoint: its state is restored, not started again
      expect(want.some((d, i) => i > 0 && new Runner(s, {}, cps.nearest(i)!).activeStates().includes('kswapd.balancing')), f).toBe(true);
      // scrubbing back from the end, one step at a time
      for (let k = fresh.pos; k > 0; k--) expect(digest(new Runner(s, {}, cps.nearest(k)!)), `${f} step ${k}`).toBe(want[k]);
    }
  });

  it('a restored checkpoint is a copy: running on from it leaves the checkpoint as it was', () => {
    const s = parseScenario(`machine: { ram: 64MiB, swap: 32MiB }
processes: [{ name: p }]
steps:
  - { proc: p, malloc: 40MiB, as: a }
  - { proc: p, touch: a }
  - { proc: p, malloc: 40MiB, as: b }
  - { proc: p, touch: b }
  - { proc: p, touch: a }
`);
    const r = new Runner(s);
    runTo(r, 2);
    const cp = r.checkpoint();
    for (let i = 0; i < 2; i++) {
      const again = new Runner(s, {}, cp);
      expect(again.pos).toBe(2);
      runTo(again, 5);
      const fresh = new Runner(s);
      runTo(fresh, 5);
      expect(seen(again)).toEqual(seen(fresh));
    }
    // the original run is untouched by its copies
    runTo(r, 5);
    const fresh = new Runner(s);
    runTo(fresh, 5);
    expect(seen(r)).toEqual(seen(fresh));
  });

  it('keeps a bounded number of checkpoints over a long run, spread over it', () => {
    const steps = Array.from({ length: 2000 }, (_, i) => (i % 2 ? `  - { proc: p, touch: a, length: ${4096 * (1 + (i % 7))} }` : '  - { tick: 1 }')).join('\n');
    const s = parseScenario(`machine: { ram: 64MiB }\nprocesses: [{ name: p }]\nsteps:\n  - { proc: p, malloc: 1MiB, as: a }\n${steps}\n`);
    const cps = new Checkpoints({ interval: 16, maxCount: 24, maxBytes: 1 << 30 });
    const r = new Runner(s);
    while (!r.done) {
      r.step();
      if (cps.due(r.pos)) cps.add(r.checkpoint());
    }
    expect(cps.count).toBeLessThanOrEqual(24);
    expect(cps.count).toBeGreaterThan(8);
    // the nearest checkpoint to any step is never more than the (grown) interval behind it
    for (const k of [17, 500, 1234, 2001]) expect(k - (cps.nearest(k)?.pos ?? 0)).toBeLessThan(cps.interval);
  });
});
