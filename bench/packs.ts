/**
 * Packs: how long the instructor waits for `pack check` on the built-in pack, how long a learner
 * waits for a verdict (a numeric answer, a predict answer that runs the simulator, a tune answer
 * that runs it with their knobs), and a progress save (lock, merge, atomic write with fsync).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPack } from '../app/cli/pack.js';
import { check, runScenarioText } from '../app/common/packs/checkers.js';
import { drawParams } from '../app/common/packs/params.js';
import type { Exercise } from '../app/common/packs/schema.js';
import { loadPack } from '../app/node/packs/loader.js';
import { ProgressStore } from '../app/node/progress/store.js';
import type { BenchRow } from './types.js';

const root = join(import.meta.dirname, '..');
const builtin = join(root, 'exercises', 'linux-process-memory');
const scenarioText = (ref: string) => readFileSync(join(root, 'exercises', 'scenarios', `${ref.slice(8)}.yaml`), 'utf8');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const load = await time(5, () => loadPack(builtin));
  const p = await loadPack(builtin);
  rows.push({ group: 'packs', name: `load the built-in pack (${p.exercises.size} exercises)`, value: load, unit: 'ms' });
  const chk = await time(3, async () => checkPack(await loadPack(builtin)));
  rows.push({ group: 'packs', name: 'pack check of the built-in pack (every scenario, 20 draws per parameterised exercise)', value: chk / 1000, unit: 's', target: { text: 'under 10 s, so authors run it on every save', met: chk < 10_000 } });

  const find = (kind: Exercise['kind']) => [...p.exercises.values()].find((e) => e.exercise.kind === kind)!.exercise;
  const numeric = find('numeric');
  const ctx = { params: drawParams(numeric.params, 1), scenarioText };
  rows.push({ group: 'packs', name: 'check a numeric answer', value: (await time(200, () => check(numeric, { value: '12 KiB' }, ctx))) * 1000, unit: 'µs' });
  const predict = find('predict');
  const cold = await time(1, () => {
    runScenarioText(`${scenarioText(predict.scenario!)}\n# cold ${Math.random()}`);
  });
  rows.push({ group: 'packs', name: `check a predict answer, simulator run not cached (${predict.scenario})`, value: cold, unit: 'ms', target: { text: 'a verdict within 200 ms', met: cold < 200 } });
  rows.push({ group: 'packs', name: 'check a predict answer, run cached', value: await time(50, () => check(predict, { value: '1 GiB' }, { params: {}, scenarioText })), unit: 'ms' });
  const tune = find('tune') as Extract<Exercise, { kind: 'tune' }>;
  const t = await time(5, () => check(tune, { knobs: tune.solution }, { params: {}, scenarioText }));
  rows.push({ group: 'packs', name: `check a tune answer (runs ${tune.scenario} with the knobs)`, value: t, unit: 'ms', target: { text: 'a verdict within 1 s', met: t < 1000 } });

  const store = new ProgressStore(mkdtempSync(join(tmpdir(), 'bench-progress-')));
  let i = 0;
  const save = await time(50, () => store.update(`bench/e${i++ % 40}`, (x) => ({ ...x, attempts: x.attempts + 1 })));
  rows.push({ group: 'packs', name: 'save progress (lock, merge with disk, atomic write + fsync, 40 exercises)', value: save, unit: 'ms' });
  return rows;
}
