/**
 * The simulator beside an exercise runs this learner's variant: the scenario's {{…}} take the
 * drawn parameters the question shows (not the scenario's defaults), follow a Reset to the next
 * variant, and a prediction's outcome stays held (issue 15, after #12).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExerciseView } from '../../app/common/api/packs.js';
import type { LoadedScenario, SimView } from '../../app/common/api/sim.js';
import { labServices } from '../lab-services.js';

/** the docs pack, its block size drawn from values none of which is the scenario's default (64), and a parameter only the prose uses */
function pack(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'variant-')), 'docs-pack');
  cpSync(join(import.meta.dirname, 'docs-pack'), dir, { recursive: true });
  const f = join(dir, 'predict-pages.md');
  const text = readFileSync(f, 'utf8');
  const edited = text.replace('m: { choices: [64, 128, 256] }', 'm: { range: [80, 400], step: 8 }\n  secret: { range: [1000, 9000], step: 1 }');
  expect(edited).not.toBe(text);
  writeFileSync(f, edited);
  return dir;
}

/** top's VIRT is VmSize, in kB (KiB) as /proc counts them */
const MiB = 1024;

describe('the simulator beside a parameterised exercise', () => {
  it("runs the learner's drawn numbers, before and after a Reset, and still holds the outcome", async () => {
    const { s, call } = labServices('variantsvc-');
    const dir = pack();
    const { id: packId } = await call<{ id: string }>('pack.open', { path: dir });
    const ref = { packId, exerciseId: 'predict-pages' };
    /** the virtual size the default run gives a.out after its malloc, to compare a variant's with */
    const defaults = await call<LoadedScenario>('sim.load', { packId, scenario: 'scenarios/touch.yaml' });
    const virtAt = async (sessionId: string, step: number) => (await call<SimView>('sim.seek', { sessionId, step, maps: [] })).processes.find((p) => p.name === 'a.out')!.VIRT;
    const baseVirt = (await virtAt(defaults.sessionId, 2)) - 64 * MiB;

    const seen: number[] = [];
    let view = await call<ExerciseView>('exercise.get', ref);
    for (let round = 0; round < 4; round++) {
      const [, m, n] = /mallocs (\d+) MiB and memsets the first (\d+) MiB/.exec(view.html)!.map(Number);
      const sim = view.simulator!;
      // exactly the drawn values the scenario names: not the answer-only one
      expect(sim.params).toEqual({ m, n });
      // the prediction is still held: the run stops before the memset (step 4)
      expect(sim.until).toBe(4);
      expect(sim.step).toBe(3);
      const loaded = await call<LoadedScenario>('sim.load', { packId, scenario: 'scenarios/touch.yaml', params: sim.params });
      expect(loaded.steps[1]).toContain(`malloc(${m} MiB)`);
      expect(loaded.steps[3]).toContain(`${n} MiB`);
      expect(await virtAt(loaded.sessionId, 2)).toBe(baseVirt + m! * MiB);
      seen.push(m!);
      if (new Set(seen).size > 1) break;
      view = await call<ExerciseView>('exercise.reset', ref);
    }
    // a Reset drew other numbers, and the simulator followed them
    expect(new Set(seen).size).toBeGreaterThan(1);
    await s.dispose();
  });
});
