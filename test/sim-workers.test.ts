/**
 * The simulator's workers are capped (limits.simWorkers): one per client, the least recently used
 * idle one gives way to a new client, and a busy one is never thrown away for another: the new
 * client is told to try again. Each fails with its guard in work/host.ts SimWorkers.for removed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appRoot } from '../app/node/paths.js';
import { SimWorkers } from '../app/node/work/host.js';
import { DEFAULT_WORK_LIMITS } from '../app/node/work/limits.js';

const limits = { ...DEFAULT_WORK_LIMITS, heapMiB: 48, arrayMiB: 32, simWorkers: 1 };
const opts = (seconds: number) => ({ seconds, what: 'this probe', advice: 'it is a test' });

describe('simulator workers: one per client, at most simWorkers of them', () => {
  const sims = new SimWorkers({ appRoot: appRoot(), dataDir: mkdtempSync(join(tmpdir(), 'memlab-sw-')), host: 'serve', arrayMiB: limits.arrayMiB }, limits);
  afterAll(() => sims.dispose());

  it('an idle window gives way to a new one; a busy one does not, and the new one is told to try again', async () => {
    const a = sims.for('A');
    expect(await a.call('ping', {}, opts(30))).toBe('pong');
    expect(sims.for('A')).toBe(a);
    // A is idle: B's worker takes its place, and A's is stopped
    const b = sims.for('B');
    expect(a.dead).toBe(true);
    expect(sims.has('A')).toBe(false);
    expect(await b.call('ping', {}, opts(30))).toBe('pong');
    // B is busy: C is refused rather than B's work thrown away
    const spin = b.call('limitsProbe', { kind: 'spin' }, opts(30));
    expect(() => sims.for('C')).toThrow(/the simulator is busy with 1 other windows; try again in a moment/);
    expect(b.dead).toBe(false);
    sims.release('B');
    await expect(spin).rejects.toThrow(/the window closed/);
    expect(await sims.for('C').call('ping', {}, opts(30))).toBe('pong');
  }, 60_000);
});
