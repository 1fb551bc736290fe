/**
 * Numbers as students type them (app/common/packs/typed.ts), over a table of typed forms: each
 * row gives what was typed, the quantity asked for, and either the value it must be read as or a
 * piece of the "not counted" message. Then the verdicts the issue reported wrong (#12).
 */
import { describe, expect, it } from 'vitest';
import { checkNumber } from '../../app/common/packs/checkers.js';
import type { Quantity } from '../../app/common/packs/answer.js';
import { readTyped } from '../../app/common/packs/typed.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

type Row = [typed: string, quantity: Quantity, expected: number | { notCounted: string }];

const TABLE: Row[] = [
  // IEC units are IEC
  ['1 GiB', 'bytes', GiB],
  ['4 KiB', 'bytes', 4 * KiB],
  ['4KiB', 'bytes', 4 * KiB],
  ['4 kib', 'bytes', 4 * KiB],
  ['2 MiB', 'bytes', 2 * MiB],
  ['1 TiB', 'bytes', 1024 * GiB],
  ['16 EiB', 'bytes', 16 * 1024 ** 6],
  // SI units are SI
  ['3.22 GB', 'bytes', 3.22e9],
  ['4 MB', 'bytes', 4e6],
  ['1 GB', 'bytes', 1e9],
  ['2 gigabytes', 'bytes', 2e9],
  ['1 TB', 'bytes', 1e12],
  // kB is 1024 bytes, as /proc means it; the bare letters are binary, as top and ls -h print them
  ['1048576 kB', 'bytes', GiB],
  ['4KB', 'bytes', 4 * KiB],
  ['4 kb', 'bytes', 4 * KiB],
  ['4k', 'bytes', 4 * KiB],
  ['4K', 'bytes', 4 * KiB],
  ['1024M', 'bytes', GiB],
  ['1g', 'bytes', GiB],
  // bytes, pages
  ['1073741824', 'bytes', GiB],
  ['4096 bytes', 'bytes', 4096],
  ['4096 B', 'bytes', 4096],
  ['262144 pages', 'bytes', GiB],
  ['1 page', 'bytes', 4096],
  // separators
  ['1,048,576', 'bytes', MiB],
  ['1 048 576', 'bytes', MiB],
  ['1\u202f048\u202f576', 'bytes', MiB],
  ['1_048_576', 'bytes', MiB],
  ["1'048'576", 'bytes', MiB],
  ['1,048,576 kB', 'bytes', GiB],
  ['1,024.5 KiB', 'bytes', 1024.5 * KiB],
  ['1.048.576,5', 'bytes', 1048576.5],
  ['4 096 KiB', 'bytes', 4 * MiB],
  // other ways to write a number
  ['0x693', 'count', 0x693],
  ['0x1000', 'bytes', 4096],
  ['0X1000 B', 'bytes', 4096],
  ['2^30', 'bytes', GiB],
  ['2**12 bytes', 'bytes', 4096],
  ['1e9', 'bytes', 1e9],
  ['1.5 GiB', 'bytes', 1.5 * GiB],
  ['  4   KiB  ', 'bytes', 4 * KiB],
  // signs
  ['-4 KiB', 'bytes', -4 * KiB],
  ['\u22124 KiB', 'bytes', -4 * KiB],
  ['+8 MiB', 'bytes', 8 * MiB],
  ['-12', 'count', -12],
  // counts take a counted noun, not a unit of size
  ['4096 faults', 'count', 4096],
  ['4096 minor faults', 'count', 4096],
  ['12 pages', 'count', 12],
  ['1 page', 'count', 1],
  ['4k faults', 'count', 4000],
  ['3 processes', 'count', 3],
  ['262144', 'count', 262144],
  // percentages
  ['60%', 'percent', 60],
  ['60 %', 'percent', 60],
  ['60', 'percent', 60],
  ['60 percent', 'percent', 60],
  // not counted: ambiguous commas name both readings
  ['1,0 GiB', 'bytes', { notCounted: 'with a decimal comma it is 1.0 GiB; with the comma separating thousands it is 10 GiB' }],
  ['4,096', 'count', { notCounted: 'with a decimal comma it is 4.096; with the comma separating thousands it is 4096' }],
  ['3,22 GB', 'bytes', { notCounted: '3.22 GB' }],
  // not counted: unreadable
  ['', 'bytes', { notCounted: 'the answer is empty' }],
  ['   ', 'count', { notCounted: 'the answer is empty' }],
  ['12 potatoes', 'bytes', { notCounted: "'potatoes' is not a unit memlab knows" }],
  ['lots', 'bytes', { notCounted: "'lots' is not a number" }],
  ['5 GiB', 'count', { notCounted: 'a count takes no unit of size' }],
  ['12 %', 'count', { notCounted: 'not a percentage' }],
  ['12 MiB', 'percent', { notCounted: "a percentage takes % or nothing, not 'MiB'" }],
  ['50%', 'bytes', { notCounted: 'this asks for a size, not a percentage' }],
  ['12 4', 'count', { notCounted: 'not one number' }],
  ['1,0,0', 'bytes', { notCounted: 'a comma separates groups of three digits' }],
  ['1.2.3', 'bytes', { notCounted: 'decimal points' }],
  ['4 faults!', 'count', { notCounted: 'is not something a count can count' }],
];

describe('numbers as students type them', () => {
  it('has at least 40 typed forms in its table', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });
  it.each(TABLE)('%j as %s', (typed, quantity, expected) => {
    const r = readTyped(typed, quantity);
    if (typeof expected === 'number') {
      expect(r.ok ? r.value : r.why).toBeCloseTo(expected, 3);
    } else {
      expect(r.ok ? `read as ${r.value}` : r.why).toContain(expected.notCounted);
    }
  });
});

/** The cases #12 saw, judged by the checker against an expected value. */
describe('verdicts on the forms #12 reported', () => {
  const bytes = (value: number) => ({ value, quantity: 'bytes' as const });
  const count = (value: number) => ({ value, quantity: 'count' as const });

  it('"1,0 GiB" is not counted (no attempt), naming both readings, instead of being read as 10 GiB', () => {
    const r = checkNumber('1,0 GiB', bytes(GiB), '0', []);
    expect(r.verdict).toBe('invalid');
    expect(r.message).toContain('1.0 GiB');
    expect(r.message).toContain('10 GiB');
  });
  it('"3.22 GB" is 3 GiB in SI units: right, and the feedback says why', () => {
    const r = checkNumber('3.22 GB', bytes(3 * GiB), '0', []);
    expect(r.verdict).toBe('correct');
    expect(r.message).toContain('3,220,000,000 bytes');
    expect(r.message).toContain('3 GiB rounded to the digits you typed: right');
  });
  it('rounding is allowed only to the digits typed, and never beyond 0.5 %', () => {
    expect(checkNumber('3.2 GB', bytes(3 * GiB), '0', []).verdict).toBe('incorrect'); // 0.66 % off
    expect(checkNumber('3.23 GB', bytes(3 * GiB), '0', []).verdict).toBe('incorrect');
    expect(checkNumber('3.221 GB', bytes(3 * GiB), '0', []).verdict).toBe('correct');
    expect(checkNumber('4 KiB', bytes(4100), '0', []).verdict).toBe('incorrect'); // a whole number is exact
  });
  it('"4 MB" is 4,000,000 bytes: wrong for 4 MiB, and the feedback asks whether MiB was meant', () => {
    const r = checkNumber('4 MB', bytes(4 * MiB), '0', []);
    expect(r.verdict).toBe('incorrect');
    expect(r.message).toContain('4,000,000 bytes');
    expect(r.diagnosis).toBe('4 MB is 4,000,000 bytes (3.81 MiB); 4 MiB would be right. Did you mean 4 MiB?');
  });
  it('"2 GiB" where 2 GB (10^9) is expected says GB would be right', () => {
    const r = checkNumber('2 GiB', bytes(2e9), '0', []);
    expect(r.verdict).toBe('incorrect');
    expect(r.diagnosis).toContain('Did you mean 2 GB?');
  });
  it('bytes read from a decimal are shown whole and grouped (1.07 GB is 1,070,000,000 bytes)', () => {
    expect(checkNumber('1.07 GB', bytes(GiB), '1%', []).message).toContain('read as 1,070,000,000 bytes');
  });
  it('a wrong answer that is wrong in both systems gets no did-you-mean', () => {
    expect(checkNumber('5 MB', bytes(4 * MiB), '0', []).diagnosis).toBeUndefined();
  });
  it('a pack misconception still wins over the did-you-mean', () => {
    expect(checkNumber('1 GB', bytes(GiB), '0', []).diagnosis).toContain('Did you mean 1 GiB?');
    const r = checkNumber('1 GB', bytes(GiB), '0', [{ answer: '1000000000', says: 'Memory sizes are powers of two here.' }]);
    expect(r.diagnosis).toBe('Memory sizes are powers of two here.');
  });
  it('"4096 faults" is accepted for a count', () => {
    expect(checkNumber('4096 faults', count(4096), '0', [])).toMatchObject({ verdict: 'correct', message: 'Your answer was read as 4096 (a count of faults).' });
    expect(checkNumber('12 pages', count(12), '0', [])).toMatchObject({ verdict: 'correct' });
  });
  it('"0x693" is a number', () => {
    expect(checkNumber('0x693', count(1683), '0', [])).toMatchObject({ verdict: 'correct' });
  });
  it('"4k faults" is 4000; where 4096 is expected it asks whether 4096 was meant', () => {
    const r = checkNumber('4k faults', count(4096), '0', []);
    expect(r.verdict).toBe('incorrect');
    expect(r.diagnosis).toContain('Did you mean 4,096?');
  });
  it('kB keeps its /proc meaning: 1048576 kB is 1 GiB', () => {
    const r = checkNumber('1048576 kB', bytes(GiB), '0', []);
    expect(r).toMatchObject({ verdict: 'correct', unitRead: 'kB (1024 bytes, as /proc means it)' });
  });
});
