/**
 * The safe expression language for expected answers and tune goals. A pack never runs code:
 * this is a small parser and evaluator (no eval, no Function) over numbers with units,
 * + - * / ( ), min max round floor ceil, parameter names and simulator results.
 *
 *   expr    := sum
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/') unary)*
 *   unary   := '-' unary | postfix
 *   postfix := primary unit?
 *   primary := number | name ('(' args ')')? | '(' sum ')'
 *   name    := identifier ('.' segment)*        e.g. size, sim.end.a.VmRSS, vmstat.end.oom_kill
 */
import { UNITS } from '../kernel/units.js';

export const UNIT_BYTES: Record<string, number> = {
  ...Object.fromEntries(Object.entries(UNITS).filter(([k]) => k !== '')),
  byte: 1,
  bytes: 1,
  page: 4096,
  pages: 4096,
};

export class ExprError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = 'ExprError';
  }
}

type Token = { t: 'num'; v: number; at: number } | { t: 'name'; v: string; at: number } | { t: 'op'; v: string; at: number };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)/i.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[1]), at: i });
      i += num[1]!.length;
      continue;
    }
    const name = /^[A-Za-z_][\w]*(?:\.[\w:-]+)*/.exec(src.slice(i));
    if (name) {
      out.push({ t: 'name', v: name[0], at: i });
      i += name[0].length;
      continue;
    }
    if ('+-*/(),'.includes(c)) {
      out.push({ t: 'op', v: c, at: i });
      i++;
      continue;
    }
    throw new ExprError(`unexpected '${c}'`, i);
  }
  return out;
}

export type Lookup = (name: string) => number | undefined;

const FUNCS: Record<string, { arity: number; fn: (...a: number[]) => number }> = {
  min: { arity: 2, fn: Math.min },
  max: { arity: 2, fn: Math.max },
  round: { arity: 1, fn: Math.round },
  floor: { arity: 1, fn: Math.floor },
  ceil: { arity: 1, fn: Math.ceil },
  abs: { arity: 1, fn: Math.abs },
};

/** Evaluate an expression; names resolve through `lookup`. Throws ExprError naming the position. */
export function evaluate(src: string, lookup: Lookup = () => undefined): number {
  if (src.length > 500) throw new ExprError('expression too long', 0);
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;
  const peek = () => toks[p];
  const expectOp = (v: string) => {
    const t = toks[p];
    if (!t || t.t !== 'op' || t.v !== v) throw new ExprError(`expected '${v}'`, t?.at ?? src.length);
    p++;
  };
  const sum = (): number => {
    if (++depth > 50) throw new ExprError('expression nested too deeply', 0);
    let v = product();
    for (let t = peek(); t && t.t === 'op' && (t.v === '+' || t.v === '-'); t = peek()) {
      p++;
      const r = product();
      v = t.v === '+' ? v + r : v - r;
    }
    depth--;
    return v;
  };
  const product = (): number => {
    let v = unary();
    for (let t = peek(); t && t.t === 'op' && (t.v === '*' || t.v === '/'); t = peek()) {
      p++;
      const r = unary();
      if (t.v === '/' && r === 0) throw new ExprError('division by zero', t.at);
      v = t.v === '*' ? v * r : v / r;
    }
    return v;
  };
  const unary = (): number => {
    const t = peek();
    if (t && t.t === 'op' && t.v === '-') {
      p++;
      return -unary();
    }
    return postfix();
  };
  const postfix = (): number => {
    const v = primary();
    const t = peek();
    if (t && t.t === 'name' && UNIT_BYTES[t.v.toLowerCase()] !== undefined) {
      p++;
      return v * UNIT_BYTES[t.v.toLowerCase()]!;
    }
    return v;
  };
  const primary = (): number => {
    const t = toks[p++];
    if (!t) throw new ExprError('expression ends too soon', src.length);
    if (t.t === 'num') return t.v;
    if (t.t === 'op' && t.v === '(') {
      const v = sum();
      expectOp(')');
      return v;
    }
    if (t.t === 'name') {
      const f = FUNCS[t.v];
      const next = peek();
      if (f && next?.t === 'op' && next.v === '(') {
        p++;
        const args = [sum()];
        while (peek()?.t === 'op' && peek()!.v === ',') {
          p++;
          args.push(sum());
        }
        expectOp(')');
        if (args.length !== f.arity) throw new ExprError(`${t.v} takes ${f.arity} argument${f.arity > 1 ? 's' : ''}`, t.at);
        return f.fn(...args);
      }
      const v = lookup(t.v);
      if (v === undefined || !Number.isFinite(v)) throw new ExprError(`unknown name '${t.v}'`, t.at);
      return v;
    }
    throw new ExprError(`unexpected '${t.v}'`, t.at);
  };
  const v = sum();
  if (p < toks.length) throw new ExprError(`unexpected '${toks[p]!.v}'`, toks[p]!.at);
  return v;
}

/** Names an expression uses (for pack check: every one must resolve). */
export function namesIn(src: string): string[] {
  try {
    return tokenize(src)
      .filter((t) => t.t === 'name' && !FUNCS[t.v] && UNIT_BYTES[t.v.toLowerCase()] === undefined)
      .map((t) => t.v as string);
  } catch {
    return [];
  }
}
