/** The step form's edits: one step at a time, the rest of the YAML as the author wrote it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, stepFields } from '../../app/common/kernel/scenario.js';
import { editSteps, readSteps, StepEditError } from '../../app/common/kernel/scenario_edit.js';

const dir = join(import.meta.dirname, '..', '..', 'exercises', 'scenarios');
const strip = (s: ReturnType<typeof parseScenario>) => s.steps;

const FORK = `# a comment the author wrote
title: t
machine: { ram: 1GiB }   # small
processes: [{ name: p }]
steps:
  - { proc: p, malloc: 8MiB, as: buf }
  # the parent writes it all
  - { proc: p, touch: buf }
  - { proc: p, fork: c }
`;

describe('scenario step edits', () => {
  it("reads every built-in scenario's steps and writes each back unchanged in meaning", () => {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      const before = strip(parseScenario(text, f));
      const { steps } = readSteps(text);
      expect(steps.length, f).toBe(before.length);
      for (let i = 0; i < steps.length; i += Math.max(1, Math.floor(steps.length / 5))) {
        const again = editSteps(text, { op: 'set', index: i, step: steps[i]! });
        expect(strip(parseScenario(again, f)), `${f} step ${i + 1}`).toEqual(before);
      }
    }
  });

  it('sets, inserts, deletes and moves steps, keeping comments and the rest of the file', () => {
    let t = editSteps(FORK, { op: 'set', index: 1, step: { verb: 'touch', proc: 'p', fields: { touch: 'buf', length: '4MiB', write: 'false' } } });
    expect(t).toContain('# a comment the author wrote');
    expect(t).toContain('# small');
    expect(t).toContain('# the parent writes it all');
    expect(parseScenario(t).steps[1]).toMatchObject({ verb: 'touch', touch: 'buf', length: 4 * 1024 * 1024, write: false });
    t = editSteps(t, { op: 'insert', index: 3, step: { verb: 'touch', proc: 'c', fields: { touch: 'buf', length: '', stride: '8KiB' }, note: 'every other page' } });
    const s = parseScenario(t).steps;
    expect(s).toHaveLength(4);
    expect(s[3]).toMatchObject({ verb: 'touch', proc: 'c', stride: 8192, note: 'every other page' });
    expect(s[3]).not.toHaveProperty('length');
    t = editSteps(t, { op: 'move', index: 3, to: 0 });
    expect(parseScenario(t).steps.map((x) => x.verb)).toEqual(['touch', 'malloc', 'touch', 'fork']);
    t = editSteps(t, { op: 'delete', index: 0 });
    expect(parseScenario(t).steps.map((x) => x.verb)).toEqual(['malloc', 'touch', 'fork']);
    // one step a line, as written by hand
    expect(t).toMatch(/\n  - \{ proc: p, malloc: 8MiB, as: buf \}\n/);
    // maps in fields are YAML too
    t = editSteps(t, { op: 'insert', index: 0, step: { verb: 'set', fields: { set: '{ swappiness: 10 }' } } });
    expect(parseScenario(t).steps[0]).toMatchObject({ verb: 'set', set: { swappiness: 10 } });
    expect(readSteps(t).steps[0]).toEqual({ verb: 'set', fields: { set: '{ swappiness: 10 }' } });
  });

  it('refuses what is not a step, with a message', () => {
    expect(() => editSteps(FORK, { op: 'set', index: 0, step: { verb: 'allocate', fields: {} } })).toThrow(/'allocate' is not a step/);
    expect(() => editSteps(FORK, { op: 'set', index: 0, step: { verb: 'malloc', proc: 'p', fields: { as: 'x' } } })).toThrow(/needs a value for 'malloc'/);
    expect(() => editSteps(FORK, { op: 'delete', index: 3 })).toThrow(StepEditError);
    expect(() => editSteps(FORK, { op: 'move', index: 0, to: 9 })).toThrow(/there is no step 10/);
    expect(() => readSteps('steps: [')).toThrow(/not valid YAML/);
  });

  it("describes each verb's fields from the schema, the verb's own first", () => {
    const f = stepFields();
    expect(f.malloc.map((x) => x.name)).toEqual(['malloc', 'as']);
    expect(f.touch[0]).toEqual({ name: 'touch', required: true });
    expect(f.touch.find((x) => x.name === 'write')).toEqual({ name: 'write', required: false, default: 'true' });
    expect(f.mmap.find((x) => x.name === 'prot')).toMatchObject({ default: 'rw' });
  });
});
