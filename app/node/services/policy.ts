/**
 * The Policies view's computations, errors naming the field: common/policy runs in a pool worker
 * (a sweep simulates up to SWEEP_BUDGET references), and so is a scenario's reference string
 * simulated (a scenario may be big).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainHandlers } from '../../common/api/dispatch.js';
import type { ParsedParams, ResultInput } from '../../common/api/index.js';
import type { policyMethods, ScenarioRefsResult } from '../../common/api/policy.js';
import { ApiError } from '../../common/api/protocol.js';
import { scenarioSource } from '../../common/api/sim.js';
import { parseScenario, ScenarioError } from '../../common/kernel/index.js';
import { PolicyError, runPolicy, scenarioReferences, sweep, sweepAnomalies } from '../../common/policy/index.js';
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

export type PolicyRunParams = ParsedParams<'policy.run'>;
export type PolicySweepParams = ParsedParams<'policy.sweep'>;
type PolicyRunResult = ResultInput<'policy.run'>;
type PolicySweepResult = ResultInput<'policy.sweep'>;

/** policy.run, computed where it is called (a pool worker, or a test): every access traced */
export function policyRunOf(p: PolicyRunParams): PolicyRunResult {
  return asApi(() => {
    const runs = p.policies.map((name) => runPolicy({ ...p, policy: name }, { explain: true }));
    return { addresses: runs[0]!.addresses, cacheSize: p.cacheSize, runs: runs.map((r) => ({ policy: r.policy, accesses: r.accesses, totals: r.totals })) };
  });
}

/** policy.sweep, computed where it is called (a pool worker, or a test), with Belady's anomalies found */
export function policySweepOf(p: PolicySweepParams): PolicySweepResult {
  return asApi(() => {
    // a budget in references simulated, so one request cannot hold a worker for long
    const refs = p.addresses?.length ?? p.numaddrs ?? 10;
    const work = refs * Math.max(1, p.to - p.from + 1) * p.policies.length;
    if (work > SWEEP_BUDGET) throw new PolicyError('addresses', `a sweep of ${refs} references × ${p.to - p.from + 1} sizes × ${p.policies.length} policies is more than the ${SWEEP_BUDGET.toLocaleString('en')} references one request may simulate: shorten the string or the range`);
    const s = sweep(p);
    return { addresses: s.addresses, rows: s.rows, anomalies: sweepAnomalies(s.rows) };
  });
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
      try {
        return await deps.packScenarios.read(src.packId, src.scenario);
      } catch (err) {
        // the pack service names its own fields (packId, scenario): here both are the one scenarioId
        if (err instanceof ApiError) throw new ApiError(err.code, err.message, { ...err.where, field: 'scenarioId' }, err.issues);
        throw err;
      }
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
    // a trace of up to MAX_TRACED_REFS references and a sweep of up to SWEEP_BUDGET: in a pool worker too
    'policy.run': (p) =>
      deps?.pool
        ? deps.pool.run<PolicyRunResult>('policyRun', p, { seconds: deps.pool.limits.checkSeconds, what: 'this run', advice: 'shorten the reference string or run fewer policies' })
        : policyRunOf(p),
    'policy.sweep': (p) =>
      deps?.pool
        ? deps.pool.run<PolicySweepResult>('policySweep', p, { seconds: deps.pool.limits.checkSeconds, what: 'this sweep', advice: 'shorten the string or the range of sizes' })
        : policySweepOf(p),
  };
}
