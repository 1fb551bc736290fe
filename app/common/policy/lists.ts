/**
 * The structures the replacers share, in typed arrays so a million references take milliseconds:
 * - `Lists`: intrusive doubly linked lists over page ids, O(1) to unlink, push and pop (LRU/MRU's
 *   recency list, Linux's inactive and active lists, LFU's one list per use count);
 * - `arrivalList`: OSTEP's memory list for RAND and CLOCK, a Python list read and removed by
 *   index (`memory[k]`, `memory.pop(k)`, `memory.remove(page)`) and appended to at its end.
 */

/**
 * `lists` doubly linked lists threaded through the page ids 0..pages-1: node `pages + l` is list
 * l's sentinel, so first(l) is next[sentinel] and last(l) prev[sentinel]. A page is on at most
 * one list at a time; the owner knows which.
 */
export class Lists {
  readonly prev: Int32Array;
  readonly next: Int32Array;
  constructor(
    private readonly pages: number,
    lists: number,
  ) {
    const n = pages + lists;
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    for (let s = pages; s < n; s++) {
      this.prev[s] = s;
      this.next[s] = s;
    }
  }
  /** the first page of list l, or -1 when it is empty */
  first(l: number): number {
    const s = this.pages + l;
    const p = this.next[s]!;
    return p === s ? -1 : p;
  }
  /** the last page of list l, or -1 when it is empty */
  last(l: number): number {
    const s = this.pages + l;
    const p = this.prev[s]!;
    return p === s ? -1 : p;
  }
  unlink(p: number): void {
    const a = this.prev[p]!;
    const b = this.next[p]!;
    this.next[a] = b;
    this.prev[b] = a;
  }
  pushLast(l: number, p: number): void {
    const s = this.pages + l;
    const t = this.prev[s]!;
    this.next[t] = p;
    this.prev[p] = t;
    this.next[p] = s;
    this.prev[s] = p;
  }
  pushFirst(l: number, p: number): void {
    const s = this.pages + l;
    const h = this.next[s]!;
    this.next[s] = p;
    this.prev[p] = s;
    this.next[p] = h;
    this.prev[h] = p;
  }
  /** list l first to last (or last to first), for traces */
  toArray(l: number, fromLast = false): number[] {
    const s = this.pages + l;
    const step = fromLast ? this.prev : this.next;
    const out: number[] = [];
    for (let p = step[s]!; p !== s; p = step[p]!) out.push(p);
    return out;
  }
}

/** OSTEP's memory list: a Python list of pages in arrival order. */
export interface ArrivalList {
  readonly size: number;
  /** memory[k] */
  at(k: number): number;
  /** memory.pop(k) (its page is returned) */
  removeAt(k: number): number;
  /** memory.append(p) */
  push(p: number): void;
  /** the list, for traces */
  pages(): number[];
}

/**
 * Up to this many frames the list is a window of a flat array, as CPython's list is: reading
 * memory[k] is one load and pop(k) moves the shorter side by one (a memmove of at most c/2
 * entries; CPython moves the right side). Beyond it, a Fenwick tree keeps pop(k) at O(log c).
 */
export const FLAT_LIST_MAX = 2048;

export function arrivalList(cacheSize: number): ArrivalList {
  return cacheSize <= FLAT_LIST_MAX ? new FlatList(cacheSize) : new TreeList(cacheSize);
}

/**
 * The live entries are buf[head..head+size): pop(k) closes the gap from whichever side is shorter,
 * so the window creeps right by at most one entry per pop; when it reaches the end of the buffer
 * (4c long) it is moved back to the start, O(c) once every 3c appends at the least.
 */
export class FlatList implements ArrivalList {
  /** the list is buf[head .. head + size) (OstepClock's fast loop works on these directly) */
  readonly buf: Int32Array;
  head = 0;
  size = 0;
  constructor(cacheSize: number) {
    this.buf = new Int32Array(Math.max(64, 4 * cacheSize + 4));
  }
  at(k: number): number {
    return this.buf[this.head + k]!;
  }
  removeAt(k: number): number {
    const b = this.buf;
    const h = this.head;
    const n = this.size;
    const p = b[h + k]!;
    if (k < n - 1 - k) {
      // shift the entries before k one to the right; short runs by hand, long ones by memmove
      if (k > 32) b.copyWithin(h + 1, h, h + k);
      else for (let j = h + k; j > h; j--) b[j] = b[j - 1]!;
      this.head = h + 1;
    } else if (n - 1 - k > 32) b.copyWithin(h + k, h + k + 1, h + n);
    else for (let j = h + k, e = h + n - 1; j < e; j++) b[j] = b[j + 1]!;
    this.size = n - 1;
    return p;
  }
  push(p: number): void {
    if (this.head + this.size === this.buf.length) {
      this.buf.copyWithin(0, this.head, this.head + this.size);
      this.head = 0;
    }
    this.buf[this.head + this.size++] = p;
  }
  pages(): number[] {
    return Array.from(this.buf.subarray(this.head, this.head + this.size));
  }
}

/**
 * Each arrival takes the next slot; a Fenwick tree over the slots finds the k-th live one in
 * O(log c), and when the slots run out the live entries are renumbered in order (every c
 * arrivals, O(c)), so the tree stays as small as the cache.
 */
export class TreeList implements ArrivalList {
  private readonly tree: Int32Array;
  private readonly page: Int32Array;
  private readonly live: Uint8Array;
  private readonly top: number;
  private slots = 0;
  private first = 0;
  size = 0;
  constructor(cacheSize: number) {
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
  /** the slot of the live entry at index k (0-based) */
  private slotAt(k: number): number {
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
  at(k: number): number {
    return this.page[this.slotAt(k)]!;
  }
  removeAt(k: number): number {
    const s = this.slotAt(k);
    this.add(s, -1);
    this.live[s] = 0;
    this.size--;
    while (this.first < this.slots && !this.live[this.first]) this.first++;
    return this.page[s]!;
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
  pages(): number[] {
    const out: number[] = [];
    for (let s = this.first; s < this.slots; s++) if (this.live[s]) out.push(this.page[s]!);
    return out;
  }
}
