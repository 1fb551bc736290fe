/** The authoring command line (issue 15): --help everywhere, check --json and FILE.md, no partial output files, pack new's scenario and schemas, parameters reaching scenarios. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../app/cli/main.js';
import { checkPack, formatProblem, run as pack } from '../../app/cli/pack.js';
import { run as results } from '../../app/cli/results.js';
import { parseScenario } from '../../app/common/kernel/scenario.js';
import { loadPack } from '../../app/node/packs/loader.js';
import { capture } from '../cli-capture.js';

afterEach(() => vi.restoreAllMocks());

describe('--help on every command prints usage to stdout and exits 0', () => {
  const lines = [['--help'], ['sim', '--help'], ['pack', '--help'], ['pack', 'check', '--help'], ['pack', 'new', '--help'], ['pack', 'build', '--help'], ['pack', 'schema', '--help'], ['host', '--help'], ['results', '--help'], ['results', 'merge', '--help'], ['serve', '--help']];
  for (const argv of lines)
    it(`memlab ${argv.join(' ')}`, async () => {
      const c = capture();
      expect(await main(argv)).toBe(0);
      expect(c.out()).toMatch(/usage/i);
      expect(c.err()).toBe('');
    });
  it('pack new --help makes no pack named --help', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'help-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      capture();
      expect(await pack(['new', '--help'])).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('pack new writes an example scenario with a parameter, used by its predict exercise, and the schemas its files refer to', () => {
  it('and the $schema references resolve inside the new pack', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'new-')), 'fresh');
    capture();
    expect(await pack(['new', dir])).toBe(0);
    const scen = readFileSync(join(dir, 'scenarios', 'example.yaml'), 'utf8');
    expect(scen).toContain('{{m}}');
    expect(readFileSync(join(dir, 'predict.md'), 'utf8')).toContain('scenario: scenarios/example.yaml');
    for (const [file, text] of [['pack.yaml', readFileSync(join(dir, 'pack.yaml'), 'utf8')], ['scenarios/example.yaml', scen]] as const) {
      const ref = /\$schema=(\S+)/.exec(text)![1]!;
      const target = join(dir, file, '..', ref);
      expect(existsSync(target), `${file} → ${ref}`).toBe(true);
      expect(JSON.parse(readFileSync(target, 'utf8')).$id).toMatch(/schema\.json$/);
    }
  });
});

describe('pack check --json and pack check FILE.md', () => {
  it('--json gives the same problems as the text output, as data', async () => {
    const broken = join(import.meta.dirname, 'broken', 'unit-after-kb-field');
    const c = capture();
    expect(await pack(['check', broken, '--json'])).toBe(1);
    const j = JSON.parse(c.out()) as { pack: string; exercises: number; problems: Array<{ file: string; line: number; field: string; message: string }> };
    expect(j.pack).toBe('demo');
    expect(j.problems.map(formatProblem)).toEqual(checkPack(await loadPack(broken)).map(formatProblem));
    expect(j.problems[0]).toMatchObject({ file: 'a.md', line: 6, field: 'answer.expr' });
  });
  it('FILE.md checks that exercise only', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'one-')), 'two');
    capture();
    await pack(['new', dir]);
    writeFileSync(join(dir, 'choice.md'), readFileSync(join(dir, 'choice.md'), 'utf8').replace('answer: 0', 'answer: 7'));
    vi.restoreAllMocks();
    let c = capture();
    expect(await pack(['check', join(dir, 'numeric.md')])).toBe(0);
    expect(c.out()).toContain('(numeric.md): 1 exercise, 0 problems');
    vi.restoreAllMocks();
    c = capture();
    expect(await pack(['check', join(dir, 'choice.md')])).toBe(1);
    expect(c.out()).toMatch(/^choice\.md:\d+ \(answer\): answer 7/m);
  });
});

describe('failures leave no partial output files', () => {
  it('results merge with one bad input writes nothing', async () => {
    const d = mkdtempSync(join(tmpdir(), 'merge-'));
    writeFileSync(join(d, 'good.csv'), 'profile,pack,exercise,attempts,correct,gave_up,hints_used,time_s,points\ncy,p,one,1,yes,no,0,12,100\n');
    writeFileSync(join(d, 'bad.json'), '{ not json');
    const c = capture();
    expect(await results(['merge', join(d, 'good.csv'), join(d, 'bad.json'), '-o', join(d, 'class.csv')])).toBe(1);
    expect(existsSync(join(d, 'class.csv'))).toBe(false);
    expect(c.err()).toMatch(/nothing was written|no table written/);
    expect(readdirSync(d).sort()).toEqual(['bad.json', 'good.csv']);
  });
  it('pack build writes no temporary file beside a good .memlab', async () => {
    const d = mkdtempSync(join(tmpdir(), 'bld-'));
    capture();
    await pack(['new', join(d, 'p')]);
    expect(await pack(['build', join(d, 'p'), '-o', join(d, 'p.memlab')])).toBe(0);
    expect(readdirSync(d).sort()).toEqual(['p', 'p.memlab']);
  });
});

describe('parameters reach scenarios', () => {
  it('{{name}} and {{expr}} in values, over the scenario defaults, replaced by given values', () => {
    const text = 'params: { m: 64 }\nprocesses: [{ name: a }]\nsteps:\n  - { proc: a, malloc: "{{m}} MiB", as: b }\n  - { proc: a, touch: b, length: "{{m / 4}} MiB", repeat: {{m / 32}} }\n';
    const own = parseScenario(text);
    expect(own.steps[0]).toMatchObject({ malloc: 64 * 1048576 });
    expect(own.steps[1]).toMatchObject({ length: 16 * 1048576, repeat: 2 });
    const given = parseScenario(text, 'x.yaml', { params: { m: 128 } });
    expect(given.steps[0]).toMatchObject({ malloc: 128 * 1048576 });
    expect(() => parseScenario(text.replace('{{m}} MiB', '{{mm}} MiB'), 'x.yaml')).toThrow(/line 4|'mm' is not a parameter \(did you mean 'm'\?\)/);
  });
  it('pack check runs the scenario for every draw, and names the draw that breaks it', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'draw-')), 'p');
    mkdirSync(join(d, 'scenarios'), { recursive: true });
    writeFileSync(join(d, 'pack.yaml'), 'id: p\ntitle: P\nversion: 1.0.0\nauthors: [Me]\nlicence: CC0\nmemlab: ">=0.2"\nchapters:\n  - { id: one, title: One, exercises: [a.md] }\n');
    writeFileSync(join(d, 'scenarios', 's.yaml'), 'params: { r: 128 }\nmachine: { ram: "{{r}} MiB" }\nprocesses: [{ name: a.out }]\nsteps:\n  - { proc: a.out, malloc: 1 MiB, as: m }\n  - { snapshot: end2 }\n');
    writeFileSync(join(d, 'a.md'), '---\nid: a\ntitle: A\nkind: predict\nscenario: scenarios/s.yaml\nparams: { r: { choices: [128, 32] } }\nanswer: { expr: "sim.end2.a.out.VmSize", tolerance: "5%" }\nexplanation: x.\n---\nHow big is VIRT on {{r}} MiB of RAM?\n');
    const got = checkPack(await loadPack(d)).map(formatProblem);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^a\.md:5 \(scenario\): .*64 MiB of RAM.* with parameters \{"r":32\}$/);
  });
});
