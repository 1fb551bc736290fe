/**
 * The memory budget counts page tables, VMAs and tasks from counts kept as they change
 * (kernel.ts memoryBytes: no walk over every process after every step). After every step of every
 * built-in scenario, and of one that forks, exits and unmaps, the counts equal the walk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, Runner, ScenarioError } from '../../app/common/kernel/index.js';
import { SCENARIOS } from './helpers.js';

function walk(r: Runner) {
  let tables = 0;
  let vmas = 0;
  for (const t of r.k.tasks) {
    tables += t.mm.pt.bytes;
    vmas += t.mm.vmas.length;
  }
  return { tables, vmas };
}

function check(text: string, file: string): number {
  const r = new Runner(parseScenario(text, file));
  let steps = 0;
  while (!r.done) {
    try {
      r.step();
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      break;
    }
    steps++;
    expect({ tables: r.k.tableMeter.bytes, vmas: r.k.vmas.size }, `${file} after step ${steps}`).toEqual(walk(r));
  }
  return steps;
}

describe('the memory budget counts what a walk over the processes finds', () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml') && f !== 'claims.yaml');
  it.each(files)('%s', (f) => {
    expect(check(readFileSync(join(SCENARIOS, f), 'utf8'), f)).toBeGreaterThan(0);
  });
  it('through fork, munmap, exit and an OOM kill', () => {
    const text = `machine: { ram: 128MiB, swap: 0 }
processes: [{ name: a }, { name: b }]
steps:
  - { proc: a, malloc: 40MiB, as: m }
  - { proc: a, touch: m }
  - { proc: a, fork: kid }
  - { proc: kid, touch: m, stride: 12KiB }
  - { proc: a, free: m }
  - { proc: kid, exit: true }
  - { proc: b, malloc: 200MiB, as: big }
  - { proc: b, touch: big }
`;
    expect(check(text, 'inline.yaml')).toBeGreaterThan(4);
  });
});
