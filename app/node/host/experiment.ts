/** The host panel's experiment, simulated: a process mallocs and touches this many bytes. */
import { parseScenario, simulate } from '../../common/kernel/index.js';

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
