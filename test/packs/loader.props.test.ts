/**
 * Property tests (fast-check, modest counts, fixed seeds) of the pack loader and the .memlab
 * unpacker: whatever the files say, loading never throws, every problem points into the pack,
 * and no entry that could escape the pack folder is ever accepted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { buildPack, readZip } from '../../app/node/packs/loader.js';

const MANIFEST = `id: demo\ntitle: Demo\nversion: 1.0.0\nauthors: [Me]\nlicence: CC-BY-4.0\nchapters:\n  - id: one\n    title: One\n    exercises: [a.md]\n`;
const EXERCISE = `---\nid: a\ntitle: A\nkind: numeric\nparams: { size: { range: [1, 4] } }\nanswer: { expr: "size GiB", tolerance: "1%" }\nhints: [one, two]\nexplanation: because\n---\nHow much?\n`;

const files = (m: string, a: string) => new Map([['pack.yaml', Buffer.from(m)], ['a.md', Buffer.from(a)]]);

/** Every problem names a file of the pack, and a line inside that file when it gives one. */
function pointsIntoPack(p: ReturnType<typeof buildPack>, texts: Record<string, string>) {
  for (const pr of p.problems) {
    expect(Object.keys(texts), JSON.stringify(pr)).toContain(pr.file);
    if (pr.line !== undefined) {
      expect(pr.line).toBeGreaterThanOrEqual(1);
      expect(pr.line).toBeLessThanOrEqual(texts[pr.file]!.split('\n').length + 1);
    }
    expect(pr.message.length).toBeGreaterThan(0);
  }
}

/** Small edits of a good text: the kind of damage a typo does. */
const edited = (good: string) =>
  fc.array(fc.tuple(fc.nat(good.length), fc.constantFrom('', ':', ' ', '\n', '-', '[', ']', '{', '"', 'x', '0', '  ', '\t', '*', '&a', '!!')), { minLength: 1, maxLength: 4 }).map((edits) => {
    let s = good;
    for (const [at, ins] of edits) {
      const i = at % (s.length + 1);
      s = s.slice(0, i) + ins + s.slice(i + 1);
    }
    return s;
  });

describe('the loader', () => {
  it('never throws on a damaged exercise, and every problem points into the pack', () => {
    fc.assert(
      fc.property(edited(EXERCISE), (a) => {
        const p = buildPack('prop', files(MANIFEST, a));
        pointsIntoPack(p, { 'pack.yaml': MANIFEST, 'a.md': a });
        // either the exercise loaded or something says why not
        expect(p.exercises.size > 0 || p.problems.length > 0).toBe(true); // an edited id still loads, under its new id
      }),
      { seed: 21, numRuns: 5000 },
    );
  });
  it('never throws on a damaged pack.yaml', () => {
    fc.assert(
      fc.property(edited(MANIFEST), (m) => {
        const p = buildPack('prop', files(m, EXERCISE));
        pointsIntoPack(p, { 'pack.yaml': m, 'a.md': EXERCISE });
        if (!p.manifest) expect(p.problems.some((x) => x.file === 'pack.yaml')).toBe(true);
      }),
      { seed: 22, numRuns: 5000 },
    );
  });
  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }), (m, a) => {
        const p = buildPack('prop', files(m, `---\n${a}\n---\n`));
        expect(p.manifest === undefined || p.problems.length >= 0).toBe(true);
        pointsIntoPack(p, { 'pack.yaml': m, 'a.md': `---\n${a}\n---\n` });
      }),
      { seed: 23, numRuns: 300 },
    );
  });
  it('refuses YAML alias bombs instead of expanding them', () => {
    const bomb = `---\nid: a\ntitle: A\nkind: choice\nx0: &a ["x","x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 8 }, (_, i) => `x${i + 1}: &a${i + 1} [${Array(10).fill(i ? `*a${i}` : '*a').join(',')}]`).join('\n')}\noptions: [a, b]\nanswer: 0\nexplanation: x\n---\n`;
    const p = buildPack('bomb', files(MANIFEST, bomb));
    expect(p.exercises.has('a')).toBe(false);
    expect(p.problems[0]?.file).toBe('a.md');
  });
});

// names are built from segments; placeholders become dangerous bytes in the zip itself
// (yazl refuses to write them), same length so the archive stays well-formed
const PLACEHOLDERS: Array<[string, string]> = [
  ['QQ', '..'],
  ['ZS', '/s'],
  ['VB', '\\b'],
  ['QC', 'C:'],
];
const segment = fc.constantFrom('a', 'b.md', 'img', 'scenarios', 'x.yaml', 'QQ', 'c', 'ZSd', 'eVBf', 'QC');

function zipOf(names: string[]): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const n of names) z.addBuffer(Buffer.from('x'), n, { compress: false });
  z.end();
  return new Promise((res) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => {
      let s = Buffer.concat(chunks).toString('latin1');
      for (const [ph, real] of PLACEHOLDERS) s = s.replaceAll(ph, real);
      res(Buffer.from(s, 'latin1'));
    });
  });
}

describe('the unpacker', () => {
  it('accepts no entry that could escape the pack folder', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')), { minLength: 1, maxLength: 6 }), async (names) => {
        const real = names.map((n) => PLACEHOLDERS.reduce((s, [ph, r]) => s.replaceAll(ph, r), n));
        const dangerous = real.some((n) => n.startsWith('/') || n.includes('\\') || /^[A-Za-z]:/.test(n) || n.split('/').includes('..'));
        let loaded: Map<string, Buffer> | undefined;
        try {
          loaded = await readZip(await zipOf(names), 'prop.memlab');
        } catch (e) {
          expect((e as Error).name).toBe('PackRefused');
          expect((e as Error).message).toMatch(/^prop\.memlab: /);
        }
        if (dangerous) expect(loaded, real.join(' ')).toBeUndefined();
        for (const k of loaded?.keys() ?? []) {
          expect(k.split('/')).not.toContain('..');
          expect(k.startsWith('/') || k.includes('\\')).toBe(false);
        }
      }),
      { seed: 31, numRuns: 300 },
    );
  });
});
