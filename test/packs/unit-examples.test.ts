/**
 * The examples under a numeric answer box (TYPED_EXAMPLES) are generic: over every numeric, predict,
 * observe and table question of the built-in pack (guided-lab stages included), and every
 * parameter value each can draw, no example is accepted as the answer. #12 saw "4 KiB, 1024M,
 * 1048576 kB, 262144 pages" under every box: the answers to "How big is a page?" and "VIRT after
 * malloc(1 GiB)".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TYPED_EXAMPLES } from '../../app/common/api/packs.js';
import type { Quantity } from '../../app/common/packs/answer.js';
import { checkNumber, expectedFields, expectedValue, stageExercise } from '../../app/common/packs/checkers.js';
import type { ParamValues } from '../../app/common/packs/params.js';
import type { Exercise } from '../../app/common/packs/schema.js';
import { readTyped } from '../../app/common/packs/typed.js';
import { loadPack } from '../../app/node/packs/loader.js';

const ROOT = join(import.meta.dirname, '..', '..');
const scenarioText = (ref: string) => readFileSync(join(ROOT, 'exercises', 'scenarios', `${ref.slice(8)}.yaml`), 'utf8');
const examples = (q: Quantity) => TYPED_EXAMPLES[q].split(/,\s/);

/** Every parameter set an exercise can draw: the product of each parameter's values. */
function allDraws(params: Exercise['params']): ParamValues[] {
  let out: ParamValues[] = [{}];
  for (const [name, p] of Object.entries(params)) {
    const values: Array<number | string> = 'choices' in p ? p.choices : Array.from({ length: Math.floor((p.range[1] - p.range[0]) / p.step) + 1 }, (_, i) => Math.round((p.range[0] + i * p.step) * 1e9) / 1e9);
    out = out.flatMap((d) => values.map((v) => ({ ...d, [name]: v })));
  }
  return out;
}

/** Each numeric question and its expected value(s): [label, quantity, tolerance, expected] per draw. */
function numericQuestions(ex: Exercise): Exercise[] {
  if (ex.kind === 'guided') return ex.stages.filter((s) => s.question).map((s) => stageExercise(ex, s.id)!);
  return [ex];
}

describe('unit examples under numeric boxes', () => {
  it('every example reads as its quantity', () => {
    for (const q of ['bytes', 'count', 'percent'] as const) for (const e of examples(q)) expect(readTyped(e, q).ok, `${q}: ${e}`).toBe(true);
  });
  it('no example is accepted as the answer to any built-in question, for any parameter drawn', async () => {
    const pack = await loadPack(join(ROOT, 'exercises', 'linux-process-memory'));
    let judged = 0;
    const accepted: string[] = [];
    for (const le of pack.exercises.values()) {
      for (const q of numericQuestions(le.exercise)) {
        for (const params of allDraws(le.exercise.params)) {
          const ctx = { params, scenarioText };
          const targets: Array<{ label: string; exp: { value: number; quantity: Quantity }; tolerance: string }> = [];
          if (q.kind === 'numeric' || q.kind === 'predict' || q.kind === 'observe') targets.push({ label: q.id, exp: expectedValue(q, ctx), tolerance: q.answer.tolerance });
          if (q.kind === 'table') {
            const e = expectedFields(q, ctx);
            for (const f of q.fields) targets.push({ label: `${q.id}.${f.name}`, exp: e[f.name]!, tolerance: f.tolerance });
          }
          for (const t of targets)
            for (const e of examples(t.exp.quantity)) {
              judged++;
              if (checkNumber(e, t.exp, t.tolerance, []).verdict === 'correct') accepted.push(`${le.file} ${t.label} ${JSON.stringify(params)}: "${e}"`);
            }
        }
      }
    }
    expect(judged).toBeGreaterThan(50);
    expect(accepted).toEqual([]);
  });
});
