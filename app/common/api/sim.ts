/** LabApi: the kernel simulator. The kernel runs in the main process; the renderer sees views. */
import { z } from 'zod';
import { method } from './protocol.js';

const counters = z.record(z.string(), z.number());

export const ScenarioInfo = z.object({
  /** a built-in scenario's name, or `pack:<packId>:<path>` for a scenario file inside an open pack */
  id: z.string(),
  title: z.string(),
  description: z.string(),
  /** the pack it is in (absent: built in) */
  pack: z.object({ id: z.string(), title: z.string() }).optional(),
});
export type ScenarioInfo = z.infer<typeof ScenarioInfo>;

export const LoadedScenario = z.object({
  sessionId: z.string(),
  title: z.string(),
  description: z.string(),
  /** what the run shows (the answer to a question over it): beside an exercise, shown only once it is answered */
  outcome: z.string().optional(),
  stepCount: z.number().int(),
  steps: z.array(z.string()),
  processes: z.array(z.string()),
  machine: z.object({ ramBytes: z.number(), swapBytes: z.number(), pageSize: z.number() }),
  /** the scenario's text, for the editor */
  source: z.string(),
});
export type LoadedScenario = z.infer<typeof LoadedScenario>;

export const TopRowSchema = z.object({
  pid: z.number(),
  name: z.string(),
  VIRT: z.number(),
  RES: z.number(),
  SHR: z.number(),
  SWAP: z.number(),
  MEM_PCT: z.number(),
  minflt: z.number(),
  majflt: z.number(),
  oom_score: z.number(),
  oom_score_adj: z.number(),
  state: z.string(),
});

export const PmapRowSchema = z.object({
  address: z.string(),
  kbytes: z.number(),
  rss: z.number(),
  dirty: z.number(),
  mode: z.string(),
  mapping: z.string(),
  kind: z.string(),
  label: z.string().optional(),
  resident: z.number(),
  swapped: z.number(),
  zero: z.number(),
  untouched: z.number(),
  locked: z.boolean(),
});

/** lines of one log: `total` held up to this step, `lost` overwritten (the fault trace is a ring buffer) */
const LogTail = z.object({ total: z.number().int().min(0), lost: z.number().int().min(0), tail: z.array(z.string()) });

export const LOG_STREAMS = ['dmesg', 'strace', 'faults'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];
/** lines sent with each view, and the most sim.log returns at once */
export const LOG_TAIL = 64;
export const LOG_PAGE_MAX = 2000;

export const SimView = z.object({
  step: z.number().int(),
  stepCount: z.number().int(),
  /** the step just run ('' at step 0) */
  lastStep: z.string(),
  /** statechart states active after the step, e.g. cpu.running, kswapd.balancing */
  active: z.array(z.string()),
  /** states entered during the step, in order */
  visited: z.array(z.string()),
  /** states active before the step (after the one before it): where the step's first transition left from */
  activeBefore: z.array(z.string()),
  processes: z.array(TopRowSchema),
  status: z.record(z.string(), z.record(z.string(), z.union([z.number(), z.string()]))),
  /** pmap of each live process asked for (sim.seek's `maps`), by name */
  maps: z.record(z.string(), z.array(PmapRowSchema)),
  frames: z.object({
    /**
     * base64 of one byte per cell, the class most of its frames are in: 0 free, 1 anonymous
     * (private: mapped once), 2 page cache, 3 dirty cache, 4 shmem, 5 kernel, 6 locked,
     * 7 anonymous shared (mapcount > 1: still shared after fork, not yet copied)
     */
    cells: z.string(),
    /** owning pid of each cell, run-length encoded as [pid, cells] pairs (-1: no process) */
    owners: z.array(z.tuple([z.number().int(), z.number().int().positive()])),
    framesPerCell: z.number().int(),
    total: z.number().int(),
    /** frames in each class above, counted frame by frame (a cell may mix classes) */
    counts: z.array(z.number().int().nonnegative()),
  }),
  watermarks: z.object({ min: z.number(), low: z.number(), high: z.number(), free: z.number() }),
  meminfo: counters,
  vmstat: counters,
  /**
   * The logs up to this step: how many lines each holds and its newest lines (what a list that
   * follows the end shows); older lines come a page at a time from sim.log, so a log of
   * 100,000 lines never travels with every step.
   */
  logs: z.object({ dmesg: LogTail, strace: LogTail, faults: LogTail }),
  /** one entry per step 0..step */
  series: z.object({
    memFree: z.array(z.number()),
    rss: z.record(z.string(), z.array(z.number())),
    swap: z.record(z.string(), z.array(z.number())),
    heap: z.record(z.string(), z.array(z.number())),
    vmstat: z.record(z.string(), z.array(z.number())),
  }),
  error: z.object({ step: z.number(), message: z.string() }).optional(),
});
export type SimView = z.infer<typeof SimView>;

export const ChartNodeSchema: z.ZodType<{
  id: string;
  key: string;
  type: string;
  description?: string;
  children: unknown[];
  transitions: { event: string; target: string[]; guard?: string }[];
}> = z.lazy(() =>
  z.object({
    id: z.string(),
    key: z.string(),
    type: z.string(),
    description: z.string().optional(),
    children: z.array(ChartNodeSchema),
    transitions: z.array(z.object({ event: z.string(), target: z.array(z.string()), guard: z.string().optional() })),
  }),
);

/** The statechart laid out for drawing (app/common/kernel/chart_layout.ts): per region, boxes and routed edges in SVG units. */
const LaidPointSchema = z.object({ x: z.number(), y: z.number() });
export const ChartLayoutSchema = z.object({
  regions: z.array(
    z.object({
      key: z.string(),
      width: z.number(),
      height: z.number(),
      nodes: z.array(
        z.object({
          id: z.string(),
          key: z.string(),
          description: z.string().optional(),
          initial: z.boolean(),
          final: z.boolean().optional(),
          internal: z.array(z.string()),
          x: z.number(),
          y: z.number(),
          width: z.number(),
          height: z.number(),
        }),
      ),
      edges: z.array(
        z.object({
          id: z.string(),
          from: z.string(),
          to: z.string(),
          label: z.string(),
          event: z.string(),
          guard: z.string().optional(),
          points: z.array(LaidPointSchema),
          d: z.string(),
          labelX: z.number(),
          labelY: z.number(),
        }),
      ),
      initial: z.object({ x: z.number(), y: z.number(), r: z.number(), points: z.array(LaidPointSchema) }).nullable(),
    }),
  ),
});
export type ChartLayout = z.infer<typeof ChartLayoutSchema>;

/** one step in the step form: the verb, who runs it, and its fields as YAML text */
const StepFormSchema = z
  .object({
    verb: z.string().max(40),
    proc: z.string().max(64).optional(),
    note: z.string().max(500).optional(),
    fields: z.record(z.string().max(40), z.string().max(500)),
  })
  .strict();

/** values for a scenario's {{…}} placeholders (over its own `params:` defaults): an exercise's drawn parameters, so the simulator beside it runs the learner's variant */
export const ScenarioParams = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).max(64), z.union([z.number(), z.string().max(200)]));
export type ScenarioParams = z.infer<typeof ScenarioParams>;

const ScenarioSource = z.union([
  z.object({ scenarioId: z.string().min(1).max(100), params: ScenarioParams.optional() }).strict(),
  z.object({ text: z.string().max(2_000_000), fileName: z.string().max(255).optional(), params: ScenarioParams.optional() }).strict(),
  /** a scenario file inside an open pack, by its path in the pack (scenarios/x.yaml) */
  z.object({ packId: z.string().min(1).max(64), scenario: z.string().min(1).max(200), params: ScenarioParams.optional() }).strict(),
]);
export type ScenarioSource = z.infer<typeof ScenarioSource>;

/** The source a ScenarioInfo id names: `pack:<packId>:<path>` or a built-in name. */
export function scenarioSource(id: string): ScenarioSource {
  const m = /^pack:([a-z0-9][a-z0-9-]*):(.+)$/.exec(id);
  return m ? { packId: m[1]!, scenario: m[2]! } : { scenarioId: id };
}
export const packScenarioId = (packId: string, path: string) => `pack:${packId}:${path}`;

export const simMethods = {
  'sim.listScenarios': method(z.object({}).strict(), z.object({ scenarios: z.array(ScenarioInfo) }), 'The built-in scenarios, then those inside open packs.'),
  'sim.load': method(ScenarioSource, LoadedScenario, 'Open a scenario (built-in, inside an open pack, or text) as a session positioned before step 1.'),
  'sim.seek': method(
    z
      .object({
        sessionId: z.string().max(100),
        step: z.number().int().min(0),
        /** the processes whose maps (pmap) to include — a view draws one; default every process */
        maps: z.array(z.string().max(64)).max(1000).optional(),
      })
      .strict(),
    SimView,
    'Move a session to after the given step (0 = before any) and return everything the views draw.',
  ),
  'sim.log': method(
    z.object({ sessionId: z.string().max(100), stream: z.enum(LOG_STREAMS), from: z.number().int().min(0), count: z.number().int().min(1).max(LOG_PAGE_MAX) }).strict(),
    /** `step`: where the session stands (a reply for a step the view has left is stale) */
    z.object({ step: z.number().int(), total: z.number().int(), from: z.number().int(), lines: z.array(z.string()) }),
    "Lines [from, from + count) of one log as it stands at the session's step (dmesg, strace, or the page-fault trace).",
  ),
  'sim.close': method(z.object({ sessionId: z.string().max(100) }).strict(), z.object({ closed: z.boolean() }), 'Forget a session.'),
  'sim.statechart': method(
    z.object({}).strict(),
    z.object({ chart: ChartNodeSchema, layout: ChartLayoutSchema, process: ChartLayoutSchema }),
    'The kernel statechart, for drawing, and its layout (boxes and routed transition arrows per region); `process`: the layout of each task\'s lifecycle machine.',
  ),
  'sim.validate': method(
    z.object({ text: z.string().max(2_000_000), fileName: z.string().max(255).optional() }).strict(),
    z.object({ ok: z.boolean(), error: z.object({ message: z.string(), line: z.number().optional(), field: z.string().optional(), step: z.number().optional() }).optional() }),
    'Check a scenario without running it.',
  ),
  'sim.editMachine': method(
    z
      .object({
        text: z.string().max(2_000_000),
        machine: z
          .object({
            ram: z.string().max(20).optional(),
            swap: z.string().max(20).optional(),
            swappiness: z.number().int().min(0).max(200).optional(),
            overcommit_memory: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
          })
          .strict(),
      })
      .strict(),
    z.object({ text: z.string() }),
    'Set machine fields in a scenario text from the editor form, keeping its comments and layout.',
  ),
  'sim.readSteps': method(
    z.object({ text: z.string().max(2_000_000) }).strict(),
    z.object({
      processes: z.array(z.string()),
      steps: z.array(StepFormSchema),
      /** per verb, its fields in order (the verb's own first): what the form offers */
      fields: z.record(z.string(), z.array(z.object({ name: z.string(), required: z.boolean(), default: z.string().optional() }))),
    }),
    'The steps of a scenario text as the step form edits them.',
  ),
  'sim.editStep': method(
    z
      .object({
        text: z.string().max(2_000_000),
        edit: z.discriminatedUnion('op', [
          z.object({ op: z.literal('set'), index: z.number().int().min(0), step: StepFormSchema }).strict(),
          z.object({ op: z.literal('insert'), index: z.number().int().min(0), step: StepFormSchema }).strict(),
          z.object({ op: z.literal('delete'), index: z.number().int().min(0) }).strict(),
          z.object({ op: z.literal('move'), index: z.number().int().min(0), to: z.number().int().min(0) }).strict(),
        ]),
      })
      .strict(),
    z.object({ text: z.string() }),
    'Change, insert, delete or move one step of a scenario text, keeping the rest as written.',
  ),
  'sim.run': method(
    z.union([
      z.object({ scenarioId: z.string().min(1).max(100), seed: z.number().int().optional() }).strict(),
      z.object({ text: z.string().max(2_000_000), seed: z.number().int().optional() }).strict(),
    ]),
    z.object({
      snapshots: z.array(z.object({ label: z.string(), step: z.number(), kernel: z.object({ cpu: z.string(), kswapd: z.string() }).optional(), zone: z.object({ min: z.number(), low: z.number(), high: z.number(), free: z.number() }).optional(), processes: z.record(z.string(), z.record(z.string(), z.union([z.number(), z.string()]))), vmstat: counters, meminfo: counters })),
      syscalls: z.array(z.object({ step: z.number(), proc: z.string(), call: z.string(), size: z.number(), text: z.string() })),
      log: z.array(z.object({ step: z.number(), text: z.string() })),
      error: z.object({ step: z.number(), message: z.string(), field: z.string().optional(), line: z.number().optional() }).optional(),
    }),
    'Run a scenario to the end: the memlab sim --json report.',
  ),
};

/**
 * A sim.seek that has run for a while (100 ms by default) says how far it is, at most every 50 ms,
 * to the client that asked only: the step running and the pages its touches have done so far.
 * Nothing says it ended: the seek's answer (the view) does.
 */
export const SimProgress = z.object({
  sessionId: z.string(),
  /** the step running now (1-based) */
  step: z.number().int().min(1),
  /** steps in the scenario */
  of: z.number().int().min(1),
  /** the step the seek goes to */
  target: z.number().int().min(0),
  /** pages the step's touches have done so far, of the pages they cover (a touch that starts later in the step adds its own) */
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  unit: z.literal('pages'),
  /** since the seek began */
  elapsedMs: z.number().min(0),
});
export type SimProgress = z.infer<typeof SimProgress>;

export const simEvents = {
  'sim.progress': SimProgress,
};
