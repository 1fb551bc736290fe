/**
 * The pack format: pack.yaml and each exercise's front matter, as zod schemas. The JSON Schema
 * published for authors (exercises/schema/) is generated from these.
 */
import { z } from 'zod';
import { policyShape } from './policy.js';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'an id is lower-case letters, digits and dashes');
const text = (max = 4000) => z.string().min(1).max(max);

export const PackPolicy = z
  .object({
    /** attempts before the solution may be shown (0 = unlimited attempts, solution only on giving up) */
    attempts_before_solution: z.number().int().min(0).max(100).default(3).describe('wrong attempts after which the solution may be shown; 0: only after giving up'),
    /** points a hint costs (0 = hints are free) */
    hint_cost: z.number().min(0).max(100).default(0).describe('points each hint costs out of 100; 0: hints are free'),
    /** points (out of 100) a right answer earns after the learner asked to see the solution */
    points_after_solution: z.number().min(0).max(100).default(0).describe('points out of 100 for a right answer given after the solution was shown (default 0); hints still cost'),
  })
  .strict();

export const Chapter = z
  .object({
    id,
    title: text(200),
    /** chapters that must be finished first */
    requires: z.array(id).default([]).describe('chapters to finish before this one unlocks'),
    exercises: z.array(z.string().regex(/^[\w./-]+\.md$/, 'an exercise is a .md file inside the pack')).min(1).describe('exercise files of the pack, in order'),
  })
  .strict();

export const PackManifest = z
  .object({
    id,
    title: text(200),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'version is semver: 1.0.0'),
    authors: z.array(text(200)).min(1),
    licence: text(100),
    /** memlab versions it needs, e.g. ">=0.1" */
    memlab: z.string().regex(/^>=\d+\.\d+(\.\d+)?$/, 'memlab is a minimum version like ">=0.1"').default('>=0.1'),
    description: z.string().max(4000).optional(),
    policy: PackPolicy.default(PackPolicy.parse({})),
    chapters: z.array(Chapter).min(1),
  })
  .strict();
export type PackManifest = z.output<typeof PackManifest>;

/** A parameter drawn per student: a range with a step, or one of some choices. */
export const Param = z.union([
  z.object({ range: z.tuple([z.number(), z.number()]), step: z.number().positive().default(1) }).strict(),
  z.object({ choices: z.array(z.union([z.number(), z.string()])).min(1) }).strict(),
]);

const Misconception = z
  .object({
    answer: z.union([z.string(), z.number(), z.array(z.number())]),
    /** table exercises: the field this wrong value belongs to */
    field: z.string().max(64).optional(),
    says: text(1000),
  })
  .strict();

const base = {
  id,
  title: text(200),
  /** a scenario file of the pack (scenarios/x.yaml) or a built-in one (builtin:virt-vs-res) */
  scenario: z.string().max(200).optional().describe('builtin:NAME or a scenario file of the pack (scenarios/x.yaml)'),
  /** open the simulator at this step beside the exercise */
  show_step: z.number().int().min(0).optional(),
  params: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a parameter name is lower-case letters, digits and _, starting with a letter or _'), Param).default({}).describe('values drawn per student: { range: [lo, hi], step } or { choices: [...] }; {{name}} in text, name in expressions'),
  hints: z.array(text(1000)).default([]).describe('shown one at a time on request'),
  explanation: text(8000).describe('Markdown shown after a correct answer or giving up'),
  misconceptions: z.array(Misconception).default([]).describe('known wrong answers and what they reveal, shown instead of a bare "wrong"'),
  /** an answer the checker must reject (pack check uses it; a default is made when absent) */
  wrong_example: z.union([z.string(), z.number(), z.array(z.number())]).optional(),
};

/** A number with units, e.g. "2 GiB" or "expr: sim.end.a.VmRSS * 1024" */
const NumericAnswer = z
  .object({
    /** the expected value, a safe expression (units allowed): "1 GiB", "size * 1024", "sim.end.a.VmRSS kB" */
    expr: text(500).describe('the expected value: a safe expression with units, parameters and scenario results (sim.LABEL.PROC.FIELD)'),
    /** what the answer is measured in: bytes (accepts B, KiB, MiB, GiB, kB, pages), or count (a plain number) */
    quantity: z.enum(['bytes', 'count', 'percent']).default('bytes'),
    /** "1%" or an absolute amount in the same quantity ("4 KiB", "2") */
    tolerance: z.string().max(50).default('0'),
  })
  .strict();

/** One number of a `table` exercise: the student fills several fields, each checked on its own. */
const TableField = z
  .object({
    /** key of the field in the answer, e.g. virt */
    name: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a field name is lower-case letters, digits and _'),
    /** what the student sees beside the box, e.g. "VIRT" */
    label: text(200),
    expr: text(500),
    quantity: z.enum(['bytes', 'count', 'percent']).default('bytes'),
    tolerance: z.string().max(50).default('0'),
  })
  .strict();

const Knob = z
  .object({
    /** machine.swappiness, machine.ram, machine.swap, processes.<name>.oom_score_adj, steps.<n>.<field> */
    path: z.string().regex(/^(machine\.\w+|processes\.[\w.-]+\.\w+|steps\.\d+\.\w+)$/, 'a knob path is machine.<field>, processes.<name>.<field> or steps.<n>.<field>'),
    label: text(200),
    min: z.number(),
    max: z.number(),
    step: z.number().positive(),
    unit: z.enum(['', 'MiB', 'GiB']).default(''),
  })
  .strict();

/**
 * An option of a choice or multiple question, or an item of an ordering: its text, or its text
 * with its own reason (`why`, Markdown) that the learner sees when their answer goes wrong on it.
 * Give every option a reason, right and wrong alike, so the reason never singles out the answer.
 */
const Option = (max: number) =>
  z.union([
    text(max),
    z
      .object({ text: text(max), why: text(1000).describe('Markdown: why this option is right or wrong, shown when the answer goes wrong on it') })
      .strict(),
  ]);
type OptionIn = string | { text: string; why: string };
/** A matching pair: [left, right], [left, right, why] or { left, right, why }; the why is about the right-hand side. */
const Pair = z.union([
  z.tuple([text(200), text(300)]),
  z.tuple([text(200), text(300), text(1000)]),
  z.object({ left: text(200), right: text(300), why: text(1000).optional() }).strict(),
]);
type PairIn = z.input<typeof Pair>;
const optText = (o: OptionIn) => (typeof o === 'string' ? o : o.text);
const optWhy = (o: OptionIn) => (typeof o === 'string' ? undefined : o.why);
/** The checkers see plain texts plus a parallel list of reasons (`why[i]` belongs to option, item or pair i). */
type Why = Array<string | undefined>;
export const withOptionWhy = <T extends { options: OptionIn[] }>(o: T): Omit<T, 'options'> & { options: string[]; why: Why } => ({ ...o, options: o.options.map(optText), why: o.options.map(optWhy) });
export const withItemWhy = <T extends { items: OptionIn[] }>(o: T): Omit<T, 'items'> & { items: string[]; why: Why } => ({ ...o, items: o.items.map(optText), why: o.items.map(optWhy) });
export const withPairWhy = <T extends { pairs: PairIn[] }>(o: T): Omit<T, 'pairs'> & { pairs: Array<[string, string]>; why: Why } => ({
  ...o,
  pairs: o.pairs.map((p): [string, string] => (Array.isArray(p) ? [p[0], p[1]] : [p.left, p.right])),
  why: o.pairs.map((p) => (Array.isArray(p) ? p[2] : p.why)),
});

/**
 * What each kind adds to the common fields. Guided-lab stages reuse these, so a stage may ask a
 * question of any (non-guided) kind.
 */
const kindShapes = {
  numeric: { kind: z.literal('numeric'), answer: NumericAnswer },
  table: { kind: z.literal('table'), fields: z.array(TableField).min(2).max(12) },
  choice: { kind: z.literal('choice'), options: z.array(Option(500)).min(2).max(10), answer: z.number().int().min(0) },
  multiple: { kind: z.literal('multiple'), options: z.array(Option(500)).min(2).max(10), answer: z.array(z.number().int().min(0)).min(1) },
  ordering: { kind: z.literal('ordering'), items: z.array(Option(300)).min(2).max(12) },
  matching: { kind: z.literal('matching'), pairs: z.array(Pair).min(2).max(12) },
  text: { kind: z.literal('text'), patterns: z.array(text(300)).min(1), reference: text(300) },
  predict: { kind: z.literal('predict'), scenario: z.string().max(200), answer: NumericAnswer },
  tune: {
    kind: z.literal('tune'),
    scenario: z.string().max(200),
    knobs: z.array(Knob).min(1),
    /** every goal must hold at the end of the run, e.g. "vmstat.oom_kill == 0", "b.state == killed:oom" */
    goals: z.array(z.union([text(300), z.object({ goal: text(300), label: text(200).optional().describe('what students read instead of the comparison') }).strict()])).min(1),
    /** knob values that meet the goals (pack check proves it) */
    solution: z.record(z.string(), z.number()),
  },
  /**
   * malloc-touch: a probe allocates and writes size_mib MiB; scenario: the learner runs the exercise's
   * scenario for real (Run for real) and answer.expr, read over the kernel's run, is the measurement
   */
  observe: { kind: z.literal('observe'), probe: z.enum(['malloc-touch', 'scenario']), size_mib: z.number().int().min(1).max(512).optional(), answer: NumericAnswer },
  /** page replacement on a reference string (policy.ts) */
  policy: policyShape,
} as const;

const question = <K extends keyof typeof kindShapes>(k: K) =>
  z
    .object({
      ...kindShapes[k],
      /** predict and tune questions run the lab's scenario unless they name another */
      scenario: z.string().max(200).optional(),
      /** the question, Markdown; {{param}} allowed */
      prompt: text(4000),
      hints: z.array(text(1000)).default([]),
      misconceptions: z.array(Misconception).default([]),
      wrong_example: base.wrong_example,
      explanation: z.string().max(8000).optional(),
    })
    .strict();

/** A question asked at a guided-lab stage: any kind but observe and guided. */
export const StageQuestion = z.discriminatedUnion('kind', [
  question('numeric'),
  question('table'),
  question('choice').transform(withOptionWhy),
  question('multiple').transform(withOptionWhy),
  question('ordering').transform(withItemWhy),
  question('matching').transform(withPairWhy),
  question('text'),
  question('predict'),
  question('tune'),
]);
export type StageQuestion = z.output<typeof StageQuestion>;

/** What a guided stage points at; pack check proves each target exists at its stage. */
export const Highlight = z.union([
  z.object({ vma: z.string().min(1).max(100), process: z.string().max(100).optional() }).strict(),
  z.object({ frame: z.number().int().min(0) }).strict(),
  z
    .object({
      counter: z.string().regex(/^(vmstat|meminfo)\.\w+$|^[\w.-]+\.\w+$/, 'a counter is vmstat.<name>, meminfo.<name> or <process>.<field>'),
      /** false: mark the counter without printing its value (while the stage's question is open) */
      value: z.literal(false).optional().describe('false: mark the counter but hide its value until the stage is answered (when the question asks for it)'),
    })
    .strict(),
  z.object({ state: z.string().min(1).max(100) }).strict(),
  z.object({ log: z.string().min(1).max(300), in: z.enum(['dmesg', 'strace', 'faults']).optional().describe('the log to search: the kernel log, the system calls or the page faults; left out, all of them') }).strict(),
]);

export const GuidedStage = z
  .object({
    id,
    title: text(200).optional(),
    /** scenario steps to run since the previous stage (0: stay) */
    advance: z.number().int().min(0).max(10000).default(1),
    /** what to look at now, Markdown */
    say: text(4000),
    highlight: z.array(Highlight).default([]),
    question: StageQuestion.optional(),
    /** a wrong answer sends the student back to an earlier stage, with a word on what to watch */
    on_wrong: z.object({ back_to: id, say: text(1000).optional() }).strict().optional(),
  })
  .strict();
export type GuidedStage = z.output<typeof GuidedStage>;

export const Exercise = z.discriminatedUnion('kind', [
  z.object({ ...base, ...kindShapes.numeric }).strict(),
  z.object({ ...base, ...kindShapes.table }).strict(),
  z.object({ ...base, ...kindShapes.choice }).strict().transform(withOptionWhy),
  z.object({ ...base, ...kindShapes.multiple }).strict().transform(withOptionWhy),
  z.object({ ...base, ...kindShapes.ordering }).strict().transform(withItemWhy),
  z.object({ ...base, ...kindShapes.matching }).strict().transform(withPairWhy),
  z.object({ ...base, ...kindShapes.text }).strict(),
  z.object({ ...base, ...kindShapes.predict }).strict(),
  z.object({ ...base, ...kindShapes.tune }).strict(),
  z
    .object({ ...base, ...kindShapes.observe })
    .strict()
    .superRefine((ex, ctx) => {
      if (ex.probe === 'malloc-touch' && ex.size_mib === undefined) ctx.addIssue({ code: 'custom', path: ['size_mib'], message: 'probe malloc-touch needs size_mib: how many MiB the probe writes' });
      if (ex.probe === 'scenario' && !ex.scenario) ctx.addIssue({ code: 'custom', path: ['scenario'], message: 'probe scenario needs scenario: the one the learner runs for real (builtin:NAME or scenarios/x.yaml)' });
    }),
  z.object({ ...base, ...kindShapes.policy }).strict(),
  /** a guided lab: one scenario walked through stage by stage (issue 6 builds its view on this) */
  z.object({ ...base, kind: z.literal('guided'), scenario: z.string().max(200), stages: z.array(GuidedStage).min(1).max(100) }).strict(),
]);
export type Exercise = z.output<typeof Exercise>;
export type ExerciseKind = Exercise['kind'];
export const EXERCISE_KINDS: ExerciseKind[] = ['numeric', 'table', 'choice', 'multiple', 'ordering', 'matching', 'text', 'predict', 'tune', 'observe', 'guided', 'policy'];
