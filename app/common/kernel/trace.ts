/**
 * The page-fault trace: one entry per fault a task takes, as `perf trace -F all` prints them
 * from the kernel's `exceptions:page_fault_user` tracepoint (minfault / majfault, the address,
 * the mapping). Like ftrace's per-CPU ring buffer it has a fixed size: when it is full the
 * oldest entries are overwritten and counted as lost, so a 16 GiB touch costs no more memory
 * than a 1 GiB one. Entries live in typed arrays, written by the data plane's fault loop.
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
  /** the scenario step now running (1-based; 0 = set-up before the first step) */
  step = 0;
  /** off while the kernel touches pages for itself (read(2) filling the page cache is no fault of the task's) */
  paused = false;
  /** entries ever written */
  written = 0;
  private cap = 1024;
  private steps = new Int32Array(this.cap);
  private pids = new Int32Array(this.cap);
  private vmas = new Int32Array(this.cap);
  private addrs = new Float64Array(this.cap);
  private kinds = new Uint8Array(this.cap);
  /** per VMA id: its mapping's name as pmap shows it, and per pid its command, kept for entries whose VMA or task is gone */
  private readonly mappings = new Map<number, string>();
  private readonly comms = new Map<number, string>();

  /** bytes its arrays take (4+4+4+8+1 per entry) */
  get bytes(): number {
    return this.cap * 21;
  }

  /** entries still held */
  get length(): number {
    return Math.min(this.written, FaultTrace.CAPACITY);
  }
  /** entries overwritten because the buffer was full */
  get lost(): number {
    return this.written - this.length;
  }

  private lastVma = -1;

  /** `vma` names the mapping (asked only the first time a VMA faults: no string work per page) */
  record(pid: number, comm: string, vma: { id: number; mapping: string; label?: string }, address: number, kind: FaultKind, write: boolean): void {
    if (this.paused) return;
    const vmaId = vma.id;
    if (this.written === this.cap && this.cap < FaultTrace.CAPACITY) this.grow();
    const i = this.written & (FaultTrace.CAPACITY - 1);
    this.steps[i] = this.step;
    this.pids[i] = pid;
    this.vmas[i] = vmaId;
    this.addrs[i] = address;
    this.kinds[i] = kind | (write ? 8 : 0);
    if (vmaId !== this.lastVma) {
      this.lastVma = vmaId;
      if (!this.mappings.has(vmaId)) this.mappings.set(vmaId, vma.label ? `${vma.mapping} (${vma.label})` : vma.mapping);
      if (!this.comms.has(pid)) this.comms.set(pid, comm);
    }
    this.written++;
  }

  /** `n` faults of one kind at `address`, `address + step`, … (a run of first touches): one loop, no call per page */
  recordRun(pid: number, comm: string, vma: { id: number; mapping: string; label?: string }, address: number, step: number, n: number, kind: FaultKind, write: boolean): void {
    if (this.paused || n <= 0) return;
    this.record(pid, comm, vma, address, kind, write);
    const code = kind | (write ? 8 : 0);
    const vmaId = vma.id;
    for (let j = 1; j < n; ) {
      if (this.written === this.cap && this.cap < FaultTrace.CAPACITY) this.grow();
      const i = this.written & (FaultTrace.CAPACITY - 1);
      // up to the end of the arrays (or of what they hold so far) in one loop
      const room = Math.min(n - j, (this.cap < FaultTrace.CAPACITY ? this.cap : FaultTrace.CAPACITY) - i);
      const { steps, pids, vmas, addrs, kinds } = this;
      const s = this.step;
      for (let x = 0; x < room; x++) {
        steps[i + x] = s;
        pids[i + x] = pid;
        vmas[i + x] = vmaId;
        addrs[i + x] = address + (j + x) * step;
        kinds[i + x] = code;
      }
      this.written += room;
      j += room;
    }
  }

  /** the i-th entry still held, oldest first */
  entry(i: number): FaultEntry {
    if (i < 0 || i >= this.length) throw new RangeError(`fault trace entry ${i} of ${this.length}`);
    const j = (this.written - this.length + i) % FaultTrace.CAPACITY;
    const pid = this.pids[j]!;
    return {
      step: this.steps[j]!,
      pid,
      comm: this.comms.get(pid) ?? '?',
      address: this.addrs[j]!,
      kind: (this.kinds[j]! & 7) as FaultKind,
      write: (this.kinds[j]! & 8) !== 0,
      mapping: this.mappings.get(this.vmas[j]!) ?? '',
    };
  }

  private grow(): void {
    const cap = Math.min(FaultTrace.CAPACITY, this.cap * 4);
    const more = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.steps = more(this.steps, (n) => new Int32Array(n));
    this.pids = more(this.pids, (n) => new Int32Array(n));
    this.vmas = more(this.vmas, (n) => new Int32Array(n));
    this.addrs = more(this.addrs, (n) => new Float64Array(n));
    this.kinds = more(this.kinds, (n) => new Uint8Array(n));
    this.cap = cap;
  }
}

const KIND_TEXT = ['minfault', 'majfault', 'minfault (copy-on-write)', 'minfault (zero page)'];

/** One entry as a line, after `perf trace -F all`: who, which fault, where. */
export function formatFault(e: FaultEntry): string {
  const addr = `0x${e.address.toString(16).padStart(12, '0')}`;
  return `[step ${e.step}] ${e.comm}/${e.pid} ${KIND_TEXT[e.kind]} ${e.write ? 'write' : 'read'} => ${addr}${e.mapping ? ` ${e.mapping}` : ''}`;
}
