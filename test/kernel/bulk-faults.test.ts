/**
 * The fault loop takes runs of pages in one loop (first writes to untouched anonymous memory,
 * swap-cache hits: memory.ts faultAnonRun and swapCacheRun) where nothing in the run can make the
 * chart act. Those runs must give exactly the machine the page-by-page path gives: every frame,
 * every PTE a process can see, every counter, the fault trace and the chart's transitions, after
 * every step of every built-in scenario and of scenarios made to cross the runs' edges.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, Runner, ScenarioError } from '../../app/common/kernel/index.js';
import { SCENARIOS } from './helpers.js';

/** what a step shows: its snapshot, the chart's transitions, the faults it traced */
const stepState = (r: Runner) => ({ snapshot: JSON.stringify(r.snapshot('x')), taken: JSON.stringify(r.run.taken), traceWritten: r.k.trace.written });

/** everything the two paths could differ in, as a digest per part (a failing part is named) */
function state(r: Runner) {
  const k = r.k;
  const fr = k.frames;
  const h = (data: string | ArrayBufferView) => createHash('sha1').update(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
  // ids of VMAs and files count up across every run in this process: name them by first appearance
  const ids = new Map<number, number>();
  const norm = (id: number) => (id < 0 ? id : (ids.get(id) ?? (ids.set(id, ids.size), ids.size - 1)));
  const owner = new Int32Array(fr.total);
  // a free frame's index is the free list's link, not a page index: compare what is in use
  const index = new Int32Array(fr.total);
  for (let f = 0; f < fr.total; f++) {
    if (fr.kind[f] === 0) continue;
    owner[f] = norm(fr.owner[f]!);
    index[f] = fr.index[f]!;
  }
  const trace: string[] = [];
  for (let i = Math.max(0, k.trace.length - 4096); i < k.trace.length; i++) {
    const e = k.trace.entry(i);
    trace.push(`${e.step} ${e.pid} ${e.address} ${e.kind} ${e.write} ${e.mapping}`);
  }
  const ptes: number[] = [];
  for (const t of k.tasks) for (const v of t.mm.vmas) v.forEachPte((i, p) => ptes.push(v.start / k.pageSize + i, p));
  return {
    snapshot: JSON.stringify(r.snapshot('x')),
    taken: JSON.stringify(r.run.taken),
    kind: h(fr.kind),
    flags: h(fr.flags),
    mapcount: h(fr.mapcount),
    owner: h(owner),
    index: h(index),
    swapMap: h(k.swap.map),
    swapCache: h(k.swap.cache),
    ptes: h(Float64Array.from(ptes)),
    traceWritten: k.trace.written,
    trace: h(trace.join('\n')),
  };
}

function compare(text: string, file: string) {
  const bulk = new Runner(parseScenario(text, file));
  const perPage = new Runner(parseScenario(text, file));
  perPage.k.perPageFaults = true;
  let steps = 0;
  while (!bulk.done) {
    let e1 = '';
    let e2 = '';
    try {
      bulk.step();
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      e1 = e.message;
    }
    try {
      perPage.step();
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      e2 = e.message;
    }
    steps++;
    expect(e1, `${file} step ${steps}`).toBe(e2);
    expect(stepState(bulk), `${file} after step ${steps}`).toEqual(stepState(perPage));
    if (e1) break;
  }
  expect(state(bulk), `${file} at its end`).toEqual(state(perPage));
  return steps;
}

describe('faults taken in runs give the page-by-page machine', () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));
  it.each(files)('%s', (f) => {
    expect(compare(readFileSync(join(SCENARIOS, f), 'utf8'), f)).toBeGreaterThan(0);
  });

  it('across the low watermark, page-table edges, a stride, a fork, swap and mlock', () => {
    const text = `machine: { ram: 96MiB, swap: 64MiB, swappiness: 100 }
processes: [{ name: p }, { name: q }]
steps:
  - { proc: p, malloc: 30MiB, as: a }
  - { proc: p, touch: a, length: 3MiB, offset: 5000 }
  - { proc: p, touch: a, every: 3 }
  - { proc: p, touch: a, write: false }
  - { proc: p, fork: c }
  - { proc: c, touch: a, length: 9MiB }
  - { proc: q, mmap: 20MiB, as: z }
  - { proc: q, touch: z, write: false, length: 4MiB }
  - { proc: q, touch: z }
  - { proc: p, malloc: 60MiB, as: b }
  - { proc: p, touch: b }
  - { proc: p, touch: a }
  - { proc: p, touch: b, repeat: 2 }
  - { proc: p, touch: a, write: false }
  - { tick: 50 }
  - { proc: q, mlock: z }
  - { proc: c, touch: a }
`;
    expect(compare(text, 'edges.yaml')).toBeGreaterThan(10);
  });
});
