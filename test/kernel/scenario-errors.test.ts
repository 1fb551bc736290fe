/** A broken scenario gets an error naming its line, step and field. */
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../app/common/kernel/index.js';

function errorOf(text: string): ScenarioError {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('scenario errors', () => {
  it('names the line and field of a bad size', () => {
    const e = errorOf('processes: [{name: a}]\nsteps:\n  - {proc: a, malloc: 12potatoes, as: m}\n');
    expect(e.where).toMatchObject({ file: 'bad.yaml', line: 3, step: 1, field: 'malloc' });
    expect(e.message).toContain("unknown unit 'potatoes'");
    expect(e.describe()).toMatch(/^bad\.yaml:3: step 1 \(malloc\): /);
  });
  it('names an unknown action', () => {
    const e = errorOf('processes: [{name: a}]\nsteps:\n  - {proc: a, memset: m}\n');
    expect(e.message).toContain('a step needs one action');
    expect(e.where.step).toBe(1);
  });
  it('names a missing proc', () => {
    const e = errorOf('processes: [{name: a}]\nsteps:\n  - {malloc: 1MiB, as: m}\n');
    expect(e.message).toContain('needs proc');
  });
  it('names an unknown option', () => {
    const e = errorOf('processes: [{name: a}]\nsteps:\n  - {proc: a, touch: m, lenght: 4KiB}\n');
    expect(e.message).toContain("'lenght'");
  });
  it('names YAML syntax errors by line', () => {
    const e = errorOf('processes: [{name: a}\nsteps: []\n');
    expect(e.where.line).toBeGreaterThanOrEqual(1);
  });
  it('refuses machines beyond the limits with a clear message', () => {
    expect(errorOf('machine: {ram: 128GiB}\nprocesses: [{name: a}]\nsteps: []\n').message).toContain('64 GiB');
    expect(errorOf('machine: {ram: 1MiB}\nprocesses: [{name: a}]\nsteps: []\n').message).toContain('at least 64 MiB');
  });
  it('refuses duplicate process names', () => {
    expect(errorOf('processes: [{name: a}, {name: a}]\nsteps: []\n').where.field).toBe('processes.1.name');
  });
});
