/**
 * exercises/SCENARIOS.md is the scenario format's reference: every ```yaml scenario=… block runs
 * on the simulator without error, every verb and every option the schema accepts is documented,
 * and the messages the page quotes are the ones memlab prints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as sim } from '../../app/cli/sim.js';
import { CURRENT_VERBS, Machine, parseScenario, ProcessDecl, ScenarioError, stepFields } from '../../app/common/kernel/scenario.js';
import { simulate } from '../../app/common/kernel/simulate.js';

const root = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(root, 'exercises', 'SCENARIOS.md'), 'utf8');
const blocks = [...doc.matchAll(/^```yaml scenario=(\S+)\n([\s\S]*?)^```$/gm)].map((m) => [m[1]!, m[2]!] as const);

describe('the worked examples in SCENARIOS.md', () => {
  it('include one per topic of the seed material, and a parameterised one', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(blocks.some(([, t]) => t.includes('{{'))).toBe(true);
  });
  for (const [name, text] of blocks)
    it(`${name} runs to the end without an error`, () => {
      const r = simulate(parseScenario(text, name));
      expect(r.error).toBeUndefined();
    });
});

describe('SCENARIOS.md documents the whole format', () => {
  it('every verb, with every option it takes', () => {
    const fields = stepFields();
    for (const verb of CURRENT_VERBS) {
      expect(doc, verb).toContain(`\`${verb}:`);
      for (const f of fields[verb]) expect(doc, `${verb}.${f.name}`).toContain(`\`${f.name}`);
    }
    for (const k of ['M_MMAP_THRESHOLD', 'M_TRIM_THRESHOLD', 'M_TOP_PAD', 'proc', 'note']) expect(doc).toContain(`\`${k}`);
  });
  it('every machine and process field', () => {
    for (const f of Object.keys(Machine.shape)) expect(doc, f).toContain(`| \`${f}\``);
    for (const f of Object.keys(ProcessDecl.shape)) expect(doc, f).toContain(`| \`${f}\``);
  });
  it('the error it quotes for a file verb naming an allocation is the one memlab gives', () => {
    const text = 'processes: [{ name: worker }]\nsteps:\n  - { proc: worker, malloc: 16 MiB, as: table }\n  - { proc: worker, read_file: table, length: 16 MiB }\n';
    expect(() => parseScenario(text)).toThrow(ScenarioError);
    expect(() => parseScenario(text)).toThrow('{ proc: worker, touch: table, write: false, length: 16 MiB }');
    expect(doc).toContain('`{ proc: worker, touch: table, write: false, length: 16 MiB }`');
  });
  it("the message it quotes for an option a verb does not take", () => {
    const text = 'processes: [{ name: a }]\nsteps:\n  - { proc: a, malloc: 1 MiB, as: m }\n  - { proc: a, touch: m, size: 4 KiB }\n';
    let msg = '';
    try {
      parseScenario(text);
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toBe("'touch' does not take 'size'; it takes touch, length, offset, stride, every, write, repeat, proc, note");
    expect(doc.replace(/\n/g, ' ')).toContain(msg);
    expect(() => parseScenario(text.replace('size', 'lenght'))).toThrow("'touch' does not take 'lenght' (did you mean 'length'?)");
  });
});

describe('memlab 0.1 file verbs', () => {
  it('still run, with a warning saying exactly what to write', () => {
    const s = parseScenario('processes: [{ name: r }]\nsteps:\n  - { proc: r, read: /var/lib/db, length: 1 MiB }\n');
    expect(s.steps[0]!.verb).toBe('read');
    expect(s.warnings?.[0]).toMatchObject({ line: 3, step: 1, field: 'read' });
    expect(s.warnings?.[0]?.message).toContain("rename it to 'read_file:'");
    expect(simulate(s).snapshots.at(-1)!.meminfo.Cached).toBeGreaterThan(1024);
  });
});

describe('memlab sim --help', () => {
  afterEach(() => vi.restoreAllMocks());
  it('prints usage to stdout, exits 0 and points at SCENARIOS.md and the schema', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await sim(['--help'])).toBe(0);
    expect(out.join('')).toContain('exercises/SCENARIOS.md');
    expect(out.join('')).toContain('scenario.schema.json');
  });
});
