/**
 * The fast structures against the plain lists they stand for: OSTEP's memory list (a Python
 * list: memory[k], memory.pop(k), append) both as a flat window and as a Fenwick tree, and RAND,
 * CLOCK and LFU over caches on both sides of FLAT_LIST_MAX against a model written the slow,
 * obvious way (arrays, splice, a scan for the victim).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, countHits, makeReplacer, nextUseIndex, POLICIES, PyRandom, runPolicy } from '../../app/common/policy/index.js';
import { FILLED, HIT } from '../../app/common/policy/policies.js';
import { FLAT_LIST_MAX, FlatList, TreeList } from '../../app/common/policy/lists.js';

/** OSTEP's RAND and CLOCK and memlab's LFU with a plain array as the memory list */
function model(policy: 'RAND' | 'CLOCK' | 'LFU', addrs: number[], c: number, seed: number, bits: number): { hits: number; victims: Array<number | null>; final: number[] } {
  const rng = new PyRandom(seed);
  const mem: number[] = [];
  const ref = new Map<number, number>();
  const uses = new Map<number, number>();
  const last = new Map<number, number>();
  const resident = new Set<number>();
  const victims: Array<number | null> = [];
  let hits = 0;
  addrs.forEach((n, i) => {
    let victim: number | null = null;
    if (resident.has(n)) {
      hits++;
      ref.set(n, Math.min(ref.get(n)! + 1, bits));
      uses.set(n, uses.get(n)! + 1);
    } else {
      if (mem.length === c) {
        if (policy === 'RAND') victim = mem.splice(Math.floor(rng.random() * c), 1)[0]!;
        else if (policy === 'CLOCK')
          for (;;) {
            const k = Math.floor(rng.random() * c);
            const page = mem[k]!;
            if (ref.get(page)! >= 1) ref.set(page, ref.get(page)! - 1);
            else {
              victim = mem.splice(k, 1)[0]!;
              break;
            }
          }
        else {
          let best = 0;
          for (let k = 1; k < mem.length; k++) {
            const a = mem[k]!;
            const b = mem[best]!;
            if (uses.get(a)! < uses.get(b)! || (uses.get(a) === uses.get(b) && last.get(a)! < last.get(b)!)) best = k;
          }
          victim = mem.splice(best, 1)[0]!;
        }
      }
      if (victim !== null) resident.delete(victim);
      mem.push(n);
      resident.add(n);
      ref.set(n, 1);
      uses.set(n, 1);
    }
    last.set(n, i);
    victims.push(victim);
  });
  return { hits, victims, final: mem };
}

describe('OSTEP memory list structures', () => {
  it.each([
    ['FlatList', (c: number) => new FlatList(c)],
    ['TreeList', (c: number) => new TreeList(c)],
  ] as const)('%s reads, pops and appends as a plain array does', (_name, make) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 600 }), (c, ops) => {
        const l = make(c);
        const a: number[] = [];
        let next = 0;
        // full first, as a cache is once it evicts: long shifts on either side
        for (; next < c; next++) {
          l.push(next);
          a.push(next);
        }
        for (const [k, pop] of ops) {
          if (a.length === c || (pop && a.length > 0)) {
            const at = k % a.length;
            expect(l.at(at)).toBe(a[at]);
            expect(l.removeAt(at)).toBe(a.splice(at, 1)[0]);
          } else {
            l.push(next);
            a.push(next++);
          }
          expect(l.size).toBe(a.length);
        }
        expect(l.pages()).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });
});

describe('RAND, CLOCK and LFU against the plain model', () => {
  it('small caches (the flat list): every victim and the final cache', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 3 }), (addrs, c, seed, bits) => {
        for (const p of ['RAND', 'CLOCK', 'LFU'] as const) {
          const want = model(p, addrs, c, seed, bits);
          const run = runPolicy({ policy: p, cacheSize: c, addresses: addrs, seed, clockbits: bits });
          expect(run.accesses.map((x) => x.evicted)).toEqual(want.victims);
          expect(run.accesses.at(-1)!.cache).toEqual(want.final);
          expect(run.totals.hits).toBe(want.hits);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('LFU when every resident page has been used again (ties above one use go to the least recently used)', () => {
    // a few more pages than frames: misses are rare, so the fewest uses is often 2 or more
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }).chain((c) => fc.tuple(fc.constant(c), fc.array(fc.integer({ min: 0, max: c }), { minLength: 1, maxLength: 200 }))), ([c, addrs]) => {
        const want = model('LFU', addrs, c, 0, 2);
        expect(runPolicy({ policy: 'LFU', cacheSize: c, addresses: addrs }).accesses.map((x) => x.evicted)).toEqual(want.victims);
      }),
      { numRuns: 150 },
    );
    expect(runPolicy({ policy: 'LFU', cacheSize: 2, addresses: [1, 2, 1, 2, 3] }).accesses.at(-1)!.evicted).toBe(1);
  });

  it(`caches over ${FLAT_LIST_MAX} frames (the Fenwick tree): every victim, the final cache, the fast path's hits`, () => {
    const c = FLAT_LIST_MAX + 50;
    const rng = new PyRandom(7);
    const addrs = Array.from({ length: 12_000 }, () => Math.floor(rng.random() * (c + 600)));
    const { ids, pages } = compress(addrs);
    for (const p of ['RAND', 'CLOCK', 'LFU'] as const) {
      const want = model(p, addrs, c, 3, 2);
      expect(countHits(p, ids, pages, c, { seed: 3, clockbits: 2 }), p).toBe(want.hits);
      const r = makeReplacer(p, { ids, pages, cacheSize: c, clockbits: 2, rng: new PyRandom(3) });
      const victims = addrs.map((_, i) => {
        const res = r.access(i);
        return res === HIT || res === FILLED ? null : res;
      });
      // identity ids: the pages are small whole numbers
      expect(victims, p).toEqual(want.victims);
      expect(r.order(), p).toEqual(want.final);
    }
  });

  it('every policy\'s countAll() leaves the cache, its order and the stream where access() one by one leaves them', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 3 }), (addrs, c, bits) => {
        const { ids, pages } = compress(addrs);
        const nextUse = nextUseIndex(ids, pages);
        for (const p of POLICIES) {
          const fastRng = new PyRandom(9);
          const slowRng = new PyRandom(9);
          const fast = makeReplacer(p, { ids, pages, cacheSize: c, clockbits: bits, rng: fastRng, nextUse });
          const slow = makeReplacer(p, { ids, pages, cacheSize: c, clockbits: bits, rng: slowRng, nextUse });
          const hits = fast.countAll();
          let want = 0;
          for (let i = 0; i < ids.length; i++) if (slow.access(i) === HIT) want++;
          expect(hits, p).toBe(want);
          expect(fast.order(), p).toEqual(slow.order());
          expect(fastRng.random(), p).toBe(slowRng.random());
        }
      }),
      { numRuns: 120 },
    );
  });

  it("CLOCK's one-loop fast path draws what access() draws, from either parity of the stream, across many twists", () => {
    // a stream one word in (odd) makes one random() in every two states straddle a twist
    const rng = new PyRandom(11);
    const addrs = Array.from({ length: 20_000 }, () => Math.floor(rng.random() * 60));
    const { ids, pages } = compress(addrs);
    for (const skip of [0, 1]) {
      for (const bits of [0, 1, 3]) {
        const fast = new PyRandom(5);
        const slow = new PyRandom(5);
        for (let k = 0; k < skip; k++) {
          fast.uint32();
          slow.uint32();
        }
        const f = makeReplacer('CLOCK', { ids, pages, cacheSize: 12, clockbits: bits, rng: fast });
        const hits = f.countAll();
        const r = makeReplacer('CLOCK', { ids, pages, cacheSize: 12, clockbits: bits, rng: slow });
        let want = 0;
        for (let i = 0; i < ids.length; i++) if (r.access(i) === HIT) want++;
        expect(hits, `skip ${skip}, bits ${bits}`).toBe(want);
        if (skip === 0) expect(hits).toBe(model('CLOCK', addrs, 12, 5, bits).hits);
        // the memory list and the stream are left where access() leaves them
        expect(f.order()).toEqual(r.order());
        expect(fast.random()).toBe(slow.random());
      }
    }
  });
});
