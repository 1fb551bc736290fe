/**
 * The statechart is the one owner of the kernel's control state: after every step of every
 * built-in scenario its kswapd region and the data plane's free memory agree, kswapd sleeps once
 * free memory is above high, the cpu region is back in `running`, and what the view lights comes
 * from xstate's own microsteps. Every SIGSEGV is delivered by the chart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, Runner, ScenarioError } from '../../app/common/kernel/index.js';
import { SCENARIOS } from './helpers.js';

/** the chart's kswapd state against the zone: asleep means free >= low was last seen; balancing means free < high */
function expectAgreement(r: Runner, where: string): void {
  const snap = r.actor.getSnapshot();
  const { free } = r.k.frames;
  const { low, high } = r.k.wmark;
  expect(snap.matches({ cpu: 'running' }), `${where}: the cpu region rests in running`).toBe(true);
  if (snap.matches({ kswapd: 'asleep' })) expect(free, `${where}: kswapd asleep with free ${free} < low ${low}`).toBeGreaterThanOrEqual(low);
  else expect(free, `${where}: kswapd balancing with free ${free} >= high ${high}`).toBeLessThan(high);
  const json = r.snapshot('check');
  expect(json.kernel).toEqual({ cpu: 'running', kswapd: snap.matches({ kswapd: 'asleep' }) ? 'asleep' : 'balancing' });
  expect(json.zone).toEqual({ min: r.k.wmark.min, low, high, free });
}

describe('the chart and the data plane agree', () => {
  it('the kswapd drift scenario: kswapd wakes when min_free_kbytes moves low above free, and sleeps once free is above high', () => {
    const r = new Runner(
      parseScenario(`machine: { ram: 256MiB, swap: 256MiB }
processes: [{ name: p }]
steps:
  - { proc: p, malloc: 200MiB, as: m }
  - { proc: p, touch: m }
  - { tick: 1000 }
  - { set: { min_free_kbytes: 40000 } }
  - { tick: 1 }
  - { tick: 1000 }
`),
    );
    const states: string[] = [];
    while (!r.done) {
      r.step();
      expectAgreement(r, `after step ${r.pos}`);
      states.push(r.snapshot('x').kernel.kswapd);
    }
    // balanced and asleep after the first tick; the sysctl wakes it; one ms is not enough; a second is
    expect(states[2]).toBe('asleep');
    expect(states[3]).toBe('balancing');
    expect(states[4]).toBe('balancing');
    expect(states[5]).toBe('asleep');
    expect(r.k.frames.free).toBeGreaterThanOrEqual(r.k.wmark.high);
    // what the view lights is what xstate took: the sleep transition in the last step
    expect(r.run.taken).toContainEqual({ from: 'kswapd.balancing', to: ['kswapd.asleep'], event: 'always' });
  });

  it('after every step of every built-in scenario', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(10);
    expect(files).toContain('thrash.yaml');
    for (const f of files) {
      const r = new Runner(parseScenario(readFileSync(join(SCENARIOS, f), 'utf8'), f));
      expectAgreement(r, `${f} before any step`);
      while (!r.done) {
        try {
          r.step();
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
        }
        expectAgreement(r, `${f} after step ${r.pos}`);
        // every state the view lights was entered by a transition xstate reports
        for (const v of r.run.visited) expect(r.run.taken.some((t) => t.to.includes(v)), `${f} step ${r.pos}: ${v}`).toBe(true);
      }
    }
  });
});

describe('SIGSEGV goes through the chart', () => {
  const segv = (steps: string) => {
    const r = new Runner(parseScenario(`machine: { ram: 256MiB }\nprocesses: [{ name: p }]\nsteps:\n${steps}`));
    const taken: string[] = [];
    while (!r.done) {
      r.step();
      taken.push(...r.run.taken.map((t) => `${t.from}>${t.to.join()}`));
    }
    return { r, taken, log: r.k.log.join('\n') };
  };
  it('an address outside every VMA', () => {
    const { r, taken, log } = segv('  - { proc: p, mmap: 1MiB, as: m }\n  - { proc: p, munmap: m }\n  - { proc: p, touch: m }\n');
    expect(r.k.task('p')!.state).toBe('killed:sigsegv');
    expect(taken).toContain('cpu.running>cpu.pageFault');
    expect(taken).toContain('cpu.pageFault>cpu.running');
    expect(log).toMatch(/p\[\d+\]: segfault at [0-9a-f]+ ip/);
  });
  it('a write to a read-only mapping', () => {
    const { r, log } = segv("  - { proc: p, mmap: 1MiB, as: m, prot: r }\n  - { proc: p, touch: m, write: true }\n");
    expect(r.k.task('p')!.state).toBe('killed:sigsegv');
    expect(log).toMatch(/write to a mapping that does not allow it/);
  });
  it('a stack overflow past RLIMIT_STACK', () => {
    const { r, taken, log } = segv('  - { proc: p, alloca: 16MiB }\n');
    expect(r.k.task('p')!.state).toBe('killed:sigsegv');
    expect(taken).toContain('cpu.running>cpu.pageFault');
    expect(log).toMatch(/stack overflow past RLIMIT_STACK \(8192 kB\)/);
  });
});

describe('the swap-in state is entered before the swap-in', () => {
  it('pageFault stops at the first page in swap; swapIn reads it', () => {
    const r = new Runner(parseScenario(readFileSync(join(SCENARIOS, 'page-life.yaml'), 'utf8')));
    let sawSwapIn = false;
    while (!r.done) {
      const before = r.k.vmstat.pswpin;
      r.step();
      if (r.k.vmstat.pswpin > before) {
        expect(r.run.visited).toContain('cpu.swapIn');
        sawSwapIn = true;
      } else expect(r.run.visited).not.toContain('cpu.swapIn');
    }
    expect(sawSwapIn).toBe(true);
  });
});
