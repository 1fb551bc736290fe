/** Reading a student's numeric answer: "1 GiB", "1024M", "1048576 kB", "262144 pages", "12 %". */
import { UNIT_BYTES } from './expr.js';

export type Quantity = 'bytes' | 'count' | 'percent';

export type Reading = { ok: true; value: number; unitRead: string } | { ok: false; why: string };

const UNIT_NAMES: Record<string, string> = { b: 'bytes', byte: 'bytes', bytes: 'bytes', k: 'KiB', kb: 'kB (1024 bytes, as /proc means it)', kib: 'KiB', m: 'MiB', mb: 'MiB', mib: 'MiB', g: 'GiB', gb: 'GiB', gib: 'GiB', t: 'TiB', tb: 'TiB', tib: 'TiB', page: 'pages of 4 KiB', pages: 'pages of 4 KiB' };

export function readAnswer(raw: string, quantity: Quantity, pageSize = 4096): Reading {
  const s = raw.trim().replace(/,/g, '').replace(/_/g, '');
  if (!s) return { ok: false, why: 'the answer is empty' };
  const m = /^([-+]?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([A-Za-z%]*)$/.exec(s);
  if (!m) return { ok: false, why: `'${raw.trim()}' is not a number${quantity === 'bytes' ? ' with a unit (like 4 KiB, 2 GiB, 262144 pages)' : ''}` };
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  if (quantity === 'count') {
    if (unit) return { ok: false, why: `a count takes no unit ('${m[2]}')` };
    return { ok: true, value: n, unitRead: 'a count' };
  }
  if (quantity === 'percent') {
    if (unit && unit !== '%') return { ok: false, why: `a percentage takes % or nothing, not '${m[2]}'` };
    return { ok: true, value: n, unitRead: 'percent' };
  }
  if (!unit) return { ok: true, value: n, unitRead: 'bytes (no unit given)' };
  const mult = unit === 'page' || unit === 'pages' ? pageSize : UNIT_BYTES[unit];
  if (mult === undefined) return { ok: false, why: `'${m[2]}' is not a unit memlab knows (use B, KiB, MiB, GiB, kB or pages)` };
  return { ok: true, value: n * mult, unitRead: UNIT_NAMES[unit] ?? unit };
}

/** "1%" of expected, or an absolute tolerance in the same quantity */
export function toleranceOf(tol: string, expected: number, quantity: Quantity): number {
  const t = tol.trim();
  if (t.endsWith('%')) return (Math.abs(expected) * Number(t.slice(0, -1))) / 100;
  const r = readAnswer(t, quantity);
  return r.ok ? Math.abs(r.value) : 0;
}

export function formatBytesHuman(b: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(2)} ${units[i]}`;
}
