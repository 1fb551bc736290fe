import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAnswer } from '../../app/common/packs/answer.js';
import { check } from '../../app/common/packs/checkers.js';
import { evaluate, ExprError } from '../../app/common/packs/expr.js';
import { renderMarkdown } from '../../app/common/packs/markdown.js';
import { drawParams } from '../../app/common/packs/params.js';
import { parseExerciseFile } from '../../app/common/packs/parse.js';

describe('the safe expression language', () => {
  it('computes with units, parameters and functions', () => {
    expect(evaluate('2 GiB')).toBe(2 * 1024 ** 3);
    expect(evaluate('size GiB + 4 KiB', (n) => (n === 'size' ? 3 : undefined))).toBe(3 * 1024 ** 3 + 4096);
    expect(evaluate('max(3, 2 * (1 + 4)) / 2')).toBe(5);
    expect(evaluate('262144 pages')).toBe(1024 ** 3);
    expect(evaluate('-(1 + 1)')).toBe(-2);
  });
  it('runs no code: anything else is an error naming the place', () => {
    for (const bad of ['constructor', 'process.exit(1)', '1 +', '2 ** 3', 'alert("x")', '(1', '1/0', 'a[0]']) {
      expect(() => evaluate(bad), bad).toThrow(ExprError);
    }
  });
  it('never throws anything but ExprError on random input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          evaluate(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ExprError);
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});

describe('reading numeric answers', () => {
  it('accepts the same quantity in many units and says which it read', () => {
    for (const a of ['1 GiB', '1024M', '1048576 kB', '262144 pages', '1073741824', '1g']) {
      const r = readAnswer(a, 'bytes');
      expect(r.ok && r.value, a).toBe(1024 ** 3);
    }
    const r = readAnswer('1048576 kB', 'bytes');
    expect(r.ok && r.unitRead).toBe('kB (1024 bytes, as /proc means it)');
  });
  it('reports unreadable answers as invalid, with the reason', () => {
    expect(readAnswer('12 potatoes', 'bytes')).toEqual({ ok: false, why: "'potatoes' is not a unit memlab knows (use B, KiB, MiB, GiB, kB or pages)" });
    expect(readAnswer('', 'bytes')).toMatchObject({ ok: false, why: 'the answer is empty' });
    expect(readAnswer('5 GiB', 'count')).toMatchObject({ ok: false });
  });
});

const ex = (front: string, prose = 'Question?') => {
  const r = parseExerciseFile(`---\n${front}\n---\n${prose}\n`, 'x.md');
  if (!r.exercise) throw new Error(JSON.stringify(r.problems));
  return r.exercise;
};

describe('checkers', () => {
  const ctx = { params: {}, scenarioText: () => '' };
  it('numeric: tolerance, invalid costs nothing, misconceptions diagnosed', () => {
    const e = ex(`id: res\ntitle: RES\nkind: numeric\nanswer: { expr: "1 GiB", quantity: bytes, tolerance: "2%" }\nexplanation: x\nmisconceptions: [{ answer: "2 GiB", says: "That is VIRT." }]`);
    expect(check(e, { value: '1024 MiB' }, ctx).verdict).toBe('correct');
    expect(check(e, { value: '1.01 GiB' }, ctx).verdict).toBe('correct');
    const wrong = check(e, { value: '2048 MiB' }, ctx);
    expect(wrong).toMatchObject({ verdict: 'incorrect', diagnosis: 'That is VIRT.' });
    expect(check(e, { value: '12 potatoes' }, ctx).verdict).toBe('invalid');
  });
  it('ordering and matching give partial credit', () => {
    const o = ex(`id: o\ntitle: o\nkind: ordering\nitems: [a, b, c, d]\nexplanation: x`);
    expect(check(o, { order: ['a', 'b', 'd', 'c'] }, ctx)).toMatchObject({ verdict: 'incorrect', partial: 0.5 });
    expect(check(o, { order: ['a', 'b'] }, ctx).verdict).toBe('invalid');
    const m = ex(`id: m\ntitle: m\nkind: matching\npairs: [[VmRSS, resident], [VmSwap, swapped]]\nexplanation: x`);
    expect(check(m, { matches: { VmRSS: 'resident', VmSwap: 'resident' } }, ctx)).toMatchObject({ verdict: 'incorrect', partial: 0.5 });
  });
  it('text patterns refuse catastrophic regexes', () => {
    const t = ex(`id: t\ntitle: t\nkind: text\npatterns: ["^(a+)+$"]\nreference: aaa\nexplanation: x`);
    expect(check(t, { text: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' }, ctx).verdict).toBe('incorrect');
  });
  it('parameters are drawn per seed, stable, and within range', () => {
    const p = { size: { range: [1, 4] as [number, number], step: 1 } };
    expect(drawParams(p, 42)).toEqual(drawParams(p, 42));
    const seen = new Set(Array.from({ length: 50 }, (_, i) => drawParams(p, i).size));
    expect([...seen].every((v) => typeof v === 'number' && v >= 1 && v <= 4)).toBe(true);
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe('pack prose is rendered safely', () => {
  const html = renderMarkdown(
    [
      '<script>alert(1)</script>',
      '<img src=x onerror="alert(2)">',
      '[click](javascript:alert(3))',
      '![remote](https://evil.example/track.png)',
      '<svg><script>alert(4)</script></svg>',
      '![local](img/map.png)',
      '![escape](../../etc/passwd)',
      '[page](https://example.com)',
    ].join('\n\n'),
    { packId: 'p', baseDir: '' },
  );
  it('has no live HTML, no script URL and no remote load', () => {
    expect(html).not.toMatch(/<script|<svg|<img[^>]*onerror|href="(javascript|https?):|src="(https?:)?\/\//i);
    expect(html).toContain('&lt;script&gt;'); // shown as text, not run
    expect([...html.matchAll(/<img [^>]*>/g)].map((m) => m[0])).toEqual(['<img src="./pack-assets/p/img/map.png" alt="local">', '<img src="" alt="escape">']);
  });
  it('serves pack images from the pack, and refuses paths out of it', () => {
    expect(html).toContain('src="./pack-assets/p/img/map.png"');
    expect(html).not.toContain('passwd"');
  });
});

describe('text patterns from packs are bounded', () => {
  it('refuses what a linear-time matcher cannot run (backreferences, lookaround, invalid), and accepts ordinary ones', async () => {
    const { safeRegex } = await import('../../app/common/packs/checkers.js');
    for (const bad of ['(a)\\1', '(?<x>a)\\k<x>', '(', '[a-', 'mmap(?=2)', '(?<!s)brk', 'a'.repeat(301)])
      expect(safeRegex(bad), bad).toBeNull();
    for (const ok of ['^mmap(2)?$', '^mmap(2|\\(\\))?$', '^(brk|sbrk)$', '^[+*]+$', '^copy[- ]on[- ]write$', '\\(x+\\)+', '^(ab)+$'])
      expect(safeRegex(ok), ok).not.toBeNull();
    expect(safeRegex('^MUNMAP(\\(\\))?$')!.test('munmap()')).toBe(true); // case-insensitive, as before
    expect(safeRegex('^munmap\\(2\\)$')!.test('munmap')).toBe(false);
  });
  it('the shapes that backtrack catastrophically in RegExp match in linear time', async () => {
    const { safeRegex } = await import('../../app/common/packs/checkers.js');
    // with a backtracking engine each of these takes seconds to minutes on 300 characters
    for (const [p, text] of [['^a*a*a*a*a*a*b', 'a'.repeat(300)], ['^(a+)+$', 'a'.repeat(299) + '!'], ['^(\\w+\\s?)*$', 'x'.repeat(299) + '!'], ['^(a|aa)+$', 'a'.repeat(299) + 'b']] as const) {
      const re = safeRegex(p);
      expect(re, p).not.toBeNull();
      expect(re!.test(text), p).toBe(false);
    }
  });
  it('a long answer is not matched at all', () => {
    const t = ex(`id: t\ntitle: t\nkind: text\npatterns: ["^a"]\nreference: a\nexplanation: x`);
    expect(check(t, { text: 'a'.repeat(301) }, { params: {}, scenarioText: () => '' }).verdict).toBe('invalid');
    expect(check(t, { text: 'a'.repeat(300) }, { params: {}, scenarioText: () => '' }).verdict).toBe('correct');
  });
});
