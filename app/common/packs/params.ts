/** Parameters drawn per student from a seed, so neighbours get different numbers (and the same student always the same). */
import { seededRandom } from '../kernel/exec.js';
import type { z } from 'zod';
import type { Param } from './schema.js';
import { evaluate } from './expr.js';

/** FNV-1a: a stable 32-bit hash of a string */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32 (the kernel model's seeded generator), as fractions in [0, 1) */
export function rng(seed: number): () => number {
  const next = seededRandom(seed);
  return () => next() / 4294967296;
}

export type ParamValues = Record<string, number | string>;

export function drawParams(params: Record<string, z.output<typeof Param>>, seed: number): ParamValues {
  const next = rng(seed);
  const out: ParamValues = {};
  for (const name of Object.keys(params).sort()) {
    const p = params[name]!;
    if ('choices' in p) out[name] = p.choices[Math.floor(next() * p.choices.length)]!;
    else {
      const [lo, hi] = p.range;
      const steps = Math.floor((hi - lo) / p.step);
      out[name] = Math.round((lo + Math.floor(next() * (steps + 1)) * p.step) * 1e9) / 1e9;
    }
  }
  return out;
}

/** "{{size}} GiB" -> "3 GiB"; "{{n * 256}}" -> "768" (the safe expression language over the parameters) */
export function substitute(text: string, values: ParamValues): string {
  return text.replace(/\{\{([^{}]*)\}\}/g, (m, inner: string) => {
    const name = inner.trim();
    if (Object.prototype.hasOwnProperty.call(values, name)) return String(values[name]);
    try {
      const v = evaluate(name, (n) => (Object.prototype.hasOwnProperty.call(values, n) && Number.isFinite(Number(values[n])) ? Number(values[n]) : undefined));
      return String(Math.round(v * 1e6) / 1e6);
    } catch {
      return m;
    }
  });
}
