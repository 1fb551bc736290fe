/**
 * sim.progress: a sim.seek that runs long says how far its step is, from the simulator's worker
 * through the main thread to the client that asked, and to no one else. The services here are the
 * ones `memlab serve` builds (the simulator in a worker thread, every event checked against the
 * contract by the dispatcher's envelope); when progress starts is set, so nothing here depends on
 * how fast this machine is.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../app/common/api/client.js';
import { type CallContext, createDispatcher, eventEnvelope } from '../app/common/api/dispatch.js';
import type { EventData, EventName } from '../app/common/api/index.js';
import type { SimProgress } from '../app/common/api/sim.js';
import { appRoot } from '../app/node/paths.js';
import { createServices, type ServiceDeps } from '../app/node/services/index.js';
import { progressFromEnv } from '../app/node/work/limits.js';

type Pushed = { event: string; data: unknown };

function lab(progress: ServiceDeps['progress']) {
  const s = createServices({ host: 'serve', dataDir: mkdtempSync(join(tmpdir(), 'simprog-')), appRoot: appRoot(), log: () => {}, progress });
  const d = createDispatcher(s.handlers, () => {});
  const client = (clientId: string) => {
    const pushed: Pushed[] = [];
    // as both hosts send an event: checked against the contract first
    const ctx: CallContext = { clientId, emit: <E extends EventName>(event: E, data: EventData<E>) => void pushed.push(eventEnvelope(event, data)), onClose: () => {} };
    const call = async <T>(method: string, params: unknown): Promise<T> => {
      const r = await d.handle({ v: 1, id: 1, method, params }, ctx);
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return (r as { result: T }).result;
    };
    const progress = () => pushed.filter((p) => p.event === 'sim.progress').map((p) => p.data as SimProgress);
    return { pushed, call, progress };
  };
  /**
   * A renderer's LabApi client over one transport, as the hosts wire it: Electron's main process
   * sends each event envelope with webContents.send and answers invoke (structured clones), memlab
   * serve sends JSON text over the socket; the renderer's RpcClient checks both against the contract.
   */
  const renderer = (transport: 'ipc' | 'socket', clientId: string) => {
    const wire = (x: unknown): unknown => (transport === 'ipc' ? structuredClone(x) : JSON.parse(JSON.stringify(x)));
    const api: RpcClient = new RpcClient(transport, {
      send: (request) => {
        const answer = transport === 'ipc' ? d.handle(wire(request), ctx) : d.handleText(JSON.stringify(request), ctx);
        void answer.then((r) => api.receive(wire(r)));
      },
    });
    const ctx: CallContext = { clientId, emit: (event, data) => api.receive(wire(eventEnvelope(event, data))), onClose: () => {} };
    return api;
  };
  return { s, client, renderer };
}

describe('sim.progress', () => {
  const every = lab({ afterMs: 0, everyMs: 0 });
  const never = lab({ afterMs: 600_000, everyMs: 0 });
  afterAll(async () => {
    await every.s.dispose();
    await never.s.dispose();
  });

  it("reports a touch's pages as its step runs, rising, to the client that asked only; a step with no long work reports nothing", async () => {
    const a = every.client('A');
    const b = every.client('B');
    const { sessionId, stepCount } = await a.call<{ sessionId: string; stepCount: number }>('sim.load', { scenarioId: 'thrash' });
    // B has a session of its own in its own worker: none of A's progress reaches it
    await b.call('sim.load', { scenarioId: 'thrash' });

    // step 1 mallocs 512 MiB: no page is touched, nothing to report even when every pause would
    await a.call('sim.seek', { sessionId, step: 1 });
    expect(a.progress()).toEqual([]);

    // step 2 touches all 512 MiB (131,072 pages, slices of 65,536): a report at each pause
    const view = await a.call<{ step: number }>('sim.seek', { sessionId, step: 2 });
    expect(view.step).toBe(2);
    const seen = a.progress();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const p of seen) {
      expect(p).toMatchObject({ sessionId, step: 2, of: stepCount, target: 2, unit: 'pages' });
      expect(p.total).toBeGreaterThanOrEqual(131072);
      expect(p.done).toBeLessThanOrEqual(p.total);
      expect(p.done).toBeGreaterThan(0);
    }
    const done = seen.map((p) => p.done);
    for (let i = 1; i < done.length; i++) expect(done[i]!, `report ${i} of ${JSON.stringify(done)}`).toBeGreaterThan(done[i - 1]!);
    expect(new Set(seen.map((p) => p.total)).size).toBe(1);
    // every report came before the answer: none arrives after it
    await new Promise((r) => setTimeout(r, 100));
    expect(a.progress().length).toBe(seen.length);
    expect(b.progress()).toEqual([]);

    // a seek over several steps reports each step it runs, in order
    const before = a.progress().length;
    await a.call('sim.seek', { sessionId, step: 5 });
    const steps = a.progress().slice(before).map((p) => p.step);
    expect(new Set(steps)).toEqual(new Set([3, 4, 5]));
    expect(steps).toEqual([...steps].sort((x, y) => x - y));
    expect(b.progress()).toEqual([]);
  }, 60_000);

  for (const transport of ['ipc', 'socket'] as const) {
    it(`reaches the renderer's LabApi over ${transport === 'ipc' ? 'Electron IPC' : 'the socket'}, before the step's view`, async () => {
      const api = every.renderer(transport, `R-${transport}`);
      const seen: Array<{ done: number; answered: boolean }> = [];
      let answered = false;
      const off = api.on('sim.progress', (p) => seen.push({ done: p.done, answered }));
      const { sessionId } = await api.call('sim.load', { scenarioId: 'thrash' });
      const view = await api.call('sim.seek', { sessionId, step: 2 });
      answered = true;
      expect(view.step).toBe(2);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen.every((x) => !x.answered)).toBe(true);
      off();
    }, 60_000);
  }

  it('says nothing while a seek is shorter than the time set: the whole of thrash, run to the end', async () => {
    const a = never.client('A');
    const { sessionId, stepCount } = await a.call<{ sessionId: string; stepCount: number }>('sim.load', { scenarioId: 'thrash' });
    const view = await a.call<{ step: number }>('sim.seek', { sessionId, step: stepCount });
    expect(view.step).toBe(stepCount);
    expect(a.progress()).toEqual([]);
  }, 60_000);

  it('MEMLAB_PROGRESS_AFTER_MS and MEMLAB_PROGRESS_EVERY_MS set the timing; anything but a number of ms is left out', () => {
    expect(progressFromEnv({ MEMLAB_PROGRESS_AFTER_MS: '0', MEMLAB_PROGRESS_EVERY_MS: '20' })).toEqual({ afterMs: 0, everyMs: 20 });
    expect(progressFromEnv({ MEMLAB_PROGRESS_AFTER_MS: 'soon', MEMLAB_PROGRESS_EVERY_MS: '-1' })).toEqual({});
    expect(progressFromEnv({})).toEqual({});
  });
});
