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
});
