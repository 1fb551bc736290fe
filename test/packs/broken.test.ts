/**
 * The broken packs in test/packs/broken/: each folder is a pack with one mistake an instructor
 * could make, and EXPECTED.txt holds the exact lines `memlab pack check` must print for it
 * (file:line (field): message). The mistake is the only difference from a good pack.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkPack, formatProblem, run } from '../../app/cli/pack.js';
import { loadPack } from '../../app/node/packs/loader.js';

const root = join(import.meta.dirname, 'broken');
const cases = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

describe('each broken pack gets its precise error', () => {
  it('there is a good set of them', () => expect(cases.length).toBeGreaterThanOrEqual(15));
  for (const name of cases) {
    it(name, async () => {
      const dir = join(root, name);
      // {memlab} stands for this memlab's version
      const version = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
      const want = readFileSync(join(dir, 'EXPECTED.txt'), 'utf8').trim().replaceAll('{memlab}', version).split('\n');
      const got = checkPack(await loadPack(dir)).map(formatProblem);
      expect(got).toEqual(want);
    });
  }
});

describe('memlab pack check exits 0 or 1', () => {
  afterEach(() => vi.restoreAllMocks());
  it('1 with the problem on stdout for a broken pack', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await run(['check', join(root, 'choice-out-of-range')])).toBe(1);
    expect(out.join('')).toContain('a.md:6 (answer): answer 2 is not one of the 2 options (they count from 0)');
  });
  it('names the folder in its summary when pack.yaml has no id yet (not "unknown")', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await run(['check', join(root, 'bad-version')])).toBe(1);
    expect(out.join('').trim().split('\n').at(-1)).toBe('bad-version: 0 exercises, 1 problem');
  });
  it('0 for the built-in pack', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await run(['check', join(import.meta.dirname, '..', '..', 'exercises', 'linux-process-memory')])).toBe(0);
    expect(out.join('')).toMatch(/linux-process-memory: \d+ exercises, 0 problems\n/); // and no warnings: no answer printed before it is asked
  });
  it('1 with a clear message for a path that is not there', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    expect(await run(['check', join(root, 'no-such-pack')])).toBe(1);
    expect(err.join('')).toMatch(/no-such-pack: no such file or folder/);
  });
});

describe('the mistakes that used to pass silently (issue 15): pack check exits 1 naming file, line and field', () => {
  const silent = [
    'proc-size-without-unit',
    'unit-after-kb-field',
    'count-over-size',
    'misconception-never-matches',
    'misconception-is-the-answer',
    'predict-sign-flipped',
    'negative-expected-size',
    'show-step-beyond-scenario',
    'tune-goal-bare-number',
    'cyclic-requires',
    'file-verb-names-allocation',
    // found by writing a pack from the README and FORMAT.md as an instructor would
    'param-range-reversed',
    'param-draw-kills',
    'image-missing',
    // a lower-case b: bits everywhere else (Mb = megabit)
    'unit-in-bits',
  ];
  afterEach(() => vi.restoreAllMocks());
  for (const name of silent) {
    it(name, async () => {
      const out: string[] = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
      expect(await run(['check', join(root, name)])).toBe(1);
      const lines = out.join('').trim().split('\n').slice(0, -1);
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/^[\w./-]+\.(md|yaml):\d+ \([\w.]+\): \S/);
    });
  }
});
