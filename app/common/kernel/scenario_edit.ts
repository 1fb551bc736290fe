/**
 * Editing a scenario's steps one at a time in its YAML text, for the step form: the rest of the
 * file (comments, the machine, other steps) is left as the author wrote it. Values travel as YAML
 * text ("64MiB", "true", "{ swappiness: 10 }") and are checked by parseScenario afterwards.
 */
import { isMap, isSeq, parse, parseDocument, stringify, type YAMLSeq } from 'yaml';
import { STEP_VERBS, type StepVerb } from './scenario.js';

export interface StepForm {
  verb: string;
  proc?: string;
  note?: string;
  /** the verb's own value and its other fields, as YAML text */
  fields: Record<string, string>;
}

export type StepEdit =
  | { op: 'set'; index: number; step: StepForm }
  | { op: 'insert'; index: number; step: StepForm }
  | { op: 'delete'; index: number }
  | { op: 'move'; index: number; to: number };

export class StepEditError extends Error {}

const asText = (v: unknown) => (v !== null && typeof v === 'object' ? stringify(v, { collectionStyle: 'flow' }).trim() : String(v));

function load(text: string) {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new StepEditError(`the scenario is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (!isMap(doc.contents)) throw new StepEditError('the scenario is not a YAML map (title, machine, processes, steps)');
  return doc;
}

/** The processes declared and each step as the form shows it. */
export function readSteps(text: string): { processes: string[]; steps: StepForm[] } {
  const js = (load(text).toJS() ?? {}) as { processes?: unknown; steps?: unknown };
  const processes = Array.isArray(js.processes) ? js.processes.map((p) => (p && typeof p === 'object' ? String((p as { name?: unknown }).name ?? '') : '')).filter(Boolean) : [];
  const steps = (Array.isArray(js.steps) ? js.steps : []).map((raw): StepForm => {
    const s = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    const verb = Object.keys(s).find((k) => (STEP_VERBS as string[]).includes(k)) ?? '';
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(s)) if (k !== 'proc' && k !== 'note' && v !== undefined) fields[k] = asText(v);
    return { verb, ...(s.proc !== undefined ? { proc: String(s.proc) } : {}), ...(s.note !== undefined ? { note: String(s.note) } : {}), fields };
  });
  return { processes, steps };
}

/** A step as a YAML value: proc, the verb, its fields in the order given, note; empty fields left out. */
function toValue(step: StepForm): Record<string, unknown> {
  if (!(STEP_VERBS as string[]).includes(step.verb)) throw new StepEditError(`'${step.verb}' is not a step (one of ${STEP_VERBS.join(', ')})`);
  const out: Record<string, unknown> = {};
  if (step.proc) out.proc = step.proc;
  const verb = step.verb as StepVerb;
  const entries = Object.entries(step.fields).filter(([, v]) => v.trim() !== '');
  const own = step.fields[verb];
  if (own === undefined || own.trim() === '') throw new StepEditError(`a ${verb} step needs a value for '${verb}'`);
  for (const [k, v] of [[verb, own] as [string, string], ...entries.filter(([k]) => k !== verb)]) {
    let value: unknown;
    try {
      value = parse(v);
    } catch {
      throw new StepEditError(`the value of '${k}' is not valid YAML: ${v}`);
    }
    out[k] = value;
  }
  if (step.note) out.note = step.note;
  return out;
}

export function editSteps(text: string, edit: StepEdit): string {
  const doc = load(text);
  let seq = doc.get('steps', true) as YAMLSeq | undefined;
  if (!isSeq(seq)) {
    doc.set('steps', doc.createNode([]));
    seq = doc.get('steps', true) as YAMLSeq;
  }
  const n = seq.items.length;
  const inRange = (i: number, max: number) => {
    if (!Number.isInteger(i) || i < 0 || i > max) throw new StepEditError(`there is no step ${i + 1} (the scenario has ${n})`);
  };
  const node = (s: StepForm) => doc.createNode(toValue(s), { flow: true });
  switch (edit.op) {
    case 'set':
      inRange(edit.index, n - 1);
    {
      // the comments around the step stay with it
      const old = seq.items[edit.index] as { commentBefore?: string | null; comment?: string | null; spaceBefore?: boolean } | undefined;
      const fresh = node(edit.step);
      if (old) Object.assign(fresh, { commentBefore: old.commentBefore, comment: old.comment, spaceBefore: old.spaceBefore });
      seq.items[edit.index] = fresh;
    }
      break;
    case 'insert':
      inRange(edit.index, n);
      seq.items.splice(edit.index, 0, node(edit.step));
      break;
    case 'delete':
      inRange(edit.index, n - 1);
      seq.items.splice(edit.index, 1);
      break;
    case 'move': {
      inRange(edit.index, n - 1);
      inRange(edit.to, n - 1);
      const [item] = seq.items.splice(edit.index, 1);
      seq.items.splice(edit.to, 0, item!);
      break;
    }
  }
  // a block sequence of flow maps, one step a line, as the built-in scenarios are written
  seq.flow = false;
  return doc.toString({ lineWidth: 0 });
}
