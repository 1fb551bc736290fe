/**
 * fast-check arbitraries made from zod 4 schemas: `valid` values the schema accepts (most of the
 * time: refinements it cannot see aside), and `hostile` ones: the same shape with one field at a
 * boundary, of the wrong type, oversized, or a string chosen to break paths, HTML or prototypes.
 */
import fc from 'fast-check';
import type { z } from 'zod';

type Def = { type: string; [k: string]: any };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
const checksOf = (d: Def): Array<Record<string, any>> => (d.checks ?? []).map((c: { _zod: { def: Record<string, unknown> } }) => c._zod.def);

/** Strings an attacker tries in any string field. */
export const HOSTILE_STRINGS = [
  '',
  '\u0000',
  '../../../../etc/passwd',
  '/etc/passwd',
  '/proc/self/mem',
  '/dev/zero',
  '%00',
  '%',
  '..',
  '__proto__',
  'constructor',
  'toString',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '\uD800',
  '1e308',
  'NaN',
  '-0',
  '${process.exit()}',
  '{{constructor.constructor("x")()}}',
  'pack:../x:y',
  '^(a+)+$',
  'a'.repeat(10_000),
];

function stringArb(d: Def): fc.Arbitrary<string> {
  let min = 0;
  let max = 40;
  let pattern: RegExp | undefined;
  for (const c of checksOf(d)) {
    if (c.check === 'min_length') min = c.minimum as number;
    if (c.check === 'max_length') max = Math.min(c.maximum as number, 200);
    if (c.check === 'string_format' && c.pattern) pattern = c.pattern as RegExp;
  }
  if (max < min) max = min;
  if (pattern) return fc.stringMatching(pattern).filter((s) => s.length >= min && s.length <= max);
  return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(max, 40)) });
}

function numberArb(d: Def): fc.Arbitrary<number> {
  let int = false;
  let lo = -1e6;
  let hi = 1e6;
  for (const c of checksOf(d)) {
    if (c.check === 'number_format' && /int/.test(String(c.format))) int = true;
    if (c.check === 'greater_than') lo = (c.value as number) + (c.inclusive ? 0 : int ? 1 : 1e-9);
    if (c.check === 'less_than') hi = (c.value as number) - (c.inclusive ? 0 : int ? 1 : 1e-9);
  }
  if (hi < lo) hi = lo;
  const small = fc.oneof(fc.constant(lo), fc.constant(hi), int ? fc.integer({ min: Math.max(lo, -1000), max: Math.max(Math.max(lo, -1000), Math.min(hi, 1000)) }) : fc.double({ min: Math.max(lo, -1000), max: Math.min(hi, 1000), noNaN: true }));
  return int ? fc.oneof(small, fc.integer({ min: Math.max(lo, Number.MIN_SAFE_INTEGER), max: Math.min(hi, Number.MAX_SAFE_INTEGER) })) : small;
}

/** Values the schema should accept. */
export function valid(schema: z.ZodType, depth = 0): fc.Arbitrary<unknown> {
  const d = defOf(schema);
  switch (d.type) {
    case 'string':
      return stringArb(d);
    case 'number':
      return numberArb(d);
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...Object.values(d.entries as Record<string, string>));
    case 'literal':
      return fc.constantFrom(...(d.values as unknown[]));
    case 'optional':
      return fc.option(valid(d.innerType, depth), { nil: undefined, freq: 3 });
    case 'default':
    case 'prefault':
      return fc.option(valid(d.innerType, depth), { nil: undefined, freq: 3 });
    case 'nullable':
      return fc.option(valid(d.innerType, depth), { nil: null, freq: 5 });
    case 'union':
      return fc.oneof(...(d.options as z.ZodType[]).map((o) => valid(o, depth + 1)));
    case 'array': {
      let max = 4;
      let min = 0;
      for (const c of checksOf(d)) {
        if (c.check === 'max_length') max = Math.min(c.maximum as number, 4);
        if (c.check === 'min_length') min = c.minimum as number;
      }
      return fc.array(valid(d.element, depth + 1), { minLength: min, maxLength: Math.max(min, depth > 3 ? min : max) });
    }
    case 'record':
      return fc.dictionary(valid(d.keyType, depth + 1) as fc.Arbitrary<string>, valid(d.valueType, depth + 1), { maxKeys: depth > 3 ? 0 : 4 });
    case 'tuple':
      return fc.tuple(...(d.items as z.ZodType[]).map((i) => valid(i, depth + 1)));
    case 'object': {
      const shape = d.shape as Record<string, z.ZodType>;
      const keys = Object.keys(shape);
      const required = keys.filter((k) => !['optional', 'default', 'prefault'].includes(defOf(shape[k]!).type));
      return fc.record(Object.fromEntries(keys.map((k) => [k, valid(shape[k]!, depth + 1)])), { requiredKeys: required }).map((o) => {
        for (const k of Object.keys(o)) if ((o as Record<string, unknown>)[k] === undefined) delete (o as Record<string, unknown>)[k];
        return o;
      });
    }
    case 'pipe':
      return valid(d.in, depth);
    case 'lazy':
      return depth > 4 ? fc.constant(undefined) : valid(d.getter(), depth + 1);
    case 'null':
      return fc.constant(null);
    default:
      return fc.anything();
  }
}

/** The same shape with one thing wrong or extreme: a boundary, a wrong type, an extra key, a hostile string. */
export function hostile(schema: z.ZodType): fc.Arbitrary<unknown> {
  const d = defOf(schema);
  const wrongType = fc.oneof(fc.constant(null), fc.constant(undefined), fc.integer(), fc.double(), fc.string(), fc.constant([]), fc.constant({}), fc.constant(true), fc.constantFrom(...HOSTILE_STRINGS));
  switch (d.type) {
    case 'string': {
      let max = 100;
      for (const c of checksOf(d)) if (c.check === 'max_length') max = c.maximum as number;
      return fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.constant('x'.repeat(Math.min(max, 100_000))), fc.constant('x'.repeat(Math.min(max + 1, 100_001))), fc.string({ unit: 'binary', maxLength: 50 }), wrongType);
    }
    case 'number':
      return fc.oneof(fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 0.5, -0), numberArb(d).map((n) => n + 1), numberArb(d).map((n) => n - 1), wrongType);
    case 'object': {
      const shape = d.shape as Record<string, z.ZodType>;
      const keys = Object.keys(shape);
      return valid(schema).chain((v) => {
        const base = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
        const options: Array<fc.Arbitrary<unknown>> = [
          fc.constant({ ...base, ['__proto__']: { polluted: true } }),
          fc.constant(JSON.parse(JSON.stringify({ ...base, constructor: { prototype: { polluted: true } } }))),
          fc.string({ maxLength: 10 }).map((k) => ({ ...base, [`extra${k}`]: 1 })),
          wrongType,
        ];
        if (keys.length) options.push(fc.constantFrom(...keys).chain((k) => hostile(shape[k]!).map((x) => ({ ...base, [k]: x }))));
        return fc.oneof(...options);
      });
    }
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return hostile(d.innerType);
    case 'union':
      return fc.oneof(...(d.options as z.ZodType[]).map((o) => hostile(o)));
    case 'array':
      return fc.oneof(fc.array(hostile(d.element), { maxLength: 3 }), valid(d.element).map((e) => Array.from({ length: 5000 }, () => e)), wrongType);
    case 'record':
      return fc.oneof(fc.constant(JSON.parse('{"__proto__": {"polluted": true}}')), fc.dictionary(fc.constantFrom(...HOSTILE_STRINGS), hostile(d.valueType), { maxKeys: 3 }), wrongType);
    default:
      return fc.oneof(valid(schema), wrongType);
  }
}
