/**
 * The page-fault trace: one entry per fault a task takes, as `perf trace -F all` prints them
 * from the kernel's `exceptions:page_fault_user` tracepoint (minfault / majfault, the address,
 * the mapping). Like ftrace's per-CPU ring buffer it has a fixed size: when it is full the
 * oldest entries are overwritten and counted as lost, so a 16 GiB touch costs no more memory
 * than a 1 GiB one. Entries live in typed arrays, written by the data plane's fault loop, as runs:
 * a first touch of 4 GiB is one run of a million evenly spaced faults, stored once.
 */

export const enum FaultKind {
  /** a fresh zeroed page, a page-cache hit, a tmpfs page */
  Minor = 0,
  /** read from swap or from the file: the task waited for I/O */
  Major = 1,
  /** copy-on-write break after fork, or a first write to a private file page */
  Cow = 2,
  /** a read of never-written anonymous memory: the shared zero page, no frame */
  Zero = 3,
}

export interface FaultEntry {
  step: number;
  pid: number;
  comm: string;
  address: number;
  kind: FaultKind;
  write: boolean;
  mapping: string;
}

export class FaultTrace {
  /** entries kept (like buffer_size_kb): 2^18 */
  static readonly CAPACITY = 1 << 18;
  /**
   * Runs held at most. A run is faults of one kind by one task in one VMA at evenly spaced
   * addresses in one step (a first touch of a range is one run however long): it is stored once,
   * not per fault. Faults in no order make runs of one; then at most this many are kept, and the
   * trace holds fewer than CAPACITY entries (the older ones are counted as lost).
   */
  static readonly MAX_RUNS = 1 << 17;
  /** the scenario step now running (1-based; 0 = set-up before the first step) */
  step = 0;
  /** off while the kernel touches pages for itself (read(2) filling the page cache is no fault of the task's) */
  paused = false;
  /** entries ever written */
  written = 0;
  /** the runs, a ring of `cap` slots from `head`, `runs` of them held */
  private cap = 256;
  private head = 0;
  private runs = 0;
  /** entries held: the held runs' counts less the oldest run's entries already dropped (`skip`) */
  private held = 0;
  private skip = 0;
  /** per run: the index (counted over every entry ever written) of its first entry */
  private first = new Float64Array(this.cap);
  private addr = new Float64Array(this.cap);
  /** bytes from one entry's address to the next */
  private stride = new Float64Array(this.cap);
  private count = new Int32Array(this.cap);
  private steps = new Int32Array(this.cap);
  private vmas = new Int32Array(this.cap);
  private pids = new Int32Array(this.cap);
  /** kind | 8 for a write */
  private codes = new Uint8Array(this.cap);
  /** per VMA id: its mapping's name as pmap shows it, and per pid its command, kept for entries whose VMA or task is gone */
  private readonly mappings = new Map<number, string>();
  private readonly comms = new Map<number, string>();
  /** the run entry() found last: reading entries in order finds each in O(1) */
  private cursor = 0;

  /** bytes its arrays take (8+8+8+4+4+4+4+1 per run) */
  get bytes(): number {
    return this.cap * 41;
  }

  /** entries still held */
  get length(): number {
    return this.held;
  }
  /** entries overwritten because the buffer was full */
  get lost(): number {
    return this.written - this.held;
  }

  /** `vma` names the mapping (asked only the first time a VMA faults: no string work per page) */
  record(pid: number, comm: string, vma: { id: number; mapping: string; label?: string }, address: number, kind: FaultKind, write: boolean): void {
    if (this.paused) return;
    this.append(pid, comm, vma, address, 0, 1, kind | (write ? 8 : 0));
  }

  /** `n` faults of one kind at `address`, `address + step`, … (a run of first touches): one entry in the ring, however long */
  recordRun(pid: number, comm: string, vma: { id: number; mapping: string; label?: string }, address: number, step: number, n: number, kind: FaultKind, write: boolean): void {
    if (this.paused || n <= 0) return;
    this.append(pid, comm, vma, address, step, n, kind | (write ? 8 : 0));
  }

  /** `n` faults from `address`, `step` bytes apart: the newest run goes on where they are its next entries at its spacing, or they start one */
  private append(pid: number, comm: string, vma: { id: number; mapping: string; label?: string }, address: number, step: number, n: number, code: number): void {
    const vmaId = vma.id;
    if (vmaId !== this.lastVma) this.name(pid, comm, vma);
    if (this.runs > 0) {
      const r = (this.head + this.runs - 1) & (this.cap - 1);
      if (this.vmas[r] === vmaId && this.codes[r] === code && this.steps[r] === this.step && this.pids[r] === pid) {
        const c = this.count[r]!;
        const a0 = this.addr[r]!;
        // a run of one takes the spacing of the fault after it
        const d = c === 1 ? address - a0 : this.stride[r]!;
        if (d > 0 && address === a0 + c * d && (n === 1 || step === d)) {
          this.stride[r] = d;
          this.count[r] = c + n;
          this.added(n);
          return;
        }
      }
    }
    this.push(pid, vmaId, address, step, n, code);
  }

  /** the VMA of the last fault named (a Map is asked only when the VMA changes) */
  private lastVma = -1;

  private name(pid: number, comm: string, vma: { id: number; mapping: string; label?: string }): void {
    this.lastVma = vma.id;
    if (!this.mappings.has(vma.id)) this.mappings.set(vma.id, vma.label ? `${vma.mapping} (${vma.label})` : vma.mapping);
    if (!this.comms.has(pid)) this.comms.set(pid, comm);
  }

  private push(pid: number, vmaId: number, address: number, stride: number, n: number, code: number): void {
    if (this.runs === this.cap) {
      if (this.cap < FaultTrace.MAX_RUNS) this.grow();
      else this.dropOldestRun();
    }
    const r = (this.head + this.runs) & (this.cap - 1);
    this.first[r] = this.written;
    this.addr[r] = address;
    this.stride[r] = stride;
    this.count[r] = n;
    this.steps[r] = this.step;
    this.vmas[r] = vmaId;
    this.pids[r] = pid;
    this.codes[r] = code;
    this.runs++;
    this.added(n);
  }

  /** `n` entries written: the oldest go once more than CAPACITY are held */
  private added(n: number): void {
    this.written += n;
    this.held += n;
    let over = this.held - FaultTrace.CAPACITY;
    while (over > 0) {
      const left = this.count[this.head]! - this.skip;
      if (left > over) {
        this.skip += over;
        this.held -= over;
        return;
      }
      this.dropOldestRun();
      over = this.held - FaultTrace.CAPACITY;
    }
  }

  private dropOldestRun(): void {
    this.held -= this.count[this.head]! - this.skip;
    this.skip = 0;
    this.head = (this.head + 1) & (this.cap - 1);
    this.runs--;
  }

  /** the i-th entry still held, oldest first */
  entry(i: number): FaultEntry {
    if (i < 0 || i >= this.held) throw new RangeError(`fault trace entry ${i} of ${this.held}`);
    // its index over every entry written; the run holding it (by its first entry's index)
    const g = this.written - this.held + i;
    const mask = this.cap - 1;
    const at = (k: number) => (this.head + k) & mask;
    let k = this.cursor < this.runs ? this.cursor : 0;
    if (!(this.first[at(k)]! <= g && g < this.first[at(k)]! + this.count[at(k)]!)) {
      if (k + 1 < this.runs && this.first[at(k + 1)]! <= g && g < this.first[at(k + 1)]! + this.count[at(k + 1)]!) k++;
      else {
        let lo = 0;
        let hi = this.runs - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (this.first[at(mid)]! <= g) lo = mid;
          else hi = mid - 1;
        }
        k = lo;
      }
    }
    this.cursor = k;
    const r = at(k);
    const pid = this.pids[r]!;
    const code = this.codes[r]!;
    return {
      step: this.steps[r]!,
      pid,
      comm: this.comms.get(pid) ?? '?',
      address: this.addr[r]! + (g - this.first[r]!) * this.stride[r]!,
      kind: (code & 7) as FaultKind,
      write: (code & 8) !== 0,
      mapping: this.mappings.get(this.vmas[r]!) ?? '',
    };
  }

  private grow(): void {
    const cap = Math.min(FaultTrace.MAX_RUNS, this.cap * 4);
    // unrolled from the ring into the first `runs` slots of the new arrays
    const more = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      for (let k = 0; k < this.runs; k++) b[k] = a[(this.head + k) & (this.cap - 1)]!;
      return b;
    };
    this.first = more(this.first, (n) => new Float64Array(n));
    this.addr = more(this.addr, (n) => new Float64Array(n));
    this.stride = more(this.stride, (n) => new Float64Array(n));
    this.count = more(this.count, (n) => new Int32Array(n));
    this.steps = more(this.steps, (n) => new Int32Array(n));
    this.vmas = more(this.vmas, (n) => new Int32Array(n));
    this.pids = more(this.pids, (n) => new Int32Array(n));
    this.codes = more(this.codes, (n) => new Uint8Array(n));
    this.head = 0;
    this.cap = cap;
  }
}

const KIND_TEXT = ['minfault', 'majfault', 'minfault (copy-on-write)', 'minfault (zero page)'];

/** One entry as a line, after `perf trace -F all`: who, which fault, where. */
export function formatFault(e: FaultEntry): string {
  const addr = `0x${e.address.toString(16).padStart(12, '0')}`;
  return `[step ${e.step}] ${e.comm}/${e.pid} ${KIND_TEXT[e.kind]} ${e.write ? 'write' : 'read'} => ${addr}${e.mapping ? ` ${e.mapping}` : ''}`;
}
