/**
 * Running a page-replacement policy over a reference string: OSTEP's flow (seed, draw the
 * addresses if none are given, then the policy's own draws continue the same stream), a trace of
 * every access (hit, victim, the cache after it, why), totals, and sweeps over cache sizes.
 */
import { TwoList } from './linux.js';
import { Belady, Fifo, FILLED, HIT, Lfu, OstepClock, Random, Recency, SecondChance, type Replacer, type ReplacerInput } from './policies.js';
import { parseSeed, PyRandom } from './random.js';

/** OSTEP's seven, in its order, then memlab's. */
export const OSTEP_POLICIES = ['FIFO', 'LRU', 'MRU', 'OPT', 'UNOPT', 'RAND', 'CLOCK'] as const;
export const POLICIES = [...OSTEP_POLICIES, 'SECOND-CHANCE', 'LFU', 'LINUX'] as const;
export type PolicyName = (typeof POLICIES)[number];

export const POLICY_DOCS: Record<PolicyName, string> = {
  FIFO: 'first in, first out: the page that came in first goes',
  LRU: 'least recently used goes',
  MRU: 'most recently used goes',
  OPT: "Belady's optimal: the page used furthest in the future goes (looks ahead)",
  UNOPT: 'the worst: the page used soonest goes (looks ahead)',
  RAND: 'a random page goes (random() from the seed)',
  CLOCK: "OSTEP's clock: random probes, per-page counters up to --clockbits",
  'SECOND-CHANCE': 'the textbook clock: a hand sweeps the frames, clearing use bits, until one is clear',
  LFU: 'least frequently used since it came in goes (ties: least recently used)',
  LINUX: "Linux's active/inactive lists (folio_mark_accessed, shrink_active_list, shrink_folio_list)",
};

/** Limits on what one request may ask for. */
export const LIMITS = { maxCache: 1_000_000, maxRefs: 2_000_000, maxClockbits: 64 } as const;

export class PolicyError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

/** A policy name, any case; `second`, `sc` and `2nd-chance` name SECOND-CHANCE. */
export function policyName(text: string): PolicyName {
  const t = text.trim().toUpperCase().replace(/_/g, '-');
  if ((POLICIES as readonly string[]).includes(t)) return t as PolicyName;
  if (['SECOND', 'SC', '2ND-CHANCE', 'SECONDCHANCE'].includes(t)) return 'SECOND-CHANCE';
  throw new PolicyError('policy', `unknown policy '${text}': one of ${POLICIES.join(', ')} (any case)`);
}

/** Read "0,1,2,0" (commas and/or spaces) into page numbers, naming the bad item. */
export function parseAddresses(text: string): number[] {
  const items = text.split(/[\s,]+/).filter((s) => s !== '');
  if (items.length === 0) throw new PolicyError('addresses', 'the reference string is empty: give pages like 0,1,2,0');
  if (items.length > LIMITS.maxRefs) throw new PolicyError('addresses', `at most ${LIMITS.maxRefs} references`);
  return items.map((s, k) => {
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new PolicyError('addresses', `reference ${k + 1} ('${s}') is not a page number (a whole number ≥ 0)`);
    return Number(s);
  });
}

/** OSTEP's generator: numaddrs draws of int(maxpage * random()). */
export function generateAddresses(numaddrs: number, maxpage: number, rng: PyRandom): number[] {
  const out = new Array<number>(numaddrs);
  for (let k = 0; k < numaddrs; k++) out[k] = Math.floor(maxpage * rng.random());
  return out;
}

/** Dense ids for the pages: identity when they are small whole numbers, else by first appearance. */
export function compress(addresses: ArrayLike<number>): { ids: Int32Array; pages: number; name: (id: number) => number } {
  const n = addresses.length;
  let max = -1;
  let small = true;
  for (let k = 0; k < n; k++) {
    const a = addresses[k]!;
    if (!(a >= 0 && a < 1 << 22 && (a | 0) === a)) {
      small = false;
      break;
    }
    if (a > max) max = a;
  }
  if (small) {
    const ids = addresses instanceof Int32Array ? addresses : Int32Array.from(addresses);
    return { ids, pages: max + 1, name: (id) => id };
  }
  const map = new Map<number, number>();
  const names: number[] = [];
  const ids = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const a = addresses[k]!;
    let id = map.get(a);
    if (id === undefined) {
      id = names.length;
      map.set(a, id);
      names.push(a);
    }
    ids[k] = id;
  }
  return { ids, pages: names.length, name: (id) => names[id]! };
}

/** nextUse[i]: the index of the next reference to the same page after i, or n for never. */
export function nextUseIndex(ids: Int32Array, pages: number): Int32Array {
  const n = ids.length;
  const next = new Int32Array(n);
  const last = new Int32Array(pages).fill(n);
  for (let k = n - 1; k >= 0; k--) {
    const p = ids[k]!;
    next[k] = last[p]!;
    last[p] = k;
  }
  return next;
}

export function makeReplacer(policy: PolicyName, input: ReplacerInput): Replacer {
  switch (policy) {
    case 'FIFO':
      return new Fifo(input);
    case 'LRU':
      return new Recency(input, false);
    case 'MRU':
      return new Recency(input, true);
    case 'OPT':
    case 'UNOPT':
      return new Belady({ ...input, nextUse: input.nextUse ?? nextUseIndex(input.ids, input.pages) }, policy === 'UNOPT');
    case 'RAND':
      return new Random(input);
    case 'CLOCK':
      return new OstepClock(input);
    case 'SECOND-CHANCE':
      return new SecondChance(input);
    case 'LFU':
      return new Lfu(input);
    case 'LINUX':
      return new TwoList(input);
  }
}

export interface PolicyAccess {
  addr: number;
  hit: boolean;
  /** the page this access replaced, null on a hit or a free frame */
  evicted: number | null;
  /** the cache after the access, in the policy's order (FIFO: arrival; LRU/MRU: least to most recent) */
  cache: number[];
}

export interface ExplainedAccess extends PolicyAccess {
  why: string;
  /** per page in `cache`: what the policy knows of it */
  notes?: Record<string, string>;
  /** SECOND-CHANCE: the index in `cache` the hand points at */
  hand?: number;
  /** LINUX: the two lists, tail (reclaimed next) to head, and the referenced pages */
  lists?: { inactive: number[]; active: number[]; referenced: number[] };
}

export interface Totals {
  hits: number;
  misses: number;
  /** hits / references, rounded to 4 places */
  hitrate: number;
}

export interface PolicyRequest {
  policy: string;
  cacheSize: number;
  /** the reference string; absent: OSTEP draws numaddrs pages below maxpage from the seed */
  addresses?: number[];
  numaddrs?: number;
  maxpage?: number;
  /** a whole number (any size, negative allowed) as random.seed takes it; default 0 as OSTEP's */
  seed?: string | number;
  /** OSTEP's CLOCK counter limit; default 2 as OSTEP's */
  clockbits?: number;
}

export interface PolicyRun<A extends PolicyAccess = PolicyAccess> {
  policy: PolicyName;
  cacheSize: number;
  addresses: number[];
  accesses: A[];
  totals: Totals;
}

const whole = (field: string, v: unknown, min: number, max: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new PolicyError(field, `${field} must be a whole number, not ${JSON.stringify(v)}`);
  if (v < min || v > max) throw new PolicyError(field, `${field} must be between ${min} and ${max}, not ${v}${field === 'cacheSize' && v === 0 ? ' (a cache of 0 pages holds nothing)' : ''}`);
  return v;
};

export const totalsOf = (hits: number, refs: number): Totals => ({ hits, misses: refs - hits, hitrate: refs ? Math.round((hits / refs) * 10000) / 10000 : 0 });

/** Validate a request and set up the stream and the reference string as OSTEP does. */
export function prepare(req: PolicyRequest): { policy: PolicyName; cacheSize: number; clockbits: number; addresses: number[]; rng: PyRandom } {
  const policy = policyName(req.policy);
  const cacheSize = whole('cacheSize', req.cacheSize, 1, LIMITS.maxCache);
  const clockbits = whole('clockbits', req.clockbits ?? 2, 0, LIMITS.maxClockbits);
  let rng: PyRandom;
  try {
    rng = new PyRandom(parseSeed(req.seed ?? 0));
  } catch (err) {
    throw new PolicyError('seed', (err as Error).message);
  }
  let addresses: number[];
  if (req.addresses) {
    if (req.addresses.length === 0) throw new PolicyError('addresses', 'the reference string is empty: give pages like 0,1,2,0');
    if (req.addresses.length > LIMITS.maxRefs) throw new PolicyError('addresses', `at most ${LIMITS.maxRefs} references`);
    req.addresses.forEach((a, k) => {
      if (!Number.isSafeInteger(a) || a < 0) throw new PolicyError('addresses', `reference ${k + 1} (${a}) is not a page number (a whole number ≥ 0)`);
    });
    addresses = req.addresses;
  } else {
    const numaddrs = whole('numaddrs', req.numaddrs ?? 10, 1, LIMITS.maxRefs);
    const maxpage = whole('maxpage', req.maxpage ?? 10, 1, 2 ** 31 - 1);
    addresses = generateAddresses(numaddrs, maxpage, rng);
  }
  return { policy, cacheSize, clockbits, addresses, rng };
}

/** Run one policy with a trace of every access; `explain` adds why, notes and lists. */
export function runPolicy(req: PolicyRequest, opts: { explain: true }): PolicyRun<ExplainedAccess>;
export function runPolicy(req: PolicyRequest, opts?: { explain?: boolean }): PolicyRun;
export function runPolicy(req: PolicyRequest, opts: { explain?: boolean } = {}): PolicyRun | PolicyRun<ExplainedAccess> {
  const { policy, cacheSize, clockbits, addresses, rng } = prepare(req);
  const { ids, pages, name } = compress(addresses);
  const r = makeReplacer(policy, { ids, pages, cacheSize, clockbits, rng });
  const accesses: ExplainedAccess[] = [];
  const label = (id: number) => String(name(id));
  let hits = 0;
  for (let i = 0; i < ids.length; i++) {
    const res = r.access(i);
    if (res === HIT) hits++;
    const order = r.order();
    const a: ExplainedAccess = { addr: addresses[i]!, hit: res === HIT, evicted: res === HIT || res === FILLED ? null : name(res), cache: order.map(name) } as ExplainedAccess;
    if (opts.explain) {
      const e = r.explain(i, res, label);
      a.why = e.why;
      if (e.notes) a.notes = Object.fromEntries([...e.notes].map(([p, s]) => [String(name(p)), s]));
      if (e.hand !== undefined) a.hand = e.hand;
      if (r instanceof TwoList) {
        const l = r.lists();
        a.lists = { inactive: l.inactive.map(name), active: l.active.map(name), referenced: order.filter((p) => r.isReferenced(p)).map(name) };
      }
    }
    accesses.push(a);
  }
  return { policy, cacheSize, addresses, accesses, totals: totalsOf(hits, ids.length) };
}

/**
 * Hits only, no trace: the fast path for sweeps and the bench. `ids` are dense page ids below
 * `pages`; OPT and UNOPT take a precomputed next-use index when given one.
 */
export function countHits(policy: PolicyName, ids: Int32Array, pages: number, cacheSize: number, opts: { seed?: string | number; clockbits?: number; nextUse?: Int32Array; rng?: PyRandom } = {}): number {
  const rng = opts.rng ?? new PyRandom(parseSeed(opts.seed ?? 0));
  const r = makeReplacer(policy, { ids, pages, cacheSize, clockbits: opts.clockbits ?? 2, rng, nextUse: opts.nextUse });
  return r.countAll();
}

export interface SweepRow {
  cacheSize: number;
  hits: Record<string, number>;
  hitrate: Record<string, number>;
}

/**
 * Hit rate against cache size for several policies on one string. Each run starts its stream
 * where OSTEP's would: seeded, after drawing the addresses when they were drawn.
 */
export function sweep(req: Omit<PolicyRequest, 'policy' | 'cacheSize'> & { policies: string[]; from: number; to: number }): { addresses: number[]; rows: SweepRow[] } {
  const from = whole('from', req.from, 1, LIMITS.maxCache);
  const to = whole('to', req.to, from, Math.min(LIMITS.maxCache, from + 4095));
  const names = req.policies.map(policyName);
  if (names.length === 0) throw new PolicyError('policy', 'name at least one policy');
  const base = prepare({ ...req, policy: names[0]!, cacheSize: from });
  const { ids, pages } = compress(base.addresses);
  const nextUse = names.some((p) => p === 'OPT' || p === 'UNOPT') ? nextUseIndex(ids, pages) : undefined;
  const rows: SweepRow[] = [];
  for (let c = from; c <= to; c++) {
    const row: SweepRow = { cacheSize: c, hits: {}, hitrate: {} };
    for (const p of names) {
      // the same stream position as a fresh `memlab policy` run of this size
      const rng = prepare({ ...req, policy: p, cacheSize: c }).rng;
      const h = countHits(p, ids, pages, c, { clockbits: base.clockbits, nextUse, rng });
      row.hits[p] = h;
      row.hitrate[p] = totalsOf(h, ids.length).hitrate;
    }
    rows.push(row);
  }
  return { addresses: base.addresses, rows };
}

export interface Anomaly {
  policy: string;
  /** c frames gave `hits`, c + 1 frames only `hitsWithMore` */
  cacheSize: number;
  hits: number;
  hitsWithMore: number;
}

/** Every Belady anomaly in a sweep: a policy that gets fewer hits with one frame more (the view and `memlab policy --sweep` say each). */
export function sweepAnomalies(rows: readonly SweepRow[]): Anomaly[] {
  const out: Anomaly[] = [];
  if (rows.length === 0) return out;
  for (const name of Object.keys(rows[0]!.hits))
    for (let k = 1; k < rows.length; k++) {
      const a = rows[k - 1]!;
      const b = rows[k]!;
      if (b.hits[name]! < a.hits[name]!) out.push({ policy: name, cacheSize: a.cacheSize, hits: a.hits[name]!, hitsWithMore: b.hits[name]! });
    }
  return out;
}

/** The smallest cache size c in [from, to) where FIFO gets fewer hits with c+1 frames than with c (Belady's anomaly), or null. */
export function beladyAnomaly(addresses: number[], from = 1, to = 8): { cacheSize: number; hits: number; hitsWithMore: number } | null {
  const { ids, pages } = compress(addresses);
  let prev = countHits('FIFO', ids, pages, from);
  for (let c = from; c < to; c++) {
    const h = countHits('FIFO', ids, pages, c + 1);
    if (h < prev) return { cacheSize: c, hits: prev, hitsWithMore: h };
    prev = h;
  }
  return null;
}
