/**
 * LINUX: the active/inactive two-list LRU of the classic (non-multi-generational) reclaim, driven
 * by a reference string of page-cache reads — each reference is a read(2) of one page of a file.
 *
 * The rules, after the functions that apply them:
 * - a page read for the first time is added to the head of the inactive list (folio_add_lru,
 *   mm/swap.c) and the read marks it accessed: PG_referenced set (filemap_read calls
 *   folio_mark_accessed, mm/swap.c);
 * - a read of a resident page is folio_mark_accessed again: an unreferenced page gets
 *   PG_referenced; an inactive page that already has it is activated — moved to the head of the
 *   active list with PG_referenced cleared (folio_activate); an active page stays where it is;
 * - to free a frame, reclaim first deactivates the active list's tail page to the inactive head
 *   when the inactive list is low — inactive × ratio < active, ratio 1 below 1 GiB
 *   (inactive_is_low and shrink_active_list, mm/vmscan.c) — then reclaims the inactive list's
 *   tail (shrink_inactive_list, shrink_folio_list): a clean page-cache page that no process maps
 *   is freed even with PG_referenced set (folio_check_references answers FOLIOREF_RECLAIM_CLEAN).
 *
 * So a page read once never leaves the inactive list, and a one-pass scan of a big file cycles
 * through the inactive list without touching a working set that earned the active list — the
 * scan resistance plain LRU lacks. Simplified: one page is reclaimed per fault (the kernel reclaims
 * in SWAP_CLUSTER_MAX batches), and refault detection (mm/workingset.c, which activates a page
 * whose refault distance is shorter than the active list) is not modelled. Kernels built with
 * CONFIG_LRU_GEN and /sys/kernel/mm/lru_gen/enabled on (the multi-generational LRU, 6.1 and
 * later) replace the two lists by generations. memlab's simulator (kernel/vmscan.ts) approximates
 * the same two lists with a clock over mapped pages, where a referenced inactive page is activated
 * at scan time (folio_check_references for a page mapped by a process).
 */
import { Lists } from './lists.js';
import { FILLED, HIT, Policy, type Explained, type ReplacerInput } from './policies.js';

const INACTIVE = 0;
const ACTIVE = 1;

export class TwoList extends Policy {
  /** per page: its list (INACTIVE/ACTIVE), -1 when not resident */
  private readonly list: Int8Array;
  private readonly referenced: Uint8Array;
  /** the two lists, head (most recently added) first: lruvec's lists, whose tail is reclaimed */
  private readonly lru: Lists;
  private readonly len = new Int32Array(2);
  private deactivated = -1;
  private hitAction = '';
  constructor(in_: ReplacerInput) {
    super(in_);
    this.list = new Int8Array(in_.pages).fill(-1);
    this.referenced = new Uint8Array(in_.pages);
    this.lru = new Lists(in_.pages, 2);
  }
  private remove(p: number): void {
    this.lru.unlink(p);
    this.len[this.list[p]!]!--;
    this.list[p] = -1;
  }
  /** add to the head of a list (lruvec_add_folio) */
  private addHead(p: number, which: number): void {
    this.lru.pushFirst(which, p);
    this.list[p] = which;
    this.len[which]!++;
  }
  access(i: number): number {
    const p = this.in_.ids[i]!;
    this.deactivated = -1;
    if (this.list[p]! >= 0) {
      // folio_mark_accessed
      if (!this.referenced[p]) {
        this.referenced[p] = 1;
        if (this.record) this.hitAction = 'referenced';
      } else if (this.list[p] === INACTIVE) {
        this.remove(p);
        this.addHead(p, ACTIVE);
        this.referenced[p] = 0;
        if (this.record) this.hitAction = 'activated';
      } else if (this.record) this.hitAction = 'none';
      return HIT;
    }
    let victim = FILLED;
    if (this.len[INACTIVE]! + this.len[ACTIVE]! === this.in_.cacheSize) {
      // shrink_active_list when inactive_is_low (inactive_ratio 1: inactive < active)
      if (this.len[INACTIVE]! < this.len[ACTIVE]!) {
        const d = this.lru.last(ACTIVE);
        this.remove(d);
        this.addHead(d, INACTIVE);
        this.deactivated = d;
      }
      victim = this.lru.last(INACTIVE);
      this.remove(victim);
      this.referenced[victim] = 0;
    }
    this.addHead(p, INACTIVE);
    this.referenced[p] = 1;
    return victim;
  }
  /** the inactive list from its tail (reclaimed next) to its head, then the active list likewise */
  order(): number[] {
    return [...this.lru.toArray(INACTIVE, true), ...this.lru.toArray(ACTIVE, true)];
  }
  /** the two lists, each from tail to head */
  lists(): { inactive: number[]; active: number[] } {
    const o = this.order();
    return { inactive: o.slice(0, this.len[INACTIVE]), active: o.slice(this.len[INACTIVE]) };
  }
  isReferenced(p: number): boolean {
    return this.referenced[p] === 1;
  }
  explain(i: number, r: number, name: (id: number) => string): Explained {
    const notes = new Map<number, string>();
    for (const p of this.order()) notes.set(p, `${this.list[p] === ACTIVE ? 'active' : 'inactive'}${this.referenced[p] ? ', referenced' : ''}`);
    const p = name(this.in_.ids[i]!);
    if (r === HIT) {
      const what =
        this.hitAction === 'referenced'
          ? `${p} gets PG_referenced (folio_mark_accessed)`
          : this.hitAction === 'activated'
            ? `${p} was inactive and referenced: folio_mark_accessed activates it (head of the active list)`
            : `${p} is active and referenced already: it stays where it is`;
      return { why: `hit: ${what}`, notes };
    }
    const added = `${p} joins the head of the inactive list, referenced (folio_add_lru, folio_mark_accessed)`;
    if (r === FILLED) return { why: `fault: a free frame; ${added}`, notes };
    const d = this.deactivated >= 0 ? `the inactive list was low (fewer pages than the active list), so shrink_active_list moved the active tail ${name(this.deactivated)} to the inactive head; ` : '';
    return { why: `fault: ${d}shrink_folio_list reclaims the inactive tail ${name(r)}; ${added}`, notes };
  }
}
