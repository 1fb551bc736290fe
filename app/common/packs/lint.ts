/**
 * pack check's net for mistakes that parse and even run, but mark students wrong for right
 * answers: a /proc size read the old way, a unit after a field that has its own, a count
 * quantity over a size, a misconception that can never match or that is the right answer, an
 * expected size below zero (a subtraction the wrong way round), a show_step past the end, a
 * tune goal comparing a size with a bare number. Each finding names the field and the fix.
 */
import type { SimReport } from '../kernel/index.js';
import { formatBytesHuman, readAnswer, toleranceOf, type Quantity } from './answer.js';
import { GOAL, goalText, lookupFor, namesAvailable, runScenarioText, scenarioFor } from './checkers.js';
import { evaluateQ, type Dim, type ExprNote, type ExprValue, ExprError } from './expr.js';
import type { ParamValues } from './params.js';
import type { Exercise, PackManifest } from './schema.js';
import { closest } from './suggest.js';

export interface LintFinding {
  field: string;
  message: string;
}

export interface LintContext {
  params: ParamValues;
  scenarioText: (ref: string) => string;
  /** the pack asks for memlab older than 0.2: a bare /proc size changed meaning (kB then, bytes now) */
  legacyUnits: boolean;
}

const usesSim = (expr: string) => /\b(sim|vmstat|meminfo|snapshots)\./.test(expr);

function reportFor(ex: Exercise, ctx: LintContext, exprs: string[]): SimReport | undefined {
  if (!ex.scenario || !exprs.some(usesSim)) return undefined;
  try {
    return runScenarioText(scenarioFor(ctx, ex.scenario));
  } catch {
    return undefined;
  }
}

const DIM_WORD: Record<Dim, string> = { size: 'a size', count: 'a count', none: 'a plain number' };

/** The dimension problems of one expression that must give `quantity`. */
function exprFindings(src: string, field: string, quantity: Quantity | undefined, look: ReturnType<typeof lookupFor>, names: () => string[], legacy: boolean): { findings: LintFinding[]; value?: ExprValue } {
  const out: LintFinding[] = [];
  let q: ExprValue & { notes: ExprNote[] };
  try {
    q = evaluateQ(src, look, { suggest: (n) => closest(n, names()) });
  } catch (err) {
    if (err instanceof ExprError) return { findings: [{ field, message: `cannot evaluate "${src}": ${err.message}` }] };
    throw err;
  }
  for (const n of q.notes) if (n.code !== 'bare-proc-size' || legacy) out.push({ field, message: `"${src}": ${n.message}` });
  if (quantity === 'count' && q.d === 'size')
    out.push({ field, message: `"${src}" is a size (bytes) but the answer is a count: students would have to type a number of bytes without a unit. Divide by a size to count ("… / 4 KiB" for pages) or set quantity: bytes` });
  if (quantity === 'bytes' && q.d === 'count')
    out.push({ field, message: `"${src}" is a count (${q.field ?? 'faults, pages, events'}) but the answer is bytes: set quantity: count, or multiply by a size ("… * 4 KiB")` });
  if (quantity === 'percent' && q.d !== 'none') out.push({ field, message: `"${src}" is ${DIM_WORD[q.d]} but the answer is a percentage: divide two sizes and multiply by 100` });
  return { findings: out, value: q };
}

/** Lint one exercise (or a guided stage's question) for one parameter draw. `prefix` leads each field ("stages.2.question."). */
export function lintExercise(ex: Exercise, ctx: LintContext, prefix = ''): LintFinding[] {
  const out: LintFinding[] = [];
  const f = (x: string) => prefix + x;
  const exprs: string[] = [];
  if (ex.kind === 'numeric' || ex.kind === 'predict' || ex.kind === 'observe') exprs.push(ex.answer.expr);
  if (ex.kind === 'table') exprs.push(...ex.fields.map((x) => x.expr));
  if (ex.kind === 'tune') exprs.push(...ex.goals.map(goalText));
  for (const m of ex.misconceptions) if (typeof m.answer === 'string') exprs.push(m.answer);
  const report = reportFor(ex, ctx, exprs);
  const look = lookupFor(ctx.params, report);
  let cached: string[] | undefined;
  const names = () => (cached ??= namesAvailable(ctx.params, report));

  const numberTargets: Array<{ field: string; expr: string; quantity: Quantity; tolerance: string; name?: string }> = [];
  if (ex.kind === 'numeric' || ex.kind === 'predict' || ex.kind === 'observe') numberTargets.push({ field: 'answer.expr', expr: ex.answer.expr, quantity: ex.answer.quantity, tolerance: ex.answer.tolerance });
  if (ex.kind === 'table') ex.fields.forEach((x, i) => numberTargets.push({ field: `fields.${i}.expr`, expr: x.expr, quantity: x.quantity, tolerance: x.tolerance, name: x.name }));

  for (const t of numberTargets) {
    if (ex.kind === 'observe') continue; // observe is checked against the live measurement
    const r = exprFindings(t.expr, f(t.field), t.quantity, look, names, ctx.legacyUnits);
    out.push(...r.findings);
    const v = r.value;
    if (!v) continue;
    // a size or count a student reads off /proc is never below zero
    if (v.v < 0 && t.quantity !== 'percent') {
      const m = /^\s*(.+?)\s+-\s+(.+?)\s*$/.exec(t.expr);
      out.push({
        field: f(t.field),
        message: `the expected value is negative (${t.quantity === 'bytes' ? formatBytesHuman(v.v) : v.v}), so a student who answers the ${t.quantity === 'bytes' ? 'size' : 'number'} they saw is marked wrong${m ? `: did you subtract the wrong way round? Write "${m[2]} - ${m[1]}"` : ''}`,
      });
    }
    // misconceptions for this number
    ex.misconceptions.forEach((mc, i) => {
      if ((t.name ?? undefined) !== (mc.field ?? undefined) || Array.isArray(mc.answer)) return;
      const mfield = f(`misconceptions.${i}.answer`);
      const raw = String(mc.answer);
      const plain = readAnswer(raw, t.quantity);
      let mv: number | undefined = plain.ok ? plain.value : undefined;
      if (mv === undefined) {
        try {
          const q = evaluateQ(raw, look);
          if (t.quantity === 'count' && q.d === 'size') {
            out.push({ field: mfield, message: `the misconception "${raw}" can never match: the answer is a count, and students cannot type a unit (${plain.ok ? '' : plain.why}). Write it as a plain number` });
            return;
          }
          mv = q.v;
        } catch {
          out.push({ field: mfield, message: `the misconception "${raw}" can never match: ${plain.ok ? 'it is not an expression' : plain.why}` });
          return;
        }
      }
      const tol = toleranceOf(t.tolerance, v.v, t.quantity);
      if (Math.abs(mv - v.v) <= tol + 1e-9) out.push({ field: mfield, message: `the misconception "${raw}" is the right answer (within the tolerance of ${t.expr}): a student who answers it is marked right and never sees "${mc.says.slice(0, 60)}"` });
    });
  }
  if (ex.kind === 'choice')
    ex.misconceptions.forEach((m, i) => {
      if (m.answer === ex.answer) out.push({ field: f(`misconceptions.${i}.answer`), message: `the misconception ${String(m.answer)} is the right option (answer: ${ex.answer}); it is never shown` });
      else if (typeof m.answer !== 'number' || m.answer < 0 || m.answer >= ex.options.length) out.push({ field: f(`misconceptions.${i}.answer`), message: `the misconception ${JSON.stringify(m.answer)} can never match: a choice misconception is an option index from 0 to ${ex.options.length - 1}` });
    });
  if (ex.kind === 'multiple')
    ex.misconceptions.forEach((m, i) => {
      const same = Array.isArray(m.answer) && [...m.answer].sort().join(',') === [...ex.answer].sort().join(',');
      if (same) out.push({ field: f(`misconceptions.${i}.answer`), message: `the misconception ${JSON.stringify(m.answer)} is the right answer; it is never shown` });
      else if (!Array.isArray(m.answer)) out.push({ field: f(`misconceptions.${i}.answer`), message: `the misconception ${JSON.stringify(m.answer)} can never match: a multiple misconception is a list of option indices, e.g. [0, 2]` });
    });
  if (ex.kind === 'tune') {
    ex.knobs.forEach((k, i) => {
      const m = /^steps\.(\d+)\./.exec(k.path);
      if (m && ctx.legacyUnits)
        out.push({ field: f(`knobs.${i}.path`), message: `memlab 0.2 counts steps.N from 1, as the simulator shows them (memlab 0.1 counted from 0): ${k.path} is now step ${m[1]}; if you meant the step after it, write steps.${Number(m[1]) + 1}, then require memlab ">=0.2" in pack.yaml` });
    });
    ex.goals.forEach((gl, i) => {
      const g = goalText(gl);
      const m = GOAL.exec(g);
      if (!m) return;
      const left = goalLeft(m[1]!, report);
      if (left !== 'size') return;
      let right: Dim | undefined;
      try {
        right = evaluateQ(m[3]!, look).d;
      } catch {
        right = undefined;
      }
      if (right === 'none')
        out.push({ field: f(`goals.${i}`), message: `"${g}" compares a size with the bare number ${m[3]}: memlab reads it in kB (the /proc unit) as memlab 0.1 did; write the unit, e.g. "${m[1]} ${m[2]} ${formatKb(Number(m[3]))}"` });
    });
  }
  return out;
}

/** the dimension of a goal's left side when it is a /proc size */
function goalLeft(left: string, report?: SimReport): Dim | undefined {
  const [a, b] = left.split('.');
  if (a === 'meminfo') return 'size';
  if (a === 'vmstat' || a === 'ran') return 'count';
  if (report && b && /^Vm|^Rss/.test(left.split('.').at(-1)!)) return 'size';
  return undefined;
}

function formatKb(kb: number): string {
  if (!Number.isFinite(kb)) return 'N MiB';
  const b = kb * 1024;
  for (const [u, n] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) if (b % n === 0 && b >= n) return `${b / n} ${u}`;
  return `${kb} kB`;
}

/** show_step beyond the scenario's steps */
export function lintShowStep(ex: Exercise, steps: number | undefined): LintFinding[] {
  if (ex.show_step === undefined || steps === undefined) return [];
  if (ex.show_step > steps) return [{ field: 'show_step', message: `show_step ${ex.show_step} is beyond the scenario, which has ${steps} steps (show_step counts steps from 1; 0 is before the first)` }];
  return [];
}

/** Chapters whose `requires` go round in a circle: nobody could ever unlock them. */
export function requireCycles(m: PackManifest): Array<{ chapter: number; message: string }> {
  const byId = new Map(m.chapters.map((c, i) => [c.id, { c, i }]));
  const out: Array<{ chapter: number; message: string }> = [];
  const reported = new Set<string>();
  for (const start of m.chapters) {
    const path: string[] = [];
    const walk = (id: string): string[] | undefined => {
      const at = path.indexOf(id);
      if (at >= 0) return [...path.slice(at), id];
      const node = byId.get(id);
      if (!node) return undefined;
      path.push(id);
      for (const r of node.c.requires) {
        const cyc = walk(r);
        if (cyc) return cyc;
      }
      path.pop();
      return undefined;
    };
    const cyc = walk(start.id);
    if (cyc && cyc[0] === start.id) {
      const key = [...new Set(cyc)].sort().join(',');
      if (reported.has(key)) continue;
      reported.add(key);
      out.push({ chapter: byId.get(start.id)!.i, message: `chapters require each other in a circle (${cyc.join(' → ')}), so none of them can ever unlock; remove one of these requires` });
    }
  }
  return out;
}
