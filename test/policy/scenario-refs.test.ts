/**
 * A scenario's page reference string: the pages its touch steps (and file I/O) reference, as the
 * simulator maps them, per process or for one; errors name file, line and field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../app/cli/policy.js';
import { parseScenario, ScenarioError } from '../../app/common/kernel/index.js';
import { runPolicy, scenarioReferences } from '../../app/common/policy/index.js';

const TEXT = `title: refs
machine: { ram: 256MiB }
processes:
  - { name: a }
  - { name: b }
steps:
  - { proc: a, mmap: 12KiB, as: m }
  - { proc: a, touch: m }
  - { proc: a, touch: m, offset: 4KiB, length: 4KiB, write: false }
  - { proc: b, mmap: 8KiB, as: n }
  - { proc: b, touch: n, repeat: 2 }
  - { proc: a, touch: m, every: 2 }
  - { proc: a, read_file: /data/f, length: 8KiB }
  - { proc: b, read_file: /data/f, length: 4KiB }
`;

const refsOf = (text: string, proc?: string, file = 'refs.yaml') => scenarioReferences(parseScenario(text, file), { proc });
const caught = (f: () => unknown): ScenarioError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('no ScenarioError');
};

describe('scenarioReferences', () => {
  it("one process: its touches page by page (offset, length, every), then the file's pages; numbered by first reference", () => {
    const r = refsOf(TEXT, 'a');
    // m is 3 pages: touch all (0,1,2); the middle one again; every other page (0,2); the file's 2 pages
    expect(r.addresses).toEqual([0, 1, 2, 1, 0, 2, 3, 4]);
    expect(r.pages).toEqual(['m+0', 'm+1', 'm+2', 'file /data/f+0', 'file /data/f+1']);
    expect(r.proc).toBe('a');
    expect(r.pageCount).toBe(5);
    // at most max kept: every reference and page still counted, the kept ones named
    const few = scenarioReferences(parseScenario(TEXT, 'refs.yaml'), { proc: 'a', max: 2 });
    expect([few.addresses, few.pages, few.total, few.pageCount]).toEqual([[0, 1], ['m+0', 'm+1'], 8, 5]);
    expect(r.processes).toEqual(['a', 'b']);
    expect(r.steps.map((s) => [s.step, s.line, s.from, s.to])).toEqual([
      [2, 8, 0, 3],
      [3, 9, 3, 4],
      [6, 12, 4, 6],
      [7, 13, 6, 8],
    ]);
  });

  it("every process, in step order: a process's pages are its own, a file's page cache is shared", () => {
    const r = refsOf(TEXT);
    expect(r.pages).toEqual(['a: m+0', 'a: m+1', 'a: m+2', 'b: n+0', 'b: n+1', 'file /data/f+0', 'file /data/f+1']);
    // b's repeat: 2 goes over its two pages twice; b's read of the file hits the page a read
    expect(r.addresses).toEqual([0, 1, 2, 1, 3, 4, 3, 4, 0, 2, 5, 6, 5]);
    expect(refsOf(TEXT, 'b').addresses).toEqual([0, 1, 0, 1, 2]);
  });

  it("takes a malloc's true placement: 60 KiB chunks start mid-page, so neighbours share a page", () => {
    const r = refsOf(`machine: { ram: 256MiB }\nprocesses: [{ name: app }]\nsteps:\n  - { proc: app, malloc: 60KiB, as: a }\n  - { proc: app, malloc: 60KiB, as: b }\n  - { proc: app, touch: a }\n  - { proc: app, touch: b }\n`);
    expect(r.pages.slice(0, 17)).toEqual([...Array.from({ length: 16 }, (_, k) => `a+${k}`), 'b+1']);
    // b's first page is a's last: referenced twice in a row
    expect(r.addresses.slice(14, 18)).toEqual([14, 15, 15, 16]);
    // and the policies run on it
    expect(runPolicy({ policy: 'LRU', cacheSize: 4, addresses: r.addresses }).totals.hits).toBe(1);
  });

  it('a scenario without touches: an error naming the file, the line of the first step and the field', () => {
    const e = caught(() => refsOf(`machine: { ram: 256MiB }\nprocesses: [{ name: app }]\nsteps:\n  - { proc: app, malloc: 4KiB, as: p }\n  - { snapshot: s }\n`, undefined, 'none.yaml'));
    expect(e.where).toMatchObject({ file: 'none.yaml', line: 4, field: 'steps' });
    expect(e.describe()).toMatch(/^none\.yaml:4: steps: no step references memory.*touch steps.*\{ proc: app, touch: buf \}/);
  });

  it('an unknown process or one that touches nothing: the field proc, the processes that do', () => {
    const unknown = caught(() => refsOf(TEXT, 'aa'));
    expect(unknown.where.field).toBe('proc');
    expect(unknown.message).toMatch(/no process named 'aa'.*did you mean 'a'.*a, b/i);
    const idle = caught(() => refsOf(`${TEXT.replace('  - { name: b }', '  - { name: b }\n  - { name: idle }')}`, 'idle'));
    expect(idle.where).toMatchObject({ field: 'proc', line: 9, step: 2 });
    expect(idle.message).toMatch(/'idle' has no touch or file I\/O step.*by a, b/);
  });

  it('a touch of unmapped memory stops where the SIGSEGV does; the references up to there are kept', () => {
    const r = refsOf(`machine: { ram: 256MiB }\nprocesses: [{ name: app }]\nsteps:\n  - { proc: app, mmap: 8KiB, as: m }\n  - { proc: app, touch: m }\n  - { proc: app, munmap: m }\n  - { proc: app, touch: m }\n  - { proc: app, touch: m }\n`);
    expect(r.addresses).toEqual([0, 1]);
    expect(r.stopped).toMatch(/step 5/);
  });
});

describe('memlab policy --scenario', () => {
  afterEach(() => vi.restoreAllMocks());
  async function policy(...args: string[]) {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    const code = await run(args);
    vi.restoreAllMocks();
    return { code, out, err };
  }

  it("a built-in scenario by name: the JSON carries the string and the legend; --proc chooses a process", async () => {
    const r = await policy('--policy', 'fifo', '--cache-size', '4', '--scenario', 'free-and-trim', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.accesses.slice(0, 3).map((a: { addr: number }) => a.addr)).toEqual([0, 1, 2]);
    expect(j.scenario.pages.slice(0, 2)).toEqual(['a+0', 'a+1']);
    expect(j.scenario.processes).toEqual(['app']);
    const t = await policy('--policy', 'lru', '--cache-size', '4', '--scenario', 'fork-cow', '--proc', 'child', '--sweep', '1..2');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/references from the scenario's touch steps by child: \d+ references to \d+ pages/);
    expect(t.out).toMatch(/pages: 0=buf\+0, 1=buf\+1/);
  });

  it('a scenario file by path; a broken one is named with its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polref-'));
    const good = join(dir, 'mine.yaml');
    writeFileSync(good, TEXT);
    const r = await policy('--policy', 'lru', '--cache-size', '2', '--scenario', good, '--proc', 'b', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).accesses.map((a: { hit: boolean }) => a.hit)).toEqual([false, false, true, true, false]);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, TEXT.replace('touch: m }', 'touch: m, lenght: 4KiB }'));
    const e = await policy('--policy', 'lru', '--cache-size', '2', '--scenario', bad);
    expect(e.code).toBe(2);
    expect(e.err).toContain(`${bad}:8: step 2 (lenght): 'touch' does not take 'lenght'`);
  });

  it('errors exit 2 naming the file, line and field, or the option', async () => {
    const none = await policy('--policy', 'fifo', '--cache-size', '3', '--scenario', 'malloc-strace');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/exercises\/scenarios\/malloc-strace\.yaml:\d+: steps: no step references memory/);
    const proc = await policy('--policy', 'fifo', '--cache-size', '3', '--scenario', 'fork-cow', '--proc', 'kid');
    expect(proc.code).toBe(2);
    expect(proc.err).toMatch(/--proc: .*no process named 'kid'.*parent, child/);
    expect((await policy('--policy', 'fifo', '--cache-size', '3', '--scenario', 'nope-nope')).err).toMatch(/--scenario: cannot read nope-nope: ENOENT/);
    expect((await policy('--policy', 'fifo', '--cache-size', '3', '--scenario', 'fork-cow', '--addresses', '1,2')).err).toMatch(/one source of references/);
    expect((await policy('--policy', 'fifo', '--cache-size', '3', '--proc', 'a', '--addresses', '1,2')).err).toMatch(/--proc chooses a process of a --scenario/);
  });
});
