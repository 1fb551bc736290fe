/** The host panel's heavier work, done in a worker by the lab: the experiment's simulated half, PSS of every process. */
import { parseScenario, simulate } from '../../common/kernel/index.js';
import { processes, rollup } from './proc.js';

export type ExperimentCounters = { VmRSS: number; VmSize: number; minflt: number };

/** the probe's counters before and after (run in a worker by the lab: up to 4 GiB of pages are touched) */
export function simulateExperiment(bytes: number): { before: ExperimentCounters; after: ExperimentCounters } {
  const sim = simulate(
    parseScenario(`machine: { ram: 8GiB }\nprocesses: [{ name: probe }]\nsteps:\n  - { snapshot: before }\n  - { proc: probe, malloc: ${bytes}, as: m }\n  - { proc: probe, touch: m }\n  - { snapshot: after }\n`),
  );
  const pick = (label: string): ExperimentCounters => {
    const p = sim.snapshots.find((s) => s.label === label)!.processes.probe!;
    return { VmRSS: p.VmRSS, VmSize: p.VmSize, minflt: p.minflt };
  };
  return { before: pick('before'), after: pick('after') };
}

/** Pss, SwapPss and USS of every process this user may read (smaps_rollup), and how long reading them took */
export function pssAll(): { rows: Array<{ pid: number; Pss: number; SwapPss: number; USS: number }>; tookMs: number } {
  const t0 = Date.now();
  const rows: Array<{ pid: number; Pss: number; SwapPss: number; USS: number }> = [];
  for (const p of processes()) {
    if (p.state !== 'ok') continue;
    const r = rollup(p.pid);
    if (r) rows.push({ pid: p.pid, Pss: r.Pss, SwapPss: r.SwapPss, USS: r.USS });
  }
  return { rows, tookMs: Date.now() - t0 };
}
