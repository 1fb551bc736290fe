/**
 * Parameters in scenarios: `{{name}}` or `{{expr}}` anywhere in a value (`malloc: {{m}} MiB`,
 * `repeat: {{n * 2}}`, `swappiness: {{sw}}`), evaluated with the pack's safe expression
 * language. A scenario declares its parameters with defaults (`params: { m: 64 }`) so it runs on
 * its own; an exercise's drawn parameters of the same names replace them per learner.
 */
import { parseDocument } from 'yaml';
import { evaluate, ExprError } from '../packs/expr.js';
import { didYouMean } from '../packs/suggest.js';

export const TEMPLATE = /\{\{([^{}]*)\}\}/g;

export interface TemplateError {
  message: string;
  line: number;
  column: number;
}

/** the `params:` a scenario declares (with placeholders made harmless so the YAML parses) */
export function declaredParams(text: string): Record<string, number> {
  const safe = text.replace(TEMPLATE, '0');
  try {
    const js = parseDocument(safe, { prettyErrors: false }).toJS({ maxAliasCount: 100 }) as { params?: unknown } | null;
    const p = js && typeof js === 'object' ? js.params : undefined;
    if (!p || typeof p !== 'object' || Array.isArray(p)) return {};
    return Object.fromEntries(Object.entries(p as Record<string, unknown>).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>;
  } catch {
    return {};
  }
}

/**
 * The scenario's text with every {{…}} replaced by its value. `given` (an exercise's drawn
 * parameters) wins over the scenario's own defaults. Lines and columns do not move before a
 * placeholder, so later errors still name the right line.
 */
export function expandTemplate(text: string, given: Record<string, number | string> = {}): { text: string } | { error: TemplateError } {
  if (!text.includes('{{')) return { text };
  const values: Record<string, number> = { ...declaredParams(text) };
  for (const [k, v] of Object.entries(given)) if (typeof v === 'number' || Number.isFinite(Number(v))) values[k] = Number(v);
  let error: TemplateError | undefined;
  const out = text.replace(TEMPLATE, (whole, inner: string, offset: number) => {
    if (error) return whole;
    try {
      const v = evaluate(inner.trim(), (n) => (Object.prototype.hasOwnProperty.call(values, n) ? values[n] : undefined));
      return String(Math.round(v * 1e9) / 1e9);
    } catch (err) {
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      const unknown = err instanceof ExprError ? /unknown name '([^']+)'/.exec(err.message)?.[1] : undefined;
      const names = Object.keys(values);
      error = {
        line,
        column,
        message: unknown
          ? `{{${inner.trim()}}}: '${unknown}' is not a parameter${didYouMean(unknown, names)}; ${names.length ? `the parameters here are ${names.join(', ')}` : 'declare it with a default, e.g. params: { ' + unknown + ': 64 }'}`
          : `{{${inner.trim()}}}: ${(err as Error).message}`,
      };
      return whole;
    }
  });
  return error ? { error } : { text: out };
}

/**
 * The parameters of `given` that the scenario's placeholders name: what a simulator needs to run
 * a learner's variant, and nothing more (a parameter only the answer uses stays on the main side).
 */
export function paramsUsed(text: string, given: Record<string, number | string>): Record<string, number | string> {
  const names = new Set<string>();
  for (const m of text.matchAll(TEMPLATE)) for (const n of m[1]!.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) names.add(n[0]);
  return Object.fromEntries(Object.entries(given).filter(([k]) => names.has(k)));
}
