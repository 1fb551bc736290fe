/**
 * Parsing pack files with their positions: pack.yaml and each exercise's front matter, with
 * zod validation whose errors name file, line and field. Plain JS: the Node layer reads files.
 */
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { markdownTooHeavy, yamlTooHeavy } from './limits.js';
import { Exercise, PackManifest } from './schema.js';

export interface PackProblem {
  file: string;
  line?: number;
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
    return { problems: [{ file, line: lc.linePos(e.pos[0]).line + lineOffset, message: e.message.split('\n')[0]! }], lineOf };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    return { problems: [{ file, line: 1 + lineOffset, message: (err as Error).message }], lineOf };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { value: r.data, problems: [], lineOf };
  return {
    problems: r.error.issues.slice(0, 5).map((i) => {
      const path = i.path as (string | number)[];
      const line = locate(doc, lc, path);
      return { file, line: line === undefined ? undefined : line + lineOffset, field: path.join('.') || undefined, message: i.message };
    }),
    lineOf,
  };
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
