/**
 * The main-process services as `memlab serve` builds them, on a fresh data directory, behind the
 * LabApi dispatcher (so every call is checked against its schema), for one client.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CallContext, createDispatcher } from '../app/common/api/dispatch.js';
import { appRoot } from '../app/node/paths.js';
import { createServices } from '../app/node/services/index.js';

/** the services, the dispatcher, the client's context, and `call`, which throws on an error reply */
export function labServices(prefix = 'labsvc-') {
  const s = createServices({ host: 'serve', dataDir: mkdtempSync(join(tmpdir(), prefix)), appRoot: appRoot(), log: () => {} });
  const d = createDispatcher(s.handlers, () => {});
  const ctx: CallContext = { clientId: 't', emit: () => {}, onClose: () => {} };
  const call = async <T>(method: string, params: unknown): Promise<T> => {
    const r = await d.handle({ v: 1, id: 1, method, params }, ctx);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return (r as { result: T }).result;
  };
  return { s, d, ctx, call };
}
