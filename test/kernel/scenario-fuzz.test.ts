/** 10,000 malformed scenarios (seeded): the parser answers every one with a ScenarioError, never a crash or a hang. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../app/common/kernel/index.js';

const SEED = Number(process.env.MEMLAB_FUZZ_SEED ?? 5150);
const VALID = `machine: { ram: 1GiB, swap: 256MiB }\nprocesses:\n  - { name: a }\nsteps:\n  - { proc: a, malloc: 4MiB, as: m }\n  - { proc: a, touch: m, length: 1MiB }\n  - { snapshot: s }\n`;

describe(`scenario parser fuzz (seed ${SEED}; replay with MEMLAB_FUZZ_SEED)`, () => {
  it('mutated YAML text', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(VALID.length), fc.string({ maxLength: 4 }), fc.nat(3)), { minLength: 1, maxLength: 6 }), (edits) => {
        let t = VALID;
        for (const [at, ins, del] of edits) t = t.slice(0, at) + ins + t.slice(at + del);
        try {
          parseScenario(t, 'fuzz.yaml');
        } catch (e) {
          expect(e).toBeInstanceOf(ScenarioError);
          expect((e as ScenarioError).describe()).toMatch(/^fuzz\.yaml/);
        }
      }),
      { seed: SEED, numRuns: 6000 },
    );
  });
  it('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          parseScenario(JSON.stringify(v), 'fuzz.json');
        } catch (e) {
          expect(e).toBeInstanceOf(ScenarioError);
        }
      }),
      { seed: SEED + 1, numRuns: 4000 },
    );
  });
});
