/**
 * Scenario files (YAML or JSON): the machine, the processes, and the steps they take. Parsed
 * with source positions kept, so every error names the line, the step and the field.
 */
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { formatBytes, parseSize } from './units.js';
import { expandTemplate } from './scenario_params.js';
import { didYouMean } from '../packs/suggest.js';

export class ScenarioError extends Error {
  constructor(
    message: string,
    readonly where: { file?: string; line?: number; column?: number; field?: string; step?: number },
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
  /** "file:line: step 8 (mlock): message" */
  describe(): string {
    const w = this.where;
    const loc = [w.file, w.line].filter((x) => x !== undefined).join(':');
    return `${loc ? `${loc}: ` : ''}${w.step ? `step ${w.step}${w.field ? ` (${w.field})` : ''}: ` : w.field ? `${w.field}: ` : ''}${this.message}`;
  }
}

const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const b = parseSize(v);
  if (typeof b === 'string') {
    ctx.addIssue({ code: 'custom', message: b });
    return z.NEVER;
  }
  return b;
});
const signedSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const neg = typeof v === 'string' ? v.trim().startsWith('-') : v < 0;
  const b = parseSize(typeof v === 'string' ? v.trim().replace(/^-/, '') : Math.abs(v));
  if (typeof b === 'string') {
    ctx.addIssue({ code: 'custom', message: b });
    return z.NEVER;
  }
  return neg ? -b : b;
});
const name = z.string().min(1).max(64).regex(/^[A-Za-z_][\w.-]*$/, 'a name is letters, digits, _ . - (starting with a letter)');

export const Machine = z
  .object({
    ram: size.default(4 * 1024 ** 3),
    swap: size.default(0),
    page_size: size.default(4096).refine((v) => [4096, 16384, 65536].includes(v), 'page_size is 4KiB, 16KiB or 64KiB'),
    swappiness: z.number().int().min(0).max(200).default(60),
    overcommit_memory: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
    overcommit_ratio: z.number().int().min(0).max(1000).default(50),
    min_free_kbytes: z.number().int().min(128).max(1048576).optional(),
    watermark_scale_factor: z.number().int().min(1).max(3000).default(10),
    transparent_hugepage: z.enum(['never', 'always', 'madvise']).default('never'),
    kswapd_rate: z.number().min(0).max(100).default(0.5),
    /** vm.page-cluster: swap readahead reads up to 2^page_cluster pages */
    page_cluster: z.number().int().min(0).max(31).default(3),
  })
  .strict();
export type Machine = z.output<typeof Machine>;

export const ProcessDecl = z
  .object({
    name,
    oom_score_adj: z.number().int().min(-1000).max(1000).default(0),
    uid: z.number().int().min(0).default(1000),
    stack_limit: size.default(8 * 1024 * 1024),
  })
  .strict();

const common = {
  proc: name.optional(),
  note: z.string().max(500).optional(),
};

const Steps = {
  malloc: z.object({ ...common, malloc: size, as: name }).strict(),
  calloc: z.object({ ...common, calloc: size, as: name }).strict(),
  realloc: z.object({ ...common, realloc: name, size, as: name.optional() }).strict(),
  free: z.object({ ...common, free: name }).strict(),
  mmap: z
    .object({
      ...common,
      mmap: size,
      as: name,
      file: z.string().min(1).max(200).optional(),
      shared: z.boolean().default(false),
      prot: z.string().regex(/^r?w?x?$|^none$/, "prot is like 'rw', 'r', 'rx' or 'none'").default('rw'),
      populate: z.boolean().default(false),
      offset: size.default(0),
    })
    .strict(),
  munmap: z.object({ ...common, munmap: name, offset: size.optional(), length: size.optional() }).strict(),
  brk: z.object({ ...common, brk: signedSize }).strict(),
  touch: z
    .object({
      ...common,
      touch: name,
      length: size.optional(),
      offset: size.default(0),
      stride: size.optional(),
      every: z.number().int().min(1).optional(),
      write: z.boolean().default(true),
      repeat: z.number().int().min(1).max(1000).default(1),
    })
    .strict(),
  fork: z.object({ ...common, fork: name }).strict(),
  exit: z.object({ ...common, exit: z.union([z.boolean(), z.number().int()]) }).strict(),
  mlock: z.object({ ...common, mlock: name, length: size.optional() }).strict(),
  munlock: z.object({ ...common, munlock: name }).strict(),
  mlockall: z.object({ ...common, mlockall: z.union([z.literal(true), z.enum(['current', 'future', 'both'])]) }).strict(),
  munlockall: z.object({ ...common, munlockall: z.literal(true) }).strict(),
  alloca: z.object({ ...common, alloca: size }).strict(),
  malloc_trim: z.object({ ...common, malloc_trim: size }).strict(),
  mallopt: z.object({ ...common, mallopt: z.object({ M_MMAP_THRESHOLD: size.optional(), M_TRIM_THRESHOLD: size.optional(), M_TOP_PAD: size.optional() }).strict() }).strict(),
  set: z
    .object({
      ...common,
      set: z
        .object({
          swappiness: z.number().int().min(0).max(200).optional(),
          overcommit_memory: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
          overcommit_ratio: z.number().int().min(0).max(1000).optional(),
          min_free_kbytes: z.number().int().min(128).max(1048576).optional(),
          watermark_scale_factor: z.number().int().min(1).max(3000).optional(),
          oom_score_adj: z.number().int().min(-1000).max(1000).optional(),
          page_cluster: z.number().int().min(0).max(31).optional(),
        })
        .strict(),
    })
    .strict(),
  tick: z.object({ ...common, tick: z.number().int().min(0).max(3_600_000) }).strict(),
  snapshot: z.object({ ...common, snapshot: z.string().min(1).max(80) }).strict(),
  /** read(2) of a file into a buffer: fills the page cache, maps nothing (reading an allocation is touch with write: false) */
  read_file: z.object({ ...common, read_file: z.string().min(1).max(200), length: size }).strict(),
  /** write(2) to a file: dirty page cache */
  write_file: z.object({ ...common, write_file: z.string().min(1).max(200), length: size }).strict(),
  /** memlab 0.1's spelling of read_file, kept working; pack check asks to rename it */
  read: z.object({ ...common, read: z.string().min(1).max(200), length: size }).strict(),
  /** memlab 0.1's spelling of write_file, kept working; pack check asks to rename it */
  write: z.object({ ...common, write: z.string().min(1).max(200), length: size }).strict(),
} as const;
/** old verb → its new name */
export const DEPRECATED_VERBS: Partial<Record<string, StepVerb>> = { read: 'read_file', write: 'write_file' };
const DEPRECATED_VERBS_SET = { read: 1, write: 1 };

export type StepVerb = keyof typeof Steps;

/**
 * The rules of each verb that the schema cannot say, in one place: whether the step needs `proc`
 * (the process that does it), and which of its options share a name with another verb (`write`
 * is a verb, writing a file, and an option of `touch`).
 */
export const VERB_RULES: { [V in StepVerb]: { proc: 'required' | 'none' | 'for-oom_score_adj'; options?: StepVerb[] } } = {
  malloc: { proc: 'required' },
  calloc: { proc: 'required' },
  realloc: { proc: 'required' },
  free: { proc: 'required' },
  mmap: { proc: 'required' },
  munmap: { proc: 'required' },
  brk: { proc: 'required' },
  touch: { proc: 'required', options: ['write'] },
  fork: { proc: 'required' },
  exit: { proc: 'required' },
  mlock: { proc: 'required' },
  munlock: { proc: 'required' },
  mlockall: { proc: 'required' },
  munlockall: { proc: 'required' },
  alloca: { proc: 'required' },
  malloc_trim: { proc: 'required' },
  mallopt: { proc: 'required' },
  set: { proc: 'for-oom_score_adj' },
  tick: { proc: 'none' },
  snapshot: { proc: 'none' },
  read_file: { proc: 'required' },
  write_file: { proc: 'required' },
  read: { proc: 'required' },
  write: { proc: 'required' },
};

export const STEP_VERBS = Object.keys(Steps) as StepVerb[];
/** the verbs to document and suggest (without the deprecated spellings) */
export const CURRENT_VERBS = STEP_VERBS.filter((v) => !(v in DEPRECATED_VERBS_SET));
/** the zod schema of each verb's step, for the JSON Schema export */
export const STEP_SCHEMAS = Steps;

/** What a form needs to edit a step of each verb: its fields in order (the verb's own first), read off the schema. */
export interface StepFieldInfo {
  name: string;
  required: boolean;
  /** the value it takes when left out, as YAML text */
  default?: string;
}
let fieldsByVerb: Record<StepVerb, StepFieldInfo[]> | undefined;
/** read off the schema once: the step form asks on every edit */
export function stepFields(): Record<StepVerb, StepFieldInfo[]> {
  if (fieldsByVerb) return fieldsByVerb;
  const out = {} as Record<StepVerb, StepFieldInfo[]>;
  for (const verb of STEP_VERBS) {
    const shape = Steps[verb].shape as Record<string, z.ZodType>;
    const names = [verb, ...Object.keys(shape).filter((k) => k !== verb && k !== 'proc' && k !== 'note')];
    out[verb] = names.map((name) => {
      const f = shape[name]!;
      const def = (f as unknown as { _zod: { def: { type: string; defaultValue?: unknown } } })._zod.def;
      return {
        name,
        required: !f.safeParse(undefined).success,
        ...(def.type === 'default' && def.defaultValue !== undefined ? { default: String(def.defaultValue) } : {}),
      };
    });
  }
  return (fieldsByVerb = out);
}
/** Does a step of this verb act as a process (so an editor offers `proc`)? */
export function needsProc(verb: StepVerb): boolean {
  return VERB_RULES[verb].proc !== 'none';
}

export type Step = { [V in StepVerb]: z.output<(typeof Steps)[V]> & { verb: V } }[StepVerb];

export interface Scenario {
  title?: string;
  description?: string;
  /** what the run shows; kept apart from the description so a question over the run does not give its answer */
  outcome?: string;
  machine: Machine;
  processes: z.output<typeof ProcessDecl>[];
  steps: Step[];
  /** 1-based source line of each step, for messages */
  stepLines: number[];
  file?: string;
  /** things that run but should be written differently (a deprecated verb): pack check reports them */
  warnings?: Array<{ line?: number; step?: number; field?: string; message: string }>;
}

const Top = z
  .object({
    title: z.string().max(200).optional(),
    description: z.string().max(5000).optional(),
    /** parameters with their defaults, used as {{name}} in values; an exercise's drawn parameters replace them */
    params: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a parameter name is lower-case letters, digits and _'), z.number()).optional(),
    outcome: z.string().max(5000).optional(),
    machine: Machine.default(Machine.parse({})),
    processes: z.array(ProcessDecl).min(1, 'a scenario needs at least one process').max(1000),
    steps: z.array(z.record(z.string(), z.unknown())).max(300_000),
  })
  .strict();

export const LIMITS = { maxRam: 64 * 1024 ** 3, maxSwap: 64 * 1024 ** 3, maxProcesses: 1000, maxSteps: 300_000 };

function issueText(e: z.ZodError): { path: (string | number)[]; message: string } {
  const i = e.issues[0]!;
  // for unions, zod reports on the union; take the first inner message when there is one
  const inner = (i as { errors?: z.core.$ZodIssue[][] }).errors?.[0]?.[0];
  return { path: [...i.path, ...(inner?.path ?? [])] as (string | number)[], message: inner?.message ?? i.message };
}

/** Parse and validate a scenario. Throws ScenarioError naming file, line, step and field. `params` fill its {{…}} placeholders (over its own defaults). */
export function parseScenario(text: string, file?: string, opts: { params?: Record<string, number | string> } = {}): Scenario {
  const expanded = expandTemplate(text, opts.params);
  if ('error' in expanded) throw new ScenarioError(expanded.error.message, { file, line: expanded.error.line, column: expanded.error.column });
  text = expanded.text;
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lc.linePos(e.pos[0]);
    throw new ScenarioError(e.message.split('\n')[0]!, { file, line: pos.line, column: pos.col });
  }
  const lineOf = (path: (string | number)[]): { line?: number; column?: number } => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      const keyNode = n > 0 ? findKeyNode(doc, path.slice(0, n)) : undefined;
      const r = keyNode?.range ?? node?.range;
      if (r) {
        const p = lc.linePos(r[0]);
        return { line: p.line, column: p.col };
      }
    }
    return {};
  };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // an alias to nothing (*x without &x) or an alias bomb
    throw new ScenarioError(err instanceof Error ? err.message.split('\n')[0]! : String(err), { file, line: 1 });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ScenarioError('a scenario is a mapping with machine, processes and steps', { file, line: 1 });
  const top = Top.safeParse(raw);
  if (!top.success) {
    const { path, message } = issueText(top.error);
    throw new ScenarioError(message, { file, ...lineOf(path), field: path.join('.') || undefined, step: path[0] === 'steps' && typeof path[1] === 'number' ? path[1] + 1 : undefined });
  }
  const t = top.data;
  if (t.machine.ram > LIMITS.maxRam) throw new ScenarioError(`memlab simulates machines of up to 64 GiB of RAM`, { file, ...lineOf(['machine', 'ram']), field: 'machine.ram' });
  if (t.machine.swap > LIMITS.maxSwap) throw new ScenarioError(`memlab simulates up to 64 GiB of swap`, { file, ...lineOf(['machine', 'swap']), field: 'machine.swap' });
  if (t.machine.ram < 64 * 1024 * 1024) {
    // `ram: 1` meant 1 GiB: a bare number is bytes
    const written = (raw as { machine?: { ram?: unknown } }).machine?.ram;
    const bare = typeof written === 'number' || (typeof written === 'string' && /^\s*[\d.]+\s*$/.test(written));
    throw new ScenarioError(`a machine needs at least 64 MiB of RAM to boot${bare ? `; ${String(written).trim()} without a unit is read as ${String(written).trim()} ${String(written).trim() === "1" ? "byte" : "bytes"}: write the unit, e.g. ram: ${String(written).trim()} GiB` : ''}`, { file, ...lineOf(['machine', 'ram']), field: 'machine.ram' });
  }
  const names = new Set<string>();
  t.processes.forEach((p, i) => {
    if (names.has(p.name)) throw new ScenarioError(`two processes are named '${p.name}'`, { file, ...lineOf(['processes', i, 'name']), field: `processes.${i}.name` });
    names.add(p.name);
  });
  const steps: Step[] = [];
  const stepLines: number[] = [];
  const warnings: NonNullable<Scenario['warnings']> = [];
  // names the program gives its allocations (as:), so a file verb naming one is caught
  const allocations = new Set(t.steps.map((s) => s.as).filter((x): x is string => typeof x === 'string'));
  t.steps.forEach((s, i) => {
    const here = (field?: string) => ({ file, ...lineOf(field ? ['steps', i, field] : ['steps', i]), step: i + 1, field });
    const verbs = STEP_VERBS.filter((v) => v in s);
    // an option that shares its name with a verb (touch's `write`) is the option when its verb is there
    const options = new Set(verbs.flatMap((v) => VERB_RULES[v].options ?? []));
    const verbsReal = verbs.filter((v) => !options.has(v) || !verbs.some((w) => VERB_RULES[w].options?.includes(v)));
    if (verbsReal.length !== 1) {
      const unknown = Object.keys(s).filter((k) => k !== 'proc' && k !== 'note');
      const guess = verbsReal.length === 0 && unknown.length ? didYouMean(unknown[0]!, CURRENT_VERBS) : '';
      throw new ScenarioError(
        verbsReal.length === 0
          ? `a step needs one action${unknown.length ? `, and '${unknown[0]}' is not one${guess}` : ''}: ${CURRENT_VERBS.join(', ')} (see exercises/SCENARIOS.md)`
          : `a step does one thing, not ${verbsReal.join(' and ')}`,
        here(verbsReal.length === 0 && unknown.length ? unknown[0] : undefined),
      );
    }
    const verb = verbsReal[0]!;
    const r = Steps[verb].safeParse(s);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const { path, message } = issueText(r.error);
      const keys0 = Object.keys(Steps[verb].shape);
      const takes = [verb, ...keys0.filter((k) => k !== verb && k !== 'proc' && k !== 'note'), 'proc', 'note'];
      if (issue.code === 'unrecognized_keys') {
        const keys = (issue as { keys: string[] }).keys;
        const hint = didYouMean(keys[0]!, takes);
        throw new ScenarioError(`'${verb}' does not take ${keys.map((k) => `'${k}'`).join(', ')}${hint}; it takes ${takes.join(', ')}`, here(keys[0]));
      }
      const fieldName = String(path[0] ?? verb);
      if (issue.code === 'invalid_type' && s[fieldName] === undefined)
        throw new ScenarioError(`'${verb}' needs ${fieldName}:${fieldName === 'as' ? ' the name the program keeps the pointer under (e.g. as: buf), used by later touch, free, mlock … steps' : ''}`, here(verb));
      throw new ScenarioError(message, here(fieldName));
    }
    const step = { ...r.data, verb } as Step;
    const rule = VERB_RULES[verb].proc;
    if (rule === 'required' || (rule === 'for-oom_score_adj' && 'oom_score_adj' in (step as { set: object }).set)) {
      if (!step.proc) throw new ScenarioError(`'${verb}' needs proc: the process that does it`, here(verb));
    }
    if (verb === 'read' || verb === 'write' || verb === 'read_file' || verb === 'write_file') {
      const target = (step as Record<string, unknown>)[verb] as string;
      const isWrite = verb === 'write' || verb === 'write_file';
      if (allocations.has(target))
        throw new ScenarioError(
          `'${target}' is an allocation of the program, not a file: ${verb} is file I/O (read(2)/write(2) through the page cache). To ${isWrite ? 'write to' : 'read'} the memory, write { proc: ${step.proc}, touch: ${target}${isWrite ? '' : ', write: false'}${'length' in step ? `, length: ${String((s as Record<string, unknown>).length)}` : ''} }`,
          here(verb),
        );
      const renamed = DEPRECATED_VERBS[verb];
      if (renamed) warnings.push({ ...here(verb), message: `'${verb}:' is memlab 0.1's spelling of file I/O and still works; rename it to '${renamed}:' so it cannot be mistaken for ${isWrite ? 'writing' : 'reading'} memory (that is touch${isWrite ? '' : ' with write: false'})` });
    }
    steps.push(step);
    stepLines.push(lineOf(['steps', i]).line ?? 0);
  });
  return { title: t.title, description: t.description, ...(t.outcome !== undefined ? { outcome: t.outcome } : {}), machine: t.machine, processes: t.processes, steps, stepLines, file, ...(warnings.length ? { warnings } : {}) };
}

function findKeyNode(doc: ReturnType<typeof parseDocument>, path: (string | number)[]): { range?: [number, number, number] } | undefined {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((p) => (p.key as { value?: unknown })?.value === last);
    return pair?.key as { range?: [number, number, number] } | undefined;
  }
  if (isSeq(parent) && typeof last === 'number') return parent.items[last] as { range?: [number, number, number] } | undefined;
  return undefined;
}

/** Verbs whose value is a size in bytes: shown as people write sizes ("300 MiB", not 314572800). */
const SIZE_VERBS = new Set<StepVerb>(['malloc', 'calloc', 'mmap', 'brk', 'alloca', 'malloc_trim']);

/** One line per step, for timelines: "a: malloc(2 GiB) → m" */
export function describeStep(s: Step): string {
  const who = s.proc ? `${s.proc}: ` : '';
  const v = (s as Record<string, unknown>)[s.verb];
  const size = (x: number) => (x < 0 ? `-${formatBytes(-x)}` : formatBytes(x));
  const fmt = (x: unknown) =>
    typeof x === 'number' && SIZE_VERBS.has(s.verb) ? size(x)
    : typeof x === 'object' && x !== null ? Object.entries(x).map(([k, y]) => `${k}=${typeof y === 'number' && s.verb === 'mallopt' ? size(y) : String(y)}`).join(', ')
    : String(x);
  switch (s.verb) {
    case 'malloc':
    case 'calloc':
      return `${who}${s.verb}(${fmt(v)}) → ${s.as}`;
    case 'touch':
      return `${who}${s.write ? 'write' : 'read'} ${s.touch}${s.length !== undefined ? ` (${size(s.length)} from +${size(s.offset)})` : ''}${s.repeat > 1 ? ` ×${s.repeat}` : ''}`;
    case 'realloc':
      return `${who}realloc(${s.realloc}, ${size(s.size)})${s.as ? ` → ${s.as}` : ''}`;
    case 'read':
    case 'write':
      return `${who}${s.verb} ${size(s.length)} of ${v as string}`;
    case 'snapshot':
      return `snapshot “${s.snapshot}”`;
    case 'tick':
      return `${s.tick} ms pass`;
    default:
      return `${who}${s.verb} ${fmt(v)}${'as' in s && s.as ? ` → ${s.as}` : ''}`;
  }
}
