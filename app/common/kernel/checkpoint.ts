/**
 * Checkpoints of a run, so a seek backward (or a jump forward) starts from the nearest saved step
 * instead of re-running the scenario from step 0 (the simulator is deterministic: restoring step c
 * and running to k gives what a fresh run to k gives; test/kernel/checkpoint.test.ts holds it).
 *
 * A checkpoint is a deep copy of the machine's state (the data plane's typed arrays copied whole,
 * the tasks, VMAs, page tables and files with their prototypes) plus the chart's state value; the
 * report's arrays are copied by reference (entries are never changed once pushed). Memory is
 * bounded: at most `maxCount` checkpoints and `maxBytes` of machine state; past either, every other
 * checkpoint is dropped and the interval doubles, so a 2,000-step scenario keeps a few dozen.
 */
import { Actor, createActor } from 'xstate';
import { processMachine } from './machine.js';

/** The xstate actors inside the machine's state (each task's lifecycle) are made again from their snapshot, not copied field by field. */
function cloneActor(a: Actor<typeof processMachine>): Actor<typeof processMachine> {
  return createActor(processMachine, { snapshot: a.getPersistedSnapshot() }).start();
}

/**
 * A deep copy of a graph of the kernel's objects: shared references stay shared, cycles are kept,
 * class instances keep their prototype, typed arrays are copied, Maps and Sets rebuilt. Functions
 * are kept by reference (the kernel holds none that carry state a run changes after start-up).
 */
export function cloneState<T>(root: T): T {
  const memo = new Map<unknown, unknown>();
  const clone = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    const seen = memo.get(x);
    if (seen !== undefined) return seen;
    if (ArrayBuffer.isView(x)) {
      const c = (x as unknown as { slice(): ArrayBufferView }).slice();
      memo.set(x, c);
      return c;
    }
    if (x instanceof Actor) {
      const c = cloneActor(x as Actor<typeof processMachine>);
      memo.set(x, c);
      return c;
    }
    if (Array.isArray(x)) {
      const c: unknown[] = new Array(x.length);
      memo.set(x, c);
      for (let i = 0; i < x.length; i++) c[i] = clone(x[i]);
      return c;
    }
    if (x instanceof Map) {
      const c = new Map();
      memo.set(x, c);
      for (const [key, v] of x) c.set(clone(key), clone(v));
      return c;
    }
    if (x instanceof Set) {
      const c = new Set();
      memo.set(x, c);
      for (const v of x) c.add(clone(v));
      return c;
    }
    const c = Object.create(Object.getPrototypeOf(x) as object) as Record<string | symbol, unknown>;
    memo.set(x, c);
    for (const key of Reflect.ownKeys(x)) {
      const d = Object.getOwnPropertyDescriptor(x, key)!;
      if ('value' in d) d.value = clone(d.value);
      Object.defineProperty(c, key, d);
    }
    return c;
  };
  return clone(root) as T;
}

/** What a checkpoint keeps of a run at a step boundary (simulate.ts makes and restores it). */
export interface RunnerCheckpoint {
  pos: number;
  /** the machine and the chart's scratch, copied together so their references stay shared */
  state: unknown;
  /** the chart's state value at the step boundary ({ cpu: 'running', kswapd: ... }) and its re-entry count */
  chart: { value: unknown; resumed: number };
  report: { snapshots: unknown[]; syscalls: unknown[]; log: unknown[]; error?: unknown };
  counters: { logSeen: number; reportBytes: number; snapshotBytes: number; stopped: boolean };
  /** bytes of machine state it holds, about */
  bytes: number;
}

export interface CheckpointPolicy {
  /** a checkpoint every this many steps, at first (it doubles as checkpoints are thinned) */
  interval: number;
  maxCount: number;
  maxBytes: number;
}

export const DEFAULT_CHECKPOINTS: CheckpointPolicy = { interval: 16, maxCount: 48, maxBytes: 256 * 1024 * 1024 };

/** Checkpoints of one run, by step, bounded in count and bytes. */
export class Checkpoints {
  private list: RunnerCheckpoint[] = [];
  interval: number;

  constructor(readonly policy: CheckpointPolicy = DEFAULT_CHECKPOINTS) {
    this.interval = policy.interval;
  }

  get count(): number {
    return this.list.length;
  }

  get bytes(): number {
    return this.list.reduce((a, c) => a + c.bytes, 0);
  }

  steps(): number[] {
    return this.list.map((c) => c.pos);
  }

  /** Is a checkpoint due at this step (a multiple of the interval not saved yet)? */
  due(pos: number): boolean {
    return pos > 0 && pos % this.interval === 0 && !this.list.some((c) => c.pos === pos);
  }

  add(cp: RunnerCheckpoint): void {
    if (cp.bytes > this.policy.maxBytes) return; // a machine too big to keep even once: seeks re-run
    this.list.push(cp);
    this.list.sort((a, b) => a.pos - b.pos);
    this.thin(this.policy.maxBytes);
  }

  /** Keep within maxCount and `maxBytes`: every other checkpoint goes and the interval doubles, until they fit. */
  thin(maxBytes: number): void {
    while (this.list.length > 0 && (this.list.length > this.policy.maxCount || this.bytes > maxBytes)) {
      // thin out: keep the checkpoints at multiples of twice the interval
      this.interval *= 2;
      const kept = this.list.filter((c) => c.pos % this.interval === 0);
      // nothing left to drop by thinning: drop the oldest
      this.list = kept.length < this.list.length ? kept : this.list.slice(1);
    }
  }

  /** Drop them all (memory is wanted elsewhere); new ones are made as the run goes on. */
  clear(): void {
    this.list = [];
    this.interval = this.policy.interval;
  }

  /** The latest checkpoint at or before `step`, or null (start from step 0). */
  nearest(step: number): RunnerCheckpoint | null {
    let best: RunnerCheckpoint | null = null;
    for (const c of this.list) if (c.pos <= step && (!best || c.pos > best.pos)) best = c;
    return best;
  }
}
