/**
 * `pack check` warnings for one exercise (see common/packs/warnings.ts): an answer printed where
 * the learner reads it before answering, and reasons that single out one option. Each names file,
 * line and field; they do not fail the check.
 */
import { parseScenario } from '../common/kernel/index.js';
import { toleranceOf } from '../common/packs/answer.js';
import { expectedFields, expectedValue, stageExercise } from '../common/packs/checkers.js';
import { drawParams, substitute } from '../common/packs/params.js';
import type { PackProblem } from '../common/packs/parse.js';
import type { Exercise } from '../common/packs/schema.js';
import { answerShownWarnings, type Expected, optionReasonWarnings, type PackWarning } from '../common/packs/warnings.js';
import type { LoadedExercise } from '../node/packs/loader.js';

type Ctx = { params: Record<string, number | string>; scenarioText: (ref: string) => string };

function expectedOf(ex: Exercise, ctx: Ctx): Expected[] {
  try {
    if (ex.kind === 'numeric' || ex.kind === 'predict' || ex.kind === 'observe') {
      const e = expectedValue(ex, ctx);
      return [{ kind: 'number', value: e.value, quantity: e.quantity, tolerance: toleranceOf(ex.answer.tolerance, e.value, e.quantity) }];
    }
    if (ex.kind === 'table') {
      const e = expectedFields(ex, ctx);
      return ex.fields.map((f) => ({ kind: 'number', value: e[f.name]!.value, quantity: f.quantity, tolerance: toleranceOf(f.tolerance, e[f.name]!.value, f.quantity), label: f.label }));
    }
    if (ex.kind === 'text') return [{ kind: 'text', patterns: ex.patterns }];
  } catch {
    // an expression that cannot be evaluated is reported as an error elsewhere
  }
  return [];
}

function scenarioDescription(ref: string | undefined, scenarioText: (ref: string) => string): string | undefined {
  if (!ref) return undefined;
  try {
    return parseScenario(scenarioText(ref), ref).description;
  } catch {
    return undefined;
  }
}

export function exerciseWarnings(le: LoadedExercise, raw: string, scenarioText: (ref: string) => string, draws: number): PackProblem[] {
  const ex = le.exercise;
  const seen = new Set<string>();
  const out: PackProblem[] = [];
  const proseLine = raw.split('\n').length - le.prose.split('\n').length + 1;
  const add = (w: PackWarning & { proseText?: string }) => {
    if (seen.has(w.field)) return;
    seen.add(w.field);
    const line = w.field === 'prose' ? proseLine + (w.at !== undefined ? (w.proseText ?? '').slice(0, w.at).split('\n').length - 1 : 0) : (le.lineOf(w.field) ?? le.lineOf(w.field.split('.').slice(0, -1).join('.')));
    out.push({ file: le.file, ...(line !== undefined ? { line } : {}), field: w.field, message: w.message, level: 'warning' });
  };
  // the questions to look at: the exercise, or each question of a guided lab with what is shown above it
  const items: Array<{ q: Exercise; prefix: string; shown: (p: Ctx['params']) => Array<{ field: string; text: string | undefined; what: string }> }> = [];
  const desc = (ref: string | undefined) => ({ field: 'scenario', text: scenarioDescription(ref, scenarioText), what: `the description of ${ref} (shown beside the exercise)` });
  if (ex.kind === 'guided') {
    ex.stages.forEach((st, i) => {
      if (!st.question) return;
      const q = stageExercise(ex, st.id)!;
      items.push({
        q,
        prefix: `stages.${i}.question.`,
        shown: (p) => [
          { field: `stages.${i}.question.prompt`, text: substitute(st.question!.prompt, p), what: 'the prompt' },
          ...ex.stages.slice(0, i + 1).map((s, j) => ({ field: `stages.${j}.say`, text: substitute(s.say, p), what: j === i ? `the text of stage ${j + 1} (${s.id}) above its question` : `the text of stage ${j + 1} (${s.id}), read before the question of stage ${i + 1},` })),
          { field: `stages.${i}.question.hints.0`, text: st.question!.hints[0] && substitute(st.question!.hints[0], p), what: 'the first hint' },
          { field: 'prose', text: substitute(le.prose, p), what: 'the prose above the lab' },
          desc(q.scenario),
        ],
      });
    });
  } else
    items.push({
      q: ex,
      prefix: '',
      shown: (p) => [
        { field: 'prose', text: substitute(le.prose, p), what: 'the prompt' },
        { field: 'hints.0', text: ex.hints[0] && substitute(ex.hints[0], p), what: 'the first hint' },
        desc(ex.scenario),
      ],
    });
  const n = Object.keys(ex.params).length ? draws : 1;
  for (const it of items) {
    for (const w of optionReasonWarnings(it.q, it.prefix)) add(w);
    for (let d = 0; d < n; d++) {
      const params = drawParams(ex.params, 1000 + d * 7919);
      const shown = it.shown(params);
      for (const w of answerShownWarnings(expectedOf(it.q, { params, scenarioText }), shown)) {
        const text = shown.find((s) => s.field === w.field)?.text;
        add({ ...w, message: `${w.message}${n > 1 ? ` (with parameters ${JSON.stringify(params)})` : ''}`, ...(w.field === 'prose' ? { proseText: text } : {}) });
      }
    }
  }
  return out;
}
