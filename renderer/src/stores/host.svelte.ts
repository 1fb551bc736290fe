/** The host panel: on/off, the system readings, the process table, one process's detail, experiments. */
import { api } from '../api/index.js';
import type { LabApi } from '@api/index';

type Result<M extends Parameters<LabApi['call']>[0]> = Awaited<ReturnType<typeof api.call<M>>>;

class HostStore {
  status = $state<Result<'host.status'> | null>(null);
  system = $state<Result<'host.system'> | null>(null);
  rows = $state<Result<'host.processes'>['rows']>([]);
  /** the process table held still (sampling goes on; the rows shown wait) so the learner can read and click */
  paused = $state(false);
  detail = $state<Result<'host.process'> | null>(null);
  experiment = $state<Result<'host.experiment'> | null>(null);
  error = $state<string | null>(null);
  running = $state(false);
  /** PSS, SwapPss and USS by pid, read once when the learner asked */
  pss = $state<Map<number, { Pss: number; SwapPss: number; USS: number }> | null>(null);
  pssNote = $state<string | null>(null);
  /** the open process's RES and SWAP (kB) at each sample, for its chart over time */
  history = $state<Array<{ t: number; RES: number; SWAP: number }>>([]);
  private timer: ReturnType<typeof setInterval> | null = null;

  async init(): Promise<void> {
    try {
      this.status = await api.call('host.status', {});
      if (this.status.enabled) this.startPolling();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async setEnabled(on: boolean): Promise<void> {
    this.error = null;
    try {
      await api.call('host.enable', { enabled: on });
      this.status = await api.call('host.status', {});
      if (on) this.startPolling();
      else this.stopPolling();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private startPolling(): void {
    this.stopPolling();
    const tick = async () => {
      try {
        this.system = await api.call('host.system', {});
        const fresh = (await api.call('host.processes', {})).rows;
        if (!this.paused) this.rows = fresh;
        const open = this.detail?.pid;
        const row = open === undefined ? undefined : this.rows.find((r) => r.pid === open);
        if (row) this.history = [...this.history.slice(-299), { t: Date.now() / 1000, RES: row.RES, SWAP: row.SWAP }];
      } catch (err) {
        this.error = (err as Error).message;
      }
    };
    void tick();
    this.timer = setInterval(tick, 2000);
  }

  stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.system = null;
    this.rows = [];
    this.detail = null;
  }

  async open(pid: number, rollup = false): Promise<void> {
    if (this.detail?.pid !== pid) this.history = [];
    try {
      this.detail = await api.call('host.process', { pid, rollup });
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async readPssAll(): Promise<void> {
    try {
      const r = await api.call('host.pssAll', {});
      this.pss = new Map(r.rows.map((x) => [x.pid, x]));
      this.pssNote = `Read smaps_rollup of ${r.rows.length} processes in ${r.tookMs} ms (a snapshot: it is not refreshed every second).`;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async runExperiment(sizeMib: number): Promise<void> {
    this.running = true;
    this.error = null;
    try {
      this.experiment = await api.call('host.experiment', { sizeMib });
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.running = false;
    }
  }
}

export const host = new HostStore();
