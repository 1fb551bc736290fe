/**
 * `pack check` warnings about questions that give their answer away (#12). Not errors — the pack
 * still works — but each names the file, line and field, and says how to fix it:
 *
 * - the expected answer, in any form a learner could type it (4096, 4 KiB, 4k, 0x1000 …), is
 *   printed in the text shown with the question: the prompt, the prose or stage text above it,
 *   the scenario description shown beside it, or the first hint;
 * - one option's text carries a reason ("SIGSEGV: literals live in a read-only mapping") while the
 *   others are bare, so the reason singles it out;
 * - some options have their own `why` and others not.
 */
import type { Quantity } from './answer.js';
import { safeRegex } from './checkers.js';
import type { Exercise } from './schema.js';
import { readTyped, roundingAllowance } from './typed.js';

export interface PackWarning {
  field: string;
  message: string;
  /** where in the text the answer was seen (for a line number in prose) */
  at?: number;
}

/** Number-with-unit candidates in prose: "4096", "4 KiB", "1,048,576 kB", "0x1000", "262144 pages", "60%". */
const CANDIDATE = /(?<![\w.])[-+]?(?:0x[0-9a-f]+|\d(?:[\d,_]*\d)?(?:\.\d+)?)(?:\s?(?:[KMGTPE]i?B|kB|[kKMGTPE](?![\w])|bytes?|B(?![\w])|pages?|%))?(?![\w])/gi;

/** The first place in `text` where a value a learner could type for `expected` is written, or undefined. */
export function findNumber(text: string, expected: number, quantity: Quantity, tolerance: number): { at: number; shown: string } | undefined {
  if (expected === 0 || (quantity === 'count' && Math.abs(expected) <= 1)) return undefined;
  for (const m of text.matchAll(CANDIDATE)) {
    const r = readTyped(m[0], quantity);
    if (!r.ok) continue;
    if (Math.abs(r.value - expected) <= tolerance + roundingAllowance(r.halfDigit, expected) + 1e-9) return { at: m.index, shown: m[0] };
  }
  return undefined;
}

/** The first word of `text` that one of a text question's patterns accepts (brk, mmap(2), …). */
export function findAccepted(text: string, patterns: string[]): { at: number; shown: string } | undefined {
  const res = patterns.map((p) => safeRegex(p)).filter((r): r is RegExp => !!r);
  for (const m of text.matchAll(/[\w/().-]+/g)) {
    const word = m[0].replace(/^[(]+|[).,]+$/g, '');
    if (word && res.some((r) => r.test(word))) return { at: m.index, shown: word };
  }
  return undefined;
}

/** "SIGSEGV: literals live in a read-only mapping", "brk — because …": a statement and its reason. */
const REASON = /(?::\s|\s[—–-]\s|;\s|\bbecause\b|\bsince\b|\bas\s+(?:it|they|the)\b)\s*\S+(?:\s+\S+){2,}/i;

export function optionReasonWarnings(ex: Exercise, prefix = ''): PackWarning[] {
  const out: PackWarning[] = [];
  const list = ex.kind === 'choice' || ex.kind === 'multiple' ? { key: 'options', texts: ex.options, why: ex.why } : ex.kind === 'ordering' ? { key: 'items', texts: ex.items, why: ex.why } : ex.kind === 'matching' ? { key: 'pairs', texts: ex.pairs.map((p) => p[1]), why: ex.why } : undefined;
  if (!list) return out;
  if (list.key === 'options') {
    const reasoned = list.texts.map((t, i) => (REASON.test(t) ? i : -1)).filter((i) => i >= 0);
    if (reasoned.length === 1 && list.texts.length > 1) {
      const i = reasoned[0]!;
      out.push({
        field: `${prefix}options.${i}`,
        message: `warning: only option ${i} ("${list.texts[i]}") carries a reason in its text; the others are bare, so the reason singles it out. Keep option texts short and alike, and give every option its reason in \`why\``,
      });
    }
  }
  const withWhy = list.why.map((w, i) => (w ? i : -1)).filter((i) => i >= 0);
  if (withWhy.length > 0 && withWhy.length < list.texts.length) {
    const missing = list.texts.map((_, i) => i).filter((i) => !list.why[i]);
    out.push({
      field: `${prefix}${list.key}.${missing[0]}`,
      message: `warning: ${withWhy.length === 1 ? `${list.key.replace(/s$/, '')} ${withWhy[0]} has` : `${list.key} ${withWhy.join(', ')} have`} a \`why\` but ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not; give every one its reason, right and wrong alike, so the reasons never single out the answer`,
    });
  }
  return out;
}

/** What a question expects, in the forms findNumber / findAccepted look for. */
export type Expected = { kind: 'number'; value: number; quantity: Quantity; tolerance: number; label?: string } | { kind: 'text'; patterns: string[] };

/** The first text among `shown` that prints an expected answer. */
export function answerShownWarnings(expected: Expected[], shown: Array<{ field: string; text: string | undefined; what: string }>): PackWarning[] {
  const out: PackWarning[] = [];
  for (const s of shown) {
    if (!s.text) continue;
    for (const e of expected) {
      const hit = e.kind === 'number' ? findNumber(s.text, e.value, e.quantity, e.tolerance) : findAccepted(s.text, e.patterns);
      if (hit) {
        out.push({
          field: s.field,
          at: hit.at,
          message: `warning: ${s.what} prints the expected answer${e.kind === 'number' && e.label ? ` to "${e.label}"` : ''} ("${hit.shown}") before the learner answers; reword it, or move it to the explanation`,
        });
        break;
      }
    }
  }
  return out;
}
