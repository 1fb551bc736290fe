/** The host panel behind the LabApi: real /proc readings, off until the learner turns them on. */
import type { DomainHandlers } from '../../common/api/dispatch.js';
import type { hostMethods } from '../../common/api/host.js';
import { ApiError } from '../../common/api/protocol.js';
import { killAllProbes, runMallocTouch } from '../host/probe.js';
import { maps, meminfo, pressure, procAvailable, processes, readProcess, rollup, statusFields, sysctls, vmstat, zoneWatermarks } from '../host/proc.js';
import { type ExperimentCounters, pssAll, simulateExperiment } from '../host/experiment.js';
import type { WorkerPool } from '../work/host.js';
import type { ServiceDeps } from './index.js';

/** `work`: the worker pool the experiment's simulated half runs in (the lab's hosts); without it, it runs here */
export function createHostServices(_deps: ServiceDeps, work?: { pool: WorkerPool }): { handlers: DomainHandlers<typeof hostMethods>; dispose: () => void } {
  const enabled = new Set<string>();
  const timers = new Map<string, ReturnType<typeof setInterval>>();
  let lastVm: { at: number; v: Record<string, number> } | null = null;
  let lastProcs: { at: number; faults: Map<number, [number, number]> } | null = null;

  const rates = () => {
    const now = Date.now();
    const v = vmstat();
    const prev = lastVm;
    lastVm = { at: now, v };
    if (!prev || now === prev.at) return Object.fromEntries(Object.keys(v).map((k) => [k, 0]));
    const dt = (now - prev.at) / 1000;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Math.max(0, (x - (prev.v[k] ?? 0)) / dt)]));
  };
  const need = (client: string) => {
    const a = procAvailable();
    if (!a.ok) throw new ApiError('unavailable', a.why!);
    if (!enabled.has(client)) throw new ApiError('forbidden', 'the host panel is off: turn it on first');
  };

  const handlers: DomainHandlers<typeof hostMethods> = {
    'host.status': (_p, ctx) => {
      const a = procAvailable();
      return { available: a.ok, ...(a.why ? { why: a.why } : {}), enabled: enabled.has(ctx.clientId) };
    },
    'host.enable': ({ enabled: on }, ctx) => {
      const a = procAvailable();
      if (on && !a.ok) throw new ApiError('unavailable', a.why!);
      if (on && !enabled.has(ctx.clientId)) {
        enabled.add(ctx.clientId);
        timers.set(
          ctx.clientId,
          setInterval(() => ctx.emit('host.sample', { at: Date.now(), meminfo: meminfo(), vmstatRates: rates() }), 1000),
        );
        ctx.onClose(() => {
          clearInterval(timers.get(ctx.clientId));
          timers.delete(ctx.clientId);
          enabled.delete(ctx.clientId);
        });
      } else if (!on) {
        clearInterval(timers.get(ctx.clientId));
        timers.delete(ctx.clientId);
        enabled.delete(ctx.clientId);
      }
      return { enabled: enabled.has(ctx.clientId) };
    },
    'host.system': (_p, ctx) => {
      need(ctx.clientId);
      return { meminfo: meminfo(), vmstatRates: rates(), pressure: pressure(), zones: zoneWatermarks(), sysctls: sysctls() };
    },
    'host.processes': (_p, ctx) => {
      need(ctx.clientId);
      const now = Date.now();
      const rows = processes();
      const prev = lastProcs;
      const faults = new Map<number, [number, number]>();
      const out = rows.map((r) => {
        faults.set(r.pid, [r.minflt, r.majflt]);
        const p = prev?.faults.get(r.pid);
        const dt = prev ? (now - prev.at) / 1000 : 0;
        return { ...r, minfltRate: p && dt > 0 ? Math.max(0, (r.minflt - p[0]) / dt) : 0, majfltRate: p && dt > 0 ? Math.max(0, (r.majflt - p[1]) / dt) : 0 };
      });
      lastProcs = { at: now, faults };
      return { rows: out, sampledAt: now };
    },
    'host.process': ({ pid, rollup: wantRollup }, ctx) => {
      need(ctx.clientId);
      const r = readProcess(pid);
      if (r.state === 'gone') return { pid, state: 'gone', status: {}, maps: [], rollup: null };
      const status = statusFields(pid);
      const m = maps(pid);
      if (!status || !m) return { pid, state: status ? 'unreadable' : 'gone', status: status ?? {}, maps: [], rollup: null };
      return { pid, state: 'ok', status, maps: m, rollup: wantRollup ? rollup(pid) : null };
    },
    'host.pssAll': async (_p, ctx) => {
      need(ctx.clientId);
      // every process's smaps_rollup: the kernel walks each one's page tables, hundreds of ms on a
      // busy machine, so with the hosts it is read in a worker (the same process: /proc/PID reads alike)
      if (work) return work.pool.run('pssAll', {}, { seconds: work.pool.limits.checkSeconds, what: "reading every process's smaps_rollup", advice: 'try again when the machine is less busy' });
      return pssAll();
    },
    'host.experiment': async ({ sizeMib }, ctx) => {
      need(ctx.clientId);
      const bytes = sizeMib * 1024 * 1024;
      // the simulated half (up to 4 GiB of pages touched) runs off the event loop
      const { before: b, after: a } = work
        ? await work.pool.run<{ before: ExperimentCounters; after: ExperimentCounters }>('hostExperiment', { bytes }, { seconds: work.pool.limits.checkSeconds, what: 'simulating the experiment', advice: 'try a smaller size' })
        : simulateExperiment(bytes);
      let real;
      try {
        real = await runMallocTouch(bytes);
      } catch (err) {
        throw new ApiError('forbidden', (err as Error).message);
      }
      const measured = {
        resGrowthKb: real.after.VmRSS - real.before.VmRSS,
        virtGrowthKb: real.after.VmSize - real.before.VmSize,
        minflt: real.after.minflt - real.before.minflt,
        pid: real.pid,
        rssBeforeKb: real.before.VmRSS,
        rssAfterKb: real.after.VmRSS,
      };
      const predicted = { resGrowthKb: a.VmRSS - b.VmRSS, virtGrowthKb: a.VmSize - b.VmSize, minflt: a.minflt - b.minflt };
      const notes = [
        'The probe is a Node process: Buffer.allocUnsafeSlow asks glibc for the memory, which mmaps a block this large, like the simulated malloc.',
        `RES grew by ${measured.resGrowthKb} kB against ${predicted.resGrowthKb} kB predicted: ${Math.abs(measured.resGrowthKb - predicted.resGrowthKb) <= predicted.resGrowthKb * 0.05 ? 'within 5%' : 'the gap is the runtime'} — V8 and Node also touch pages of their own while the probe runs.`,
        'VmRSS is read from per-CPU counters and may lag a little; smaps_rollup is exact.',
      ];
      if (measured.minflt < predicted.minflt / 4) notes.push('Far fewer faults than pages: transparent huge pages mapped 2 MiB at a time (this host uses THP for this region).');
      return { sizeMib, predicted, measured, notes };
    },
  };
  return {
    handlers,
    dispose: () => {
      for (const t of timers.values()) clearInterval(t);
      killAllProbes();
    },
  };
}

