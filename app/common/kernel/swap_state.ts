/**
 * Swap slots, after mm/swapfile.c and mm/swap_state.c: a swap_map of use counts, one per slot
 * (a slot shared by processes after fork counts each mapper), and a cursor that scans for a
 * free slot as scan_swap_map_slots does.
 */
/** Linux continues counts past 0x3e in extra pages (swap_count_continued); memlab stops at 255 mappers of one slot. */
export const SWAP_MAP_MAX = 255;

export class SwapSpace {
  /** swap_map: how many page-table entries refer to each slot (0 = free); one byte a slot, as in Linux. */
  readonly map: Uint8Array;
  inUse = 0;
  private cursor = 0;

  constructor(readonly slots: number) {
    this.map = new Uint8Array(slots);
  }

  get free(): number {
    return this.slots - this.inUse;
  }

  /** get_swap_page: a free slot with count `users`, or -1 when swap is full. */
  alloc(users: number): number {
    if (this.inUse >= this.slots || users > SWAP_MAP_MAX) return -1;
    for (let n = 0; n < this.slots; n++) {
      const s = this.cursor;
      this.cursor = this.cursor + 1 === this.slots ? 0 : this.cursor + 1;
      if (this.map[s] === 0) {
        this.map[s] = users;
        this.inUse++;
        return s;
      }
    }
    return -1;
  }

  /** swap_free: one mapper lets go of the slot. */
  put(slot: number): void {
    const c = this.map[slot]!;
    if (c === 0) return;
    this.map[slot] = c - 1;
    if (c === 1) this.inUse--;
  }

  /** swap_duplicate: fork copied a swap entry. */
  dup(slot: number): boolean {
    if (this.map[slot]! >= SWAP_MAP_MAX) return false;
    this.map[slot]!++;
    return true;
  }
}
