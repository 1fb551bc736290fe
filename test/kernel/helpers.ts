import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, Runner, type SimReport } from '../../app/common/kernel/index.js';

export const SCENARIOS = join(import.meta.dirname, '..', '..', 'exercises', 'scenarios');

export function runFile(name: string): SimReport {
  const file = join(SCENARIOS, name);
  const r = new Runner(parseScenario(readFileSync(file, 'utf8'), file));
  while (!r.done) r.step();
  return r.finish();
}

export function runText(text: string): { report: SimReport; runner: Runner; error?: Error } {
  const r = new Runner(parseScenario(text));
  let error: Error | undefined;
  while (!r.done) {
    try {
      r.step();
    } catch (e) {
      error = e as Error;
      break;
    }
  }
  return { report: r.finish(), runner: r, error };
}

export const snap = (r: SimReport, label: string) => {
  const s = r.snapshots.find((x) => x.label === label);
  if (!s) throw new Error(`no snapshot ${label}`);
  return s;
};
