import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { beladyAnomaly, compress, countHits, nextUseIndex, parseAddresses, POLICIES, type PolicyError, policyName, runPolicy, sweep } from '../../app/common/policy/index.js';

const BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

describe('policy engine', () => {
  it("shows Belady's anomaly: FIFO gets 3 hits with 3 frames and 2 with 4", () => {
    expect(runPolicy({ policy: 'fifo', cacheSize: 3, addresses: BELADY }).totals).toEqual({ hits: 3, misses: 9, hitrate: 0.25 });
    expect(runPolicy({ policy: 'FIFO', cacheSize: 4, addresses: BELADY }).totals.hits).toBe(2);
    expect(beladyAnomaly(BELADY)).toEqual({ cacheSize: 3, hits: 3, hitsWithMore: 2 });
    expect(beladyAnomaly([0, 1, 2, 0, 1, 2])).toBeNull();
    // LRU is a stack algorithm: never fewer hits with more frames
    const rows = sweep({ policies: ['LRU', 'OPT'], addresses: BELADY, from: 1, to: 8 }).rows;
    for (let k = 1; k < rows.length; k++) expect(rows[k]!.hits.LRU).toBeGreaterThanOrEqual(rows[k - 1]!.hits.LRU!);
  });

  it('OPT bounds every policy: no policy gets more hits on any string', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (addrs, c, seed) => {
        const opt = runPolicy({ policy: 'OPT', cacheSize: c, addresses: addrs }).totals.hits;
        for (const p of POLICIES) expect(runPolicy({ policy: p, cacheSize: c, addresses: addrs, seed }).totals.hits).toBeLessThanOrEqual(opt);
        expect(runPolicy({ policy: 'UNOPT', cacheSize: c, addresses: addrs }).totals.hits).toBeLessThanOrEqual(runPolicy({ policy: 'LRU', cacheSize: c, addresses: addrs }).totals.hits + addrs.length);
      }),
      { numRuns: 150 },
    );
  });

  it('the fast path counts what the trace counts, for every policy, with or without a next-use index', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 3 }), (addrs, c, seed, bits) => {
        const { ids, pages } = compress(addrs);
        const nu = nextUseIndex(ids, pages);
        for (const p of POLICIES) {
          const traced = runPolicy({ policy: p, cacheSize: c, addresses: addrs, seed, clockbits: bits });
          expect(countHits(p, ids, pages, c, { seed, clockbits: bits })).toBe(traced.totals.hits);
          if (p === 'OPT' || p === 'UNOPT') expect(countHits(p, ids, pages, c, { nextUse: nu })).toBe(traced.totals.hits);
          // every access: the cache never exceeds its size, holds the page just accessed, and an evicted page is gone
          for (const a of traced.accesses) {
            expect(a.cache.length).toBeLessThanOrEqual(c);
            expect(a.cache).toContain(a.addr);
            if (a.evicted !== null) expect(a.cache).not.toContain(a.evicted);
            if (a.hit) expect(a.evicted).toBeNull();
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('pages need not be small: large page numbers are mapped to dense ids and back', () => {
    const big = BELADY.map((p) => p * 1_000_000_007);
    const r = runPolicy({ policy: 'LRU', cacheSize: 3, addresses: big });
    expect(r.accesses.at(-1)!.cache.every((p) => p % 1_000_000_007 === 0)).toBe(true);
    expect(r.totals.hits).toBe(runPolicy({ policy: 'LRU', cacheSize: 3, addresses: BELADY }).totals.hits);
  });

  it('SECOND-CHANCE sweeps a hand, clearing use bits, and evicts the first clear one', () => {
    // 3 frames: 1 2 3 fill (bits set); 4: the hand clears 1,2,3, wraps, evicts 1; 2 hit (bit set); 5: hand at frame 1 (page 2, set) clears it, frame 2 (page 3, clear) goes
    const r = runPolicy({ policy: 'second-chance', cacheSize: 3, addresses: [1, 2, 3, 4, 2, 5] }, { explain: true });
    expect(r.accesses.map((a) => a.evicted)).toEqual([null, null, null, 1, null, 3]);
    expect(r.accesses.at(-1)!.cache).toEqual([4, 2, 5]);
    expect(r.accesses.at(-1)!.hand).toBe(0);
    expect(r.accesses[5]!.why).toMatch(/clears the use bits of 2/);
  });

  it('LFU evicts the fewest uses, ties to the least recently used', () => {
    const r = runPolicy({ policy: 'LFU', cacheSize: 2, addresses: [1, 1, 2, 3, 2, 4] });
    expect(r.accesses.map((a) => a.evicted)).toEqual([null, null, null, 2, 3, 2]);
  });

  it('LINUX: a page read once stays inactive; a second read activates it; reclaim takes the inactive tail', () => {
    const r = runPolicy({ policy: 'linux', cacheSize: 4, addresses: [1, 1, 2, 3, 4, 5] }, { explain: true });
    // 1 read twice: active. 2,3,4 inactive. 5: inactive (3) is not below active (1): the inactive tail 2 goes
    expect(r.accesses[1]!.lists).toEqual({ inactive: [], active: [1], referenced: [] });
    expect(r.accesses.at(-1)!.evicted).toBe(2);
    expect(r.accesses.at(-1)!.lists).toEqual({ inactive: [3, 4, 5], active: [1], referenced: [3, 4, 5] });
    expect(r.accesses[1]!.why).toMatch(/activates/);
    // the inactive list low: the active tail is deactivated first, then the inactive tail goes
    const d = runPolicy({ policy: 'linux', cacheSize: 2, addresses: [1, 1, 2, 2, 3] }, { explain: true });
    // 1 and 2 both active, the inactive list empty: 1 (the active tail) is deactivated and, now the inactive tail, reclaimed
    expect(d.accesses.at(-1)!.evicted).toBe(1);
    expect(d.accesses.at(-1)!.lists).toEqual({ inactive: [3], active: [2], referenced: [3] });
    expect(d.accesses.at(-1)!.why).toMatch(/shrink_active_list moved the active tail 1/);
  });

  it('LINUX resists a one-pass scan that flushes a hot set out of LRU', () => {
    // a hot set of 4 pages read twice, a 40-page scan read once, then the hot set again
    const hot = [1, 2, 3, 4];
    const scan = Array.from({ length: 40 }, (_, k) => 100 + k);
    const addrs = [...hot, ...hot, ...scan, ...hot];
    const tailHits = (p: string) => runPolicy({ policy: p, cacheSize: 10, addresses: addrs }).accesses.slice(-4).filter((a) => a.hit).length;
    expect(tailHits('LRU')).toBe(0);
    expect(tailHits('FIFO')).toBe(0);
    expect(tailHits('LINUX')).toBe(4);
  });

  it('names are case-insensitive and errors name the field', () => {
    expect(policyName('lru')).toBe('LRU');
    expect(policyName('Linux')).toBe('LINUX');
    expect(policyName('sc')).toBe('SECOND-CHANCE');
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as PolicyError;
      }
      throw new Error('no error');
    };
    expect(err(() => policyName('ARC')).message).toMatch(/unknown policy 'ARC'/);
    expect(err(() => runPolicy({ policy: 'FIFO', cacheSize: 0, addresses: [1] }))).toMatchObject({ field: 'cacheSize', message: expect.stringMatching(/holds nothing/) });
    expect(err(() => runPolicy({ policy: 'FIFO', cacheSize: 2, addresses: [] })).field).toBe('addresses');
    expect(err(() => runPolicy({ policy: 'FIFO', cacheSize: 2, numaddrs: 0 })).field).toBe('numaddrs');
    expect(err(() => runPolicy({ policy: 'FIFO', cacheSize: 2, addresses: [1], seed: '1.5' })).field).toBe('seed');
    expect(err(() => parseAddresses('1,2,x')).message).toMatch(/reference 3 \('x'\)/);
    expect(err(() => parseAddresses(' , ')).message).toMatch(/empty/);
    expect(parseAddresses('1, 2 3,4')).toEqual([1, 2, 3, 4]);
  });
});
