/**
 * Page-replacement policies over a reference string, one replacer per policy.
 *
 * The seven OSTEP policies (FIFO, LRU, MRU, OPT, UNOPT, RAND, CLOCK) compute exactly what OSTEP's
 * `vm-beyondphys-policy/paging-policy.py` computes under python3 — the same hits, victims and
 * memory-list order, the same draws from CPython's random (random.ts) — so a course can switch
 * without changing its answers (test/policy/ostep.test.ts holds the script's own outputs).
 * SECOND-CHANCE (the textbook clock with a sweeping hand), LFU and LINUX (linux.ts) are memlab's.
 *
 * Replacers work on dense page ids (0..U-1, see compress in engine.ts) held in typed arrays, so
 * a million references run in a few milliseconds; `order()` and `explain()` are for traces only.
 */
import type { PyRandom } from './random.js';

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
  /** access every reference in turn; the number of hits (a loop inside each class, so its calls stay monomorphic) */
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

/** FIFO: a ring of frames in arrival order; the oldest arrival goes. */
export class Fifo implements Replacer {
  private readonly ring: Int32Array;
  private readonly resident: Uint8Array;
  private head = 0;
  private count = 0;
  constructor(private readonly in_: ReplacerInput) {
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
  countAll(): number {
    let hits = 0;
    for (let i = 0, n = this.in_.ids.length; i < n; i++) if (this.access(i) === HIT) hits++;
    return hits;
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

/** LRU and MRU: a doubly linked recency list over page ids (node `pages` is the sentinel). */
export class Recency implements Replacer {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly resident: Uint8Array;
  private readonly lastUse: Int32Array;
  private count = 0;
  constructor(
    private readonly in_: ReplacerInput,
    private readonly mru: boolean,
  ) {
    const n = in_.pages + 1;
    this.prev = new Int32Array(n).fill(in_.pages);
    this.next = new Int32Array(n).fill(in_.pages);
    this.resident = new Uint8Array(in_.pages);
    this.lastUse = new Int32Array(in_.pages);
  }
  private unlink(p: number): void {
    const a = this.prev[p]!;
    const b = this.next[p]!;
    this.next[a] = b;
    this.prev[b] = a;
  }
  private pushMru(p: number): void {
    const s = this.in_.pages;
    const t = this.prev[s]!;
    this.next[t] = p;
    this.prev[p] = t;
    this.next[p] = s;
    this.prev[s] = p;
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    const s = this.in_.pages;
    this.lastUse[p] = i;
    if (this.resident[p]) {
      this.unlink(p);
      this.pushMru(p);
      return HIT;
    }
    let victim = FILLED;
    if (this.count === this.in_.cacheSize) {
      victim = this.mru ? this.prev[s]! : this.next[s]!;
      this.unlink(victim);
      this.resident[victim] = 0;
    } else this.count++;
    this.resident[p] = 1;
    this.pushMru(p);
    return victim;
  }
  countAll(): number {
    let hits = 0;
    for (let i = 0, n = this.in_.ids.length; i < n; i++) if (this.access(i) === HIT) hits++;
    return hits;
  }
  order(): number[] {
    const out: number[] = [];
    const s = this.in_.pages;
    for (let p = this.next[s]!; p !== s; p = this.next[p]!) out.push(p);
    return out;
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
export class Belady implements Replacer {
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
    private readonly in_: ReplacerInput,
    private readonly worst: boolean,
  ) {
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
  countAll(): number {
    let hits = 0;
    for (let i = 0, n = this.in_.ids.length; i < n; i++) if (this.access(i) === HIT) hits++;
    return hits;
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


/**
 * OSTEP's memory list for RAND and CLOCK: pages in arrival order, read and removed by index
 * (list.pop(i)) and appended at the end. Each arrival takes the next slot; a Fenwick tree over
 * the slots finds the i-th live one in O(log c), and when the slots run out the live entries are
 * renumbered in order (every c arrivals, O(c)), so the tree stays small enough for the cache.
 */
class RankedList {
  private tree: Int32Array;
  private page: Int32Array;
  private live: Uint8Array;
  private top: number;
  private slots = 0;
  private first = 0;
  size = 0;
  constructor(private readonly cacheSize: number) {
    const cap = 2 * cacheSize + 2;
    this.tree = new Int32Array(cap + 1);
    this.page = new Int32Array(cap);
    this.live = new Uint8Array(cap);
    let t = 1;
    while (t * 2 <= cap) t *= 2;
    this.top = t;
  }
  private add(slot: number, d: number): void {
    const n = this.tree.length;
    for (let i = slot + 1; i < n; i += i & -i) this.tree[i]! += d;
  }
  push(p: number): void {
    if (this.slots === this.page.length) this.compact();
    const s = this.slots++;
    this.page[s] = p;
    this.live[s] = 1;
    this.add(s, 1);
    this.size++;
  }
  /** renumber the live entries 0..size-1, in order, and rebuild the tree in O(cap) */
  private compact(): void {
    const pages = this.pages();
    this.live.fill(0);
    this.tree.fill(0);
    for (let k = 0; k < pages.length; k++) {
      this.page[k] = pages[k]!;
      this.live[k] = 1;
      this.tree[k + 1] = 1;
    }
    // linear-time Fenwick build
    const n = this.tree.length;
    for (let i = 1; i < n; i++) {
      const j = i + (i & -i);
      if (j < n) this.tree[j]! += this.tree[i]!;
    }
    this.slots = pages.length;
    this.first = 0;
  }
  /** the slot of the live entry at index k (0-based) */
  slotAt(k: number): number {
    let pos = 0;
    let rem = k + 1;
    const n = this.tree.length - 1;
    for (let step = this.top; step > 0; step >>= 1) {
      const q = pos + step;
      if (q <= n && this.tree[q]! < rem) {
        pos = q;
        rem -= this.tree[q]!;
      }
    }
    return pos;
  }
  pageOf(slot: number): number {
    return this.page[slot]!;
  }
  removeSlot(s: number): void {
    this.add(s, -1);
    this.live[s] = 0;
    this.size--;
    while (this.first < this.slots && !this.live[this.first]) this.first++;
  }
  pages(): number[] {
    const out: number[] = [];
    for (let s = this.first; s < this.slots; s++) if (this.live[s]) out.push(this.page[s]!);
    return out;
  }
}

/** RAND: OSTEP's memory list in arrival order; the victim is index int(random() * count). */
export class Random implements Replacer {
  private readonly mem: RankedList;
  private readonly resident: Uint8Array;
  private lastDraw = 0;
  constructor(private readonly in_: ReplacerInput) {
    this.resident = new Uint8Array(in_.pages);
    this.mem = new RankedList(in_.cacheSize);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    if (this.resident[p]) return HIT;
    let victim = FILLED;
    const count = this.mem.size;
    if (count === this.in_.cacheSize) {
      this.lastDraw = this.in_.rng.random();
      const slot = this.mem.slotAt(Math.floor(this.lastDraw * count));
      victim = this.mem.pageOf(slot);
      this.mem.removeSlot(slot);
      this.resident[victim] = 0;
    }
    this.resident[p] = 1;
    this.mem.push(p);
    return victim;
  }
  countAll(): number {
    let hits = 0;
    for (let i = 0, n = this.in_.ids.length; i < n; i++) if (this.access(i) === HIT) hits++;
    return hits;
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
export class OstepClock implements Replacer {
  private readonly mem: RankedList;
  private readonly ref: Int32Array;
  private readonly resident: Uint8Array;
  private probes: Array<[number, number]> = [];
  /** keep the probes for explain(): off on the fast path */
  record = true;
  constructor(private readonly in_: ReplacerInput) {
    this.ref = new Int32Array(in_.pages);
    this.resident = new Uint8Array(in_.pages);
    this.mem = new RankedList(in_.cacheSize);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    const rng = this.in_.rng;
    if (this.resident[p]) {
      let r = this.ref[p]! + 1;
      if (r > this.in_.clockbits) r = this.in_.clockbits;
      this.ref[p] = r;
      return HIT;
    }
    let victim = FILLED;
    const count = this.mem.size;
    if (count === this.in_.cacheSize) {
      if (this.record) this.probes.length = 0;
      for (;;) {
        const slot = this.mem.slotAt(Math.floor(rng.random() * count));
        const page = this.mem.pageOf(slot);
        if (this.record) this.probes.push([page, this.ref[page]!]);
        if (this.ref[page]! >= 1) this.ref[page]!--;
        else {
          victim = page;
          this.mem.removeSlot(slot);
          break;
        }
      }
      this.resident[victim] = 0;
    }
    this.resident[p] = 1;
    this.ref[p] = 1;
    this.mem.push(p);
    return victim;
  }
  countAll(): number {
    this.record = false;
    let hits = 0;
    for (let i = 0, n = this.in_.ids.length; i < n; i++) if (this.access(i) === HIT) hits++;
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

/** The textbook second-chance clock: frames in a circle, a hand, one use bit per frame (set on load and on every hit). */
export class SecondChance implements Replacer {
  private readonly frames: Int32Array;
  private readonly used: Uint8Array;
  private readonly resident: Uint8Array;
  private filled = 0;
  private hand = 0;
  private cleared: number[] = [];
  /** keep the cleared pages for explain(): off on the fast path */
  private record = true;
  constructor(private readonly in_: ReplacerInput) {
    this.frames = new Int32Array(in_.cacheSize);
    this.used = new Uint8Array(in_.pages);
    this.resident = new Uint8Array(in_.pages);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    if (this.resident[p]) {
      this.used[p] = 1;
      return HIT;
    }
    this.resident[p] = 1;
    this.used[p] = 1;
    const c = this.frames.length;
    if (this.filled < c) {
      this.frames[this.filled++] = p;
      return FILLED;
    }
    if (this.record) this.cleared.length = 0;
    let h = this.hand;
    for (;;) {
      const q = this.frames[h]!;
      if (!this.used[q]) break;
      this.used[q] = 0;
      if (this.record) this.cleared.push(q);
      if (++h === c) h = 0;
    }
    const victim = this.frames[h]!;
    this.resident[victim] = 0;
    this.frames[h] = p;
    this.hand = h + 1 === c ? 0 : h + 1;
    return victim;
  }
  countAll(): number {
    this.record = false;
    let hits = 0;
    for (let i = 0, n = this.in_.ids.length; i < n; i++) if (this.access(i) === HIT) hits++;
    return hits;
  }
  order(): number[] {
    return Array.from(this.frames.subarray(0, this.filled));
  }
  explain(_i: number, r: number, name: (id: number) => string): Explained {
    const notes = new Map<number, string>();
    for (const p of this.order()) notes.set(p, `use bit ${this.used[p]}`);
    const hand = this.filled === this.frames.length ? this.hand : undefined;
    if (r === HIT) return { why: 'hit: its use bit is set', notes, hand };
    if (r === FILLED) return { why: 'fault: a free frame takes it, use bit set', notes, hand };
    const gave = this.cleared.length ? `the hand clears the use bits of ${this.cleared.map(name).join(', ')} (a second chance), then ` : 'the hand ';
    return { why: `fault: ${gave}finds ${name(r)} with its use bit clear and evicts it; the hand moves past the new page`, notes, hand };
  }
}

/** LFU: the fewest references since the page came in; ties go to the least recently used. */
export class Lfu implements Replacer {
  private readonly mem: number[] = [];
  private readonly uses: Int32Array;
  private readonly last: Int32Array;
  private readonly resident: Uint8Array;
  constructor(private readonly in_: ReplacerInput) {
    this.uses = new Int32Array(in_.pages);
    this.last = new Int32Array(in_.pages);
    this.resident = new Uint8Array(in_.pages);
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    this.last[p] = i;
    if (this.resident[p]) {
      this.uses[p]!++;
      return HIT;
    }
    let victim = FILLED;
    if (this.mem.length === this.in_.cacheSize) {
      let best = 0;
      for (let k = 1; k < this.mem.length; k++) {
        const a = this.mem[k]!;
        const b = this.mem[best]!;
        if (this.uses[a]! < this.uses[b]! || (this.uses[a] === this.uses[b] && this.last[a]! < this.last[b]!)) best = k;
      }
      victim = this.mem.splice(best, 1)[0]!;
      this.resident[victim] = 0;
    }
    this.resident[p] = 1;
    this.uses[p] = 1;
    this.mem.push(p);
    return victim;
  }
  countAll(): number {
    let hits = 0;
    for (let i = 0, n = this.in_.ids.length; i < n; i++) if (this.access(i) === HIT) hits++;
    return hits;
  }
  order(): number[] {
    return [...this.mem];
  }
  explain(_i: number, r: number, name: (id: number) => string): Explained {
    const notes = new Map<number, string>();
    for (const p of this.mem) notes.set(p, `${this.uses[p]} use${this.uses[p] === 1 ? '' : 's'}`);
    if (r === HIT) return { why: 'hit: its count goes up', notes };
    if (r === FILLED) return { why: 'fault: a free frame takes it, count 1', notes };
    return { why: `fault: LFU evicts ${name(r)}, used ${this.uses[r]} time${this.uses[r] === 1 ? '' : 's'} since it came in: the fewest (ties: the least recently used)`, notes };
  }
}
