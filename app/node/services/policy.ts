/** The Policies view's computations: common/policy run in the main process, errors naming the field. */
import type { DomainHandlers } from '../../common/api/dispatch.js';
import type { policyMethods } from '../../common/api/policy.js';
import { ApiError } from '../../common/api/protocol.js';
import { PolicyError, runPolicy, sweep } from '../../common/policy/index.js';

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

export function createPolicyHandlers(): DomainHandlers<typeof policyMethods> {
  return {
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
