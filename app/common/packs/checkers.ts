/**
 * Checking answers, one checker per exercise kind. Expected values come from declarative
 * expressions (expr.ts) over the drawn parameters and, for predict/tune/observe, the
 * simulator's own result. An answer that cannot be read is 'invalid' and costs no attempt.
 */
import { parseScenario, type SimReport, simulate } from '../kernel/index.js';
import type { Scenario } from '../kernel/scenario.js';
import { Runner } from '../kernel/simulate.js';
import { formatBytesHuman, type Quantity, readAnswer, toleranceOf } from './answer.js';
import { evaluate, ExprError, type Lookup } from './expr.js';
import { choiceFeedback, matchingFeedback, multipleFeedback, orderingFeedback, textFeedback } from './feedback.js';
import { bytesExact, readTyped, roundingAllowance } from './typed.js';
import type { ParamValues } from './params.js';
import { checkPolicy } from './policy.js';
import { type CompiledPattern, compilePattern } from './pattern.js';
import type { Exercise } from './schema.js';

export type Verdict = 'correct' | 'incorrect' | 'invalid';

export interface CheckResult {
  verdict: Verdict;
  message: string;
  /** which unit the answer was read in (numeric kinds) */
  unitRead?: string;
  /** the misconception this wrong answer shows, when the pack names it */
  diagnosis?: string;
  /** share of the parts that were right (ordering, matching, multiple, table, tune) */
  partial?: number;
  /** table exercises: each field's own verdict */
  fields?: Record<string, { verdict: Verdict; message: string; unitRead?: string; diagnosis?: string }>;
  /** guided labs: the stage to go back to after a wrong answer */
  backTo?: string;
}

export type Answer =
  | { value: string }
  | { choice: number }
  | { choices: number[] }
  | { order: string[] }
  | { matches: Record<string, string> }
  | { text: string }
  | { knobs: Record<string, number> }
  | { values: Record<string, string> }
  | { stage: string; answer: Answer };

export interface CheckContext {
  params: ParamValues;
  /** resolves a scenario reference to its text (pack file or built-in) */
  scenarioText: (ref: string) => string;
  /** a live measurement for observe exercises, in bytes; absent: the simulated fallback is used */
  measured?: number;
}

/** Names the expressions may use: parameters and sim.<snapshot>.<proc>.<field>, vmstat.<snapshot>.<key>, meminfo.<snapshot>.<key>. */
export function lookupFor(params: ParamValues, report?: SimReport): Lookup {
  return (name) => {
    if (Object.prototype.hasOwnProperty.call(params, name)) {
      const v = params[name];
      return typeof v === 'number' ? v : Number(v);
    }
    if (!report) return undefined;
    const parts = name.split('.');
    const snap = (label: string) => report.snapshots.find((s) => s.label === label) ?? (label === 'start' ? report.snapshots[0] : undefined);
    // long form: snapshots.<label>.processes.<name>.<field>, snapshots.<label>.vmstat.<key>
    if (parts[0] === 'snapshots' && parts.length >= 3) {
      const s = snap(parts[1]!);
      if (!s) return undefined;
      let v: unknown;
      const own = (o: object | undefined, k: string): unknown => (o && Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined);
      if (parts[2] === 'processes' && parts.length >= 5) v = own(own(s.processes, parts.slice(3, -1).join('.')) as object | undefined, parts.at(-1)!);
      else if ((parts[2] === 'vmstat' || parts[2] === 'meminfo') && parts.length === 4) v = own(s[parts[2]], parts[3]!);
      else if (parts[2] === 'step' && parts.length === 3) v = s.step;
      return typeof v === 'number' ? v : undefined;
    }
    if (parts[0] === 'sim' && parts.length >= 4) {
      // process names may hold dots (a.out): everything between the label and the field
      const v = snap(parts[1]!)?.processes[parts.slice(2, -1).join('.')]?.[parts.at(-1)! as 'VmRSS'];
      return typeof v === 'number' ? v : undefined;
    }
    if ((parts[0] === 'vmstat' || parts[0] === 'meminfo') && parts.length === 3) {
      const s = snap(parts[1]!);
      const v = s ? (s[parts[0]] as Record<string, number>)[parts[2]!] : undefined;
      return typeof v === 'number' ? v : undefined;
    }
    return undefined;
  };
}

const reportCache = new Map<string, SimReport | Error>();
let computeReport = (text: string): SimReport => simulate(parseScenario(text));
export function runScenarioText(text: string): SimReport {
  let r = reportCache.get(text);
  if (!r) {
    r = computeReport(text);
    if (reportCache.size > 64) reportCache.clear();
    reportCache.set(text, r);
  }
  if (r instanceof Error) throw r;
  return r;
}

/**
 * A host that simulates off its event loop (memlab serve, Electron: worker threads) hands the
 * reports in here, and makes any report it did not hand in an error rather than a simulation run
 * on the thread that answers the learner.
 */
export function primeReport(text: string, report: SimReport | Error): void {
  if (reportCache.size > 64) reportCache.clear();
  reportCache.set(text, report);
}
export function hasReport(text: string): boolean {
  return reportCache.has(text);
}
export function setReportComputer(fn: (text: string) => SimReport): void {
  computeReport = fn;
}

/** The expected value of a numeric-like exercise, with its quantity. */
export function expectedValue(ex: Extract<Exercise, { answer: { expr: string } }>, ctx: CheckContext): { value: number; quantity: Quantity } {
  let report: SimReport | undefined;
  if (ex.kind === 'observe' && ctx.measured !== undefined) return { value: ctx.measured, quantity: ex.answer.quantity };
  if (ex.kind === 'predict' || (ex.scenario && usesSim(ex.answer.expr))) report = runScenarioText(ctx.scenarioText(ex.scenario!));
  return { value: evaluate(ex.answer.expr, lookupFor(ctx.params, report)), quantity: ex.answer.quantity };
}

/** Names a misconception's expression may use: the parameters, and the scenario's results when it names them. */
function misconceptionLookup(ex: Exercise, ctx: CheckContext): Lookup {
  const needsSim = ex.scenario !== undefined && ex.misconceptions.some((m) => typeof m.answer === 'string' && usesSim(m.answer));
  let report: SimReport | undefined;
  if (needsSim) {
    try {
      report = runScenarioText(ctx.scenarioText(ex.scenario!));
    } catch {
      report = undefined;
    }
  }
  return lookupFor(ctx.params, report);
}

const usesSim = (expr: string) => /\b(sim|vmstat|meminfo|snapshots)\./.test(expr);

/** Expected values of a table exercise's fields. */
export function expectedFields(ex: Extract<Exercise, { kind: 'table' }>, ctx: CheckContext): Record<string, { value: number; quantity: Quantity }> {
  const report = ex.scenario && ex.fields.some((f) => usesSim(f.expr)) ? runScenarioText(ctx.scenarioText(ex.scenario)) : undefined;
  const look = lookupFor(ctx.params, report);
  return Object.fromEntries(ex.fields.map((f) => [f.name, { value: evaluate(f.expr, look), quantity: f.quantity }]));
}

/** A guided stage's question as an exercise of its own kind, so the same checkers judge it. */
export function stageExercise(lab: Extract<Exercise, { kind: 'guided' }>, stageId: string): Exercise | undefined {
  const st = lab.stages.find((s) => s.id === stageId);
  if (!st?.question) return undefined;
  const { prompt: _prompt, explanation, ...q } = st.question;
  const scenario = 'scenario' in q && q.scenario ? q.scenario : lab.scenario;
  return { ...q, id: st.id, title: st.title ?? st.id, explanation: explanation ?? lab.explanation, params: lab.params, scenario } as Exercise;
}

function describe(value: number, q: Quantity): string {
  return q === 'bytes' ? formatBytesHuman(value) : q === 'percent' ? `${value}%` : String(value);
}

type Misconceptions = Exercise['misconceptions'];

/** A known wrong value: a plain answer ("2 GiB") or an expression over the same names ("size GiB", "sim.end.a.VmSize kB"). */
function misconceptionValue(answer: string | number | number[], quantity: Quantity, lookup: Lookup): number | undefined {
  if (Array.isArray(answer)) return undefined;
  const plain = readAnswer(String(answer), quantity);
  if (plain.ok) return plain.value;
  try {
    return evaluate(String(answer), lookup);
  } catch {
    return undefined;
  }
}

/** bytes as the learner sees them: "1 GiB", or "3,220,000,000 bytes (3.00 GiB)" when not a whole binary unit */
function describeBytes(v: number): string {
  const human = formatBytesHuman(v);
  return /\.\d/.test(human) ? `${bytesExact(v)} (${human})` : human;
}

/**
 * Read one number the student typed (typed.ts) and compare it with the expected value within the
 * tolerance, plus the rounding the learner's own digits imply (3.22 GB stands for 3.215–3.225 GB;
 * never more than 0.5 % of the expected value). Wrong in the unit system they wrote but right in
 * the other one (4 MB for 4 MiB): still wrong — the attempt counts, or the hint would give the
 * answer away for free — but the feedback says so.
 */
export function checkNumber(raw: string, exp: { value: number; quantity: Quantity }, tolerance: string, misconceptions: Misconceptions, lookup: Lookup = () => undefined): CheckResult {
  const r = readTyped(raw, exp.quantity);
  if (!r.ok) return { verdict: 'invalid', message: `Not counted: ${r.why}.` };
  const tol = toleranceOf(tolerance, exp.value, exp.quantity);
  const near = (v: number, half: number) => Math.abs(v - exp.value) <= tol + roundingAllowance(half, exp.value) + 1e-9;
  const show = (v: number) => (exp.quantity === 'bytes' ? describeBytes(v) : describe(v, exp.quantity));
  const read = `read as ${show(r.value)}${exp.quantity === 'bytes' ? `, the unit taken as ${r.unitRead}` : exp.quantity === 'count' && r.unitRead !== 'a count' ? ` (${r.unitRead})` : ''}`;
  if (near(r.value, r.halfDigit)) {
    const rounded = Math.abs(r.value - exp.value) > tol + 1e-9 ? ` That is ${show(exp.value)} rounded to the digits you typed: right.` : '';
    return { verdict: 'correct', message: `Your answer was ${read}.${rounded}`, unitRead: r.unitRead };
  }
  const diagnosis = misconceptions.find((m) => {
    const v = misconceptionValue(m.answer, exp.quantity, lookup);
    return v !== undefined && Math.abs(v - r.value) <= Math.max(tol, Math.abs(v) * 0.02);
  })?.says;
  const other = r.alt && near(r.alt.value, r.alt.halfDigit) ? `${r.shown} is ${show(r.value)}; ${r.alt.shown} would be right. Did you mean ${r.alt.shown}?` : undefined;
  const d = diagnosis ?? other;
  return { verdict: 'incorrect', message: `Not quite — your answer was ${read}.`, unitRead: r.unitRead, ...(d ? { diagnosis: d } : {}) };
}

export function check(ex: Exercise, answer: Answer, ctx: CheckContext): CheckResult {
  switch (ex.kind) {
    case 'numeric':
    case 'predict':
    case 'observe': {
      if (!('value' in answer) || typeof answer.value !== 'string') return { verdict: 'invalid', message: 'give a number' };
      let exp: { value: number; quantity: Quantity };
      try {
        exp = expectedValue(ex, ctx);
      } catch (err) {
        return { verdict: 'invalid', message: `This exercise cannot be checked: ${err instanceof ExprError ? err.message : String(err)}` };
      }
      return checkNumber(answer.value, exp, ex.answer.tolerance, ex.misconceptions.filter((m) => m.field === undefined), misconceptionLookup(ex, ctx));
    }
    case 'table': {
      if (!('values' in answer) || typeof answer.values !== 'object' || answer.values === null) return { verdict: 'invalid', message: `fill in ${ex.fields.map((f) => f.label).join(', ')}` };
      let exp: Record<string, { value: number; quantity: Quantity }>;
      try {
        exp = expectedFields(ex, ctx);
      } catch (err) {
        return { verdict: 'invalid', message: `This exercise cannot be checked: ${err instanceof ExprError ? err.message : String(err)}` };
      }
      const fields: NonNullable<CheckResult['fields']> = {};
      for (const f of ex.fields) {
        const v = answer.values[f.name];
        if (typeof v !== 'string') return { verdict: 'invalid', message: `Not counted: ${f.label} is empty.` };
        const r = checkNumber(v, exp[f.name]!, f.tolerance, ex.misconceptions.filter((m) => m.field === f.name), misconceptionLookup(ex, ctx));
        if (r.verdict === 'invalid') return { verdict: 'invalid', message: `Not counted: ${f.label}: ${r.message.replace(/^Not counted: /, '')}` };
        fields[f.name] = { verdict: r.verdict, message: r.message, ...(r.unitRead ? { unitRead: r.unitRead } : {}), ...(r.diagnosis ? { diagnosis: r.diagnosis } : {}) };
      }
      const right = ex.fields.filter((f) => fields[f.name]!.verdict === 'correct').length;
      const partial = right / ex.fields.length;
      const diagnosis = Object.values(fields).map((f) => f.diagnosis).filter(Boolean).join(' ') || undefined;
      if (partial === 1) return { verdict: 'correct', message: 'Every field is right.', partial, fields };
      const wrong = ex.fields.filter((f) => fields[f.name]!.verdict !== 'correct').map((f) => f.label);
      return { verdict: 'incorrect', message: `${right} of ${ex.fields.length} right; not yet: ${wrong.join(', ')}.`, partial, fields, ...(diagnosis ? { diagnosis } : {}) };
    }
    case 'guided': {
      if (!('stage' in answer) || typeof answer.stage !== 'string' || typeof answer.answer !== 'object' || answer.answer === null) return { verdict: 'invalid', message: 'answer the question of a stage' };
      const st = ex.stages.find((s) => s.id === answer.stage);
      const q = stageExercise(ex, answer.stage);
      if (!st || !q) return { verdict: 'invalid', message: `stage '${answer.stage}' asks no question` };
      if ('stage' in answer.answer) return { verdict: 'invalid', message: 'a stage question is not a lab' };
      const r = check(q, answer.answer, ctx);
      if (r.verdict === 'incorrect' && st.on_wrong) return { ...r, backTo: st.on_wrong.back_to, message: st.on_wrong.say ? `${r.message} ${st.on_wrong.say}` : r.message };
      return r;
    }
    case 'choice': {
      if (!('choice' in answer) || !Number.isInteger(answer.choice) || answer.choice < 0 || answer.choice >= ex.options.length) return { verdict: 'invalid', message: 'choose one option' };
      return choiceFeedback(ex, answer.choice);
    }
    case 'multiple': {
      if (!('choices' in answer) || !Array.isArray(answer.choices) || answer.choices.length === 0 || answer.choices.some((c) => !Number.isInteger(c) || c < 0 || c >= ex.options.length))
        return { verdict: 'invalid', message: 'choose at least one option' };
      return multipleFeedback(ex, answer.choices);
    }
    case 'ordering': {
      if (!('order' in answer) || !Array.isArray(answer.order) || answer.order.length !== ex.items.length || new Set(answer.order).size !== ex.items.length || answer.order.some((x) => !ex.items.includes(x)))
        return { verdict: 'invalid', message: `order all ${ex.items.length} items` };
      return orderingFeedback(ex, answer.order);
    }
    case 'matching': {
      if (!('matches' in answer) || typeof answer.matches !== 'object' || answer.matches === null) return { verdict: 'invalid', message: 'match every item' };
      const lefts = ex.pairs.map((p) => p[0]);
      if (lefts.some((l) => typeof answer.matches[l] !== 'string' || !answer.matches[l])) return { verdict: 'invalid', message: 'match every item' };
      return matchingFeedback(ex, answer.matches);
    }
    case 'text': {
      if (!('text' in answer) || typeof answer.text !== 'string' || !answer.text.trim()) return { verdict: 'invalid', message: 'the answer is empty' };
      const t = answer.text.trim();
      if (t.length > MAX_TEXT_ANSWER) return { verdict: 'invalid', message: `a short answer, please: at most ${MAX_TEXT_ANSWER} characters` };
      const ok = ex.patterns.some((p) => safeRegex(p)?.test(t));
      return textFeedback(ex, t, ok);
    }
    case 'policy':
      return checkPolicy(ex, 'value' in answer ? answer.value : undefined, ctx.params);
    case 'tune': {
      if (!('knobs' in answer) || typeof answer.knobs !== 'object' || answer.knobs === null) return { verdict: 'invalid', message: 'set the knobs' };
      for (const k of ex.knobs) {
        const v = answer.knobs[k.path];
        if (typeof v !== 'number' || !Number.isFinite(v) || v < k.min || v > k.max) return { verdict: 'invalid', message: `${k.label} must be between ${k.min} and ${k.max}` };
      }
      const results = runTune(ex, answer.knobs, ctx);
      if ('error' in results) return { verdict: 'invalid', message: results.error };
      const failed = results.goals.filter((g) => !g.ok);
      if (!failed.length) return { verdict: 'correct', message: `Every goal holds: ${results.goals.map((g) => g.goal).join('; ')}.`, partial: 1 };
      return {
        verdict: 'incorrect',
        message: `Not yet: ${failed.map((g) => `${g.goal} (it was ${g.actual})`).join('; ')}.`,
        partial: (results.goals.length - failed.length) / results.goals.length,
      };
    }
  }
}

/**
 * A pack's text pattern, compiled for the linear-time matcher (RE2, see pattern.ts), or null when
 * it cannot be used (invalid, too long, a backreference or a lookaround). Matching is linear in
 * the answer's length whatever the pattern: (a+)+ and ^a*a*a*b cannot backtrack.
 */
export function safeRegex(p: string): CompiledPattern | null {
  const r = compilePattern(p);
  return r.ok ? r.pattern : null;
}

/** The longest short-text answer that is matched against a pack's patterns. */
export const MAX_TEXT_ANSWER = 300;

/** Apply knob values to a scenario (as data) and run it; evaluate the goals on the result. */
export function runTune(ex: Extract<Exercise, { kind: 'tune' }>, knobs: Record<string, number>, ctx: CheckContext): { goals: Array<{ goal: string; ok: boolean; actual: string }> } | { error: string } {
  const base = parseScenario(ctx.scenarioText(ex.scenario));
  const s = JSON.parse(JSON.stringify(base)) as typeof base;
  for (const k of ex.knobs) {
    const v = knobs[k.path]! * (k.unit === 'GiB' ? 1024 ** 3 : k.unit === 'MiB' ? 1024 ** 2 : 1);
    const [root, a, b] = k.path.split('.');
    if (root === 'machine') (s.machine as Record<string, unknown>)[a!] = v;
    else if (root === 'processes') {
      const p = s.processes.find((x: { name: string }) => x.name === a);
      if (!p) return { error: `the scenario has no process '${a}'` };
      (p as Record<string, unknown>)[b!] = v;
    } else if (root === 'steps') {
      const st = s.steps[Number(a)];
      if (!st) return { error: `the scenario has no step ${a}` };
      (st as Record<string, unknown>)[b!] = v;
    }
  }
  let report: SimReport;
  const visited = new Set<string>();
  try {
    report = simulateWithStates(s, visited);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const end = report.snapshots.at(-1)!;
  const value = (left: string): string | number | undefined => {
    const [a, b] = left.split('.');
    if (a === 'vmstat') return (end.vmstat as Record<string, number>)[b!];
    if (a === 'meminfo') return (end.meminfo as unknown as Record<string, number>)[b!];
    if (a === 'ran') return visited.has(left.slice(4)) ? 1 : 0;
    const p = end.processes[a!];
    return p ? (p as unknown as Record<string, number | string>)[b!] : undefined;
  };
  return {
    goals: ex.goals.map((goal) => {
      const m = /^\s*([\w.:-]+)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/.exec(goal);
      if (!m) return { goal, ok: false, actual: 'unreadable goal' };
      const look = lookupFor(ctx.params, report);
      const asExpr = (src: string): number | undefined => {
        try {
          return evaluate(src, look);
        } catch {
          return undefined;
        }
      };
      // the end of the run (vmstat.oom_kill, b.state, ran.cpu.oomKill) or any expression name (sim.full.cache.VmRSS)
      const actual = value(m[1]!) ?? asExpr(m[1]!);
      if (actual === undefined) return { goal, ok: false, actual: 'unknown' };
      const rhs = m[3]!;
      // the right side may be an expression too: "meminfo.SwapFree < 64 MiB / 1 KiB"
      const num = typeof actual === 'number' ? (Number.isFinite(Number(rhs)) ? Number(rhs) : (asExpr(rhs) ?? NaN)) : NaN;
      const cmp = typeof actual === 'number' && Number.isFinite(num) ? actual - num : String(actual).localeCompare(rhs);
      const ok = { '==': cmp === 0, '!=': cmp !== 0, '<': cmp < 0, '<=': cmp <= 0, '>': cmp > 0, '>=': cmp >= 0 }[m[2] as '==']!;
      return { goal, ok, actual: String(actual) };
    }),
  };
}


function simulateWithStates(s: Scenario, visited: Set<string>): SimReport {
  const r = new Runner(s);
  while (!r.done) {
    try {
      r.step();
    } catch (err) {
      if ((err as Error).name === 'ScenarioError') break;
      throw err;
    }
    for (const v of r.run.visited) visited.add(v);
  }
  return r.finish();
}
