/**
 * Page replacement over a 1,000,000-reference string (OSTEP's generator: 1,000,000 pages drawn
 * below 5,000, seed 0) with 1,000 frames: each policy's time as a ratio to a plain loop over the
 * same string, the two taking turns in this run (the loop reads every reference and counts it
 * into a per-page table, the least any policy must do). OPT runs on a precomputed next-use index.
 * OSTEP's CLOCK draws two 32-bit Mersenne Twister outputs (random()) for every frame it probes,
 * as CPython does: the row "CLOCK's draws alone" times just those draws, the floor under CLOCK's
 * ratio. SECOND-CHANCE is the sweeping-hand clock. The policies are timed as they ship: bundled
 * as the lab's worker is (bench/_shipped.ts), the plain loop compiled here.
 */
import type * as PolicyModule from '../app/common/policy/index.js';
import type { PolicyName } from '../app/common/policy/index.js';
import { shipped } from './_shipped.js';
import type { BenchRow } from './types.js';

// the policies timed as they ship in the lab's worker bundle (bench/_shipped.ts), not as tsx
// transforms them file by file
const { compress, countHits, generateAddresses, nextUseIndex, POLICIES, PyRandom } = await shipped<typeof PolicyModule>({
  'app/common/policy/index.ts': ['compress', 'countHits', 'generateAddresses', 'nextUseIndex', 'POLICIES', 'PyRandom'],
});

const REFS = 1_000_000;
const MAXPAGE = 5_000;
const FRAMES = 1_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Median time of one call in ms, each sample `reps` calls long (so a 1 ms loop is timed over 25 ms).
 * Wall time: the process's CPU time (process.cpuUsage) also counts V8's compiler and GC threads,
 * and a 1 ms busy loop read 0.95 to 3.5 ms of it here; the turns with the plain loop are what keep
 * a busy machine from favouring either side.
 */
function time(n: number, fn: () => unknown, reps = 1): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    for (let r = 0; r < reps; r++) fn();
    xs.push((performance.now() - t) / reps);
  }
  return median(xs);
}

export async function run(): Promise<BenchRow[]> {
  const { ids, pages } = compress(Int32Array.from(generateAddresses(REFS, MAXPAGE, new PyRandom(0))));
  // the plain loop: every reference read and counted
  let sink = 0;
  const plain = time(9, () => {
    const seen = new Int32Array(pages);
    for (let i = 0; i < ids.length; i++) seen[ids[i]!]!++;
    sink += seen[0]!;
  }, 25);
  const rows: BenchRow[] = [{ group: 'policy', name: `plain loop over ${REFS.toLocaleString('en')} references (${MAXPAGE} pages)`, value: plain, unit: 'ms' }];
  const indexTime = time(5, () => nextUseIndex(ids, pages));
  const nextUse = nextUseIndex(ids, pages);
  rows.push({ group: 'policy', name: 'OPT/UNOPT next-use index (one backward pass)', value: indexTime, unit: 'ms', ratio: { value: indexTime / plain, against: 'the plain loop' } });
  const TARGET: Partial<Record<PolicyName, number>> = { FIFO: 20, LRU: 20, CLOCK: 20, 'SECOND-CHANCE': 20 };
  const loop = () => {
    const seen = new Int32Array(pages);
    for (let i = 0; i < ids.length; i++) seen[ids[i]!]!++;
    sink += seen[0]!;
  };
  for (const p of POLICIES) {
    let hits = 0;
    // the plain loop and the policy take turns, so a busy machine slows both alike
    const mine: number[] = [];
    const base: number[] = [];
    const rounds = p === 'LFU' ? 3 : 7;
    for (let k = 0; k < rounds; k++) {
      base.push(time(1, loop, 25));
      mine.push(time(1, () => (hits = countHits(p, ids, pages, FRAMES, { nextUse, seed: 0 }))));
    }
    const t = median(mine);
    const r = t / median(base);
    const target = TARGET[p];
    rows.push({
      group: 'policy',
      name: `${p} over ${REFS.toLocaleString('en')} references, ${FRAMES} frames (${((hits / REFS) * 100).toFixed(1)}% hits)`,
      value: t,
      unit: 'ms',
      ratio: { value: r, against: 'the plain loop' },
      ...(target ? { target: { text: `within ${target}x of the plain loop`, met: r <= target } } : {}),
      ...(p === 'OPT' ? { note: 'with the precomputed next-use index (a heap keyed by next use), not a rescan per eviction' } : {}),
    });
  }
  // CLOCK's floor: the random() calls its probes make, counted after the timed runs (a counting
  // generator there would slow the timed calls it shares a call site with), then timed alone
  class Counting extends PyRandom {
    draws = 0;
    override random(): number {
      this.draws++;
      return super.random();
    }
  }
  const counter = new Counting(0);
  countHits('CLOCK', ids, pages, FRAMES, { rng: counter });
  const draws = counter.draws;
  const rng = new PyRandom(0);
  // the sum in a local: a running sum in the closure's captured variable is a heap number
  // written back on every draw, and that allocation is not CLOCK's
  const drawAll = () => {
    let a = 0;
    for (let d = 0; d < draws; d++) a += rng.random();
    return a;
  };
  let acc = 0;
  const mine: number[] = [];
  const base: number[] = [];
  for (let k = 0; k < 7; k++) {
    base.push(time(1, loop, 25));
    mine.push(
      time(1, () => {
        acc += drawAll();
      }),
    );
  }
  if (acc < 0) console.log(acc);
  rows.push({ group: 'policy', name: `CLOCK's draws alone: ${draws.toLocaleString('en')} random() (2 MT19937 outputs each), the floor under CLOCK`, value: median(mine), unit: 'ms', ratio: { value: median(mine) / median(base), against: 'the plain loop' } });
  if (sink < 0) console.log(sink);
  return rows;
}
