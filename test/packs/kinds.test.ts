/** The kinds added for per-field credit (table) and guided labs, names over simulator results, and observe with a live reading. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SimReport } from '../../app/common/kernel/index.js';
import { check, goalLabel, lookupFor, stageExercise } from '../../app/common/packs/checkers.js';
import { parseExerciseFile } from '../../app/common/packs/parse.js';
import type { Exercise } from '../../app/common/packs/schema.js';
import { evaluateQ } from '../../app/common/packs/expr.js';

const ex = (front: string): Exercise => {
  const r = parseExerciseFile(`---\n${front}\n---\nQuestion?\n`, 'x.md');
  if (!r.exercise) throw new Error(JSON.stringify(r.problems));
  return r.exercise;
};
const ctx = { params: { size: 4 }, scenarioText: () => '' };

describe('table: several numbers, each credited on its own', () => {
  const t = ex(
    [
      'id: top',
      'title: top',
      'kind: table',
      'fields:',
      '  - { name: virt, label: VIRT, expr: "size GiB", tolerance: "1%" }',
      '  - { name: res, label: RES, expr: "size GiB / 2", tolerance: "1%" }',
      '  - { name: faults, label: minor faults, expr: "size GiB / 2 / 4 KiB", quantity: count }',
      'misconceptions: [{ field: res, answer: "4 GiB", says: "That is VIRT." }]',
      'explanation: x',
    ].join('\n'),
  );
  it('all right is correct, with each unit read', () => {
    const r = check(t, { values: { virt: '4096M', res: '524288 pages', faults: '524288' } }, ctx);
    expect(r.verdict).toBe('correct');
    expect(r.partial).toBe(1);
    expect(r.fields?.virt?.unitRead).toBe('M, taken as MiB (2^20 bytes, as top and free -h mean it)');
    expect(r.fields?.res?.unitRead).toBe('pages of 4 KiB');
  });
  it('one field wrong: partial credit, that field named and diagnosed', () => {
    const r = check(t, { values: { virt: '4 GiB', res: '4 GiB', faults: '524288' } }, ctx);
    expect(r).toMatchObject({ verdict: 'incorrect', diagnosis: 'That is VIRT.' });
    expect(r.partial).toBeCloseTo(2 / 3);
    expect(r.fields?.res?.verdict).toBe('incorrect');
    expect(r.fields?.virt?.verdict).toBe('correct');
    expect(r.message).toContain('not yet: RES');
  });
  it('a misconception of one field does not fire for another', () => {
    const r = check(t, { values: { virt: '4 GiB', res: '2 GiB', faults: '4' } }, ctx);
    expect(r.verdict).toBe('incorrect');
    expect(r.diagnosis).toBeUndefined();
  });
  it('an unreadable or missing field makes the whole answer invalid, naming the field', () => {
    expect(check(t, { values: { virt: '4 GiB', res: '12 potatoes', faults: '1' } }, ctx)).toMatchObject({ verdict: 'invalid', message: expect.stringContaining('RES') });
    expect(check(t, { values: { virt: '4 GiB', res: '2 GiB' } }, ctx)).toMatchObject({ verdict: 'invalid', message: expect.stringContaining('minor faults is empty') });
    expect(check(t, { value: '4 GiB' }, ctx).verdict).toBe('invalid');
  });
});

describe('guided labs reuse every checker stage by stage', () => {
  const lab = ex(
    [
      'id: lab',
      'title: lab',
      'kind: guided',
      'scenario: builtin:virt-vs-res',
      'explanation: the lab',
      'stages:',
      '  - { id: look, advance: 1, say: Look at VIRT., highlight: [{ counter: a.out.VmSize }] }',
      '  - id: ask',
      '    say: Now answer.',
      '    question: { kind: numeric, prompt: "How much?", answer: { expr: "size GiB" }, misconceptions: [{ answer: "0", says: "That is RES." }] }',
      '    on_wrong: { back_to: look, say: Watch step 1 again. }',
      '  - id: order',
      '    say: Order them.',
      '    question: { kind: ordering, prompt: Order, items: [fault, zero page, map] }',
    ].join('\n'),
  );
  it('a right answer to a stage is correct', () => {
    expect(check(lab, { stage: 'ask', answer: { value: '4 GiB' } }, ctx).verdict).toBe('correct');
    expect(check(lab, { stage: 'order', answer: { order: ['fault', 'zero page', 'map'] } }, ctx).verdict).toBe('correct');
  });
  it('a wrong one carries the diagnosis and sends the learner back', () => {
    const r = check(lab, { stage: 'ask', answer: { value: '0' } }, ctx);
    expect(r).toMatchObject({ verdict: 'incorrect', diagnosis: 'That is RES.', backTo: 'look' });
    expect(r.message).toContain('Watch step 1 again.');
  });
  it('a stage without a question, an unknown stage or a bare answer is invalid', () => {
    expect(check(lab, { stage: 'look', answer: { value: '1' } }, ctx).verdict).toBe('invalid');
    expect(check(lab, { stage: 'nope', answer: { value: '1' } }, ctx).verdict).toBe('invalid');
    expect(check(lab, { value: '4 GiB' }, ctx).verdict).toBe('invalid');
  });
  it("a stage's question inherits the lab's scenario and parameters", () => {
    const q = stageExercise(lab as Extract<Exercise, { kind: 'guided' }>, 'ask')!;
    expect(q.scenario).toBe('builtin:virt-vs-res');
    expect(q.kind).toBe('numeric');
    expect(stageExercise(lab as Extract<Exercise, { kind: 'guided' }>, 'look')).toBeUndefined();
  });
});

describe('names over the simulator report', () => {
  // a small test double of the simulator's report: the lookup reads only its shape
  const proc = { VmSize: 2097160, VmRSS: 1048712, RssAnon: 1048580, RssFile: 132, RssShmem: 0, VmHWM: 1048712, VmSwap: 0, VmLck: 0, VmPTE: 2060, VmData: 2097160, VmStk: 132, minflt: 262150, majflt: 0, oom_score: 250, state: 'running' };
  const report = {
    snapshots: [
      { label: 'start', step: 0, processes: { 'a.out': { ...proc, VmRSS: 1000 } }, vmstat: { pgfault: 1, oom_kill: 0 }, meminfo: { MemFree: 4000000 } },
      { label: 'end', step: 4, processes: { 'a.out': proc }, vmstat: { pgfault: 262151, oom_kill: 0 }, meminfo: { MemFree: 2950000 } },
    ],
    syscalls: [],
    log: [],
  } as unknown as SimReport;
  const look = lookupFor({ n: 3 }, report);
  it('reads the short and the long forms, and process names with dots; /proc sizes come in bytes, counts as counts', () => {
    const kB = (n: number, field: string) => ({ v: n * 1024, d: 'size', field });
    expect(look('sim.end.a.out.VmRSS')).toEqual(kB(1048712, 'sim.end.a.out.VmRSS'));
    expect(look('snapshots.end.processes.a.out.VmRSS')).toEqual(kB(1048712, 'snapshots.end.processes.a.out.VmRSS'));
    expect(look('snapshots.start.processes.a.out.VmRSS')).toEqual(kB(1000, 'snapshots.start.processes.a.out.VmRSS'));
    expect(look('vmstat.end.pgfault')).toEqual({ v: 262151, d: 'count', field: 'vmstat.end.pgfault' });
    expect(look('snapshots.end.vmstat.pgfault')).toEqual({ v: 262151, d: 'count', field: 'snapshots.end.vmstat.pgfault' });
    expect(look('snapshots.end.meminfo.MemFree')).toEqual(kB(2950000, 'snapshots.end.meminfo.MemFree'));
    expect(look('sim.end.a.out.minflt')).toEqual({ v: 262150, d: 'count', field: 'sim.end.a.out.minflt' });
    expect(look('snapshots.end.step')).toBe(4);
    expect(look('n')).toBe(3);
  });
  it('"FIELD kB" (memlab 0.1) and a bare FIELD (0.2) are the same bytes; forgetting kB is no longer possible', () => {
    const q = (src: string) => evaluateQ(src, look);
    expect(q('meminfo.start.MemFree - meminfo.end.MemFree').v).toBe((4000000 - 2950000) * 1024);
    expect(q('meminfo.start.MemFree kB - meminfo.end.MemFree kB').v).toBe((4000000 - 2950000) * 1024);
    expect(q('meminfo.start.MemFree kB').notes).toEqual([]);
    expect(q('sim.end.a.out.VmRSS MiB').notes.map((n) => n.code)).toEqual(['unit-after-size-field']);
    expect(q('sim.end.a.out.minflt kB').notes.map((n) => n.code)).toEqual(['unit-after-count']);
    expect(q('sim.end.a.out.minflt * 4 KiB')).toMatchObject({ d: 'size', notes: [] });
    expect(q('sim.end.a.out.VmRSS - 4096').notes.map((n) => n.code)).toContain('size-plus-number');
    expect(q('sim.end.a.out.VmRSS / 4 KiB')).toMatchObject({ d: 'none' });
    // a lower-case b means bits elsewhere: Mb, Gib and mb are read as bytes, and said so
    for (const u of ['Mb', 'Gib', 'mb', 'tb']) expect(q(`2 ${u}`).notes.map((n) => n.code), u).toEqual(['unit-bits']);
    for (const u of ['MiB', 'MB', 'GiB', 'kb', 'kB', 'B', 'b']) expect(q(`2 ${u}`).notes, u).toEqual([]);
  });
  it('anything else is unknown, never a crash', () => {
    for (const n of ['snapshots.middle.processes.a.out.VmRSS', 'snapshots.end.processes.b.VmRSS', 'snapshots.end.processes.a.out.state', 'sim.end', 'snapshots.end.vmstat', 'constructor', 'snapshots.end.processes.a.out.__proto__'])
      expect(look(n), n).toBeUndefined();
  });
});

describe('observe: the live measurement when there is one', () => {
  const o = ex('id: o\ntitle: o\nkind: observe\nprobe: malloc-touch\nsize_mib: 64\nanswer: { expr: "64 MiB", tolerance: "5%" }\nexplanation: x');
  it('checks against the measured value when the host panel gives one', () => {
    expect(check(o, { value: '70 MiB' }, { ...ctx, measured: 70 * 1048576 }).verdict).toBe('correct');
    expect(check(o, { value: '64 MiB' }, { ...ctx, measured: 80 * 1048576 }).verdict).toBe('incorrect');
  });
  it('falls back to the expected value (the simulated run) without one', () => {
    expect(check(o, { value: '64 MiB' }, ctx).verdict).toBe('correct');
    expect(check(o, { value: '70 MiB' }, ctx).verdict).toBe('incorrect');
  });
});

describe('misconceptions may be expressions over the drawn parameters', () => {
  const n = ex('id: n\ntitle: n\nkind: numeric\nparams: { size: { range: [2, 8] } }\nanswer: { expr: "size GiB / 2" }\nmisconceptions: [{ answer: "size GiB", says: "That is VIRT." }, { answer: "0", says: "Nothing touched?" }]\nexplanation: x');
  it('matches the wrong value this student would give', () => {
    expect(check(n, { value: '4 GiB' }, ctx)).toMatchObject({ verdict: 'incorrect', diagnosis: 'That is VIRT.' });
    expect(check(n, { value: '0' }, ctx)).toMatchObject({ verdict: 'incorrect', diagnosis: 'Nothing touched?' });
    expect(check(n, { value: '3 GiB' }, ctx).diagnosis).toBeUndefined();
    expect(check(n, { value: '4 GiB' }, { ...ctx, params: { size: 6 } }).diagnosis).toBeUndefined();
  });
});

describe('tune goals', () => {
  const scenarioText = (ref: string) => readFileSync(new URL(`../../exercises/scenarios/${ref.slice(8)}.yaml`, import.meta.url), 'utf8');
  const tune = (goals: string[]) =>
    ex(
      `id: t\ntitle: t\nkind: tune\nscenario: builtin:oom-killer\nknobs: [{ path: processes.cache.oom_score_adj, label: adj, min: -1000, max: 1000, step: 100 }]\ngoals: ${JSON.stringify(goals)}\nsolution: { processes.cache.oom_score_adj: 500 }\nexplanation: x`,
    );
  it('compare the end of the run, a snapshot by name, and expressions on the right', () => {
    const t = tune(['cache.state == killed:oom', 'vmstat.oom_kill == 1', 'sim.full.database.VmRSS > 250 MiB / 1 KiB', 'ran.cpu.oomKill == 1']);
    const r = check(t, { knobs: { 'processes.cache.oom_score_adj': 500 } }, { params: {}, scenarioText });
    expect(r.message).toMatch(/^Every goal holds/);
    expect(r.verdict).toBe('correct');
  });
  it('say which goal failed and what it was', () => {
    const t = tune(['cache.state == killed:oom', 'database.state == running']);
    const r = check(t, { knobs: { 'processes.cache.oom_score_adj': -1000 } }, { params: {}, scenarioText });
    expect(r).toMatchObject({ verdict: 'incorrect', partial: 0 });
    expect(r.message).toContain("cache's state is killed:oom (it was running)");
  });
  it('a size goal reads a bare number in kB (memlab 0.1) and a number with a unit in bytes; students read a label, not the comparison', () => {
    const both = ['sim.full.database.VmRSS > 250 MiB / 1 KiB', 'sim.full.database.VmRSS > 250 MiB'];
    expect(check(tune(both), { knobs: { 'processes.cache.oom_score_adj': 500 } }, { params: {}, scenarioText }).verdict).toBe('correct');
    expect(goalLabel('meminfo.SwapTotal <= 163840')).toBe('SwapTotal (/proc/meminfo) ≤ 160 MiB');
    expect(goalLabel({ goal: 'meminfo.SwapTotal <= 160 MiB', label: 'at most 160 MiB of swap' })).toBe('at most 160 MiB of swap');
  });
  it('an unknown name on the left is never satisfied', () => {
    const r = check(tune(['nobody.state == running']), { knobs: { 'processes.cache.oom_score_adj': 0 } }, { params: {}, scenarioText });
    expect(r.verdict).toBe('incorrect');
    expect(r.message).toContain('(it was unknown)');
  });
});
