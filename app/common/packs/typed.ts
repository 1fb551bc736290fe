/**
 * Numbers as students type them. This reads what a learner typed into a numeric box — never what
 * a pack's author wrote (expressions, tolerances and misconceptions keep their meaning, see
 * expr.ts and answer.ts).
 *
 * - SI units are SI (1 MB = 10^6 bytes, 1 GB = 10^9) and IEC units are IEC (1 MiB = 2^20).
 *   `kB`/`KB` is 1024 bytes, as /proc means it; the bare letters `K`, `M`, `G` are binary, as
 *   top, free -h and ls -h print them. Each reading knows the other system's value too (`alt`), so
 *   a wrong answer that is right in the other system can say so.
 * - Thousands separators: `1,048,576`, `1 048 576`, `1_048_576`, `1'048'576`, `1.048.576,5`.
 *   A single comma with no decimal point (`1,0`, `4,096`) is ambiguous — a decimal comma or a
 *   thousands separator — and is not read: the learner is told both readings.
 * - Hexadecimal `0x693`, scientific `1e9`, powers `2^30`, signs `-4 KiB`, `−4 KiB`.
 * - A count takes a counted noun (`4096 faults`, `12 pages`) but no unit of size.
 * - `262144 pages` where a size is asked is 262144 × the page size.
 */
import type { Quantity } from './answer.js';

/** How the typed unit was read, and what the same number means in the other system. */
export interface TypedUnit {
  /** bytes per unit as read (1 for counts and percentages) */
  mult: number;
  /** the unit as the learner sees it named in feedback */
  name: string;
  /** the other system's reading of the same symbol, with the symbol that says it unambiguously */
  alt?: { mult: number; symbol?: string; name: string };
}

export type Typed =
  | {
      ok: true;
      value: number;
      /** how the unit was taken, e.g. "GB (SI: 10^9 bytes)" */
      unitRead: string;
      /** what the learner typed, tidied: "3.22 GB" */
      shown: string;
      /** half of the last digit typed, in the quantity's own units: 3.22 GB → 0.005 GB; 0 for whole numbers */
      halfDigit: number;
      /** the same number read in the other unit system (MB ↔ MiB), when there is one */
      alt?: { value: number; shown: string; halfDigit: number };
    }
  | { ok: false; why: string };

const K = 1024;
const SI = (e: number) => 10 ** e;

/** the prefixes above kilo: M is MiB (2^20) or MB (10^6), and so on; the spelled-out words for the sizes people say */
const PREFIXES = [
  { p: 'M', e: 2, words: ['mebi', 'mega'], note: ', as top and free -h mean it' },
  { p: 'G', e: 3, words: ['gibi', 'giga'], note: ', as top and free -h mean it' },
  { p: 'T', e: 4 },
  { p: 'P', e: 5 },
  { p: 'E', e: 6 },
] as const;

/** one prefix's units: the bare letter and XiB (binary, the SI reading as the alternative), XB and its words (SI, the binary as the alternative) */
function prefixUnits(x: { p: string; e: number; words?: readonly [string, string]; note?: string }): Record<string, TypedUnit> {
  const bin = { mult: K ** x.e, symbol: `${x.p}iB`, name: `${x.p}iB (2^${10 * x.e} bytes)` };
  const si = { mult: SI(3 * x.e), symbol: `${x.p}B`, name: `${x.p}B (10^${3 * x.e} bytes)` };
  const binary: TypedUnit = { mult: bin.mult, name: bin.name, alt: si };
  const decimal: TypedUnit = { mult: si.mult, name: `${x.p}B (SI: 10^${3 * x.e} bytes)`, alt: bin };
  const l = x.p.toLowerCase();
  const out: Record<string, TypedUnit> = {
    [l]: { mult: bin.mult, name: `${x.p}, taken as ${x.p}iB (2^${10 * x.e} bytes${x.note ?? ''})`, alt: si },
    [`${l}ib`]: binary,
    [`${l}b`]: decimal,
  };
  if (x.words) {
    const [b, d] = x.words;
    out[`${b}byte`] = out[`${b}bytes`] = binary;
    out[`${d}byte`] = out[`${d}bytes`] = { ...decimal, name: `${d}bytes (SI: 10^${3 * x.e} bytes)` };
  }
  return out;
}

/** Units of size, by exact symbol first and then case-insensitively. */
const SIZE_UNITS: Record<string, TypedUnit> = {
  '': { mult: 1, name: 'bytes (no unit given)' },
  b: { mult: 1, name: 'bytes' },
  byte: { mult: 1, name: 'bytes' },
  bytes: { mult: 1, name: 'bytes' },
  k: { mult: K, name: 'K, taken as KiB (1024 bytes, as top and ls -h mean it)', alt: { mult: SI(3), name: 'kilobytes of 1000 bytes' } },
  kib: { mult: K, name: 'KiB (1024 bytes)' },
  kb: { mult: K, name: 'kB (1024 bytes, as /proc means it)', alt: { mult: SI(3), name: 'SI kilobytes of 1000 bytes' } },
  kilobyte: { mult: K, name: 'kilobytes, taken as 1024 bytes (as /proc means kB)', alt: { mult: SI(3), name: 'SI kilobytes of 1000 bytes' } },
  kilobytes: { mult: K, name: 'kilobytes, taken as 1024 bytes (as /proc means kB)', alt: { mult: SI(3), name: 'SI kilobytes of 1000 bytes' } },
  kibibyte: { mult: K, name: 'KiB (1024 bytes)' },
  kibibytes: { mult: K, name: 'KiB (1024 bytes)' },
  ...Object.assign({}, ...PREFIXES.map(prefixUnits)),
};
const PAGE_WORDS = new Set(['page', 'pages', 'pg', 'pgs']);
const PERCENT_WORDS = new Set(['%', 'percent', 'per cent', 'pct']);
/** multipliers a count may carry: 4k faults, 2M pages (SI, as people say "4k" for four thousand) */
const COUNT_MULT: Record<string, TypedUnit> = {
  k: { mult: SI(3), name: 'thousand', alt: { mult: K, symbol: '× 1024', name: '1024' } },
  m: { mult: SI(6), name: 'million', alt: { mult: K ** 2, symbol: '× 1048576', name: '1048576' } },
};

const SEP_SPACE = /[\s\u00a0\u202f\u2009]/g;
const HAS_SPACE = /[\s\u00a0\u202f\u2009]/;

/** The number part: "1,048,576", "0x693", "2^30", "1.5e9"; returns its value and decimals, or why it is no number. */
function readNumber(src: string): { ok: true; value: number; decimals: number; canon: string } | { ok: false; why: string; ambiguous?: [string, string] } {
  let s = src.replace(/[\u2212\u2013]/g, '-');
  let sign = 1;
  if (/^[-+]/.test(s)) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1).trimStart();
  }
  const hex = /^0x([0-9a-f_]+)$/i.exec(s);
  if (hex) {
    const digits = hex[1]!.replace(/_/g, '');
    if (!digits) return { ok: false, why: 'no hexadecimal digits' };
    return { ok: true, value: sign * parseInt(digits, 16), decimals: 0, canon: `${sign < 0 ? '-' : ''}0x${digits}` };
  }
  const bin = /^0b([01_]+)$/i.exec(s);
  if (bin) return { ok: true, value: sign * parseInt(bin[1]!.replace(/_/g, ''), 2), decimals: 0, canon: `${sign < 0 ? '-' : ''}0b${bin[1]}` };
  const pow = /^(\d+)\s*(?:\^|\*\*)\s*(\d+)$/.exec(s);
  if (pow) return { ok: true, value: sign * Number(pow[1]) ** Number(pow[2]), decimals: 0, canon: `${sign < 0 ? '-' : ''}${pow[1]}^${pow[2]}` };
  const sci = /^(\d+(?:\.\d+)?)e([-+]?\d+)$/i.exec(s);
  if (sci) return { ok: true, value: sign * Number(s), decimals: Math.max(0, (sci[1]!.split('.')[1]?.length ?? 0) - Number(sci[2])), canon: `${sign < 0 ? '-' : ''}${s}` };
  // plain decimals with separators
  let body = s.replace(/_/g, '').replace(/['’]/g, ' ');
  if (!/^\d[\d,. \u00a0\u202f\u2009]*$/.test(body) || !/\d$/.test(body)) return { ok: false, why: 'not a number' };
  const groupsOk = (intPart: string, sep: string | RegExp) => {
    const g = intPart.split(sep);
    return g.length > 1 && /^\d{1,3}$/.test(g[0]!) && g.slice(1).every((x) => /^\d{3}$/.test(x));
  };
  const spaced = HAS_SPACE.test(body);
  const commas = (body.match(/,/g) ?? []).length;
  const dots = (body.match(/\./g) ?? []).length;
  let intPart: string;
  let frac = '';
  if (commas && dots) {
    // the last of the two is the decimal mark; the other separates thousands
    const dec = body.lastIndexOf(',') > body.lastIndexOf('.') ? ',' : '.';
    const thou = dec === ',' ? '.' : ',';
    if ((body.match(new RegExp(`\\${dec}`, 'g')) ?? []).length !== 1) return { ok: false, why: 'not a number' };
    [intPart, frac] = body.split(dec) as [string, string];
    if (!groupsOk(intPart.replace(SEP_SPACE, ''), thou)) return { ok: false, why: `'${src}' mixes separators in a way that is not a number` };
    intPart = intPart.split(thou).join('');
  } else if (commas === 1 && !spaced) {
    const [a, b] = body.split(',') as [string, string];
    const asDecimal = `${a}.${b}`;
    const asThousands = `${a}${b}`;
    return { ok: false, why: 'ambiguous comma', ambiguous: [`${sign < 0 ? '-' : ''}${asDecimal}`, `${sign < 0 ? '-' : ''}${asThousands}`] };
  } else if (commas) {
    if (!groupsOk(body.replace(SEP_SPACE, ''), ',')) return { ok: false, why: `'${src}' is not a number: a comma separates groups of three digits` };
    intPart = body.replace(/,/g, '');
  } else if (dots > 1) {
    if (!groupsOk(body.replace(SEP_SPACE, ''), '.')) return { ok: false, why: `'${src}' is not a number: it has ${dots} decimal points` };
    intPart = body.replace(/\./g, '');
  } else {
    [intPart, frac = ''] = body.split('.') as [string, string?];
  }
  if (HAS_SPACE.test(intPart)) {
    const g = intPart.trim().split(/[\s\u00a0\u202f\u2009]+/);
    if (!(g.length > 1 && /^\d{1,3}$/.test(g[0]!) && g.slice(1).every((x) => /^\d{3}$/.test(x)))) return { ok: false, why: `'${src}' is not one number: a space separates groups of three digits` };
    intPart = g.join('');
  }
  if (/\D/.test(frac)) return { ok: false, why: 'not a number' };
  body = frac ? `${intPart}.${frac}` : intPart;
  return { ok: true, value: sign * Number(body), decimals: frac.length, canon: `${sign < 0 ? '-' : ''}${body}` };
}

function unitOf(u: string): TypedUnit | undefined {
  if (u in SIZE_UNITS) return SIZE_UNITS[u];
  return SIZE_UNITS[u.toLowerCase()];
}

/** A count's counted noun: "faults", "minor faults", "pages", "page-faults" — words, not a unit of size. */
const NOUN = /^[A-Za-z][A-Za-z'’-]*(?: [A-Za-z][A-Za-z'’-]*){0,3}$/;

/** 3220000000 → "3,220,000,000"; a float that is a whole number but for rounding (1.07 × 10^9) is shown whole */
const fmtPlain = (n: number) => {
  const whole = Math.round(n);
  if (Math.abs(n - whole) <= 1e-6 * Math.max(1, Math.abs(n))) return whole.toLocaleString('en-US');
  return String(Number(n.toPrecision(12)));
};

/** Read what a learner typed for a number of this quantity. pageSize: bytes per page for "N pages". */
export function readTyped(raw: string, quantity: Quantity, pageSize = 4096): Typed {
  const t = raw.trim().replace(/\s+/g, ' ');
  if (!t) return { ok: false, why: 'the answer is empty' };
  if (t.length > 80) return { ok: false, why: 'an answer is one number with a unit, at most 80 characters' };
  // split the number from what follows it: the number ends at its last digit (or hex digit)
  const m = /^([-+\u2212\u2013]?\s*(?:0x[0-9a-f_]+|0b[01_]+|\d+\s*(?:\^|\*\*)\s*\d+|\d(?:[\d,._'’ \u00a0\u202f\u2009]*\d)?(?:e[-+]?\d+)?))\s*(.*)$/i.exec(t);
  if (!m) return { ok: false, why: `'${t}' is not a number${quantity === 'bytes' ? ' with a unit (like 8 KiB, 3 GiB, 100 pages)' : ''}` };
  let numPart = m[1]!;
  let unitPart = m[2]!.trim();
  // "4 096 KiB" is grouped; "4 KiB" is a number and a unit; "12 4" is two numbers
  const n = readNumber(numPart.trim());
  if (!n.ok) {
    if (n.ambiguous) {
      const u = unitPart ? ` ${unitPart}` : '';
      return {
        ok: false,
        why: `'${t}' is ambiguous: with a decimal comma it is ${n.ambiguous[0]}${u}; with the comma separating thousands it is ${n.ambiguous[1]}${u}. Write ${n.ambiguous[0]}${u} with a point, or ${n.ambiguous[1]}${u} without the comma`,
      };
    }
    return { ok: false, why: n.why === 'not a number' ? `'${t}' is not a number` : n.why };
  }
  numPart = n.canon;
  const half = n.decimals > 0 ? 0.5 * 10 ** -n.decimals : 0;
  const shownNum = numPart;
  if (quantity === 'percent') {
    if (unitPart && !PERCENT_WORDS.has(unitPart.toLowerCase())) return { ok: false, why: `a percentage takes % or nothing, not '${unitPart}'` };
    return { ok: true, value: n.value, unitRead: 'percent', shown: `${shownNum}%`, halfDigit: half };
  }
  if (quantity === 'count') {
    let mult: TypedUnit | undefined;
    const mm = /^([kKmM])(?:\s+(.*)|$)/.exec(unitPart);
    if (mm && !unitOf(unitPart)) {
      mult = COUNT_MULT[mm[1]!.toLowerCase()];
      unitPart = (mm[2] ?? '').trim();
    }
    if (unitPart && PERCENT_WORDS.has(unitPart.toLowerCase())) return { ok: false, why: 'a count is a plain number (how many), not a percentage' };
    if (unitPart && unitOf(unitPart) && !PAGE_WORDS.has(unitPart.toLowerCase()))
      return { ok: false, why: `a count takes no unit of size ('${unitPart}'): give how many, like 4096 or 4096 faults` };
    if (unitPart && !NOUN.test(unitPart)) return { ok: false, why: `'${unitPart}' is not something a count can count: give a number, optionally with what it counts (4096 faults)` };
    const value = n.value * (mult?.mult ?? 1);
    const noun = unitPart ? ` of ${unitPart}` : '';
    return {
      ok: true,
      value,
      unitRead: `a count${noun}${mult ? `, ${mm![1]} read as a ${mult.name}` : ''}`,
      shown: `${shownNum}${mult ? mm![1] : ''}${unitPart ? ` ${unitPart}` : ''}`,
      halfDigit: half * (mult?.mult ?? 1),
      ...(mult?.alt ? { alt: { value: n.value * mult.alt.mult, shown: fmtPlain(n.value * mult.alt.mult), halfDigit: half * mult.alt.mult } } : {}),
    };
  }
  // bytes
  if (PAGE_WORDS.has(unitPart.toLowerCase())) return { ok: true, value: n.value * pageSize, unitRead: `pages of ${pageSize === 4096 ? '4 KiB' : `${pageSize} bytes`}`, shown: `${shownNum} pages`, halfDigit: half * pageSize };
  const u = unitOf(unitPart);
  if (!u) {
    if (PERCENT_WORDS.has(unitPart.toLowerCase())) return { ok: false, why: 'this asks for a size, not a percentage' };
    return { ok: false, why: `'${unitPart}' is not a unit memlab knows (use B, KiB, MiB, GiB, kB, MB, GB or pages)` };
  }
  return {
    ok: true,
    value: n.value * u.mult,
    unitRead: u.name,
    shown: t,
    halfDigit: half * u.mult,
    ...(u.alt ? { alt: { value: n.value * u.alt.mult, shown: u.alt.symbol ? `${shownNum} ${u.alt.symbol}` : `${fmtPlain(n.value * u.alt.mult)} B`, halfDigit: half * u.alt.mult } } : {}),
  };
}

/** How far a typed value may be from the expected one because the learner rounded: half the last digit they typed, at most 0.5 % of the expected value. */
export function roundingAllowance(halfDigit: number, expected: number): number {
  return Math.min(halfDigit, Math.abs(expected) * 0.005);
}

/** 3220000000 → "3,220,000,000 bytes" */
export function bytesExact(v: number): string {
  return `${fmtPlain(v)} bytes`;
}
