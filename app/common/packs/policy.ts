/**
 * The `policy` exercise kind: a reference string (fixed, or drawn per learner from a seed
 * parameter as OSTEP draws it), a page-replacement policy and a cache size; the learner gives the
 * hits, the misses, the victim at access k, the final cache, or the cache size at which FIFO's
 * Belady anomaly appears. The expected answer comes from the same engine as `memlab policy` and
 * the Policies view (common/policy), so pack check proves it and a course's answers match OSTEP's.
 */
import { z } from 'zod';
import { compress, countHits, OSTEP_POLICIES, POLICIES, type PolicyName, PolicyError, policyName, prepare, runPolicy } from '../policy/index.js';
import type { ParamValues } from './params.js';
import { substitute } from './params.js';

const text = (max: number) => z.string().min(1).max(max);
/** a number, or a string with {{param}} in it that reads as one */
const numberOrParam = z.union([z.number().int(), text(100)]);

export const POLICY_ASKS = ['hits', 'misses', 'victim', 'final_cache', 'anomaly'] as const;

export const policyShape = {
  kind: z.literal('policy'),
  /** FIFO, LRU, MRU, OPT, UNOPT, RAND, CLOCK, SECOND-CHANCE, LFU or LINUX, any case; {{param}} allowed */
  policy: text(100).default('FIFO').describe(`the policy: ${POLICIES.join(', ')} (any case); {{param}} allowed`),
  /** frames in the cache */
  cache_size: numberOrParam.optional().describe('frames in the cache (not for ask: anomaly); a number or "{{param}}"'),
  /** the pages referenced, in order: "1,2,3,4,1,2,5" */
  reference: text(4000).optional().describe('the reference string, pages separated by commas: "1,2,3,4,1,2,5"; {{param}} allowed'),
  /** draw the string per learner as OSTEP does: numaddrs pages int(maxpage * random()) from `seed` */
  generate: z.object({ numaddrs: z.number().int().min(1).max(1000), maxpage: z.number().int().min(1).max(1000) }).strict().optional().describe('draw the string as OSTEP does instead of giving one; seed it from a parameter so each learner gets their own'),
  /** random.seed(seed) before drawing (and for RAND and CLOCK); a number or "{{param}}" */
  seed: numberOrParam.default(0).describe('the seed, as OSTEP\'s -s: a number or "{{param}}"'),
  clockbits: z.number().int().min(0).max(64).default(2).describe("OSTEP CLOCK's counter limit (its -b)"),
  /** what the learner gives */
  ask: z.enum(POLICY_ASKS).describe('hits | misses | victim (at access `at`) | final_cache | anomaly (the smallest cache size in `sizes` where FIFO hits less than with one frame fewer)'),
  /** ask: victim — the access, counting from 1 */
  at: numberOrParam.optional().describe('for ask: victim, the access (counting from 1) whose victim is asked'),
  /** ask: anomaly — the cache sizes to search */
  sizes: z.tuple([z.number().int().min(1), z.number().int().max(64)]).default([1, 8]).describe('for ask: anomaly, the range of cache sizes searched'),
  /** the author's own answer (fixed strings): pack check proves the engine agrees */
  answer: z.union([z.number(), z.string(), z.array(z.number())]).optional().describe('your own answer; pack check proves the engine computes the same'),
  /** policies to offer side by side in the Policies view (the exercise's own first) */
  compare: z.array(text(40)).max(6).default([]).describe('other policies to show side by side in the Policies view, e.g. [LRU, LINUX]'),
};

export type PolicyExercise = {
  kind: 'policy';
  policy: string;
  cache_size?: number | string;
  reference?: string;
  generate?: { numaddrs: number; maxpage: number };
  seed: number | string;
  clockbits: number;
  ask: (typeof POLICY_ASKS)[number];
  at?: number | string;
  sizes: [number, number];
  answer?: number | string | number[];
  compare: string[];
  misconceptions: Array<{ answer: string | number | number[]; says: string }>;
};

/** The exercise with its parameters in place: the string, the policy, the size and the question. */
export interface PolicyTask {
  policy: PolicyName;
  reference: number[];
  cacheSize?: number;
  seed: string;
  clockbits: number;
  ask: PolicyExercise['ask'];
  at?: number;
  sizes: [number, number];
  compare: PolicyName[];
  /** drawn as OSTEP draws: RAND and CLOCK continue the stream after the addresses */
  generate?: { numaddrs: number; maxpage: number };
}

const whole = (field: string, v: number | string | undefined, params: ParamValues): number | undefined => {
  if (v === undefined) return undefined;
  const s = typeof v === 'number' ? String(v) : substitute(v, params).trim();
  if (!/^-?\d+$/.test(s)) throw new PolicyError(field, `${field} is '${s}', not a whole number${/\{\{/.test(s) ? ' (is the parameter declared under params?)' : ''}`);
  return Number(s);
};

/** Resolve the exercise for one learner's parameters; throws PolicyError naming the field. */
export function policyTask(ex: PolicyExercise, params: ParamValues): PolicyTask {
  const policy = policyName(substitute(ex.policy, params));
  const seed = String(whole('seed', ex.seed, params));
  let reference: number[];
  if (ex.reference !== undefined && ex.generate) throw new PolicyError('reference', 'give reference or generate, not both');
  if (ex.reference !== undefined) {
    const items = substitute(ex.reference, params).split(/[\s,]+/).filter(Boolean);
    if (!items.length) throw new PolicyError('reference', 'the reference string is empty');
    reference = items.map((s, k) => {
      if (!/^\d+$/.test(s)) throw new PolicyError('reference', `reference ${k + 1} ('${s}') is not a page number`);
      return Number(s);
    });
  } else if (ex.generate) {
    reference = prepare({ policy, cacheSize: 1, numaddrs: ex.generate.numaddrs, maxpage: ex.generate.maxpage, seed }).addresses;
  } else throw new PolicyError('reference', 'give the reference string (reference: "1,2,3") or generate: { numaddrs, maxpage }');
  const cacheSize = whole('cache_size', ex.cache_size, params);
  if (ex.ask !== 'anomaly') {
    if (cacheSize === undefined) throw new PolicyError('cache_size', `ask: ${ex.ask} needs cache_size`);
    if (cacheSize < 1 || cacheSize > 64) throw new PolicyError('cache_size', `cache_size is ${cacheSize}: between 1 and 64 frames`);
  }
  const at = whole('at', ex.at, params);
  if (ex.ask === 'victim') {
    if (at === undefined) throw new PolicyError('at', 'ask: victim needs at, the access (counting from 1)');
    if (at < 1 || at > reference.length) throw new PolicyError('at', `at is ${at}, but the string has ${reference.length} accesses (count from 1)`);
  }
  if (ex.sizes[0] >= ex.sizes[1]) throw new PolicyError('sizes', 'sizes is [from, to] with from < to');
  const compare = ex.compare.map(policyName);
  return { policy, reference, cacheSize, seed, clockbits: ex.clockbits, ask: ex.ask, at, sizes: ex.sizes, compare, ...(ex.generate ? { generate: ex.generate } : {}) };
}

type Expected = { kind: 'number'; value: number } | { kind: 'victim'; value: number | null } | { kind: 'cache'; value: number[] };

/** The expected answer, from the engine. */
export function expectedPolicy(t: PolicyTask, policy: PolicyName = t.policy): Expected {
  if (t.ask === 'anomaly') {
    const { ids, pages } = compress(t.reference);
    let prev = countHits('FIFO', ids, pages, t.sizes[0]);
    for (let c = t.sizes[0] + 1; c <= t.sizes[1]; c++) {
      const h = countHits('FIFO', ids, pages, c);
      if (h < prev) return { kind: 'number', value: c };
      prev = h;
    }
    throw new PolicyError('ask', `FIFO shows no anomaly on this string for cache sizes ${t.sizes[0]}–${t.sizes[1]}: more frames never give fewer hits`);
  }
  const run = runPolicy({ policy, cacheSize: t.cacheSize!, ...(t.generate ?? { addresses: t.reference }), seed: t.seed, clockbits: t.clockbits });
  switch (t.ask) {
    case 'hits':
      return { kind: 'number', value: run.totals.hits };
    case 'misses':
      return { kind: 'number', value: run.totals.misses };
    case 'victim':
      return { kind: 'victim', value: run.accesses[t.at! - 1]!.evicted };
    case 'final_cache':
      return { kind: 'cache', value: run.accesses.at(-1)!.cache };
  }
}

export function formatExpected(e: Expected): string {
  if (e.kind === 'cache') return e.value.join(', ');
  if (e.kind === 'victim') return e.value === null ? 'none' : String(e.value);
  return String(e.value);
}

type Read = { ok: true; value: number | null | number[] } | { ok: false; why: string };

/** Read what the learner typed: a whole number, "none" for no victim, or a list of pages. */
export function readPolicyAnswer(raw: string, kind: Expected['kind']): Read {
  const s = raw.trim();
  if (!s) return { ok: false, why: 'the answer is empty' };
  if (kind === 'cache') {
    const items = s.replace(/^[[({]\s*|\s*[\])}]$/g, '').split(/[\s,;]+/).filter(Boolean);
    if (!items.length || items.some((x) => !/^\d+$/.test(x))) return { ok: false, why: `'${s}' is not a list of pages like 1, 2, 5` };
    const v = items.map(Number);
    if (new Set(v).size !== v.length) return { ok: false, why: 'a page appears twice: a cache holds each page once' };
    return { ok: true, value: v };
  }
  if (kind === 'victim' && /^(none|nothing|no victim|-|—|hit|no page)$/i.test(s)) return { ok: true, value: null };
  if (!/^\d+$/.test(s)) return { ok: false, why: kind === 'victim' ? `'${s}' is not a page number (or "none" when nothing is evicted)` : `'${s}' is not a whole number` };
  return { ok: true, value: Number(s) };
}

const same = (e: Expected, v: number | null | number[]): boolean => {
  if (e.kind === 'cache') {
    const a = v as number[];
    return a.length === e.value.length && a.every((x) => e.value.includes(x));
  }
  return e.value === v;
};

export interface PolicyCheck {
  verdict: 'correct' | 'incorrect' | 'invalid';
  message: string;
  diagnosis?: string;
}

const WHAT: Record<PolicyTask['ask'], string> = { hits: 'hits', misses: 'misses', victim: 'victim', final_cache: 'final cache', anomaly: 'cache size' };

/** Judge one answer; a wrong one that another policy would give is named as such. */
export function checkPolicy(ex: PolicyExercise, raw: unknown, params: ParamValues): PolicyCheck {
  if (typeof raw !== 'string') return { verdict: 'invalid', message: 'give an answer' };
  let t: PolicyTask;
  let e: Expected;
  try {
    t = policyTask(ex, params);
    e = expectedPolicy(t);
  } catch (err) {
    return { verdict: 'invalid', message: `This exercise cannot be checked: ${(err as Error).message}` };
  }
  const r = readPolicyAnswer(raw, e.kind);
  if (!r.ok) return { verdict: 'invalid', message: `Not counted: ${r.why}.` };
  const said = r.value === null ? 'no victim' : Array.isArray(r.value) ? `the pages ${r.value.join(', ')}` : String(r.value);
  if (same(e, r.value)) return { verdict: 'correct', message: `Correct: ${said}${e.kind === 'cache' ? ' (in any order)' : ''}.` };
  const own = ex.misconceptions.find((m) => {
    const mv = Array.isArray(m.answer) ? m.answer : readPolicyAnswer(String(m.answer), e.kind);
    const v = Array.isArray(mv) ? mv : mv.ok ? mv.value : undefined;
    return v !== undefined && same({ ...e, value: v } as Expected, r.value);
  })?.says;
  let diagnosis = own;
  if (!diagnosis && t.ask !== 'anomaly') {
    // the answer another policy gives: the learner ran the wrong algorithm
    for (const p of [...OSTEP_POLICIES, 'SECOND-CHANCE', 'LFU', 'LINUX'] as PolicyName[]) {
      if (p === t.policy) continue;
      try {
        if (same(expectedPolicy(t, p), r.value)) {
          diagnosis = `That is what ${p} gives on this string, not ${t.policy}.`;
          break;
        }
      } catch {
        // a policy that cannot run here says nothing
      }
    }
  }
  if (!diagnosis && t.ask === 'anomaly' && typeof r.value === 'number' && r.value === (e.value as number) - 1)
    diagnosis = `${r.value} frames is the size just before the jump: the anomaly is that ${e.value} frames give fewer hits than ${r.value}.`;
  return { verdict: 'incorrect', message: `Not quite: your ${WHAT[t.ask]} was ${said}.`, ...(diagnosis ? { diagnosis } : {}) };
}

/** pack check: the reference answer as the learner would type it, a wrong one, an unreadable one; and the author's answer proved. */
export function policyReferenceAnswers(ex: PolicyExercise, params: ParamValues): { right: string; wrong: string; unreadable: string } | { field: string; message: string } {
  let t: PolicyTask;
  let e: Expected;
  try {
    t = policyTask(ex, params);
    e = expectedPolicy(t);
  } catch (err) {
    return { field: err instanceof PolicyError ? err.field.replace('cacheSize', 'cache_size') : 'policy', message: (err as Error).message };
  }
  if (ex.answer !== undefined) {
    const mine = Array.isArray(ex.answer) ? { ok: true as const, value: ex.answer } : readPolicyAnswer(String(ex.answer), e.kind);
    if (!mine.ok) return { field: 'answer', message: `answer: ${mine.why}` };
    if (!same(e, mine.value)) return { field: 'answer', message: `answer is ${JSON.stringify(ex.answer)}, but ${t.policy} on this string gives ${formatExpected(e)}` };
  }
  const right = formatExpected(e);
  let wrong: string;
  if (e.kind === 'cache') wrong = e.value.map((p) => p + 1000).join(', ');
  else if (e.kind === 'victim') wrong = e.value === null ? String(t.reference[0]! + 1000) : 'none';
  else wrong = String(e.value + 1000);
  return { right, wrong, unreadable: e.kind === 'cache' ? 'one, two' : 'lots' };
}

/** What the learner's widget shows: the string, the policy, the size and what is asked. */
export function policyWidget(ex: PolicyExercise, params: ParamValues): { kind: 'policy'; reference: number[]; policy: string; cacheSize: number | null; ask: string; at: number | null; sizes: [number, number]; compare: string[]; clockbits: number; seed: string } {
  const t = policyTask(ex, params);
  return { kind: 'policy', reference: t.reference, policy: t.policy, cacheSize: t.cacheSize ?? null, ask: t.ask, at: t.at ?? null, sizes: t.sizes, compare: t.compare, clockbits: t.clockbits, seed: t.seed };
}

/** The solution shown after giving up. */
export function policySolution(ex: PolicyExercise, params: ParamValues): string {
  const t = policyTask(ex, params);
  const e = expectedPolicy(t);
  return `${formatExpected(e)} (${t.ask === 'anomaly' ? 'FIFO' : t.policy}${t.cacheSize ? `, ${t.cacheSize} frames` : ''}, on ${t.reference.join(',')})`;
}
