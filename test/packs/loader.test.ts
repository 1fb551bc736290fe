/** Broken packs, each with its precise error; unsafe zips refused. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { checkPack } from '../../app/cli/pack.js';
import { buildPack, loadPack, readZip } from '../../app/node/packs/loader.js';

const MANIFEST = `id: demo\ntitle: Demo\nversion: 1.0.0\nauthors: [Me]\nlicence: CC-BY-4.0\nchapters:\n  - id: one\n    title: One\n    exercises: [a.md]\n`;
const EXERCISE = `---\nid: a\ntitle: A\nkind: choice\noptions: [yes, no]\nanswer: 0\nexplanation: because\n---\nYes?\n`;

function pack(files: Record<string, string>) {
  return buildPack('test', new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])));
}

describe('broken packs get precise errors', () => {
  const cases: Array<[string, Record<string, string>, { file: string; line?: number; field?: string; message: RegExp }]> = [
    ['no pack.yaml', { 'a.md': EXERCISE }, { file: 'pack.yaml', message: /needs a pack.yaml/ }],
    ['bad version', { 'pack.yaml': MANIFEST.replace('1.0.0', 'one'), 'a.md': EXERCISE }, { file: 'pack.yaml', line: 3, field: 'version', message: /semver/ }],
    ['missing exercise file', { 'pack.yaml': MANIFEST }, { file: 'pack.yaml', field: 'chapters.0.exercises.0', message: /a.md is listed but not in the pack/ }],
    ['exercise without explanation', { 'pack.yaml': MANIFEST, 'a.md': EXERCISE.replace('explanation: because\n', '') }, { file: 'a.md', field: 'explanation', message: /./ }],
    ['unknown kind', { 'pack.yaml': MANIFEST, 'a.md': EXERCISE.replace('kind: choice', 'kind: essay') }, { file: 'a.md', line: 4, field: 'kind', message: /./ }],
    ['YAML syntax', { 'pack.yaml': MANIFEST, 'a.md': EXERCISE.replace('options: [yes, no]', 'options: [yes, no') }, { file: 'a.md', message: /./ }],
    ['unknown prerequisite', { 'pack.yaml': MANIFEST.replace('    title: One\n', '    title: One\n    requires: [zero]\n'), 'a.md': EXERCISE }, { file: 'pack.yaml', field: 'chapters.0.requires', message: /requires 'zero'/ }],
    ['missing scenario', { 'pack.yaml': MANIFEST, 'a.md': EXERCISE.replace('answer: 0\n', 'answer: 0\nscenario: scenarios/x.yaml\n') }, { file: 'a.md', field: 'scenario', message: /scenarios\/x.yaml is not in the pack/ }],
  ];
  for (const [name, files, want] of cases) {
    it(name, () => {
      const p = pack(files);
      const found = p.problems.find((x) => x.file === want.file && want.message.test(x.message));
      expect(found, JSON.stringify(p.problems)).toBeDefined();
      if (want.line) expect(found!.line).toBe(want.line);
      if (want.field) expect(found!.field).toBe(want.field);
    });
  }
  it('a pack with one broken exercise keeps the valid ones', () => {
    const m = MANIFEST.replace('exercises: [a.md]', 'exercises: [a.md, b.md]');
    const p = pack({ 'pack.yaml': m, 'a.md': EXERCISE, 'b.md': EXERCISE.replace('id: a', 'id: b').replace('answer: 0', 'answer: zero') });
    expect(p.exercises.has('a')).toBe(true);
    expect(p.exercises.has('b')).toBe(false);
    expect(p.problems.some((x) => x.file === 'b.md' && x.field === 'answer')).toBe(true);
  });
  it('pack check catches an exercise whose reference answer fails its own checker', () => {
    const bad = EXERCISE.replace('kind: choice\noptions: [yes, no]\nanswer: 0', 'kind: text\npatterns: ["^mmap$"]\nreference: brk');
    const problems = checkPack(pack({ 'pack.yaml': MANIFEST, 'a.md': bad }));
    expect(problems.map((p) => `${p.file} ${p.field} ${p.message}`)).toContain('a.md patterns no pattern accepts the reference answer');
  });
});

function zipOf(entries: Array<{ name: string; data: string; mode?: number }>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const e of entries) z.addBuffer(Buffer.from(e.data), e.name, e.mode ? { mode: e.mode } : {});
  z.end();
  return new Promise((res) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => res(Buffer.concat(chunks)));
  });
}

describe('.memlab files', () => {
  it('loads a good one', async () => {
    const buf = await zipOf([{ name: 'pack.yaml', data: MANIFEST }, { name: 'a.md', data: EXERCISE }]);
    const p = buildPack('x.memlab', await readZip(buf));
    expect(p.problems).toEqual([]);
    expect(p.exercises.size).toBe(1);
  });
  it('refuses an entry that escapes the pack folder', async () => {
    const buf = await zipOf([{ name: 'pack.yaml', data: MANIFEST }, { name: 'zz/evil.md', data: 'x' }]);
    // rename zz/ to ../ in place (same length) in both headers
    const evil = Buffer.from(buf.toString('latin1').replaceAll('zz/evil.md', '../evil.md'), 'latin1');
    await expect(readZip(evil, 'evil.memlab')).rejects.toThrow(/escape|invalid relative path/);
  });
  it('refuses links', async () => {
    const buf = await zipOf([{ name: 'pack.yaml', data: MANIFEST }, { name: 'link', data: '/etc/passwd', mode: 0o120777 }]);
    await expect(readZip(buf, 'l.memlab')).rejects.toThrow(/links are not allowed/);
  });
  it('never crashes on garbage: every malformed file is a clear refusal', async () => {
    const good = await zipOf([{ name: 'pack.yaml', data: MANIFEST }, { name: 'a.md', data: EXERCISE }]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (edits) => {
        const b = Buffer.from(good);
        for (const [i, v] of edits) b[i] = v;
        try {
          const files = await readZip(b, 'fuzz.memlab');
          buildPack('fuzz', files);
        } catch (e) {
          expect((e as Error).name).toBe('PackRefused');
        }
      }),
      { seed: 11, numRuns: 10_000 },
    );
  });
  it('refuses links in a folder pack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pack-'));
    writeFileSync(join(dir, 'pack.yaml'), MANIFEST);
    mkdirSync(join(dir, 'sub'));
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc/passwd', join(dir, 'sub', 'a.md'));
    await expect(loadPack(dir)).rejects.toThrow(/links are not allowed in a pack: sub\/a.md/);
  });
});
