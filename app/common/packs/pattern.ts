/**
 * Text-answer patterns from packs, matched by RE2 (re2js): a linear-time engine, so no pattern a
 * stranger writes can make matching a learner's answer backtrack for seconds (ReDoS). Pack
 * authors keep JavaScript's syntax; the constructs RE2 cannot run in linear time (backreferences,
 * lookahead and lookbehind) are refused with a reason `pack check` shows.
 */
import { RE2JS } from 're2js';

/** The longest pattern a pack may use. */
export const MAX_PATTERN_LENGTH = 300;

export interface CompiledPattern {
  /** Does the pattern match anywhere in the text (as RegExp.test with the i flag)? */
  test(text: string): boolean;
}

export type PatternResult = { ok: true; pattern: CompiledPattern } | { ok: false; why: string };

/** Why a pattern cannot be used, in words a pack author can act on; null when it is fine. */
function unsupported(p: string): string | null {
  if (p.length > MAX_PATTERN_LENGTH) return `it is longer than ${MAX_PATTERN_LENGTH} characters`;
  // outside a character class: \1 … \9 and \k<name> are backreferences; (?= (?! (?<= (?<! look around
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      if (/[1-9]/.test(n)) return `\\${n} is a backreference, which memlab's linear-time matcher (RE2) does not support: write the alternatives out, e.g. (ab|cd)`;
      if (n === 'k' && p[i + 2] === '<') return `\\k<…> is a named backreference, which memlab's linear-time matcher (RE2) does not support: write the alternatives out`;
      i++;
      continue;
    }
    if (c === '[') {
      for (i++; i < p.length && p[i] !== ']'; i++) if (p[i] === '\\') i++;
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      const look = p.slice(i + 2, i + 4);
      if (look.startsWith('=') || look.startsWith('!')) return `(?${look[0]}…) is a lookahead, which memlab's linear-time matcher (RE2) does not support: match the text itself, e.g. ^mmap( |$)`;
      if (look === '<=' || look === '<!') return `(?${look}…) is a lookbehind, which memlab's linear-time matcher (RE2) does not support`;
    }
  }
  return null;
}

/** Compile a pack's pattern for case-insensitive matching, or say why it cannot be used. */
export function compilePattern(p: string): PatternResult {
  const why = unsupported(p);
  if (why) return { ok: false, why };
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(p), RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    const msg = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    return { ok: false, why: `it is not a valid regular expression (${msg})` };
  }
  // JavaScript's RegExp is the syntax authors test with: a pattern it rejects is refused too
  try {
    new RegExp(p, 'i');
  } catch (err) {
    return { ok: false, why: `it is not a valid regular expression (${err instanceof Error ? err.message : String(err)})` };
  }
  return { ok: true, pattern: { test: (text) => re.test(text) } };
}
