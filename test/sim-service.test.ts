/** The simulator behind the LabApi: every built-in scenario can be sought to every step within the contract. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CallContext, createDispatcher } from '../app/common/api/dispatch.js';
import { appRoot } from '../app/node/paths.js';
import { createServices } from '../app/node/services/index.js';

describe('sim service', () => {
  it('answers sim.seek within its contract for every step of every built-in scenario (forks add processes mid-run)', async () => {
    const s = createServices({ host: 'serve', dataDir: mkdtempSync(join(tmpdir(), 'simsvc-')), appRoot: appRoot(), log: () => {} });
    const d = createDispatcher(s.handlers, () => {});
    const ctx: CallContext = { clientId: 't', emit: () => {}, onClose: () => {} };
    const ids = readdirSync(join(appRoot(), 'exercises', 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    for (const id of ids.filter((x) => x !== 'thrash')) {
      const l = await d.handle({ v: 1, id: 1, method: 'sim.load', params: { scenarioId: id } }, ctx);
      expect(l.ok, id).toBe(true);
      const { sessionId, stepCount } = (l as { result: { sessionId: string; stepCount: number } }).result;
      for (const step of [stepCount, 0, Math.floor(stepCount / 2)]) {
        const r = await d.handle({ v: 1, id: 2, method: 'sim.seek', params: { sessionId, step } }, ctx);
        expect(r.ok, `${id} step ${step}: ${JSON.stringify(!r.ok && r.error)}`).toBe(true);
      }
    }
    await s.dispose();
  });

  it('pages every log by sim.log: the pages put together end with the tail each view carries', async () => {
    const s = createServices({ host: 'serve', dataDir: mkdtempSync(join(tmpdir(), 'simsvc-')), appRoot: appRoot(), log: () => {} });
    const d = createDispatcher(s.handlers, () => {});
    const ctx: CallContext = { clientId: 't', emit: () => {}, onClose: () => {} };
    const call = async <T>(method: string, params: unknown): Promise<T> => {
      const r = await d.handle({ v: 1, id: 1, method, params }, ctx);
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return (r as { result: T }).result;
    };
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
});
