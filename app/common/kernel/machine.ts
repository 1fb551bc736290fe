/**
 * The kernel's memory-management control flow as an xstate statechart: the one owner of the
 * kernel's control state. It decides what happens next; the data plane (memory.ts, vmscan.ts,
 * swap_state.ts, oom_kill.ts over page_alloc's typed arrays) does the per-page work, counts, and
 * reports a result that the chart's guards read.
 *
 *   cpu:    running ──ACCESS──▶ pageFault ──(next page is in swap)──▶ swapIn
 *             ▲                  │  ▲                                  │
 *             │ done / SIGSEGV   │  │ reclaim made progress            │
 *             ├──────────────────┘  │                                  ▼
 *             │                directReclaim ◀──(free < min)── (pageFault | swapIn)
 *             │                     │ no progress
 *             └──── victim was ─── oomKill ──▶ pageFault (retry the allocation)
 *                   the faulter
 *   kswapd: asleep ──(free < low)──▶ balancing ──(free ≥ high)──▶ asleep
 *
 * kswapd's state is the kswapd region's and nothing else's: the data plane is told it (it reclaims
 * beside the allocator only while the chart has kswapd balancing) and reports when free memory
 * crosses low or high; the region's guards take the transition, and the cpu region resumes the
 * fault only once the kswapd region has moved. Every SIGSEGV is delivered by the chart.
 */
import { and, assign, createActor, enqueueActions, type InspectionEvent, setup, stateIn } from 'xstate';
import { exitTask } from './exit.js';
import type { Kernel, Task } from './kernel.js';
import { type Access, accountFaults, type FaultStatus, type FaultTally, runAccess } from './memory.js';
import { oomKill } from './oom_kill.js';
import { kswapdBalance, writebackDirty } from './vmscan.js';

/** A transition xstate took, as its inspection reported it (source and target state ids without the machine's). */
export interface TakenTransition {
  from: string;
  to: string[];
  event: string;
}

/** Mutable per-run scratch the data plane and the chart share (the counting stays in typed arrays). */
export interface RunState {
  status: FaultStatus | 'idle' | 'killed' | 'panic';
  access: Access | null;
  tally: FaultTally;
  reclaimed: number;
  /** direct reclaim rounds without progress for the current allocation */
  stalls: number;
  victim: Task | null;
  /** states entered since the last reset, in order (from xstate's inspection of its microsteps) */
  visited: string[];
  /** transitions taken since the last reset (from xstate's inspection) */
  taken: TakenTransition[];
  /** set when the kernel panics (no victim left) */
  panic: string | null;
  /** the task killed by SIGSEGV in this access */
  segvTask: Task | null;
  /** the access went through swapIn: direct reclaim may go on swapping pages in */
  swapping: boolean;
}

export interface KernelContext {
  k: Kernel;
  run: RunState;
  /** times the fault handler was re-entered in this run (a self-transition must change the snapshot, or xstate stops looking for eventless transitions) */
  resumed: number;
}

export type KernelEvent =
  | { type: 'ACCESS'; access: Access }
  | { type: 'TICK'; ms: number }
  /** a sysctl changed the watermarks (min_free_kbytes, watermark_scale_factor) */
  | { type: 'SYSCTL'; minFreeKbytes?: number; watermarkScaleFactor?: number }
  /** the kernel freed or took pages outside a fault (munmap, exit, fork's page tables): the regions look at the watermarks again */
  | { type: 'ZONE_CHANGED' };

/** How many pages kswapd can reclaim per millisecond of simulated time (about 1 GB/s). */
export const KSWAPD_PAGES_PER_MS = 256;
/** should_reclaim_retry: MAX_RECLAIM_RETRIES rounds without progress before the OOM killer */
export const MAX_RECLAIM_RETRIES = 16;

export function newRunState(): RunState {
  return { status: 'idle', access: null, tally: { minor: 0, major: 0, cow: 0, zero: 0 }, reclaimed: 0, stalls: 0, victim: null, visited: [], taken: [], panic: null, segvTask: null, swapping: false };
}

const KSWAPD_BALANCING = '#kernel.kswapd.balancing';
const KSWAPD_ASLEEP = '#kernel.kswapd.asleep';

export const kernelMachine = setup({
  types: {
    context: {} as KernelContext,
    events: {} as KernelEvent,
    input: {} as { kernel: Kernel; run: RunState },
  },
  actions: {
    beginAccess: ({ context, event }) => {
      if (event.type !== 'ACCESS') return;
      context.run.access = event.access;
      context.run.stalls = 0;
      context.run.swapping = false;
      context.run.segvTask = null;
    },
    /** the data plane faults pages in until the access is done or the kernel must act; told what the chart says of kswapd */
    handleFaults: ({ context }, params: { kswapdAwake: boolean; swapIn: boolean; reclaim?: boolean }) => {
      const { k, run } = context;
      const a = run.access!;
      const tally: FaultTally = { minor: 0, major: 0, cow: 0, zero: 0, reclaimed: 0 };
      run.status = runAccess(k, a, tally, params);
      run.reclaimed += tally.reclaimed!;
      // did_some_progress: a round that freed pages ends the count of rounds that did not
      if (tally.reclaimed! > 0) run.stalls = 0;
      accountFaults(k, a.task, tally);
      run.tally.minor += tally.minor;
      run.tally.major += tally.major;
      run.tally.cow += tally.cow;
      run.tally.zero += tally.zero;
    },
    resume: assign({ resumed: ({ context }) => context.resumed + 1 }),
    finishAccess: ({ context }) => {
      context.run.access = null;
    },
    deliverSigsegv: ({ context }) => {
      const { k, run } = context;
      const a = run.access!;
      const t = a.task;
      const addr = (a.vma ? a.vma.start + a.pos * k.pageSize : a.addr).toString(16);
      if (!a.vma) k.log_(`${t.name}[${t.pid}]: segfault at ${addr} ip 0000555555555189 sp 00007fffffffe3f0 error ${a.write ? 6 : 4} in ${t.name}[555555555000+1000]${a.why ? `: ${a.why}` : ''}`);
      else k.log_(`${t.name}[${t.pid}]: segfault at ${addr} (SIGSEGV): ${a.write ? 'write to' : 'read of'} a mapping that does not allow it (${a.vma.mapping})`);
      exitTask(k, t, 'killed:sigsegv');
      run.segvTask = t;
      run.access = null;
    },
    wakeKswapd: ({ context }) => {
      context.k.kswapdCredit = 0;
      context.k.vmstat.pageoutrun++;
    },
    noteSwapping: ({ context }) => {
      context.run.swapping = true;
    },
    countStall: ({ context }) => {
      context.run.stalls++;
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
      if (context.run.status !== 'budget' && context.run.status !== 'panic') context.run.status = 'killed';
    },
    passTime: ({ context, event }) => {
      if (event.type !== 'TICK') return;
      const k = context.k;
      k.now += event.ms;
      if (event.ms >= 5000) writebackDirty(k);
      context.run.status = 'idle';
    },
    balanceForTick: ({ context, event }) => {
      if (event.type !== 'TICK') return;
      kswapdBalance(context.k, event.ms * KSWAPD_PAGES_PER_MS);
    },
    applySysctl: ({ context, event }) => {
      if (event.type !== 'SYSCTL') return;
      const k = context.k;
      if (event.minFreeKbytes !== undefined) k.minFreeKbytes = event.minFreeKbytes;
      if (event.watermarkScaleFactor !== undefined) k.cfg.watermarkScaleFactor = event.watermarkScaleFactor;
      k.recomputeWatermarks();
    },
  },
  guards: {
    accessDone: ({ context }) => context.run.status === 'done',
    segv: ({ context }) => context.run.status === 'segv',
    budgetSpent: ({ context }) => context.run.status === 'budget',
    nextPageInSwap: ({ context }) => context.run.status === 'swap',
    crossedLow: ({ context }) => context.run.status === 'below-low',
    crossedHigh: ({ context }) => context.run.status === 'balanced',
    belowMinWatermark: ({ context }) => context.run.status === 'below-min',
    noProgress: ({ context }) => context.run.status === 'no-progress',
    /** should_reclaim_retry: not yet MAX_RECLAIM_RETRIES rounds without progress, and free memory above min */
    reclaimMayRetry: ({ context }) => context.run.stalls + 1 < MAX_RECLAIM_RETRIES && context.k.frames.free > context.k.wmark.min,
    noVictim: ({ context }) => context.run.victim === null,
    faulterWasKilled: ({ context }) => context.run.victim === context.run.access?.task,
    /** kswapd is woken when free memory falls below the low watermark (wakeup_kswapd from the allocator) */
    freeBelowLow: ({ context }) => context.k.frames.free < context.k.wmark.low,
    /** balance_pgdat is done once free memory is above the high watermark (pgdat_balanced) */
    freeAboveHigh: ({ context }) => context.k.frames.free >= context.k.wmark.high,
  },
}).createMachine({
  id: 'kernel',
  type: 'parallel',
  context: ({ input }) => ({ k: input.kernel, run: input.run, resumed: 0 }),
  states: {
    cpu: {
      initial: 'running',
      states: {
        running: {
          description: 'User code runs; no kernel memory activity.',
          on: {
            ACCESS: { target: 'pageFault', actions: 'beginAccess' },
            TICK: { actions: 'passTime' },
            SYSCTL: { actions: 'applySysctl' },
          },
        },
        pageFault: {
          description: 'do_page_fault: faulting in the pages the task touched (minor faults, copy-on-write, the swap cache, file pages).',
          entry: enqueueActions(({ enqueue, check }) => enqueue({ type: 'handleFaults', params: { kswapdAwake: check(stateIn(KSWAPD_BALANCING)), swapIn: false } })),
          always: [
            { guard: 'accessDone', target: 'running', actions: 'finishAccess' },
            { guard: 'segv', target: 'running', actions: 'deliverSigsegv' },
            { guard: 'budgetSpent', target: 'running', actions: 'abandonAccess' },
            { guard: 'nextPageInSwap', target: 'swapIn' },
            // the data plane stopped for kswapd: resume once the kswapd region has woken it (or put it to sleep)
            { guard: and(['crossedLow', stateIn(KSWAPD_BALANCING)]), target: 'pageFault', reenter: true, actions: 'resume' },
            { guard: and(['crossedHigh', stateIn(KSWAPD_ASLEEP)]), target: 'pageFault', reenter: true, actions: 'resume' },
            { guard: 'belowMinWatermark', target: 'directReclaim' },
          ],
        },
        swapIn: {
          description: 'do_swap_page: the next page is in swap; the task waits while it (and the slots around it, vm.page-cluster) is read, then faulting goes on.',
          entry: [
            'noteSwapping',
            enqueueActions(({ enqueue, check }) => enqueue({ type: 'handleFaults', params: { kswapdAwake: check(stateIn(KSWAPD_BALANCING)), swapIn: true } })),
          ],
          always: [
            { guard: 'accessDone', target: 'running', actions: 'finishAccess' },
            { guard: 'segv', target: 'running', actions: 'deliverSigsegv' },
            { guard: 'budgetSpent', target: 'running', actions: 'abandonAccess' },
            { guard: and(['crossedLow', stateIn(KSWAPD_BALANCING)]), target: 'swapIn', reenter: true, actions: 'resume' },
            { guard: and(['crossedHigh', stateIn(KSWAPD_ASLEEP)]), target: 'swapIn', reenter: true, actions: 'resume' },
            { guard: 'belowMinWatermark', target: 'directReclaim' },
          ],
        },
        directReclaim: {
          description:
            'Free memory is below the min watermark: before each allocation the task reclaims SWAP_CLUSTER_MAX (32) pages itself (__alloc_pages_direct_reclaim), and faulting goes on while rounds free something.',
          entry: enqueueActions(({ enqueue, check, context }) =>
            enqueue({ type: 'handleFaults', params: { kswapdAwake: check(stateIn(KSWAPD_BALANCING)), swapIn: context.run.swapping, reclaim: true } }),
          ),
          always: [
            { guard: 'accessDone', target: 'running', actions: 'finishAccess' },
            { guard: 'segv', target: 'running', actions: 'deliverSigsegv' },
            { guard: 'budgetSpent', target: 'running', actions: 'abandonAccess' },
            { guard: 'nextPageInSwap', target: 'swapIn' },
            { guard: and(['crossedLow', stateIn(KSWAPD_BALANCING)]), target: 'directReclaim', reenter: true, actions: 'resume' },
            { guard: and(['crossedHigh', stateIn(KSWAPD_ASLEEP)]), target: 'directReclaim', reenter: true, actions: 'resume' },
            // should_reclaim_retry: a round freed nothing; retry up to MAX_RECLAIM_RETRIES times while free memory is above min, then the OOM killer
            { guard: and(['noProgress', 'reclaimMayRetry']), target: 'directReclaim', reenter: true, actions: ['countStall', 'resume'] },
            { guard: 'noProgress', target: 'oomKill', actions: 'countStall' },
          ],
        },
        oomKill: {
          description: 'Reclaim failed: the OOM killer picks the task with the highest badness and kills it.',
          entry: 'killVictim',
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
          always: { guard: 'freeBelowLow', target: 'balancing', actions: 'wakeKswapd' },
        },
        balancing: {
          description: 'kswapd reclaims in the background (beside the allocator, and on its own as time passes) until free memory is above the high watermark.',
          on: { TICK: { actions: 'balanceForTick' } },
          always: { guard: 'freeAboveHigh', target: 'asleep' },
        },
      },
    },
  },
});

/** The per-process lifecycle, drawn beside the kernel's chart. */
export const processMachine = setup({
  types: { events: {} as { type: 'EXIT' } | { type: 'OOM_KILL' } | { type: 'SIGSEGV' } },
}).createMachine({
  id: 'process',
  initial: 'running',
  states: {
    running: { on: { EXIT: 'exited', OOM_KILL: 'killedOom', SIGSEGV: 'killedSigsegv' } },
    exited: { type: 'final' },
    killedOom: { type: 'final' },
    killedSigsegv: { type: 'final' },
  },
});

const stripId = (id: string) => id.replace(/^kernel\./, '');

/** the taken transitions and entered states, from xstate's inspection of the microsteps it ran */
const inspector = (run: RunState) => (e: InspectionEvent) => {
  if (e.type !== '@xstate.microstep') return;
  for (const t of e._transitions) {
    if (!t.target?.length) continue;
    const to = t.target.map((s) => stripId(s.id));
    run.taken.push({ from: stripId(t.source.id), to, event: t.eventType || 'always' });
    run.visited.push(...to);
  }
};

export function startKernelActor(kernel: Kernel, run: RunState) {
  const actor = createActor(kernelMachine, { input: { kernel, run }, inspect: inspector(run) });
  actor.start();
  return actor;
}

/**
 * The chart restarted at a saved state value (a checkpoint at a step boundary), over a restored
 * machine. xstate revives a restored context by walking it for actor references, which over a
 * frame table is a walk of millions of indexes: the snapshot is restored with an empty context
 * and the machine put in afterwards (the same objects the chart's actions then change).
 */
export function restoreKernelActor(kernel: Kernel, run: RunState, value: unknown, resumed: number) {
  const context = { k: null, run: null, resumed } as unknown as KernelContext;
  const snapshot = kernelMachine.resolveState({ value: value as never, context });
  const actor = createActor(kernelMachine, { snapshot, input: { kernel, run }, inspect: inspector(run) });
  const ctx = actor.getSnapshot().context;
  ctx.k = kernel;
  ctx.run = run;
  actor.start();
  return actor as ReturnType<typeof startKernelActor>;
}

/** The chart's state as `memlab sim --json` and the views carry it: { cpu: 'running', kswapd: 'asleep' }. */
export function chartState(actor: ReturnType<typeof startKernelActor>): { cpu: string; kswapd: string } {
  const v = actor.getSnapshot().value as { cpu: string; kswapd: string };
  return { cpu: v.cpu, kswapd: v.kswapd };
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

/** A guard as the chart reads it: 'crossedLow && in kswapd.balancing' for and([...]) and stateIn(...) */
/** A guard as the chart reads it: its name, 'crossedLow && in kswapd.balancing' for and([...]) with stateIn(...) */
export const guardName = (g: unknown): string | undefined => {
  if (!g) return undefined;
  if (typeof g === 'string') return g;
  // xstate's and()/stateIn() are functions carrying their parts
  const o = g as { type?: string; guards?: unknown[]; stateValue?: unknown; check?: { name?: string } };
  if (Array.isArray(o.guards)) return o.guards.map(guardName).join(/Or/.test(o.check?.name ?? '') ? ' || ' : ' && ');
  if (o.stateValue !== undefined) return `in ${String(o.stateValue).replace(/^#kernel\./, '')}`;
  return o.type;
};

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
      guard: guardName(t.guard),
    })),
  });
  return walk(kernelMachine.root);
}
