/**
 * LabApi: run a scenario for real on the host kernel, beside the simulator, step by step.
 * Nothing runs until the learner presses Run (real.start); real.stop ends it at any step.
 */
import { z } from 'zod';
import { method } from './protocol.js';

const counters = z.record(z.string(), z.number());

/** /proc/PID/status fields (kB), /proc/PID/stat faults, oom_score: the simulator's ProcStatus shape */
export const RealProc = z.object({
  pid: z.number(),
  VmSize: z.number(),
  VmRSS: z.number(),
  RssAnon: z.number(),
  RssFile: z.number(),
  RssShmem: z.number(),
  VmHWM: z.number(),
  VmSwap: z.number(),
  VmLck: z.number(),
  VmPTE: z.number(),
  VmData: z.number(),
  VmStk: z.number(),
  minflt: z.number(),
  majflt: z.number(),
  oom_score: z.number(),
  /** smaps_rollup's Rss and Pss (kB): exact, where status's counters may lag */
  Rss_rollup: z.number(),
  Pss: z.number(),
  state: z.string(),
});
export type RealProc = z.infer<typeof RealProc>;

export const SnapshotSchema = z.object({
  label: z.string(),
  step: z.number(),
  processes: z.record(z.string(), z.record(z.string(), z.union([z.number(), z.string()]))),
  meminfo: counters,
  vmstat: counters,
});
export type SnapshotLike = z.infer<typeof SnapshotSchema>;

export const SyscallSchema = z.object({ step: z.number(), proc: z.string(), call: z.string(), size: z.number(), text: z.string() });
export type SyscallLike = z.infer<typeof SyscallSchema>;

/** one step, both sides: the simulator's /proc and the kernel's after it, and the calls each made */
export const RealStep = z.object({
  /** 1-based; 0 is the state before the first step */
  step: z.number().int(),
  text: z.string(),
  sim: SnapshotSchema,
  real: SnapshotSchema,
  simSyscalls: z.array(SyscallSchema),
  realSyscalls: z.array(SyscallSchema),
  /** what differs on purpose here (a host fact, a step memlab cannot do for real) */
  notes: z.array(z.string()),
});
export type RealStep = z.infer<typeof RealStep>;

export const Containment = z.object({
  kind: z.enum(['cgroup-v1', 'cgroup-v2', 'systemd-run', 'none']),
  path: z.string().optional(),
  limitBytes: z.number().optional(),
  swapLimitBytes: z.number().optional(),
  why: z.string().optional(),
});

export const RealInfo = z.object({
  executor: z.enum(['c', 'python']),
  executorNote: z.string(),
  containment: Containment,
  /** how the system calls were seen: strace -f, or /proc/PID/maps diffs around each step */
  syscallSource: z.enum(['strace', 'maps']),
  /** MemAvailable (kB) before the run and its lowest while it ran */
  memAvailableBefore: z.number(),
  memAvailableLowest: z.number(),
  oomKills: z.number(),
  notes: z.array(z.string()),
});
export type RealInfo = z.infer<typeof RealInfo>;

/** `memlab sim --real --json`'s "real": the simulator's report shape, measured */
export const RealReport = z.object({
  snapshots: z.array(SnapshotSchema),
  syscalls: z.array(SyscallSchema),
  log: z.array(z.object({ step: z.number(), text: z.string() })),
  steps: z.array(RealStep),
  info: RealInfo,
  stopped: z.boolean(),
  error: z.object({ step: z.number(), message: z.string() }).optional(),
});
export type RealReport = z.infer<typeof RealReport>;

/** the per-process fields the side-by-side view compares, in order; counters are compared as changes over the step */
export const COMPARED_PROC_FIELDS = ['VmSize', 'VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'VmSwap', 'minflt', 'majflt', 'oom_score'] as const;
export const COMPARED_MEMINFO_FIELDS = ['MemFree', 'SwapFree'] as const;
export const COMPARED_VMSTAT_FIELDS = ['pgfault', 'pgmajfault', 'pswpin', 'pswpout', 'oom_kill'] as const;
/** fields whose value only grows: the view compares how much each grew during the step */
export const COUNTER_FIELDS = new Set<string>(['minflt', 'majflt', 'pgfault', 'pgmajfault', 'pswpin', 'pswpout', 'oom_kill']);
/** system-wide fields: the host's other processes move them too */
export const SYSTEM_FIELDS = new Set<string>(['MemFree', 'SwapFree', 'pgfault', 'pgmajfault', 'pswpin', 'pswpout', 'oom_kill']);

const ScenarioRef = z.union([
  z.object({ scenarioId: z.string().min(1).max(100) }).strict(),
  z.object({ text: z.string().max(2_000_000), fileName: z.string().max(255).optional() }).strict(),
  z.object({ packId: z.string().min(1).max(64), scenario: z.string().min(1).max(200) }).strict(),
]);

export const realMethods = {
  'real.check': method(
    ScenarioRef,
    z.object({ runnable: z.boolean(), why: z.string().optional(), executor: z.string().optional(), containment: z.string().optional() }),
    'Can this scenario run for real here (executor, cgroup, memory)? Runs nothing.',
  ),
  'real.start': method(
    ScenarioRef,
    z.object({ runId: z.string(), stepCount: z.number().int(), info: RealInfo.partial() }),
    'Run the scenario for real beside the simulator; each step arrives as a real.step event, the end as real.done.',
  ),
  'real.simplifications': method(z.object({}).strict(), z.object({ source: z.string(), items: z.array(z.string()) }), "The kernel README's list of where the model simplifies: what a difference between the two columns may come from."),
  'real.stop': method(z.object({ runId: z.string().max(100) }).strict(), z.object({ stopped: z.boolean(), pids: z.array(z.number()) }), 'Stop a run at the step it is at: every executor process is killed and its cgroup removed.'),
};

export const realEvents = {
  'real.step': z.object({ runId: z.string(), record: RealStep, pids: z.record(z.string(), z.number()) }),
  'real.done': z.object({ runId: z.string(), stopped: z.boolean(), info: RealInfo.optional(), error: z.string().optional(), pids: z.array(z.number()) }),
};
