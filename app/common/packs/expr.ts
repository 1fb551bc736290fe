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

/**
 * What a value measures. /proc fields carry theirs: VmRSS or MemFree is a size (read in kB in
 * /proc, so memlab turns it into bytes), minflt or pgfault a count. A number written with a unit
 * is a size; a bare number or a parameter has no dimension of its own.
 */
export type Dim = 'size' | 'count' | 'none';
/** a value with its dimension; `field` is set when it is a /proc field read as is */
export interface ExprValue {
  v: number;
  d: Dim;
  field?: string;
}
/** Names resolve to a plain number (no dimension) or to a quantity (a /proc field). */
export type Lookup = (name: string) => number | ExprValue | undefined;

/** Something an expression does that memlab reads one way but an author likely meant another (pack check reports these). */
export interface ExprNote {
  code: 'unit-after-size-field' | 'unit-after-count' | 'size-plus-number' | 'size-plus-count' | 'bare-proc-size' | 'unit-after-size' | 'unit-bits';
  at: number;
  message: string;
}

/** units that name the kB /proc itself uses: writing one after a /proc size only confirms it (how packs for memlab 0.1 wrote it) */
const PROC_KB = new Set(['kb', 'kib', 'k']);

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
  return evaluateQ(src, lookup).v;
}

/**
 * Evaluate with dimensions: the value, what it measures, and notes on mixes an author likely did
 * not mean (a count with a unit, a size plus a bare number). The value keeps a defined meaning
 * for each note, so a pack keeps working while `pack check` says how to fix it.
 */
export function evaluateQ(src: string, lookup: Lookup = () => undefined, opts: { suggest?: (name: string) => string | undefined } = {}): ExprValue & { notes: ExprNote[] } {
  if (src.length > 500) throw new ExprError('expression too long', 0);
  const toks = tokenize(src);
  const notes: ExprNote[] = [];
  let p = 0;
  let depth = 0;
  const peek = () => toks[p];
  const expectOp = (v: string) => {
    const t = toks[p];
    if (!t || t.t !== 'op' || t.v !== v) throw new ExprError(`expected '${v}'`, t?.at ?? src.length);
    p++;
  };
  const note = (code: ExprNote['code'], at: number, message: string) => notes.push({ code, at, message });
  const sum = (): ExprValue => {
    if (++depth > 50) throw new ExprError('expression nested too deeply', 0);
    let v = product();
    for (let t = peek(); t && t.t === 'op' && (t.v === '+' || t.v === '-'); t = peek()) {
      p++;
      const r = product();
      let d: Dim = v.d === r.d ? v.d : v.d === 'none' ? r.d : r.d === 'none' ? v.d : 'size';
      if ((v.d === 'size' && r.d === 'none') || (v.d === 'none' && r.d === 'size')) {
        const bare = v.d === 'none' ? v : r;
        if (bare.v !== 0) note('size-plus-number', t.at, `'${t.v}' mixes a size with the bare number ${bare.v}: memlab reads it as ${bare.v} bytes; write the unit (${bare.v} B, ${bare.v} KiB, …)`);
      } else if ((v.d === 'size' && r.d === 'count') || (v.d === 'count' && r.d === 'size')) {
        note('size-plus-count', t.at, `'${t.v}' mixes a size with a count (${(v.d === 'count' ? v : r).field ?? 'a count'}); multiply the count by a size first, e.g. "minflt * 4 KiB"`);
        d = 'size';
      }
      v = { v: t.v === '+' ? v.v + r.v : v.v - r.v, d };
    }
    depth--;
    return v;
  };
  const product = (): ExprValue => {
    let v = unary();
    for (let t = peek(); t && t.t === 'op' && (t.v === '*' || t.v === '/'); t = peek()) {
      p++;
      const r = unary();
      if (t.v === '/' && r.v === 0) throw new ExprError('division by zero', t.at);
      let d: Dim;
      if (t.v === '*') d = v.d === 'size' || r.d === 'size' ? 'size' : v.d === 'count' || r.d === 'count' ? 'count' : 'none';
      // size / size is a ratio; size / count a size per thing; count / count a ratio
      else d = v.d === r.d ? 'none' : v.d === 'none' ? 'none' : v.d;
      v = { v: t.v === '*' ? v.v * r.v : v.v / r.v, d };
    }
    return v;
  };
  const unary = (): ExprValue => {
    const t = peek();
    if (t && t.t === 'op' && t.v === '-') {
      p++;
      const q = unary();
      return { v: -q.v, d: q.d };
    }
    return postfix();
  };
  const postfix = (): ExprValue => {
    const q = primary();
    const t = peek();
    if (t && t.t === 'name' && UNIT_BYTES[t.v.toLowerCase()] !== undefined) {
      p++;
      const unit = t.v.toLowerCase();
      // Mb, Gib, mb: a lower-case b after a prefix above kilo reads as bytes here, where elsewhere it means bits (Mb = megabit)
      if (/^[mgt]i?b$/i.test(t.v) && t.v.endsWith('b')) {
        const bytes = `${t.v[0]!.toUpperCase()}iB`;
        note('unit-bits', t.at, `'${t.v}' is read as ${bytes} (2^${{ m: 20, g: 30, t: 40 }[unit[0] as 'm' | 'g' | 't']} bytes), but a lower-case b means bits (${t.v[0]!.toUpperCase()}b = ${{ m: 'mega', g: 'giga', t: 'tera' }[unit[0] as 'm' | 'g' | 't']}bit): write ${bytes}`);
      }
      if (q.field && q.d === 'size') {
        // a /proc size already carries its unit; "VmRSS kB" (memlab 0.1's way) only says so
        if (PROC_KB.has(unit)) return { v: q.v, d: 'size' };
        note('unit-after-size-field', t.at, `${q.field} is already a size (in kB in /proc, read as bytes): drop the '${t.v}' after it (write "${q.field}", or "${q.field} kB" as memlab 0.1 did)`);
        return { v: q.v, d: 'size' };
      }
      if (q.d === 'count') {
        note('unit-after-count', t.at, `${q.field ?? 'this value'} is a count, not a size: a unit after it means nothing; to turn faults or pages into bytes multiply, e.g. "${q.field ?? 'n'} * 4 KiB"`);
        return { v: q.v * UNIT_BYTES[unit]!, d: 'size' };
      }
      if (q.d === 'size') note('unit-after-size', t.at, `this is already a size: '${t.v}' after it multiplies bytes by ${t.v}`);
      return { v: q.v * UNIT_BYTES[unit]!, d: 'size' };
    }
    return q;
  };
  const primary = (): ExprValue => {
    const t = toks[p++];
    if (!t) throw new ExprError('expression ends too soon', src.length);
    if (t.t === 'num') return { v: t.v, d: 'none' };
    if (t.t === 'op' && t.v === '(') {
      const v = sum();
      expectOp(')');
      return { v: v.v, d: v.d };
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
        const d = args.find((a) => a.d !== 'none')?.d ?? 'none';
        return { v: f.fn(...args.map((a) => a.v)), d };
      }
      const r = lookup(t.v);
      const q: ExprValue | undefined = typeof r === 'number' ? { v: r, d: 'none' } : r;
      if (q === undefined || !Number.isFinite(q.v)) {
        const dym = opts.suggest?.(t.v);
        throw new ExprError(`unknown name '${t.v}'${dym ? ` (did you mean '${dym}'?)` : ''}`, t.at);
      }
      if (q.field && q.d === 'size') {
        const u = peek();
        if (!(u && u.t === 'name' && UNIT_BYTES[u.v.toLowerCase()] !== undefined))
          note('bare-proc-size', t.at, `${q.field} is a size: memlab 0.2 reads it in bytes (memlab 0.1 read the bare kB number, 1024 times smaller). Write "${t.v} kB" to say so, or require memlab ">=0.2" in pack.yaml`);
      }
      return q;
    }
    throw new ExprError(`unexpected '${t.v}'`, t.at);
  };
  const v = sum();
  if (p < toks.length) throw new ExprError(`unexpected '${toks[p]!.v}'`, toks[p]!.at);
  return { ...v, notes };
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
