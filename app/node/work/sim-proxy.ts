/**
 * The simulator's LabApi handlers, run in the calling client's own worker thread: a scenario that
 * maps terabytes or runs for hours stops there, with a message, and every other client (and the
 * event loop) carries on. Scenario files inside packs reach the worker as text.
 */
import type { CallContext, DomainHandlers, Handler } from '../../common/api/dispatch.js';
import type { EventData } from '../../common/api/index.js';
import { ApiError } from '../../common/api/protocol.js';
import { simMethods } from '../../common/api/sim.js';
import type { PackScenarios } from '../services/sim.js';
import type { SimWorkers } from './host.js';

export const SIM_ADVICE = 'make it smaller (fewer processes, steps or snapshots, smaller mappings); the simulator was restarted, so open the scenario again';

export function createSimProxy(workers: SimWorkers, packScenarios?: PackScenarios, log?: (level: 'info' | 'warn' | 'error', text: string) => void): DomainHandlers<typeof simMethods> {
  const watched = new Set<string>();
  const forward =
    (method: string): Handler<never> =>
    async (params: unknown, ctx: CallContext) => {
      let p = params as Record<string, unknown>;
      let packs: Awaited<ReturnType<PackScenarios['list']>> | undefined;
      if (method === 'sim.load' && typeof p.packId === 'string') {
        if (!packScenarios) throw new ApiError('not-found', 'no packs are open here', { field: 'packId' });
        const src = await packScenarios.read(p.packId, String(p.scenario));
        p = { text: src.text, fileName: src.file, ...(p.params ? { params: p.params } : {}) };
      }
      if (method === 'sim.listScenarios') packs = (await packScenarios?.list()) ?? [];
      const h = workers.for(ctx.clientId);
      if (!watched.has(ctx.clientId)) {
        watched.add(ctx.clientId);
        ctx.onClose(() => {
          watched.delete(ctx.clientId);
          workers.release(ctx.clientId);
        });
      }
      return h.call('sim', { method, params: p, packs }, {
        seconds: workers.limits.simSeconds,
        what: method === 'sim.listScenarios' ? 'listing the scenarios' : 'this scenario',
        advice: SIM_ADVICE,
        // a long step's progress goes to the client that asked for it, and to no one else
        onEvent: (name, data) => {
          if (name !== 'sim.progress') return;
          try {
            ctx.emit(name, data as EventData<'sim.progress'>);
          } catch (err) {
            // outside the contract (a bug in the worker): the call goes on without it
            log?.('warn', `sim.progress not sent: ${err instanceof Error ? err.message : String(err)}`);
          }
        },
      });
    };
  return Object.fromEntries(Object.keys(simMethods).map((m) => [m, forward(m)])) as unknown as DomainHandlers<typeof simMethods>;
}
