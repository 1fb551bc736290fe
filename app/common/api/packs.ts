/** LabApi: packs, exercises and progress. */
import { z } from 'zod';
import { method } from './protocol.js';

export const PackProblemSchema = z.object({ file: z.string(), line: z.number().optional(), column: z.number().optional(), field: z.string().optional(), message: z.string(), level: z.literal('warning').optional() });

export const PackSummary = z.object({
  id: z.string(),
  title: z.string(),
  version: z.string(),
  source: z.string(),
  builtin: z.boolean(),
  exercises: z.number().int(),
  problems: z.array(PackProblemSchema),
});
export type PackSummary = z.infer<typeof PackSummary>;

/** correct: earned; after-solution: answered right after the solution was shown; gave-up: solution shown by giving up */
const ExerciseStatus = z.enum(['new', 'tried', 'correct', 'after-solution', 'gave-up']);
export type ExerciseStatus = z.infer<typeof ExerciseStatus>;

/** How a finished question (an exercise or a lab's stage) was finished. */
export const Outcome = z.enum(['open', 'earned', 'after-solution', 'gave-up']);
export type Outcome = z.infer<typeof Outcome>;

export const PackDetail = PackSummary.extend({
  description: z.string(),
  /** continue where the learner left off: the first unfinished exercise of an unlocked chapter */
  resume: z.string().optional(),
  chapters: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      requires: z.array(z.string()),
      locked: z.boolean(),
      exercises: z.array(z.object({ id: z.string(), title: z.string(), kind: z.string(), status: ExerciseStatus, /** the exercise's file in the pack, so problems can be shown beside it */ file: z.string().optional() })),
    }),
  ),
});
export type PackDetail = z.infer<typeof PackDetail>;

const Quantity = z.enum(['bytes', 'count', 'percent']);

/** The widget of every kind a guided stage may ask too. */
const questionWidgets = [
  /** one number; bytes accept B, KiB, MiB, GiB, kB and pages */
  z.object({ kind: z.literal('numeric'), quantity: Quantity }),
  /** several numbers, each checked (and credited) on its own */
  z.object({ kind: z.literal('table'), fields: z.array(z.object({ name: z.string(), label: z.string(), quantity: Quantity })) }),
  z.object({ kind: z.literal('choice'), options: z.array(z.string()) }),
  z.object({ kind: z.literal('multiple'), options: z.array(z.string()) }),
  /** items shuffled per learner; answer with all of them in order */
  z.object({ kind: z.literal('ordering'), items: z.array(z.string()) }),
  z.object({ kind: z.literal('matching'), lefts: z.array(z.string()), rights: z.array(z.string()) }),
  z.object({ kind: z.literal('text') }),
  z.object({ kind: z.literal('predict'), quantity: Quantity }),
  z.object({
    kind: z.literal('tune'),
    knobs: z.array(z.object({ path: z.string(), label: z.string(), min: z.number(), max: z.number(), step: z.number(), unit: z.string(), value: z.number() })),
    goals: z.array(z.string()),
  }),
] as const;
export const QuestionWidget = z.discriminatedUnion('kind', [...questionWidgets]);
export type QuestionWidget = z.infer<typeof QuestionWidget>;

/** A question stage's own grading: attempts, hints and solution of that stage alone. */
export const StageGrade = z.object({
  outcome: Outcome,
  attempts: z.number().int(),
  /** wrong attempts left before this stage's solution may be asked for */
  attemptsLeft: z.number().int(),
  hints: z.array(z.string()),
  hintsTotal: z.number().int(),
  /** "Show the solution" may be asked for now */
  solutionAvailable: z.boolean(),
  solutionViewed: z.boolean(),
  /** only once asked for (or given up): never a stage's solution before that */
  solution: z.string().optional(),
  /** once the stage is done */
  points: z.number().optional(),
  explanation: z.string().optional(),
});
export type StageGrade = z.infer<typeof StageGrade>;

export const GuidedStageView = z.object({
  id: z.string(),
  title: z.string(),
  /** the scenario step the lab stands at in this stage (cumulative advance) */
  step: z.number().int(),
  /** false for stages beyond the next unanswered question: they carry no text, question or solution */
  reached: z.boolean(),
  /** what to look at, rendered and sanitised ('' until reached) */
  html: z.string(),
  /** what to look at; `value: false` marks a counter without printing its value */
  highlight: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  question: z.object({ html: z.string(), widget: QuestionWidget }).optional(),
  /** question stages that were reached */
  grade: StageGrade.optional(),
});
export type GuidedStageView = z.infer<typeof GuidedStageView>;

export const Widget = z.discriminatedUnion('kind', [
  ...questionWidgets,
  /** live: the host panel measured the probe; otherwise a simulated run of the same probe is used */
  z.object({ kind: z.literal('observe'), quantity: Quantity, probe: z.string(), sizeMib: z.number().optional(), live: z.boolean(), scenario: z.string().optional() }),
  /** page replacement: the reference string, the policy and frames, and what is asked (hits, misses, victim at `at`, final_cache, anomaly in `sizes`) */
  z.object({
    kind: z.literal('policy'),
    reference: z.array(z.number().int()),
    policy: z.string(),
    cacheSize: z.number().int().nullable(),
    ask: z.string(),
    at: z.number().int().nullable(),
    sizes: z.tuple([z.number().int(), z.number().int()]),
    compare: z.array(z.string()),
    clockbits: z.number().int(),
    seed: z.string(),
  }),
  /** a guided lab: stages over one scenario; `stage` is the index the learner has reached */
  z.object({ kind: z.literal('guided'), scenario: z.string(), stages: z.array(GuidedStageView), stage: z.number().int(), policy: z.object({ hintCost: z.number(), pointsAfterSolution: z.number() }) }),
]);
export type Widget = z.infer<typeof Widget>;

export const ExerciseView = z.object({
  packId: z.string(),
  id: z.string(),
  title: z.string(),
  kind: z.string(),
  chapter: z.string(),
  /** the prose, rendered and sanitised on the main side (raw HTML off, links and images restricted) */
  html: z.string(),
  widget: Widget,
  /** open the simulator beside the exercise: a scenario id as sim.listScenarios gives them (built-in or `pack:<packId>:<path>`) and step; for a guided lab, step is that of the stage reached */
  simulator: z
    .object({
      scenarioId: z.string(),
      step: z.number(),
      /** predict: the simulator stops before this step (the outcome) until the prediction is committed */
      until: z.number().int().optional(),
      /** the exercise is answered (or its solution shown): the scenario's `outcome` note may be shown beside it */
      reveal: z.boolean().optional(),
      /** this learner's drawn parameters the scenario's {{…}} use (only those): the simulator runs this variant, as the question's numbers say */
      params: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
    })
    .optional(),
  status: ExerciseStatus,
  outcome: Outcome,
  /** this attempt's number (1 + the attempts kept from before resets) */
  attempt: z.number().int(),
  /** the variant whose parameters this attempt drew */
  variant: z.number().int(),
  /** author mode: a variant opened by URL; answers to it are not recorded */
  preview: z.boolean().optional(),
  /** points so far under the pack's policy, once finished */
  points: z.number().optional(),
  /** "Show the solution" may be asked for now */
  solutionAvailable: z.boolean(),
  solutionViewed: z.boolean(),
  /** points a right answer earns after the solution was shown */
  pointsAfterSolution: z.number(),
  attempts: z.number().int(),
  /** wrong attempts left before the solution is offered */
  attemptsLeft: z.number().int(),
  /** the hints asked for so far, as HTML (pack Markdown rendered with raw HTML off) */
  hints: z.array(z.string()),
  hintsTotal: z.number().int(),
  /** points each hint costs under the pack's policy (0: hints are free) */
  hintCost: z.number(),
  explanation: z.string().optional(),
  solution: z.string().optional(),
  prev: z.string().optional(),
  next: z.string().optional(),
});
export type ExerciseView = z.infer<typeof ExerciseView>;

export const AnswerSchema = z.union([
  z.object({ value: z.string().max(200) }).strict(),
  z.object({ choice: z.number().int() }).strict(),
  z.object({ choices: z.array(z.number().int()).max(20) }).strict(),
  z.object({ order: z.array(z.string().max(500)).max(20) }).strict(),
  z.object({ matches: z.record(z.string().max(300), z.string().max(300)) }).strict(),
  z.object({ text: z.string().max(2000) }).strict(),
  z.object({ knobs: z.record(z.string().max(100), z.number()) }).strict(),
  z.object({ values: z.record(z.string().max(64), z.string().max(200)) }).strict(),
]);

/** Any answer; a guided lab's answer names the stage whose question it answers. */
export const LabAnswerSchema = z.union([AnswerSchema, z.object({ stage: z.string().max(64), answer: AnswerSchema }).strict()]);

export const AnswerResult = z.object({
  verdict: z.enum(['correct', 'incorrect', 'invalid']),
  message: z.string(),
  /** numeric kinds: the unit the answer was read in */
  unitRead: z.string().optional(),
  /** HTML (pack Markdown rendered with raw HTML off): the misconception this answer shows, or the chosen option's own reason */
  diagnosis: z.string().optional(),
  /** share right, for kinds with several parts */
  partial: z.number().optional(),
  /** table: each field's own verdict */
  fields: z.record(z.string(), z.object({ verdict: z.enum(['correct', 'incorrect', 'invalid']), message: z.string(), unitRead: z.string().optional(), diagnosis: z.string().optional() })).optional(),
  /** guided: the earlier stage this wrong answer depends on (the learner stays where they are) */
  backTo: z.string().optional(),
  /** guided: why that earlier stage matters, and its title, for the "revisit" offer */
  revisit: z.object({ stage: z.string(), title: z.string(), why: z.string() }).optional(),
  /** guided: the stage this answer was for */
  stage: z.string().optional(),
});

const ExRef = z.object({ packId: z.string().max(64), exerciseId: z.string().max(64) }).strict();
/** an exercise, or one stage of a guided lab */
const StageRef = ExRef.extend({ stage: z.string().min(1).max(64).optional() }).strict();

export const packMethods = {
  'pack.list': method(z.object({}).strict(), z.object({ packs: z.array(PackSummary), notice: z.string().optional() }), 'Open packs, built-in first; notice: progress recovered from backup.'),
  'pack.open': method(z.object({ path: z.string().min(1).max(4096) }).strict(), PackSummary, 'Open a pack folder or .memlab file on this computer.'),
  'pack.openBytes': method(
    z.object({ fileName: z.string().min(1).max(255), base64: z.string().max(70 * 1024 * 1024) }).strict(),
    PackSummary,
    'Open a .memlab file the user dropped or picked in the browser.',
  ),
  'pack.watch': method(
    z.object({ packId: z.string().max(64), watch: z.boolean() }).strict(),
    z.object({ watching: z.boolean() }),
    'Author mode: reload a pack folder whenever a file in it is saved, and send pack.changed.',
  ),
  'pack.get': method(z.object({ packId: z.string().max(64) }).strict(), PackDetail, 'A pack with its chapters, lock state and progress marks.'),
  'exercise.get': method(
    ExRef.extend({ variant: z.number().int().min(0).max(1_000_000).optional() }).strict(),
    ExerciseView,
    'One exercise as the learner sees it now; variant (author mode only): preview that variant\'s parameters, recording nothing.',
  ),
  'exercise.answer': method(
    ExRef.extend({ answer: LabAnswerSchema, measured: z.number().nonnegative().optional(), realRunId: z.string().max(100).optional(), variant: z.number().int().min(0).max(1_000_000).optional() }).strict(),
    AnswerResult.extend({ exercise: ExerciseView }),
    'Check an answer; an unreadable one is invalid and costs no attempt. measured: the host panel\'s live reading (bytes) for observe exercises.',
  ),
  'exercise.advanceStage': method(
    ExRef.extend({ stage: z.string().min(1).max(64) }).strict(),
    ExerciseView,
    'Guided labs: record that the learner went on to this stage (by id), so a restart resumes there. Refused past an unanswered question; never lowers the stage reached.',
  ),
  'exercise.hint': method(StageRef, ExerciseView, 'Show the next hint (of a lab\'s stage when stage is given).'),
  'exercise.solution': method(StageRef, ExerciseView, 'Show the solution once the policy allows it; recorded, and a right answer after it earns the policy\'s points_after_solution.'),
  'exercise.giveUp': method(StageRef, ExerciseView, 'Give up (the UI asks first): the solution and explanation are shown, 0 points.'),
  'exercise.reset': method(ExRef, ExerciseView, 'Start a new attempt with the next variant; the earlier attempt is kept in the history.'),
  'progress.resetAll': method(z.object({ confirm: z.literal(true) }).strict(), z.object({ reset: z.boolean() }), 'Forget all progress (the UI asks first).'),
  'progress.profiles': method(z.object({}).strict(), z.object({ profiles: z.array(z.string()), current: z.string() }), 'The learner profiles on this machine and the one in use.'),
  'progress.useProfile': method(
    z.object({ name: z.string().regex(/^[\w-]{1,64}$/, 'a profile name is letters, digits, _ and -') }).strict(),
    z.object({ current: z.string(), notice: z.string().optional() }),
    'Switch to (or create) a learner profile: its own progress file.',
  ),
  'progress.export': method(
    z.object({ format: z.enum(['json', 'csv']) }).strict(),
    z.object({ fileName: z.string(), text: z.string() }),
    'Results for the instructor: one row per exercise (CSV) or every attempt (JSON), with the learner id.',
  ),
};

export const packEvents = {
  /** author mode: a watched pack folder changed on disk and was reloaded */
  'pack.changed': z.object({ packId: z.string(), exercises: z.number().int(), problems: z.array(PackProblemSchema) }),
};

/**
 * Examples shown under a numeric answer box, one set per quantity: generic on purpose — they show
 * the forms memlab reads (units, SI and IEC, pages, separators, hex), and a test proves none of them
 * equals an expected answer of any built-in exercise (test/packs/unit-examples.test.ts).
 */
export const TYPED_EXAMPLES: Record<'bytes' | 'count' | 'percent', string> = {
  bytes: '12 KiB, 700 MB, 1.5 GiB, 25 pages, 3,000,000 bytes',
  count: '37, 250 faults, 0x2a',
  percent: '12.5%',
};
