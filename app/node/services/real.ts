/**
 * "Run for real" behind the LabApi: one run per client at a time, each step pushed as a
 * real.step event, the end as real.done. Nothing starts unless the learner asks (real.start);
 * a run stops when asked, when its client goes away, and when memlab shuts down.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainHandlers } from '../../common/api/dispatch.js';
import { ApiError } from '../../common/api/protocol.js';
import type { realMethods } from '../../common/api/real.js';
import { parseScenario, type Scenario, ScenarioError } from '../../common/kernel/index.js';
import { procAvailable } from '../host/proc.js';
import { assess, type PlanData, RealRefused, RealRun, REAL_SHARE } from '../real/run.js';
import { ExecutorUnavailable, findExecutor } from '../real/toolchain.js';
import { rememberRun } from '../real/registry.js';
import { meminfo } from '../host/proc.js';
import type { ServiceDeps } from './index.js';
import type { PackScenarios } from './sim.js';
import type { WorkerPool } from '../work/host.js';

type Ref = { scenarioId: string } | { text: string; fileName?: string } | { packId: string; scenario: string };

/**
 * `work`: the worker pool that parses the scenario and runs the simulator's pass over it (the
 * lab's hosts); without it both run here (unit tests of the service).
 */
export function createRealServices(deps: ServiceDeps, packs?: PackScenarios, work?: { pool: WorkerPool }): { handlers: DomainHandlers<typeof realMethods>; dispose: () => Promise<void> } {
  const runs = new Map<string, { client: string; run: RealRun }>();

  const textOf = async (ref: Ref): Promise<{ text: string; file: string }> => {
    let text: string;
    let file: string;
    if ('scenarioId' in ref) {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(ref.scenarioId)) throw new ApiError('not-found', `no built-in scenario '${ref.scenarioId}'`);
      file = `exercises/scenarios/${ref.scenarioId}.yaml`;
      try {
        text = readFileSync(join(deps.appRoot, file), 'utf8');
      } catch {
        throw new ApiError('not-found', `no built-in scenario '${ref.scenarioId}'`, { field: 'scenarioId' });
      }
    } else if ('packId' in ref) {
      if (!packs) throw new ApiError('not-found', 'no packs are open here');
      ({ text, file } = await packs.read(ref.packId, ref.scenario));
    } else {
      text = ref.text;
      file = ref.fileName ?? 'scenario.yaml';
    }
    return { text, file };
  };

  /**
   * The scenario parsed and the simulator's pass over it made: in a worker (a big scenario takes
   * seconds to simulate step by step, and this thread answers every client), here without one.
   */
  const planOf = async (ref: Ref, steps: boolean): Promise<{ scenario: Scenario; plan: PlanData | undefined }> => {
    const { text, file } = await textOf(ref);
    if (work) {
      const what = 'the simulator\'s run of this scenario (made before it runs for real)';
      return work.pool.run('realPlan', { text, file, steps }, { seconds: work.pool.limits.simSeconds, what, advice: 'make the scenario smaller' });
    }
    try {
      return { scenario: parseScenario(text, file), plan: undefined };
    } catch (err) {
      if (err instanceof ScenarioError) throw new ApiError('invalid-input', err.describe(), { file, line: err.where.line, field: err.where.field });
      throw err;
    }
  };

  const stopClient = async (client: string) => {
    for (const [id, r] of runs) {
      if (r.client !== client) continue;
      runs.delete(id);
      await r.run.stop();
    }
  };

  const handlers: DomainHandlers<typeof realMethods> = {
    'real.check': async (ref) => {
      const a = procAvailable();
      if (!a.ok) return { runnable: false, why: a.why };
      const { scenario: s, plan } = await planOf(ref, false);
      let executor: string;
      try {
        executor = findExecutor({ dataDir: deps.dataDir }).kind;
      } catch (err) {
        if (err instanceof ExecutorUnavailable) return { runnable: false, why: err.message };
        throw err;
      }
      const need = plan ?? (await assess(s));
      const avail = (meminfo().MemAvailable ?? 0) * 1024;
      if (need.peakBytes > avail * REAL_SHARE) return { runnable: false, why: `needs about ${Math.round(need.peakBytes / 1048576)} MiB: more than ${REAL_SHARE * 100}% of MemAvailable`, executor };
      return { runnable: true, executor };
    },
    'real.start': async (ref, ctx) => {
      const a = procAvailable();
      if (!a.ok) throw new ApiError('unavailable', a.why!);
      const { scenario: s, plan } = await planOf(ref, true);
      await stopClient(ctx.clientId);
      const runId = randomUUID();
      const run = new RealRun(s, {
        dataDir: deps.dataDir,
        ...(plan ? { planner: async () => plan } : {}),
        onStep: (record, pids) => ctx.emit('real.step', { runId, record, pids }),
      }).register();
      runs.set(runId, { client: ctx.clientId, run });
      ctx.onClose(() => void stopClient(ctx.clientId));
      try {
        await run.start();
      } catch (err) {
        runs.delete(runId);
        await run.stop();
        if (err instanceof RealRefused) throw new ApiError('forbidden', err.message);
        if (err instanceof ExecutorUnavailable) throw new ApiError('unavailable', err.message);
        throw new ApiError('internal', `the real run could not start: ${(err as Error).message}`);
      }
      // the answer goes out first, then the steps
      void new Promise((r) => setImmediate(r))
        .then(() => run.run())
        .then((report) => {
          rememberRun(runId, ctx.clientId, report);
          return report;
        })
        .then((report) => ctx.emit('real.done', { runId, stopped: report.stopped, info: report.info, pids: run.pids }))
        .catch((err: Error) => {
          deps.log('error', `real run ${runId}: ${err.message}`);
          ctx.emit('real.done', { runId, stopped: true, error: err.message, pids: run.pids });
        })
        .finally(() => runs.delete(runId));
      return { runId, stepCount: s.steps.length, info: { executor: run.info.executor, executorNote: run.info.executorNote, containment: run.info.containment, notes: run.info.notes } };
    },
    'real.simplifications': () => {
      const source = 'app/common/kernel/README.md';
      const text = readFileSync(join(deps.appRoot, source), 'utf8');
      const section = /## Where the model simplifies[^\n]*\n([\s\S]*?)(?=\n## |$)/.exec(text)?.[1] ?? '';
      const items = section.split(/\n(?=- )/).map((x) => x.replace(/^- /, '').replace(/\s*\n\s*/g, ' ').trim()).filter(Boolean);
      return { source: `${source} — Where the model simplifies`, items };
    },
    'real.stop': async ({ runId }, ctx) => {
      const r = runs.get(runId);
      if (!r || r.client !== ctx.clientId) return { stopped: false, pids: [] };
      runs.delete(runId);
      const pids = await r.run.stop();
      return { stopped: true, pids };
    },
  };
  return {
    handlers,
    dispose: async () => {
      for (const r of runs.values()) await r.run.stop();
      runs.clear();
    },
  };
}
