/** LabApi: page replacement on a reference string (the Policies view), computed by common/policy in the main process. */
import { z } from 'zod';
import { POLICIES, POLICY_DOCS } from '../policy/engine.js';
import { method } from './protocol.js';

export { POLICIES, POLICY_DOCS };

/** Longest string the view traces access by access (a sweep takes longer ones). */
export const MAX_TRACED_REFS = 500;
export const MAX_SWEPT_REFS = 100_000;

const Source = {
  /** the reference string; absent: drawn as OSTEP draws it (numaddrs pages below maxpage, from the seed) */
  addresses: z.array(z.number().int().min(0).max(2 ** 31 - 1)).min(1).optional(),
  numaddrs: z.number().int().min(1).optional(),
  maxpage: z.number().int().min(1).max(100_000).optional(),
  /** as random.seed takes it: any whole number */
  seed: z.string().regex(/^[+-]?\d{1,200}$/, 'a seed is a whole number').default('0'),
  clockbits: z.number().int().min(0).max(64).default(2),
};

export const PolicyStep = z.object({
  addr: z.number(),
  hit: z.boolean(),
  evicted: z.number().nullable(),
  cache: z.array(z.number()),
  why: z.string(),
  notes: z.record(z.string(), z.string()).optional(),
  hand: z.number().int().optional(),
  lists: z.object({ inactive: z.array(z.number()), active: z.array(z.number()), referenced: z.array(z.number()) }).optional(),
});
export type PolicyStep = z.infer<typeof PolicyStep>;

export const PolicyTrace = z.object({
  policy: z.string(),
  accesses: z.array(PolicyStep),
  totals: z.object({ hits: z.number().int(), misses: z.number().int(), hitrate: z.number() }),
});
export type PolicyTrace = z.infer<typeof PolicyTrace>;

export const SweepRow = z.object({ cacheSize: z.number().int(), hits: z.record(z.string(), z.number()), hitrate: z.record(z.string(), z.number()) });
export type SweepRow = z.infer<typeof SweepRow>;

export const ScenarioRefsResult = z.object({
  /** the process whose references these are, null: every process's */
  proc: z.string().nullable(),
  /** the processes that reference pages */
  processes: z.array(z.string()),
  /** the reference string (at most `max` references), pages numbered by first reference */
  addresses: z.array(z.number().int()),
  /** every reference the scenario makes */
  total: z.number().int(),
  /** distinct pages all the references touch */
  pageCount: z.number().int(),
  /** what each page number (of the references kept) is: 'buf+3', 'a: buf+3', 'file data+0' */
  pages: z.array(z.string()),
  steps: z.array(z.object({ step: z.number().int(), line: z.number().int(), proc: z.string(), verb: z.string(), from: z.number().int(), to: z.number().int() })),
  stopped: z.string().optional(),
});
export type ScenarioRefsResult = z.infer<typeof ScenarioRefsResult>;

export const policyMethods = {
  'policy.scenarioRefs': method(
    z
      .object({
        /** a built-in scenario's name or `pack:<packId>:<path>` (the ids sim.listScenarios gives) */
        scenarioId: z.string().min(1).max(300),
        proc: z.string().max(64).optional(),
        /** keep at most this many references (every one is still counted in total) */
        max: z.number().int().min(1).max(MAX_SWEPT_REFS).default(MAX_TRACED_REFS),
      })
      .strict(),
    ScenarioRefsResult,
    "A scenario's page reference string: the pages its touch steps (and read_file/write_file) reference as the simulator runs it, for every process or one.",
  ),
  'policy.run': method(
    z
      .object({
        policies: z.array(z.string().max(40)).min(1).max(10),
        cacheSize: z.number().int().min(1).max(64),
        ...Source,
        numaddrs: z.number().int().min(1).max(MAX_TRACED_REFS).optional(),
        addresses: Source.addresses.unwrap().max(MAX_TRACED_REFS).optional(),
      })
      .strict(),
    z.object({ addresses: z.array(z.number()), cacheSize: z.number().int(), runs: z.array(PolicyTrace) }),
    'Run policies on one reference string, every access traced with the victim and why.',
  ),
  'policy.sweep': method(
    z
      .object({
        policies: z.array(z.string().max(40)).min(1).max(10),
        from: z.number().int().min(1).max(64),
        to: z.number().int().min(1).max(64),
        ...Source,
        numaddrs: z.number().int().min(1).max(MAX_SWEPT_REFS).optional(),
        addresses: Source.addresses.unwrap().max(MAX_SWEPT_REFS).optional(),
      })
      .strict(),
    z.object({ addresses: z.array(z.number()), rows: z.array(SweepRow), anomalies: z.array(z.object({ policy: z.string(), cacheSize: z.number().int(), hits: z.number(), hitsWithMore: z.number() })) }),
    'Hits and hit rate against cache size, with every place where more frames gave fewer hits (Belady’s anomaly).',
  ),
};

export const policyEvents = {};
