/**
 * The side-by-side comparison of one step: per field the simulator's value, the kernel's, and the
 * difference. Sizes (kB) are compared as they stand after the step; counters (faults, vmstat) and
 * system-wide fields as how much they changed during the step, since the simulator starts its
 * processes without the faults a real program takes starting up, and the host's other processes
 * move the machine's totals.
 */
import { COMPARED_MEMINFO_FIELDS, COMPARED_PROC_FIELDS, COMPARED_VMSTAT_FIELDS, COUNTER_FIELDS, type RealStep, SYSTEM_FIELDS } from './real.js';

export interface FieldRow {
  /** process name, or 'meminfo' / 'vmstat' */
  scope: string;
  field: string;
  /** 'value' after the step, or 'delta' over the step */
  mode: 'value' | 'delta';
  sim: number | null;
  real: number | null;
  /** real - sim */
  diff: number | null;
  system: boolean;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** rows for step `rec`, with `prev` the record before it (for deltas) */
export function compareStep(rec: RealStep, prev: RealStep | undefined): FieldRow[] {
  const rows: FieldRow[] = [];
  const push = (scope: string, field: string, simNow: unknown, realNow: unknown, simBefore: unknown, realBefore: unknown) => {
    const delta = COUNTER_FIELDS.has(field) || SYSTEM_FIELDS.has(field);
    let sim = num(simNow);
    let real = num(realNow);
    if (delta) {
      const machine = scope === 'meminfo' || scope === 'vmstat';
      // a process born during this step: its fork's start counts as the baseline
      const sb = num(simBefore) ?? (machine ? sim : 0);
      const rb = num(realBefore) ?? (machine ? real : null);
      sim = sim === null || sb === null ? null : sim - sb;
      real = real === null || rb === null ? null : real - rb;
    }
    rows.push({ scope, field, mode: delta ? 'delta' : 'value', sim, real, diff: sim !== null && real !== null ? real - sim : null, system: SYSTEM_FIELDS.has(field) });
  };
  const names = new Set([...Object.keys(rec.sim.processes), ...Object.keys(rec.real.processes)]);
  for (const name of names) {
    const s = rec.sim.processes[name];
    const r = rec.real.processes[name];
    const ps = prev?.sim.processes[name];
    const pr = prev?.real.processes[name];
    for (const f of COMPARED_PROC_FIELDS) push(name, f, s?.[f], r?.[f], ps?.[f], pr?.[f]);
  }
  for (const f of COMPARED_MEMINFO_FIELDS) push('meminfo', f, rec.sim.meminfo[f], rec.real.meminfo[f], prev?.sim.meminfo[f], prev?.real.meminfo[f]);
  for (const f of COMPARED_VMSTAT_FIELDS) push('vmstat', f, rec.sim.vmstat[f], rec.real.vmstat[f], prev?.sim.vmstat[f], prev?.real.vmstat[f]);
  return rows;
}

/** how each process stands after the step, on each side */
export function states(rec: RealStep): Array<{ name: string; sim: string; real: string }> {
  const names = new Set([...Object.keys(rec.sim.processes), ...Object.keys(rec.real.processes)]);
  return [...names].map((name) => ({ name, sim: String(rec.sim.processes[name]?.state ?? '—'), real: String(rec.real.processes[name]?.state ?? '—') }));
}
