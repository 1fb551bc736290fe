/**
 * Parsing pack files with their positions: pack.yaml and each exercise's front matter, with
 * zod validation whose errors name file, line and field. Plain JS: the Node layer reads files.
 */
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from './suggest.js';
import { markdownTooHeavy, yamlTooHeavy } from './limits.js';
import { Exercise, PackManifest } from './schema.js';

export interface PackProblem {
  file: string;
  line?: number;
  /** 1-based column, for YAML syntax errors */
  column?: number;
  field?: string;
  message: string;
  /** a warning does not fail `pack check` (an answer shown before it is asked, a reason on one option only) */
  level?: 'warning';
}

type Doc = ReturnType<typeof parseDocument>;

function locate(doc: Doc, lc: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const parent = n > 1 ? doc.getIn(sub.slice(0, -1), true) : doc.contents;
    const last = sub[sub.length - 1];
    let node: { range?: [number, number, number] } | undefined;
    if (n > 0 && isMap(parent)) node = parent.items.find((p) => (p.key as { value?: unknown })?.value === last)?.key as typeof node;
    else if (n > 0 && isSeq(parent) && typeof last === 'number') node = parent.items[last] as typeof node;
    else if (n === 0) node = doc.contents as typeof node;
    if (node?.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Finds the line of a field ("stages.2.question.answer") in a file, for errors found after parsing. */
export type LineOf = (field: string) => number | undefined;

export function parseYaml<T extends z.ZodType>(text: string, file: string, schema: T, lineOffset: number): { value?: z.output<T>; problems: PackProblem[]; lineOf: LineOf } {
  const heavy = yamlTooHeavy(text);
  if (heavy) return { problems: [{ file, line: 1 + lineOffset, message: `${file} was not read: ${heavy}` }], lineOf: () => undefined };
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const lineOf: LineOf = (field) => {
    const path = field.split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x));
    const l = locate(doc, lc, path);
    return l === undefined ? undefined : l + lineOffset;
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lc.linePos(e.pos[0]);
    return { problems: [{ file, line: pos.line + lineOffset, column: pos.col, message: `YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` }], lineOf };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    return { problems: [{ file, line: 1 + lineOffset, message: (err as Error).message }], lineOf };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { value: r.data, problems: [], lineOf };
  const problems = r.error.issues.slice(0, 5).map((i) => {
    const { path, message } = friendly(i, raw, schema);
    const line = locate(doc, lc, path);
    return { file, line: line === undefined ? undefined : line + lineOffset, field: path.join('.') || undefined, message };
  });
  // a misspelt field is one mistake, not two: "'explantion' … (did you mean 'explanation'?)" says it, so "explanation is missing" goes
  const meant = new Set(problems.map((p) => /^'[^']+' is not a field[^(]*\(did you mean '([^']+)'\?\)/.exec(p.message)).filter((m) => !!m).map((m) => m[1]!));
  return { problems: problems.filter((p) => !(/ is missing \(/.test(p.message) && meant.has(String(p.field).split('.').at(-1) ?? ''))), lineOf };
}

/** a zod schema's definition, as far as walking it to a path needs */
type Def = { type: string; shape?: Record<string, z.ZodType>; in?: z.ZodType; innerType?: z.ZodType; options?: z.ZodType[]; discriminator?: string; element?: z.ZodType; valueType?: z.ZodType; items?: z.ZodType[]; getter?: () => z.ZodType };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** the object schema that validates `value` (through optionals, transforms, unions: the kind's own branch), or undefined */
function objectSchema(schema: z.ZodType, value: unknown, depth = 0): Def | undefined {
  if (depth > 20) return undefined;
  const d = defOf(schema);
  if (d.type === 'object') return d;
  if (d.type === 'pipe' && d.in) return objectSchema(d.in, value, depth + 1);
  if (d.innerType) return objectSchema(d.innerType, value, depth + 1);
  if (d.type === 'lazy' && d.getter) return objectSchema(d.getter(), value, depth + 1);
  if (d.type === 'union' && d.options) {
    const objs = d.options.map((o) => objectSchema(o, value, depth + 1)).filter((x): x is Def => !!x);
    const given = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    if (d.discriminator) {
      const mine = objs.find((o) => {
        const lit = o.shape?.[d.discriminator!] && defOf(o.shape[d.discriminator!]!) as { values?: unknown[] };
        return lit?.values?.includes(given[d.discriminator!]);
      });
      if (mine) return mine;
    }
    // the branch that knows most of the keys written
    const score = (o: Def) => Object.keys(given).filter((k) => o.shape && k in o.shape).length;
    return objs.sort((a, b) => score(b) - score(a))[0];
  }
  return undefined;
}

/** the schema at a path below `schema`, following the values written (for a union, the branch they take) */
function schemaAt(schema: z.ZodType, raw: unknown, path: (string | number)[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  let v = raw;
  for (const k of path) {
    if (!s) return undefined;
    let d = defOf(s);
    while ((d.type === 'pipe' && d.in) || d.innerType) {
      s = d.type === 'pipe' ? d.in! : d.innerType!;
      d = defOf(s);
    }
    const next: unknown = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
    if (d.type === 'array' && d.element) s = d.element;
    else if (d.type === 'tuple' && d.items && typeof k === 'number') s = d.items[k];
    else if (d.type === 'record' && d.valueType) s = d.valueType;
    else {
      const o = objectSchema(s, v);
      s = o?.shape?.[String(k)];
    }
    v = next;
  }
  return s;
}

/** the fields the object schema at this path takes (for "did you mean"); what was written there when the schema says nothing */
function fieldsAt(schema: z.ZodType, raw: unknown, path: (string | number)[], value: unknown): string[] {
  const at = schemaAt(schema, raw, path);
  const o = at && objectSchema(at, value);
  if (o?.shape) return Object.keys(o.shape);
  return value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
}

/** fields of the exercise kinds' nested objects, to say where a key put at the wrong level belongs */
const NESTED_HOMES: Record<string, string> = { expr: 'answer', quantity: 'answer', tolerance: 'answer', goal: 'goals', label: 'knobs or fields', back_to: 'on_wrong' };

/** zod's issue in plain words, at the path where the author should look (an unknown key: the key itself) */
function friendly(i: z.core.$ZodIssue, raw: unknown, schema: z.ZodType): { path: (string | number)[]; message: string } {
  const path = i.path as (string | number)[];
  const at = path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined), raw);
  if (i.code === 'invalid_union' && (i as { discriminator?: string }).discriminator) {
    const opts = ((i as { options?: unknown[] }).options ?? []).map(String);
    const got = at === undefined ? undefined : String(at);
    const name = (i as { discriminator?: string }).discriminator!;
    return { path, message: got === undefined ? `${name} is missing: one of ${opts.join(', ')}` : `'${got}' is not a ${name}${didYouMean(got, opts)}; the ${name}s are ${opts.join(', ')}` };
  }
  if (i.code === 'unrecognized_keys') {
    const keys = (i as { keys: string[] }).keys;
    const k = keys[0]!;
    // the fields this kind (or this nested object) takes, not the ones written beside the typo
    const parentFields = fieldsAt(schema, raw, path, at).filter((x) => !keys.includes(x));
    const home = NESTED_HOMES[k];
    const where = path.length ? `under ${path.join('.')}` : 'here';
    return {
      path: [...path, k],
      message: `'${k}' is not a field ${where}${didYouMean(k, parentFields.concat(Object.keys(NESTED_HOMES)).filter((x) => x !== k))}${home && !path.includes(home) ? `; it belongs inside ${home}:` : ''}`,
    };
  }
  if (i.code === 'invalid_value' && Array.isArray((i as { values?: unknown[] }).values)) {
    const opts = (i as { values: unknown[] }).values.map(String);
    const got = at === undefined ? undefined : String(at);
    const name = String(path.at(-1) ?? 'the value');
    return { path, message: got === undefined ? `${name} is missing: one of ${opts.join(', ')}` : `'${got}' is not a ${name}${didYouMean(got, opts)}; it is one of ${opts.join(', ')}` };
  }
  if (i.code === 'invalid_key') {
    const key = String(path.at(-1));
    const why = (i as { issues?: Array<{ message?: string }> }).issues?.[0]?.message;
    const lower = key.toLowerCase().replace(/[^a-z0-9_]/g, '_');
    return { path, message: `'${key}' is not a name memlab takes here${why && !/^Invalid/.test(why) ? `: ${why}` : ''}${lower !== key && /^[a-z_]/.test(lower) ? ` (write '${lower}', and use it under that name)` : ''}` };
  }
  if (i.code === 'invalid_type' && at === undefined) return { path, message: `${String(path.at(-1) ?? 'a field')} is missing (expected ${(i as { expected?: string }).expected ?? 'a value'})` };
  if (i.code === 'invalid_type') return { path, message: `expected ${(i as { expected?: string }).expected ?? 'another type'}, not ${Array.isArray(at) ? 'a list' : at === null ? 'nothing' : typeof at === 'object' ? 'a mapping' : `${typeof at} ${JSON.stringify(at)}`}` };
  return { path, message: i.message };
}

export function parseManifest(text: string, file = 'pack.yaml') {
  return parseYaml(text, file, PackManifest, 0);
}

/** An exercise file: front matter between --- lines, then Markdown prose. */
export function parseExerciseFile(text: string, file: string): { exercise?: Exercise; prose: string; problems: PackProblem[]; lineOf: LineOf } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!m) return { prose: '', problems: [{ file, line: 1, message: 'an exercise starts with front matter between --- lines' }], lineOf: () => undefined };
  const heavy = markdownTooHeavy(m[2]!);
  if (heavy) return { prose: '', problems: [{ file, line: 1, message: `${file} was not read: ${heavy}` }], lineOf: () => undefined };
  const r = parseYaml(m[1]!, file, Exercise, 1);
  return { exercise: r.value, prose: m[2]!, problems: r.problems, lineOf: r.lineOf };
}
