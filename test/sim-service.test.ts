/** The simulator behind the LabApi: every built-in scenario can be sought to every step within the contract. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CallContext } from '../app/common/api/dispatch.js';
import { parseScenario, Runner } from '../app/common/kernel/index.js';
import { appRoot } from '../app/node/paths.js';
import { createSimHandlers } from '../app/node/services/sim.js';
import { labServices } from './lab-services.js';

/** the main-process services on a fresh data dir, a dispatcher, one client, and a call that throws on an error reply */
const lab = () => labServices('simsvc-');

describe('sim service', () => {
  it('answers sim.seek with the machine a fresh run shows at that step, for every built-in scenario, thrash included (forks add processes mid-run)', async () => {
    const { s, d, ctx } = lab();
    const ids = readdirSync(join(appRoot(), 'exercises', 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    expect(ids).toContain('thrash');
    for (const id of ids) {
      const l = await d.handle({ v: 1, id: 1, method: 'sim.load', params: { scenarioId: id } }, ctx);
      expect(l.ok, id).toBe(true);
      const { sessionId, stepCount } = (l as { result: { sessionId: string; stepCount: number } }).result;
      // the machine as a fresh run leaves it after each step: what every seek must show
      const text = readFileSync(join(appRoot(), 'exercises', 'scenarios', `${id}.yaml`), 'utf8');
      const fresh = new Runner(parseScenario(text));
      const truth: Array<{ vmstat: Record<string, number>; free: number; active: string[] }> = [];
      const record = () => truth.push({ vmstat: { ...fresh.snapshot('t').vmstat }, free: fresh.k.frames.free, active: fresh.activeStates() });
      record();
      while (!fresh.done) {
        try {
          fresh.step();
        } catch {
          /* the error is in the view too */
        }
        record();
      }
      // forward, back to the start, then to the middle (backwards re-runs the scenario)
      for (const step of [stepCount, 0, Math.floor(stepCount / 2)]) {
        const r = await d.handle({ v: 1, id: 2, method: 'sim.seek', params: { sessionId, step } }, ctx);
        expect(r.ok, `${id} step ${step}: ${JSON.stringify(!r.ok && r.error)}`).toBe(true);
        const view = (r as { result: { step: number; vmstat: Record<string, number>; watermarks: { free: number }; active: string[] } }).result;
        const at = Math.min(view.step, truth.length - 1);
        expect(view.step, `${id}`).toBe(Math.min(step, fresh.pos));
        expect(view.vmstat, `${id} step ${step}`).toEqual(truth[at]!.vmstat);
        expect(view.watermarks.free, `${id} step ${step}`).toBe((truth[at]!.free * 4096) / 1024);
        expect(view.active, `${id} step ${step}`).toEqual(truth[at]!.active);
      }
    }
    await s.dispose();
  });

  it('seeks back in a long scenario from the nearest checkpoint, not from step 0, and shows what a fresh run shows', async () => {
    // the sim handlers in this thread (the services run them in a worker), so the steps they run can be counted
    const h = createSimHandlers({ host: 'serve', dataDir: mkdtempSync(join(tmpdir(), 'simsvc-')), appRoot: appRoot(), log: () => {} });
    const ctx: CallContext = { clientId: 't', emit: () => {}, onClose: () => {} };
    const steps = Array.from({ length: 200 }, (_, i) => (i % 2 ? `  - { proc: p, touch: a, length: ${4096 * (1 + (i % 5))} }` : `  - { proc: p, malloc: ${8192 * (1 + (i % 3))}, as: b${i} }`)).join('\n');
    const text = `machine: { ram: 64MiB }\nprocesses: [{ name: p }]\nsteps:\n  - { proc: p, malloc: 1MiB, as: a }\n${steps}\n`;
    const { sessionId } = await h['sim.load']({ text }, ctx);
    await h['sim.seek']({ sessionId, step: 201 }, ctx);
    const stepsRun = vi.spyOn(Runner.prototype, 'stepAsync');
    try {
      for (const back of [190, 120, 3]) {
        stepsRun.mockClear();
        const v = await h['sim.seek']({ sessionId, step: back }, ctx);
        // from the checkpoint at or before it: at most one checkpoint interval of steps run again
        expect(stepsRun.mock.calls.length, `seek back to ${back}`).toBeLessThan(16);
        const fresh = new Runner(parseScenario(text));
        while (fresh.pos < back) fresh.step();
        expect(v.step).toBe(back);
        expect(v.vmstat).toEqual({ ...fresh.snapshot('now').vmstat });
        expect(v.status.p).toEqual({ ...fresh.snapshot('now').processes.p });
        expect(v.active).toEqual(fresh.activeStates());
      }
    } finally {
      stepsRun.mockRestore();
    }
  });

  it('pages every log by sim.log: the pages put together end with the tail each view carries', async () => {
    const { s, d, ctx, call } = lab();
    const { sessionId, stepCount } = await call<{ sessionId: string; stepCount: number }>('sim.load', { scenarioId: 'oom-killer' });
    type Tail = { total: number; lost: number; tail: string[] };
    const v = await call<{ step: number; vmstat: Record<string, number>; logs: Record<'dmesg' | 'strace' | 'faults', Tail> }>('sim.seek', { sessionId, step: stepCount });
    expect(v.logs.faults.total + v.logs.faults.lost).toBe(v.vmstat.pgfault);
    for (const stream of ['dmesg', 'strace', 'faults'] as const) {
      const { total, tail } = v.logs[stream];
      expect(total, stream).toBeGreaterThan(0);
      expect(tail.length).toBe(Math.min(64, total));
      const all: string[] = [];
      for (let from = 0; from < total; from += 2000) {
        const page = await call<{ step: number; total: number; from: number; lines: string[] }>('sim.log', { sessionId, stream, from, count: 2000 });
        expect(page).toMatchObject({ step: stepCount, total, from });
        all.push(...page.lines);
      }
      expect(all.length).toBe(total);
      expect(all.slice(-tail.length)).toEqual(tail);
      expect(all.every((l) => /^\[step \d+\] /.test(l))).toBe(true);
      // past the end: nothing, not an error
      expect((await call<{ lines: string[] }>('sim.log', { sessionId, stream, from: total + 5, count: 10 })).lines).toEqual([]);
    }
    expect(v.logs.dmesg.tail.join('\n')).toMatch(/Out of memory: Killed process \d+ \(database\)/);
    // scrubbing back: the logs are as they were at that step
    const back = await call<{ logs: Record<'dmesg' | 'strace' | 'faults', Tail> }>('sim.seek', { sessionId, step: 1 });
    expect(back.logs.faults.total).toBeLessThan(v.logs.faults.total);
    expect(back.logs.dmesg.tail.join('\n')).not.toMatch(/Out of memory/);
    // another client cannot read this session's logs
    const other = await d.handle({ v: 1, id: 3, method: 'sim.log', params: { sessionId, stream: 'dmesg', from: 0, count: 1 } }, { ...ctx, clientId: 'u' });
    expect(other.ok).toBe(false);
    await s.dispose();
  });

  it('opens scenario files inside an open pack, and names the pack and file when one is missing or broken', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { s, d, ctx } = lab();
    const call = async (method: string, params: unknown) => d.handle({ v: 1, id: 1, method, params }, ctx);
    const dir = mkdtempSync(join(tmpdir(), 'pack-'));
    writeFileSync(join(dir, 'pack.yaml'), 'id: tp\ntitle: Teacher pack\nversion: 1.0.0\nauthors: [T]\nlicence: CC0\nchapters:\n  - id: one\n    title: One\n    exercises: [q.md]\n');
    writeFileSync(join(dir, 'q.md'), '---\nid: q\ntitle: Q\nkind: text\nscenario: scenarios/good.yaml\npatterns: ["^x$"]\nreference: x\nexplanation: x.\n---\nQ?\n');
    mkdirSync(join(dir, 'scenarios'));
    writeFileSync(join(dir, 'scenarios', 'good.yaml'), 'title: Good one\nmachine: { ram: 1GiB }\nprocesses: [{ name: a }]\nsteps:\n  - { proc: a, malloc: 1MiB, as: m }\n  - { proc: a, touch: m }\n');
    writeFileSync(join(dir, 'scenarios', 'bad.yaml'), 'title: Bad one\nmachine: { ram: 1GiB }\nprocesses: [{ name: a }]\nsteps:\n  - { proc: a, malloc: 1potato, as: m }\n');
    // a claim manifest beside pack.yaml is the pack's, not a scenario
    writeFileSync(join(dir, 'claims.yaml'), 'claims: []\n');
    expect((await call('pack.open', { path: dir })).ok).toBe(true);

    const list = (await call('sim.listScenarios', {})) as { ok: true; result: { scenarios: Array<{ id: string; title: string; pack?: { id: string; title: string } }> } };
    const mine = list.result.scenarios.filter((x) => x.pack?.id === 'tp');
    expect(mine.map((x) => x.id)).toEqual(['pack:tp:scenarios/bad.yaml', 'pack:tp:scenarios/good.yaml']);
    expect(mine[1]).toMatchObject({ title: 'Good one', pack: { id: 'tp', title: 'Teacher pack' } });
    expect(mine[0]!.title).toMatch(/^scenarios\/bad\.yaml \(broken: /);
    // built-in ones still come first, without a pack
    expect(list.result.scenarios[0]!.pack).toBeUndefined();

    const good = await call('sim.load', { packId: 'tp', scenario: 'scenarios/good.yaml' });
    expect(good.ok && (good as { result: { title: string; stepCount: number } }).result).toMatchObject({ title: 'Good one', stepCount: 2 });
    const bad = await call('sim.load', { packId: 'tp', scenario: 'scenarios/bad.yaml' });
    expect(!bad.ok && bad.error).toMatchObject({ code: 'invalid-input', where: { file: 'tp/scenarios/bad.yaml', line: 5 } });
    const missing = await call('sim.load', { packId: 'tp', scenario: 'scenarios/none.yaml' });
    expect(!missing.ok && missing.error.message).toContain("the pack 'tp' has no scenario file scenarios/none.yaml");
    // the manifest and the exercises are not scenarios
    expect((await call('sim.load', { packId: 'tp', scenario: 'pack.yaml' })).ok).toBe(false);
    expect((await call('sim.load', { packId: 'tp', scenario: 'claims.yaml' })).ok).toBe(false);
    expect((await call('sim.load', { packId: 'tp', scenario: 'q.md' })).ok).toBe(false);
    const nopack = await call('sim.load', { packId: 'nope', scenario: 'scenarios/good.yaml' });
    expect(!nopack.ok && nopack.error.code).toBe('not-found');

    // the exercise names its scenario so the simulator can open it beside it
    const ex = await call('exercise.get', { packId: 'tp', exerciseId: 'q' });
    expect(ex.ok && (ex as { result: { simulator?: unknown } }).result.simulator).toEqual({ scenarioId: 'pack:tp:scenarios/good.yaml', step: 0, reveal: false });
    await s.dispose();
  });

  it('sends only the maps asked for: a view draws one process\'s address space', async () => {
    const { s, call } = lab();
    const { sessionId } = await call<{ sessionId: string }>('sim.load', { scenarioId: 'fork-cow' });
    type V = { maps: Record<string, unknown[]> };
    expect(Object.keys((await call<V>('sim.seek', { sessionId, step: 9 })).maps).sort()).toEqual(['child', 'parent']);
    const one = await call<V>('sim.seek', { sessionId, step: 9, maps: ['child'] });
    expect(Object.keys(one.maps)).toEqual(['child']);
    expect(one.maps.child!.length).toBeGreaterThan(5);
    expect(Object.keys((await call<V>('sim.seek', { sessionId, step: 9, maps: [] })).maps)).toEqual([]);
    await s.dispose();
  });

  it('draws each anonymous frame in the colour of the process whose page table maps it: a COW copy is its writer\'s, the page it was copied from stays with the other', async () => {
    const { s, call } = lab();
    const text = [
      'title: owners after fork',
      'machine: { ram: 128MiB }',
      'processes:',
      '  - { name: parent }',
      'steps:',
      '  - { proc: parent, malloc: 8MiB, as: buf }',
      '  - { proc: parent, touch: buf }',
      '  - { proc: parent, fork: child }',
      '  - { proc: child, touch: buf, length: 1MiB }',
      '  - { proc: parent, touch: buf, offset: 4MiB, length: 2MiB }',
    ].join('\n');
    const { sessionId } = await call<{ sessionId: string }>('sim.load', { text, fileName: 'owners.yaml' });
    type View = {
      frames: { cells: string; owners: Array<[number, number]>; framesPerCell: number };
      processes: Array<{ pid: number; name: string; minflt: number }>;
    };
    /** cells of the grid by class (1 anon private, 7 anon shared) and owner pid, and each process's minflt */
    const at = async (step: number) => {
      const v = await call<View>('sim.seek', { sessionId, step });
      expect(v.frames.framesPerCell).toBe(1);
      const cls = Buffer.from(v.frames.cells, 'base64');
      const own: number[] = v.frames.owners.flatMap(([pid, n]) => Array<number>(n).fill(pid));
      expect(own.length).toBe(cls.length);
      const pid = (name: string) => v.processes.find((p) => p.name === name)?.pid ?? -2;
      const count = (c: number, p: number) => own.filter((o, i) => cls[i] === c && o === p).length;
      const flt = (name: string) => v.processes.find((p) => p.name === name)?.minflt ?? 0;
      return {
        parent: { private: count(1, pid('parent')), shared: count(7, pid('parent')), minflt: flt('parent') },
        child: { private: count(1, pid('child')), shared: count(7, pid('child')), minflt: flt('child') },
        shared: [...cls].filter((c) => c === 7).length,
      };
    };
    const forked = await at(3);
    // just after fork: everything anonymous is shared, and nothing is the child's alone
    expect(forked.shared).toBeGreaterThan(2048);
    expect(forked.child.private).toBe(0);
    // the child writes 1 MiB: one COW fault and one private copy in the child's colour a page
    const wrote = await at(4);
    const copies = wrote.child.minflt - forked.child.minflt;
    expect(copies).toBeGreaterThanOrEqual(256);
    expect(wrote.child.private).toBe(copies);
    expect(wrote.shared).toBe(forked.shared - copies);
    // and each page it copied from is now mapped by the parent alone (mapcount 1): the parent's
    expect(wrote.parent.private).toBe(forked.parent.private + copies);
    // the parent writes 2 MiB further on: its copies are the parent's, and the pages it copied
    // from, now mapped by the child alone, are the child's
    const back = await at(5);
    const parentCopies = back.parent.minflt - wrote.parent.minflt;
    expect(parentCopies).toBeGreaterThanOrEqual(512);
    expect(back.parent.private).toBe(wrote.parent.private + parentCopies);
    expect(back.child.private).toBe(wrote.child.private + parentCopies);
    expect(back.shared).toBe(wrote.shared - parentCopies);
    await s.dispose();
  });
});
