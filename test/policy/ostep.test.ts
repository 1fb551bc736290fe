/**
 * memlab's OSTEP policies against OSTEP's own answers: fixtures/ostep-paging-policy.json holds
 * the outputs of ostep-homework's vm-beyondphys-policy/paging-policy.py run unchanged under
 * python3 (-c, every access traced) over seeds (negative and beyond 64 bits too), drawn and given
 * strings, cache sizes 1–8, clock bits 0–3 and all seven policies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OSTEP_POLICIES, runPolicy } from '../../app/common/policy/index.js';

interface Case {
  argv: string;
  policy: string;
  cacheSize: number;
  addresses?: number[];
  numaddrs?: number;
  maxpage?: number;
  seed: string;
  clockbits: number;
  accesses: Array<{ addr: number; hit: boolean; evicted: number | null; cache: number[] }>;
  totals: { hits: number; misses: number; hitratePercent: string };
}

const { cases } = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/ostep-paging-policy.json'), 'utf8')) as { cases: Case[] };

describe('OSTEP paging-policy.py fixtures', () => {
  it('cover at least 150 runs, every policy, cache sizes 1–8, clock bits 0–3, drawn and given strings, odd seeds', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(new Set(cases.map((c) => c.policy))).toEqual(new Set(OSTEP_POLICIES));
    expect(new Set(cases.map((c) => c.cacheSize))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(new Set(cases.filter((c) => c.policy === 'CLOCK').map((c) => c.clockbits))).toEqual(new Set([0, 1, 2, 3]));
    expect(cases.some((c) => c.addresses) && cases.some((c) => c.numaddrs)).toBe(true);
    expect(cases.some((c) => BigInt(c.seed) < 0n) && cases.some((c) => BigInt(c.seed) >= 2n ** 64n)).toBe(true);
    // the fixtures exercise evictions, not only cold misses
    expect(cases.filter((c) => c.accesses.some((a) => a.evicted !== null)).length).toBeGreaterThan(120);
  });

  it.each(cases.map((c) => [c.argv, c] as const))('paging-policy.py -c %s', (_argv, c) => {
    const run = runPolicy({ policy: c.policy, cacheSize: c.cacheSize, addresses: c.addresses, numaddrs: c.numaddrs, maxpage: c.maxpage, seed: c.seed, clockbits: c.clockbits });
    expect(run.accesses.length).toBe(c.accesses.length);
    // access by access: the page, hit or miss, the victim and the memory list after it
    for (let k = 0; k < c.accesses.length; k++) expect(run.accesses[k], `access ${k + 1}`).toEqual(c.accesses[k]);
    expect(run.totals.hits).toBe(c.totals.hits);
    expect(run.totals.misses).toBe(c.totals.misses);
    expect((run.totals.hitrate * 100).toFixed(2)).toBe(c.totals.hitratePercent);
  });
});
