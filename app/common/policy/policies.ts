/**
 * Page-replacement policies over a reference string, one replacer per policy.
 *
 * The seven OSTEP policies (FIFO, LRU, MRU, OPT, UNOPT, RAND, CLOCK) compute exactly what OSTEP's
 * `vm-beyondphys-policy/paging-policy.py` computes under python3 — the same hits, victims and
 * memory-list order, the same draws from CPython's random (random.ts) — so a course can switch
 * without changing its answers (test/policy/ostep.test.ts holds the script's own outputs).
 * SECOND-CHANCE (the textbook clock with a sweeping hand), LFU and LINUX (linux.ts) are memlab's.
 *
 * Replacers work on dense page ids (0..U-1, see compress in engine.ts) held in typed arrays and
 * O(1) or amortised structures (lists.ts), so a million references take milliseconds
 * (bench/policy.ts); `order()` and `explain()` are for traces only.
 */
import { arrivalList, FlatList, Lists, type ArrivalList } from './lists.js';
import { PyRandom, RNG_WORDS } from './random.js';

/** What a replacer reports for one access: a hit, a fault into a free frame, or the victim's id. */
export const HIT = -2;
export const FILLED = -1;

export interface Explained {
  /** one sentence: why this victim (or why nothing was evicted) */
  why: string;
  /** per resident page (dense id): what the policy knows of it (next use, bits, list) */
  notes?: Map<number, string>;
  /** the index in order() the clock hand points at, for hand clocks */
  hand?: number;
}

export interface Replacer {
  /** access the reference at index i (page ids[i]); returns HIT, FILLED or the victim's id */
  access(i: number): number;
  /** access every reference in turn; the number of hits (no trace, nothing recorded for explain) */
  countAll(): number;
  /** resident pages in the policy's own order (OSTEP's memory list where OSTEP has one) */
  order(): number[];
  /** why the last access did what it did; `name` turns a dense id into the page number */
  explain(i: number, result: number, name: (id: number) => string): Explained;
}

export interface ReplacerInput {
  /** dense page ids, one per reference */
  ids: Int32Array;
  /** number of distinct pages (ids are 0..pages-1) */
  pages: number;
  cacheSize: number;
  /** OSTEP's CLOCK: the most a page's counter may hold */
  clockbits: number;
  /** the stream OSTEP's RAND and CLOCK draw from, after the addresses were drawn */
  rng: PyRandom;
  /** OPT/UNOPT: nextUse[i] is the index of the next reference to ids[i], or ids.length for never */
  nextUse?: Int32Array;
}

const never = (n: number, at: number) => (at >= n ? 'never used again' : `next used at access ${at + 1}`);

/** What every replacer shares: its input, the hits-only loop, and whether to keep what explain() needs. */
export abstract class Policy implements Replacer {
  /** keep what explain() reads (probes, cleared bits); the fast path turns it off */
  protected record = true;
  constructor(protected readonly in_: ReplacerInput) {}
  abstract access(i: number): number;
  abstract order(): number[];
  abstract explain(i: number, result: number, name: (id: number) => string): Explained;
  countAll(): number {
    this.record = false;
    let hits = 0;
    for (let i = 0, n = this.in_.ids.length; i < n; i++) if (this.access(i) === HIT) hits++;
    return hits;
  }
}

/** FIFO: a ring of frames in arrival order; the oldest arrival goes. */
export class Fifo extends Policy {
  private readonly ring: Int32Array;
  private readonly resident: Uint8Array;
  private head = 0;
  private count = 0;
  constructor(in_: ReplacerInput) {
    super(in_);
    this.ring = new Int32Array(in_.cacheSize);
    this.resident = new Uint8Array(in_.pages);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    if (this.resident[p]) return HIT;
    const c = this.ring.length;
    this.resident[p] = 1;
    if (this.count < c) {
      let slot = this.head + this.count++;
      if (slot >= c) slot -= c;
      this.ring[slot] = p;
      return FILLED;
    }
    const victim = this.ring[this.head]!;
    this.resident[victim] = 0;
    this.ring[this.head] = p;
    if (++this.head === c) this.head = 0;
    return victim;
  }
  order(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.count; k++) out.push(this.ring[(this.head + k) % this.ring.length]!);
    return out;
  }
  explain(_i: number, r: number, name: (id: number) => string): Explained {
    if (r === HIT) return { why: 'hit: FIFO does not reorder on a hit' };
    if (r === FILLED) return { why: 'fault: a free frame takes it, at the tail of the queue' };
    return { why: `fault: the cache is full; FIFO evicts ${name(r)}, the page that came in first (the head of the queue)` };
  }
}

/** LRU and MRU: one recency list over page ids, least recently used first (OSTEP's memory list). */
export class Recency extends Policy {
  private readonly list: Lists;
  private readonly resident: Uint8Array;
  private readonly lastUse: Int32Array;
  private count = 0;
  constructor(
    in_: ReplacerInput,
    private readonly mru: boolean,
  ) {
    super(in_);
    this.list = new Lists(in_.pages, 1);
    this.resident = new Uint8Array(in_.pages);
    this.lastUse = new Int32Array(in_.pages);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    const list = this.list;
    this.lastUse[p] = i;
    if (this.resident[p]) {
      list.unlink(p);
      list.pushLast(0, p);
      return HIT;
    }
    let victim = FILLED;
    if (this.count === this.in_.cacheSize) {
      victim = this.mru ? list.last(0) : list.first(0);
      list.unlink(victim);
      this.resident[victim] = 0;
    } else this.count++;
    this.resident[p] = 1;
    list.pushLast(0, p);
    return victim;
  }
  order(): number[] {
    return this.list.toArray(0);
  }
  explain(i: number, r: number, name: (id: number) => string): Explained {
    const notes = new Map<number, string>();
    for (const p of this.order()) notes.set(p, `last used at access ${this.lastUse[p]! + 1}`);
    const label = this.mru ? 'MRU' : 'LRU';
    if (r === HIT) return { why: `hit: ${name(this.in_.ids[i]!)} moves to the most-recently-used end`, notes };
    if (r === FILLED) return { why: 'fault: a free frame takes it, at the most-recently-used end', notes };
    return {
      why: this.mru
        ? `fault: the cache is full; ${label} evicts ${name(r)}, the most recently used page`
        : `fault: the cache is full; ${label} evicts ${name(r)}, the least recently used page`,
      notes,
    };
  }
}

/**
 * OPT and UNOPT with a next-use index: each resident page's key is (its next use, its arrival),
 * kept in a heap with lazy deletion. OPT evicts the largest key (furthest next use; among pages
 * never used again, the rightmost of OSTEP's list, which for OPT is the latest arrival); UNOPT
 * the smallest (soonest next use; among ties the leftmost, the earliest arrival).
 */
export class Belady extends Policy {
  private readonly key: Float64Array;
  private readonly seq: Int32Array;
  private heapKey: Float64Array;
  private heapPage: Int32Array;
  private size = 0;
  private count = 0;
  private arrivals = 0;
  private readonly scale: number;
  private readonly sign: number;
  constructor(
    in_: ReplacerInput,
    private readonly worst: boolean,
  ) {
    super(in_);
    this.key = new Float64Array(in_.pages).fill(-1);
    this.seq = new Int32Array(in_.pages);
    this.heapKey = new Float64Array(Math.max(16, in_.cacheSize * 4));
    this.heapPage = new Int32Array(this.heapKey.length);
    this.scale = in_.ids.length + 1;
    // the heap is a max-heap over sign * key: UNOPT flips the sign
    this.sign = worst ? -1 : 1;
  }
  private push(k: number, p: number): void {
    if (this.size === this.heapKey.length) this.compact();
    if (this.size === this.heapKey.length) {
      const hk = new Float64Array(this.heapKey.length * 2);
      hk.set(this.heapKey);
      const hp = new Int32Array(hk.length);
      hp.set(this.heapPage);
      this.heapKey = hk;
      this.heapPage = hp;
    }
    const hk = this.heapKey;
    const hp = this.heapPage;
    let j = this.size++;
    const v = this.sign * k;
    while (j > 0) {
      const up = (j - 1) >> 1;
      if (hk[up]! >= v) break;
      hk[j] = hk[up]!;
      hp[j] = hp[up]!;
      j = up;
    }
    hk[j] = v;
    hp[j] = p;
  }
  private pop(): void {
    const hk = this.heapKey;
    const hp = this.heapPage;
    const n = --this.size;
    const v = hk[n]!;
    const p = hp[n]!;
    let j = 0;
    for (;;) {
      let c = 2 * j + 1;
      if (c >= n) break;
      if (c + 1 < n && hk[c + 1]! > hk[c]!) c++;
      if (hk[c]! <= v) break;
      hk[j] = hk[c]!;
      hp[j] = hp[c]!;
      j = c;
    }
    hk[j] = v;
    hp[j] = p;
  }
  /** drop stale entries by rebuilding the heap from the resident pages */
  private compact(): void {
    const live: Array<[number, number]> = [];
    for (let j = 0; j < this.size; j++) {
      const p = this.heapPage[j]!;
      if (this.sign * this.key[p]! === this.heapKey[j]) live.push([this.key[p]!, p]);
    }
    this.size = 0;
    for (const [k, p] of live) this.push(k, p);
  }
  access(i: number): number {
    const ids = this.in_.ids;
    const p = ids[i]!;
    const k = this.in_.nextUse![i]! * this.scale;
    if (this.key[p]! >= 0) {
      // a hit: the page keeps its arrival, its next use moves on
      const nk = k + this.seq[p]!;
      this.key[p] = nk;
      this.push(nk, p);
      return HIT;
    }
    let victim = FILLED;
    if (this.count === this.in_.cacheSize) {
      for (;;) {
        const v = this.heapPage[0]!;
        const live = this.sign * this.key[v]! === this.heapKey[0];
        this.pop();
        if (live) {
          victim = v;
          break;
        }
      }
      this.key[victim] = -1;
    } else this.count++;
    const s = this.arrivals++;
    this.seq[p] = s;
    this.key[p] = k + s;
    this.push(k + s, p);
    return victim;
  }
  order(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.in_.pages; p++) if (this.key[p]! >= 0) out.push(p);
    return out.sort((a, b) => this.seq[a]! - this.seq[b]!);
  }
  explain(i: number, r: number, name: (id: number) => string): Explained {
    const n = this.in_.ids.length;
    const notes = new Map<number, string>();
    const nextOf = (p: number) => Math.floor(this.key[p]! / this.scale);
    for (const p of this.order()) notes.set(p, never(n, nextOf(p)));
    if (r === HIT) return { why: 'hit', notes };
    if (r === FILLED) return { why: 'fault: a free frame takes it', notes };
    // the victim's next use, from the index: the first reference to it after i
    let at = n;
    for (let j = i + 1; j < n; j++)
      if (this.in_.ids[j] === r) {
        at = j;
        break;
      }
    const when = at >= n ? 'is never used again' : `is next used at access ${at + 1}`;
    return {
      why: this.worst
        ? `fault: UNOPT looks ahead and evicts ${name(r)}, which ${when}: the soonest of the pages in memory${at >= n ? ' (all are dead; the leftmost goes)' : ''}`
        : `fault: OPT looks ahead and evicts ${name(r)}, which ${when}: the furthest of the pages in memory${at >= n ? ' (among pages never used again, the rightmost goes)' : ''}`,
      notes,
    };
  }
}

/** RAND: OSTEP's memory list in arrival order; the victim is memory.pop(int(random() * count)). */
export class Random extends Policy {
  private readonly mem: ArrivalList;
  private readonly resident: Uint8Array;
  private lastDraw = 0;
  constructor(in_: ReplacerInput) {
    super(in_);
    this.resident = new Uint8Array(in_.pages);
    this.mem = arrivalList(in_.cacheSize);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    if (this.resident[p]) return HIT;
    let victim = FILLED;
    const count = this.mem.size;
    if (count === this.in_.cacheSize) {
      this.lastDraw = this.in_.rng.random();
      victim = this.mem.removeAt(Math.floor(this.lastDraw * count));
      this.resident[victim] = 0;
    }
    this.resident[p] = 1;
    this.mem.push(p);
    return victim;
  }
  order(): number[] {
    return this.mem.pages();
  }
  explain(_i: number, r: number, name: (id: number) => string): Explained {
    if (r === HIT) return { why: 'hit' };
    if (r === FILLED) return { why: 'fault: a free frame takes it' };
    const c = this.in_.cacheSize;
    return { why: `fault: RAND draws random() = ${this.lastDraw.toFixed(4)}; int(${this.lastDraw.toFixed(4)} × ${c}) = ${Math.floor(this.lastDraw * c)}, so the page at that index of the list, ${name(r)}, goes` };
  }
}

/**
 * OSTEP's CLOCK: not a sweeping hand but random probes. Each resident page has a counter: 1 when it
 * comes in, +1 on each hit up to `clockbits` (a hit with 0 bits sets it to 0). To evict, probe the
 * page at index int(random() * count): a counter ≥ 1 is decremented, a 0 is the victim.
 */
export class OstepClock extends Policy {
  private readonly mem: ArrivalList;
  private readonly ref: Int32Array;
  private readonly resident: Uint8Array;
  private probes: Array<[number, number]> = [];
  constructor(in_: ReplacerInput) {
    super(in_);
    this.ref = new Int32Array(in_.pages);
    this.resident = new Uint8Array(in_.pages);
    this.mem = arrivalList(in_.cacheSize);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    const ref = this.ref;
    if (this.resident[p]) {
      const r = ref[p]! + 1;
      const bits = this.in_.clockbits;
      ref[p] = r > bits ? bits : r;
      return HIT;
    }
    let victim = FILLED;
    const mem = this.mem;
    const count = mem.size;
    if (count === this.in_.cacheSize) {
      const rng = this.in_.rng;
      if (this.record) this.probes.length = 0;
      for (;;) {
        const k = Math.floor(rng.random() * count);
        const page = mem.at(k);
        const bits = ref[page]!;
        if (this.record) this.probes.push([page, bits]);
        if (bits === 0) {
          victim = mem.removeAt(k);
          break;
        }
        ref[page] = bits - 1;
      }
      this.resident[victim] = 0;
    }
    this.resident[p] = 1;
    ref[p] = 1;
    mem.push(p);
    return victim;
  }
  /**
   * access() for every reference in one loop over locals: the memory list's window, the
   * generator's tempered outputs (random() is two of them) and the counters, no call per probe
   * but the twist every 312 draws (bench/policy.ts). Any other list or generator takes access().
   */
  override countAll(): number {
    const mem = this.mem;
    const rng = this.in_.rng;
    if (!(mem instanceof FlatList) || rng.random !== PyRandom.prototype.random) return super.countAll();
    const { ids, cacheSize, clockbits: bits } = this.in_;
    const ref = this.ref;
    const resident = this.resident;
    const buf = mem.buf;
    const cap = buf.length;
    const out = rng.out;
    // a local, not the import: bundled, the import is a module var loaded on every probe
    const words = RNG_WORDS;
    let head = mem.head;
    let size = mem.size;
    let next = rng.mti;
    let hits = 0;
    // CLOCK probes only with every frame full, so each probe's index is int(random() * cacheSize):
    // worked out for a whole state's outputs at once (a loop the CPU overlaps), the probe itself is
    // one load, out of the chain of loads and branches a fault waits on. pick[j] is the index the
    // random() made of out[j] and out[j + 1] gives.
    const pick = new Int32Array(words + 1);
    const picks = (from: number) => {
      for (let j = from; j < words; j += 2) pick[j] = ((out[j]! >>> 5) * 67108864 + (out[j + 1]! >>> 6)) * (1 / 9007199254740992) * cacheSize;
    };
    if (next < words) picks(next);
    for (let i = 0, n = ids.length; i < n; i++) {
      const p = ids[i]!;
      if (resident[p] !== 0) {
        const r = ref[p]! + 1;
        ref[p] = r > bits ? bits : r;
        hits++;
        continue;
      }
      if (size === cacheSize) {
        for (;;) {
          // random(), as PyRandom.random computes it from the next two outputs
          if (next >= words) {
            rng.mti = next;
            rng.refillPair();
            next = rng.mti;
            picks(next);
          }
          // int(random() * count), count = size = cacheSize: the product lies in [0, count), and the
          // Int32Array's store truncated it, as int() does
          const k = pick[next]!;
          next += 2;
          const at = head + k;
          const page = buf[at]!;
          const b = ref[page]!;
          if (b !== 0) {
            ref[page] = b - 1;
            continue;
          }
          // memory.remove(page): close the gap from the shorter side
          if (k < size - 1 - k) {
            buf.copyWithin(head + 1, head, at);
            head++;
          } else buf.copyWithin(at, at + 1, head + size);
          size--;
          resident[page] = 0;
          break;
        }
      }
      resident[p] = 1;
      ref[p] = 1;
      if (head + size === cap) {
        buf.copyWithin(0, head, head + size);
        head = 0;
      }
      buf[head + size++] = p;
    }
    mem.head = head;
    mem.size = size;
    rng.mti = next;
    return hits;
  }
  order(): number[] {
    return this.mem.pages();
  }
  explain(_i: number, r: number, name: (id: number) => string): Explained {
    const notes = new Map<number, string>();
    for (const p of this.mem.pages()) notes.set(p, `counter ${this.ref[p]}`);
    if (r === HIT) return { why: `hit: the page's counter goes up by one, to at most ${this.in_.clockbits}`, notes };
    if (r === FILLED) return { why: 'fault: a free frame takes it; its counter starts at 1', notes };
    const steps = this.probes.map(([p, b]) => (b >= 1 ? `${name(p)} (${b}→${b - 1})` : `${name(p)} (0: evicted)`));
    return { why: `fault: CLOCK probes random frames, decrementing counters until one reads 0: ${steps.join(', ')}`, notes };
  }
}

/**
 * The textbook second-chance clock: frames in a circle, a hand, one use bit per frame (set on
 * load and on every hit). The bits sit beside the frames, so the sweep reads two flat arrays.
 */
export class SecondChance extends Policy {
  private readonly frames: Int32Array;
  private readonly used: Uint8Array;
  /** per page: its frame, or -1 when it is not resident */
  private readonly frameOf: Int32Array;
  private filled = 0;
  private hand = 0;
  private cleared: number[] = [];
  constructor(in_: ReplacerInput) {
    super(in_);
    this.frames = new Int32Array(in_.cacheSize);
    this.used = new Uint8Array(in_.cacheSize);
    this.frameOf = new Int32Array(in_.pages).fill(-1);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    const f = this.frameOf[p]!;
    if (f >= 0) {
      this.used[f] = 1;
      return HIT;
    }
    const frames = this.frames;
    const used = this.used;
    const c = frames.length;
    if (this.filled < c) {
      const g = this.filled++;
      frames[g] = p;
      used[g] = 1;
      this.frameOf[p] = g;
      return FILLED;
    }
    if (this.record) this.cleared.length = 0;
    let h = this.hand;
    while (used[h]) {
      used[h] = 0;
      if (this.record) this.cleared.push(frames[h]!);
      if (++h === c) h = 0;
    }
    const victim = frames[h]!;
    this.frameOf[victim] = -1;
    frames[h] = p;
    used[h] = 1;
    this.frameOf[p] = h;
    this.hand = h + 1 === c ? 0 : h + 1;
    return victim;
  }
  /**
   * access() for every reference in one loop over locals (the hand, the frames and their bits), no
   * call per reference: the sweep is what a textbook clock costs, and a call and a reload of every
   * field per access doubled it (bench/policy.ts).
   */
  override countAll(): number {
    const ids = this.in_.ids;
    const frames = this.frames;
    const used = this.used;
    const frameOf = this.frameOf;
    const c = frames.length;
    let filled = this.filled;
    let h = this.hand;
    let hits = 0;
    for (let i = 0, n = ids.length; i < n; i++) {
      const p = ids[i]!;
      const f = frameOf[p]!;
      if (f >= 0) {
        used[f] = 1;
        hits++;
        continue;
      }
      if (filled < c) {
        frames[filled] = p;
        used[filled] = 1;
        frameOf[p] = filled++;
        continue;
      }
      while (used[h] !== 0) {
        used[h] = 0;
        if (++h === c) h = 0;
      }
      frameOf[frames[h]!] = -1;
      frames[h] = p;
      used[h] = 1;
      frameOf[p] = h;
      if (++h === c) h = 0;
    }
    this.filled = filled;
    this.hand = h;
    return hits;
  }
  order(): number[] {
    return Array.from(this.frames.subarray(0, this.filled));
  }
  explain(_i: number, r: number, name: (id: number) => string): Explained {
    const notes = new Map<number, string>();
    for (let f = 0; f < this.filled; f++) notes.set(this.frames[f]!, `use bit ${this.used[f]}`);
    const hand = this.filled === this.frames.length ? this.hand : undefined;
    if (r === HIT) return { why: 'hit: its use bit is set', notes, hand };
    if (r === FILLED) return { why: 'fault: a free frame takes it, use bit set', notes, hand };
    const gave = this.cleared.length ? `the hand clears the use bits of ${this.cleared.map(name).join(', ')} (a second chance), then ` : 'the hand ';
    return { why: `fault: ${gave}finds ${name(r)} with its use bit clear and evicts it; the hand moves past the new page`, notes, hand };
  }
}

/**
 * LFU: the fewest references since the page came in; ties go to the least recently used. One list
 * per use count, each in the order its pages reached that count — which is the order of their
 * last use, since a use moves a page on to the next count's tail — so the victim is the head of
 * the lowest non-empty count's list, O(1) (the lowest count only ever grows by one or drops to 1).
 */
export class Lfu extends Policy {
  private readonly buckets: Lists;
  private readonly uses: Int32Array;
  private readonly arrival: Int32Array;
  private readonly resident: Uint8Array;
  private minUses = 1;
  private count = 0;
  constructor(in_: ReplacerInput) {
    super(in_);
    // list u holds the pages used u times (u is at most the number of references)
    this.buckets = new Lists(in_.pages, in_.ids.length + 2);
    this.uses = new Int32Array(in_.pages);
    this.arrival = new Int32Array(in_.pages);
    this.resident = new Uint8Array(in_.pages);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    const b = this.buckets;
    if (this.resident[p]) {
      const u = this.uses[p]!;
      b.unlink(p);
      if (u === this.minUses && b.first(u) < 0) this.minUses = u + 1;
      this.uses[p] = u + 1;
      b.pushLast(u + 1, p);
      return HIT;
    }
    let victim = FILLED;
    if (this.count === this.in_.cacheSize) {
      victim = b.first(this.minUses);
      b.unlink(victim);
      this.resident[victim] = 0;
    } else this.count++;
    this.resident[p] = 1;
    this.uses[p] = 1;
    this.arrival[p] = i;
    b.pushLast(1, p);
    this.minUses = 1;
    return victim;
  }
  /** the resident pages in arrival order */
  order(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.in_.pages; p++) if (this.resident[p]) out.push(p);
    return out.sort((a, b) => this.arrival[a]! - this.arrival[b]!);
  }
  explain(_i: number, r: number, name: (id: number) => string): Explained {
    const notes = new Map<number, string>();
    for (const p of this.order()) notes.set(p, `${this.uses[p]} use${this.uses[p] === 1 ? '' : 's'}`);
    if (r === HIT) return { why: 'hit: its count goes up', notes };
    if (r === FILLED) return { why: 'fault: a free frame takes it, count 1', notes };
    return { why: `fault: LFU evicts ${name(r)}, used ${this.uses[r]} time${this.uses[r] === 1 ? '' : 's'} since it came in: the fewest (ties: the least recently used)`, notes };
  }
}
