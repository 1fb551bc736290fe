/**
 * The kernel's memory-management activities as an xstate statechart: it decides what happens
 * next; the data plane (memory.ts, vmscan.ts, oom_kill.ts over page_alloc's typed arrays) does
 * the per-page work and the counting.
 *
 *   cpu:    running ──ACCESS──▶ pageFault ─(a page came from swap)─▶ swapIn
 *             ▲                  │  ▲                                  │
 *             │   done / SIGSEGV │  │ progress                         │
 *             ├──────────────────┘  │                                  ▼
 *             │                directReclaim ◀──(free < min)── (pageFault | swapIn)
 *             │                     │ no progress
 *             └──── victim was ─── oomKill ──▶ pageFault (retry the allocation)
 *                   the faulter
 *   kswapd: asleep ──(free < low)──▶ balancing ──(free ≥ high)──▶ asleep
 */
import { createActor, setup } from 'xstate';
import type { Kernel, Task } from './kernel.js';
import { type Access, accountFaults, type FaultStatus, type FaultTally, runAccess } from './memory.js';
import { oomKill } from './oom_kill.js';
import { directReclaim, kswapdBalance, writebackDirty } from './vmscan.js';

/** Mutable per-run scratch the data plane and the chart share (the counting stays in typed arrays). */
export interface RunState {
  status: FaultStatus | 'idle' | 'killed' | 'panic';
  access: Access | null;
  tally: FaultTally;
  reclaimed: number;
  /** direct reclaim rounds without progress for the current allocation */
  stalls: number;
  victim: Task | null;
  /** states entered since the last reset, in order (for the UI to light them) */
  visited: string[];
  /** set when the kernel panics (no victim left) */
  panic: string | null;
  /** the task killed by SIGSEGV in this access */
  segvTask: Task | null;
  /** major faults in the last batch (lights swapIn) */
  lastMajor?: number;
}

export interface KernelContext {
  k: Kernel;
  run: RunState;
}

export type KernelEvent =
  | { type: 'ACCESS'; access: Access }
  | { type: 'TICK'; ms: number };

/** How many pages kswapd can reclaim per millisecond of simulated time (about 1 GB/s). */
export const KSWAPD_PAGES_PER_MS = 256;
/** should_reclaim_retry: MAX_RECLAIM_RETRIES rounds without progress before the OOM killer */
export const MAX_RECLAIM_RETRIES = 16;

export function newRunState(): RunState {
  return { status: 'idle', access: null, tally: { minor: 0, major: 0, cow: 0, zero: 0 }, reclaimed: 0, stalls: 0, victim: null, visited: [], panic: null, segvTask: null };
}

const afterFaults = [
  { guard: 'accessDone', target: 'running', actions: 'finishAccess' },
  { guard: 'segv', target: 'running', actions: 'deliverSigsegv' },
  { guard: 'kswapdStatusChanged', target: 'pageFault', reenter: true },
  { guard: 'belowMinWatermark', target: 'directReclaim' },
] as const;

export const kernelMachine = setup({
  types: {
    context: {} as KernelContext,
    events: {} as KernelEvent,
    input: {} as { kernel: Kernel; run: RunState },
  },
  actions: {
    visit: ({ context }, params: { state: string }) => {
      context.run.visited.push(params.state);
    },
    beginAccess: ({ context, event }) => {
      if (event.type !== 'ACCESS') return;
      context.run.access = event.access;
      context.run.stalls = 0;
      context.run.segvTask = null;
    },
    /** the data plane faults pages in until the access is done or the kernel must act */
    handleFaults: ({ context }) => {
      const { k, run } = context;
      const a = run.access!;
      const tally: FaultTally = { minor: 0, major: 0, cow: 0, zero: 0 };
      run.status = runAccess(k, a, tally);
      accountFaults(k, a.task, tally);
      run.tally.minor += tally.minor;
      run.tally.major += tally.major;
      run.tally.cow += tally.cow;
      run.tally.zero += tally.zero;
      run.lastMajor = tally.major;
    },
    blockOnIo: ({ context }) => {
      // the task sleeps in D state while the pages are read from swap; it is running again after
      const t = context.run.access?.task;
      t?.lifecycle.send({ type: 'BLOCK' });
      t?.lifecycle.send({ type: 'WAKE' });
    },
    finishAccess: ({ context }) => {
      context.run.access = null;
    },
    deliverSigsegv: ({ context }) => {
      const t = context.run.access!.task;
      context.k.log_(`${t.name}[${t.pid}]: segfault (SIGSEGV): write to a read-only mapping`);
      context.k.exitTask(t, 'killed:sigsegv');
      context.run.segvTask = t;
      context.run.access = null;
    },
    wakeKswapd: ({ context }) => {
      context.k.kswapdAwake = true;
      context.k.kswapdCredit = 0;
      context.k.vmstat.pageoutrun++;
    },
    sleepKswapd: ({ context }) => {
      context.k.kswapdAwake = false;
    },
    reclaimDirectly: ({ context }) => {
      const got = directReclaim(context.k);
      context.run.reclaimed += got;
      context.run.stalls = got > 0 ? 0 : context.run.stalls + 1;
    },
    killVictim: ({ context }) => {
      const { k, run } = context;
      run.victim = oomKill(k, run.access!.task);
      run.stalls = 0;
      if (!run.victim) {
        run.panic = 'Kernel panic - not syncing: System is deadlocked on memory';
        k.log_(run.panic);
        run.status = 'panic';
      }
    },
    abandonAccess: ({ context }) => {
      context.run.access = null;
      context.run.status = 'killed';
    },
    passTime: ({ context, event }) => {
      if (event.type !== 'TICK') return;
      const { k, run } = context;
      k.now += event.ms;
      if (event.ms >= 5000) writebackDirty(k);
      if (k.frames.free < k.wmark.low && !k.kswapdAwake) {
        k.kswapdAwake = true;
        k.vmstat.pageoutrun++;
      }
      if (k.kswapdAwake) kswapdBalance(k, event.ms * KSWAPD_PAGES_PER_MS);
      run.status = k.kswapdAwake && k.frames.free >= k.wmark.high ? 'kswapd-sleep' : 'idle';
    },
  },
  guards: {
    accessDone: ({ context }) => context.run.status === 'done',
    segv: ({ context }) => context.run.status === 'segv',
    hadMajorFaults: ({ context }) => (context.run.lastMajor ?? 0) > 0,
    kswapdStatusChanged: ({ context }) => context.run.status === 'kswapd-wake' || context.run.status === 'kswapd-sleep',
    belowMinWatermark: ({ context }) => context.run.status === 'need-memory',
    /** should_reclaim_retry: progress was made, or not yet MAX_RECLAIM_RETRIES rounds without it */
    reclaimMayRetry: ({ context }) => context.run.stalls === 0 || (context.run.stalls < MAX_RECLAIM_RETRIES && context.k.frames.free > context.k.wmark.min),
    noVictim: ({ context }) => context.run.victim === null,
    faulterWasKilled: ({ context }) => context.run.victim === context.run.access?.task,
    freeBelowLow: ({ context }) => context.run.status === 'kswapd-wake',
    balancedAboveHigh: ({ context }) => context.run.status === 'kswapd-sleep',
  },
}).createMachine({
  id: 'kernel',
  type: 'parallel',
  context: ({ input }) => ({ k: input.kernel, run: input.run }),
  states: {
    cpu: {
      initial: 'running',
      states: {
        running: {
          description: 'User code runs; no kernel memory activity.',
          entry: { type: 'visit', params: { state: 'cpu.running' } },
          on: {
            ACCESS: { target: 'pageFault', actions: 'beginAccess' },
            TICK: { actions: 'passTime' },
          },
        },
        pageFault: {
          description: 'do_page_fault: faulting in the pages the task touched (minor faults, copy-on-write).',
          entry: [{ type: 'visit', params: { state: 'cpu.pageFault' } }, 'handleFaults'],
          always: [{ guard: 'hadMajorFaults', target: 'swapIn' }, ...afterFaults],
        },
        swapIn: {
          description: 'do_swap_page: a major fault; the task blocks while its page is read back from swap.',
          entry: [{ type: 'visit', params: { state: 'cpu.swapIn' } }, 'blockOnIo'],
          always: [...afterFaults],
        },
        directReclaim: {
          description: 'Free memory fell below the min watermark: the allocating task reclaims pages itself.',
          entry: [{ type: 'visit', params: { state: 'cpu.directReclaim' } }, 'reclaimDirectly'],
          always: [{ guard: 'reclaimMayRetry', target: 'pageFault' }, { target: 'oomKill' }],
        },
        oomKill: {
          description: 'Reclaim failed: the OOM killer picks the task with the highest badness and kills it.',
          entry: [{ type: 'visit', params: { state: 'cpu.oomKill' } }, 'killVictim'],
          always: [
            { guard: 'noVictim', target: 'running', actions: 'abandonAccess' },
            { guard: 'faulterWasKilled', target: 'running', actions: 'abandonAccess' },
            { target: 'pageFault' },
          ],
        },
      },
    },
    kswapd: {
      initial: 'asleep',
      states: {
        asleep: {
          description: 'kswapd sleeps while free memory is above the low watermark.',
          entry: { type: 'visit', params: { state: 'kswapd.asleep' } },
          always: { guard: 'freeBelowLow', target: 'balancing', actions: 'wakeKswapd' },
        },
        balancing: {
          description: 'kswapd reclaims in the background until free memory is above the high watermark.',
          entry: { type: 'visit', params: { state: 'kswapd.balancing' } },
          always: { guard: 'balancedAboveHigh', target: 'asleep', actions: 'sleepKswapd' },
        },
      },
    },
  },
});

/** The per-process lifecycle, drawn beside the kernel's chart. */
export const processMachine = setup({
  types: { events: {} as { type: 'BLOCK' } | { type: 'WAKE' } | { type: 'EXIT' } | { type: 'OOM_KILL' } | { type: 'SIGSEGV' } },
}).createMachine({
  id: 'process',
  initial: 'running',
  states: {
    running: { on: { BLOCK: 'blocked', EXIT: 'exited', OOM_KILL: 'killedOom', SIGSEGV: 'killedSigsegv' } },
    blocked: { on: { WAKE: 'running', OOM_KILL: 'killedOom' } },
    exited: { type: 'final' },
    killedOom: { type: 'final' },
    killedSigsegv: { type: 'final' },
  },
});

export function startKernelActor(kernel: Kernel, run: RunState) {
  const actor = createActor(kernelMachine, { input: { kernel, run } });
  actor.start();
  return actor;
}

/** The chart's states as plain JSON for the renderer to draw. */
export interface ChartNode {
  id: string;
  key: string;
  type: string;
  description?: string;
  children: ChartNode[];
  transitions: Array<{ event: string; target: string[]; guard?: string }>;
}

export function describeChart(): ChartNode {
  const walk = (node: any): ChartNode => ({
    id: node.id,
    key: node.key,
    type: node.type,
    description: node.description,
    children: Object.values(node.states ?? {}).map(walk),
    // xstate 5 keeps a state's event transitions in a Map of event type -> transitions
    transitions: [...[...(node.transitions?.values() ?? [])].flat(), ...(node.always ?? [])].map((t: any) => ({
      event: t.eventType || 'always',
      target: (t.target ?? []).map((s: any) => s.id),
      guard: typeof t.guard === 'string' ? t.guard : t.guard?.type,
    })),
  });
  return walk(kernelMachine.root);
}
