/**
 * A simulator worker's checkpoints share its typed-array budget with the live machines: a long
 * scenario on a big machine, seeked to its end and back, then a second such session and a third
 * scenario, all in one worker. Each session's checkpoints could once take 256 MiB, more than the
 * worker's whole budget, and the seek back was refused ("needed more than … MiB of memory").
 * A third long session must fit too: the least recently used sessions give up their checkpoints.
 * A seek back must land on the same view a fresh run gives.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appRoot } from '../app/node/paths.js';
import { SimWorkers } from '../app/node/work/host.js';
import { DEFAULT_WORK_LIMITS } from '../app/node/work/limits.js';

const limits = { ...DEFAULT_WORK_LIMITS, arrayMiB: 64, simWorkers: 1 };
const opts = { seconds: 120, what: 'this scenario', advice: 'it is a test' };
const STEPS = 320;
const text = `title: many small mallocs on a big machine
machine: { ram: 2 GiB }
processes:
  - { name: a }
steps:
${Array.from({ length: STEPS }, (_, i) => `  - { proc: a, malloc: 64 KiB, as: b${i} }`).join('\n')}
`;

describe("checkpoints within the worker's memory budget", () => {
  const sims = new SimWorkers({ appRoot: appRoot(), dataDir: mkdtempSync(join(tmpdir(), 'memlab-cp-')), host: 'serve', arrayMiB: limits.arrayMiB }, limits);
  afterAll(() => sims.dispose());
  const w = sims.for('A');
  const sim = <T>(method: string, params: object) => w.call('sim', { method, params }, opts) as Promise<T>;
  type View = { step: number; status: Record<string, Record<string, unknown>>; meminfo: Record<string, number> };

  it('seeks to the end and back in three long sessions and opens a fourth scenario, none refused for memory', async () => {
    const one = await sim<{ sessionId: string }>('sim.load', { text });
    await sim('sim.seek', { sessionId: one.sessionId, step: STEPS });
    const back = await sim<View>('sim.seek', { sessionId: one.sessionId, step: 3 });
    const two = await sim<{ sessionId: string }>('sim.load', { text });
    const fresh = await sim<View>('sim.seek', { sessionId: two.sessionId, step: 3 });
    // the same step, reached back from a checkpoint or from the start: the same machine
    expect(back.step).toBe(3);
    expect(back.status).toEqual(fresh.status);
    expect(back.meminfo).toEqual(fresh.meminfo);
    const end = await sim<View>('sim.seek', { sessionId: two.sessionId, step: STEPS });
    expect(end.step).toBe(STEPS);
    // a third long one: three sessions' checkpoints, each within its own cap, would not fit beside
    // three machines; the least recently used give theirs up
    const three = await sim<{ sessionId: string }>('sim.load', { text });
    expect((await sim<View>('sim.seek', { sessionId: three.sessionId, step: STEPS })).step).toBe(STEPS);
    expect((await sim<View>('sim.seek', { sessionId: three.sessionId, step: 7 })).step).toBe(7);
    // the first session's checkpoints have gone to the others: its seeks still answer, from step 0
    expect((await sim<View>('sim.seek', { sessionId: one.sessionId, step: STEPS - 5 })).step).toBe(STEPS - 5);
    expect((await sim<View>('sim.seek', { sessionId: two.sessionId, step: 11 })).step).toBe(11);
    const four = await sim<{ sessionId: string }>('sim.load', { scenarioId: 'virt-vs-res' });
    expect((await sim<View>('sim.seek', { sessionId: four.sessionId, step: 5 })).step).toBe(5);
  }, 240_000);
});
