/** policy.run and policy.sweep behind the LabApi: traced runs within the contract, errors naming the field. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CallContext, createDispatcher } from '../../app/common/api/dispatch.js';
import { appRoot } from '../../app/node/paths.js';
import { createServices } from '../../app/node/services/index.js';
import { createPolicyHandlers } from '../../app/node/services/policy.js';
import { labServices } from '../lab-services.js';

function lab() {
  const s = createServices({ host: 'serve', dataDir: mkdtempSync(join(tmpdir(), 'polsvc-')), appRoot: appRoot(), log: () => {} });
  const d = createDispatcher(s.handlers, () => {});
  const ctx: CallContext = { clientId: 't', emit: () => {}, onClose: () => {} };
  return (method: string, params: unknown) => d.handle({ v: 1, id: 1, method, params }, ctx);
}

const BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

describe('policy service', () => {
  it('traces several policies on one string, each access with its victim and why', async () => {
    const r = await lab()('policy.run', { policies: ['fifo', 'opt', 'linux', 'second-chance'], cacheSize: 3, addresses: BELADY });
    expect(r.ok).toBe(true);
    const res = (r as { result: { runs: Array<{ policy: string; totals: { hits: number }; accesses: Array<{ why: string; notes?: object; lists?: object; hand?: number }> }> } }).result;
    expect(res.runs.map((x) => [x.policy, x.totals.hits])).toEqual([['FIFO', 3], ['OPT', 5], ['LINUX', 2], ['SECOND-CHANCE', 3]]);
    expect(res.runs[1]!.accesses[3]!.why).toMatch(/OPT looks ahead and evicts 3, which is next used at access 10/);
    expect(res.runs[2]!.accesses[3]!.lists).toBeDefined();
    expect(res.runs[3]!.accesses[3]!.hand).toBeDefined();
  });

  it("sweeps cache sizes and reports FIFO's anomaly on Belady's string, none for LRU or OPT", async () => {
    const r = await lab()('policy.sweep', { policies: ['FIFO', 'LRU', 'OPT'], from: 1, to: 8, addresses: BELADY });
    const res = (r as { result: { rows: Array<{ hits: Record<string, number> }>; anomalies: unknown[] } }).result;
    expect(res.rows.map((x) => x.hits.FIFO)).toEqual([0, 0, 3, 2, 7, 7, 7, 7]);
    expect(res.anomalies).toEqual([{ policy: 'FIFO', cacheSize: 3, hits: 3, hitsWithMore: 2 }]);
  });

  it('answers bad input with invalid-input or bad-params naming the field', async () => {
    const call = lab();
    const e1 = await call('policy.run', { policies: ['ARC'], cacheSize: 3, addresses: [1] });
    expect(e1).toMatchObject({ ok: false, error: { code: 'invalid-input', message: expect.stringMatching(/unknown policy 'ARC'/), where: { field: 'policy' } } });
    const e2 = await call('policy.run', { policies: ['FIFO'], cacheSize: 0, addresses: [1] });
    expect(e2).toMatchObject({ ok: false, error: { code: 'bad-params' } });
    const e3 = await call('policy.sweep', { policies: ['FIFO', 'LRU'], from: 1, to: 64, numaddrs: 100000 });
    expect(e3).toMatchObject({ ok: false, error: { code: 'invalid-input', message: expect.stringMatching(/more than the 5,000,000 references/) } });
  });

  it("takes a scenario's references: at most max kept, the total counted; no touches is an error naming file, line and field", async () => {
    // the handlers without a worker pool compute in place (the hosts' pool runs the same function; e2e/policies.spec.ts goes through it)
    const d = createDispatcher(createPolicyHandlers({ appRoot: appRoot() }) as never, () => {});
    const ctx: CallContext = { clientId: 't', emit: () => {}, onClose: () => {} };
    const call = (method: string, params: unknown) => d.handle({ v: 1, id: 1, method, params }, ctx);
    const r = await call('policy.scenarioRefs', { scenarioId: 'free-and-trim', max: 20 });
    expect(r).toMatchObject({ ok: true, result: { proc: null, processes: ['app'], total: 64 } });
    const res = (r as { result: { addresses: number[]; pages: string[] } }).result;
    expect(res.addresses).toHaveLength(20);
    expect(res.pages[0]).toBe('a+0');
    const none = await call('policy.scenarioRefs', { scenarioId: 'malloc-strace' });
    expect(none).toMatchObject({ ok: false, error: { code: 'invalid-input', message: expect.stringMatching(/malloc-strace\.yaml:\d+: steps: no step references memory/), where: { file: 'exercises/scenarios/malloc-strace.yaml', field: 'steps', line: expect.any(Number) } } });
    const kid = await call('policy.scenarioRefs', { scenarioId: 'fork-cow', proc: 'kid' });
    expect(kid).toMatchObject({ ok: false, error: { where: { field: 'proc' } } });
    expect(await call('policy.scenarioRefs', { scenarioId: '../etc/passwd' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it("takes the references of a scenario inside an open pack (pack:ID:FILE), and names the pack and file when the file is missing", async () => {
    // the services as memlab serve builds them: the pack service opens the pack, the policy service reads its scenario
    const { s, d, ctx } = labServices('polpack-');
    const call = (method: string, params: unknown) => d.handle({ v: 1, id: 1, method, params }, ctx);
    const dir = mkdtempSync(join(tmpdir(), 'polpack-src-'));
    writeFileSync(join(dir, 'pack.yaml'), 'id: tp\ntitle: Teacher pack\nversion: 1.0.0\nauthors: [T]\nlicence: CC0\nchapters:\n  - id: one\n    title: One\n    exercises: [q.md]\n');
    writeFileSync(join(dir, 'q.md'), '---\nid: q\ntitle: Q\nkind: text\nscenario: scenarios/two.yaml\npatterns: ["^x$"]\nreference: x\nexplanation: x.\n---\nQ?\n');
    mkdirSync(join(dir, 'scenarios'));
    // two processes, each touching its own block, then a's first 4 KiB again
    writeFileSync(
      join(dir, 'scenarios', 'two.yaml'),
      'title: Two\nmachine: { ram: 1GiB }\nprocesses: [{ name: a }, { name: b }]\nsteps:\n  - { proc: a, malloc: 12KiB, as: m }\n  - { proc: b, malloc: 8KiB, as: n }\n  - { proc: a, touch: m }\n  - { proc: b, touch: n }\n  - { proc: a, touch: m, length: 4KiB }\n',
    );
    expect((await call('pack.open', { path: dir })).ok).toBe(true);

    const all = await call('policy.scenarioRefs', { scenarioId: 'pack:tp:scenarios/two.yaml' });
    // malloc's chunk header puts each block 16 bytes into its first page: 12 KiB spans 4 pages, 8 KiB 3, the first 4 KiB 2
    expect(all).toMatchObject({
      ok: true,
      result: {
        proc: null,
        processes: ['a', 'b'],
        addresses: [0, 1, 2, 3, 4, 5, 6, 0, 1],
        total: 9,
        pages: ['a: m+0', 'a: m+1', 'a: m+2', 'a: m+3', 'b: n+0', 'b: n+1', 'b: n+2'],
        steps: [
          { step: 3, line: 7, proc: 'a', verb: 'touch', from: 0, to: 4 },
          { step: 4, line: 8, proc: 'b', verb: 'touch', from: 4, to: 7 },
          { step: 5, line: 9, proc: 'a', verb: 'touch', from: 7, to: 9 },
        ],
      },
    });
    const b = await call('policy.scenarioRefs', { scenarioId: 'pack:tp:scenarios/two.yaml', proc: 'b' });
    expect(b).toMatchObject({ ok: true, result: { proc: 'b', processes: ['a', 'b'], addresses: [0, 1, 2], total: 3 } });

    const missing = await call('policy.scenarioRefs', { scenarioId: 'pack:tp:scenarios/none.yaml' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found', message: expect.stringContaining("the pack 'tp' has no scenario file scenarios/none.yaml"), where: { field: 'scenarioId' } } });
    const nopack = await call('policy.scenarioRefs', { scenarioId: 'pack:nope:scenarios/two.yaml' });
    expect(nopack).toMatchObject({ ok: false, error: { code: 'not-found', where: { field: 'scenarioId' } } });
    await s.dispose();
  });
});
