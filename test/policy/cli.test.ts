/** `memlab policy`: JSON exactly as documented, tables, sweeps, and errors that exit 2. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../app/cli/main.js';
import { run } from '../../app/cli/policy.js';
import { runCli } from '../cli-capture.js';

const policy = (...args: string[]) => runCli(run, args);

const BELADY = '1,2,3,4,1,2,5,1,2,3,4,5';

describe('memlab policy', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints one JSON object: accesses with addr, hit, evicted, cache; totals with a fractional hit rate', async () => {
    const r = await policy('--policy', 'lru', '--cache-size', '3', '--addresses', '0,1,2,0,1,3,0,3,1,2,1', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['accesses', 'totals']);
    expect(j.accesses[0]).toEqual({ addr: 0, hit: false, evicted: null, cache: [0] });
    expect(Object.keys(j.accesses[5])).toEqual(['addr', 'hit', 'evicted', 'cache']);
    // LRU on OSTEP's example string: 6 hits of 11
    expect(j.totals).toEqual({ hits: 6, misses: 5, hitrate: 0.5455 });
    expect(j.accesses[5]).toEqual({ addr: 3, hit: false, evicted: 2, cache: [0, 1, 3] });
  });

  it('answers as OSTEP does for a drawn string with a negative seed, given as "--seed -N"', async () => {
    const { cases } = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/ostep-paging-policy.json'), 'utf8')) as { cases: Array<{ policy: string; numaddrs?: number; maxpage?: number; seed: string; cacheSize: number; clockbits: number; accesses: unknown[] }> };
    const c = cases.find((x) => x.policy === 'CLOCK' && x.numaddrs && BigInt(x.seed) < 0n && x.accesses.length > 10)!;
    const r = await policy('--policy', 'clock', '--cache-size', String(c.cacheSize), '--numaddrs', String(c.numaddrs), '--maxpage', String(c.maxpage), '--seed', c.seed, '--clockbits', String(c.clockbits), '--json');
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).accesses).toEqual(c.accesses);
  });

  it('--policy all puts every policy side by side; --sweep gives hit rate by cache size with the anomaly', async () => {
    const all = await policy('--policy', 'all', '--cache-size', '3', '--addresses', BELADY);
    expect(all.code).toBe(0);
    const head = all.out.split('\n')[1]!;
    for (const p of ['FIFO', 'LRU', 'MRU', 'OPT', 'UNOPT', 'RAND', 'CLOCK', 'SECOND-CHANCE', 'LFU', 'LINUX']) expect(head).toContain(p);
    expect(all.out).toMatch(/hits\s+3\s+2\s+5\s+5\s+0/);
    const j = JSON.parse((await policy('--policy', 'ALL', '--cache-size', '4', '--addresses', BELADY, '--json')).out);
    expect(j.policies.FIFO.totals.hits).toBe(2);
    expect(Object.keys(j.policies)).toHaveLength(10);
    const s = JSON.parse((await policy('--policy', 'fifo,opt', '--sweep', '1..8', '--addresses', BELADY, '--json')).out);
    expect(s.sweep.map((r: { hits: Record<string, number> }) => r.hits.FIFO)).toEqual([0, 0, 3, 2, 7, 7, 7, 7]);
    expect(s.sweep.every((r: { hits: Record<string, number> }) => r.hits.OPT! >= r.hits.FIFO!)).toBe(true);
    const t = await policy('--policy', 'fifo', '--sweep', '1..4', '--addresses', BELADY);
    expect(t.out).toMatch(/^3\s+25\.0% \(3\)$/m);
    expect(t.out).toMatch(/^4\s+16\.7% \(2\)$/m);
    // the anomaly said in words, as the Policies view says it, and in the JSON; none for OPT
    expect(t.out).toContain("Belady's anomaly: FIFO gets 3 hits with 3 frames but only 2 with 4");
    expect(s.anomalies).toEqual([{ policy: 'FIFO', cacheSize: 3, hits: 3, hitsWithMore: 2 }]);
    expect((await policy('--policy', 'lru', '--sweep', '1..8', '--addresses', BELADY)).out).not.toContain('anomaly');
  });

  it('--help prints the usage on stdout and exits 0; memlab lists the command', async () => {
    let listed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((listed += String(s)), true));
    expect(await main(['--help'])).toBe(0);
    expect(await main(['policy', '--help'])).toBe(0);
    vi.restoreAllMocks();
    expect(listed).toMatch(/^  policy +page replacement/m);
    expect(listed).toContain('memlab policy --policy P');
    const r = await policy('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^memlab policy --policy P --cache-size N/);
    expect(r.out).toContain('SECOND-CHANCE');
    expect(r.err).toBe('');
  });

  it.each([
    [['--policy', 'fifo', '--cache-size', '0', '--addresses', '1,2'], /--cache-size must be between 1 and .*holds nothing/],
    [['--policy', 'fifo', '--cache-size', '3', '--addresses', ''], /reference string is empty/],
    [['--policy', 'fifo', '--cache-size', '3', '--addresses', '1,x'], /reference 2 \('x'\)/],
    [['--policy', 'arc', '--cache-size', '3', '--addresses', '1'], /unknown policy 'arc'/],
    [['--policy', 'fifo', '--cache-size', '3', '--numaddrs', '0'], /--numaddrs must be between 1/],
    [['--policy', 'fifo', '--cache-size', 'three', '--addresses', '1'], /--cache-size must be a whole number, not 'three'/],
    [['--policy', 'fifo', '--cache-size', '3', '--seed', '1e3'], /seed is a whole number/],
    [['--policy', 'fifo', '--addresses', '1'], /--cache-size is required/],
    [['--cache-size', '2'], /--policy is required/],
    [['--policy', 'fifo', '--sweep', 'x', '--addresses', '1'], /--sweep is a range/],
    [['--policy', 'fifo', '--cache-size', '3', '--addresses', '1', '--numaddrs', '4'], /not both/],
    [['--policy', 'fifo', '--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with a clear message: %j', async (args, msg) => {
    const r = await policy(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.out).toBe('');
  });
});
