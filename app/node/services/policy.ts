/**
 * The Policies view's computations: common/policy run in the main process, errors naming the
 * field; a scenario's reference string is simulated in a pool worker (a scenario may be big).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainHandlers } from '../../common/api/dispatch.js';
import type { policyMethods, ScenarioRefsResult } from '../../common/api/policy.js';
import { ApiError } from '../../common/api/protocol.js';
import { scenarioSource } from '../../common/api/sim.js';
import { parseScenario, ScenarioError } from '../../common/kernel/index.js';
import { PolicyError, runPolicy, scenarioReferences, sweep } from '../../common/policy/index.js';
import type { WorkerPool } from '../work/host.js';
import { builtinScenarioDir, type PackScenarios } from './sim.js';

const asApi = <T>(f: () => T): T => {
  try {
    return f();
  } catch (err) {
    if (err instanceof PolicyError) throw new ApiError('invalid-input', err.message, { field: err.field });
    throw err;
  }
};

/** references simulated per sweep request at most */
export const SWEEP_BUDGET = 5_000_000;

/** A scenario's references, computed where it is called (a pool worker, or a test): errors become ApiErrors naming file, line and field. */
export function scenarioRefsOf(text: string, file: string, proc: string | undefined, max: number): ScenarioRefsResult {
  try {
    return scenarioReferences(parseScenario(text, file), { proc, max });
  } catch (err) {
    if (err instanceof ScenarioError) throw new ApiError('invalid-input', err.describe(), { file, ...(err.where.line !== undefined ? { line: err.where.line } : {}), field: err.where.field ?? 'scenarioId' });
    throw err;
  }
}

export interface PolicyDeps {
  appRoot: string;
  pool?: WorkerPool;
  packScenarios?: PackScenarios;
}

export function createPolicyHandlers(deps?: PolicyDeps): DomainHandlers<typeof policyMethods> {
  const sourceOf = async (id: string): Promise<{ text: string; file: string }> => {
    const src = scenarioSource(id);
    if ('packId' in src) {
      if (!deps?.packScenarios) throw new ApiError('not-found', 'no packs are open here', { field: 'scenarioId' });
      return deps.packScenarios.read(src.packId, src.scenario);
    }
    const name = 'scenarioId' in src ? src.scenarioId : '';
    if (!deps || !/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new ApiError('not-found', `no built-in scenario '${name}'`, { field: 'scenarioId' });
    try {
      return { text: readFileSync(join(builtinScenarioDir(deps.appRoot), `${name}.yaml`), 'utf8'), file: `exercises/scenarios/${name}.yaml` };
    } catch {
      throw new ApiError('not-found', `no built-in scenario '${name}'`, { field: 'scenarioId' });
    }
  };
  return {
    'policy.scenarioRefs': async (p) => {
      const { text, file } = await sourceOf(p.scenarioId);
      if (!deps?.pool) return scenarioRefsOf(text, file, p.proc, p.max);
      return deps.pool.run<ScenarioRefsResult>('policyScenarioRefs', { text, file, proc: p.proc, max: p.max }, { seconds: deps.pool.limits.simSeconds, what: 'this scenario', advice: 'choose one process (fewer references) or a smaller scenario' });
    },
    'policy.run': (p) =>
      asApi(() => {
        const runs = p.policies.map((name) => runPolicy({ ...p, policy: name }, { explain: true }));
        return { addresses: runs[0]!.addresses, cacheSize: p.cacheSize, runs: runs.map((r) => ({ policy: r.policy, accesses: r.accesses, totals: r.totals })) };
      }),
    'policy.sweep': (p) =>
      asApi(() => {
        // a budget in references simulated, so one request cannot hold the lab for long
        const refs = p.addresses?.length ?? p.numaddrs ?? 10;
        const work = refs * Math.max(1, p.to - p.from + 1) * p.policies.length;
        if (work > SWEEP_BUDGET) throw new PolicyError('addresses', `a sweep of ${refs} references × ${p.to - p.from + 1} sizes × ${p.policies.length} policies is more than the ${SWEEP_BUDGET.toLocaleString('en')} references one request may simulate: shorten the string or the range`);
        const s = sweep(p);
        const anomalies: Array<{ policy: string; cacheSize: number; hits: number; hitsWithMore: number }> = [];
        for (const name of Object.keys(s.rows[0]!.hits))
          for (let k = 1; k < s.rows.length; k++) {
            const a = s.rows[k - 1]!;
            const b = s.rows[k]!;
            if (b.hits[name]! < a.hits[name]!) anomalies.push({ policy: name, cacheSize: a.cacheSize, hits: a.hits[name]!, hitsWithMore: b.hits[name]! });
          }
        return { addresses: s.addresses, rows: s.rows, anomalies };
      }),
  };
}
