/** "Run for real": the run under way beside the simulator, its steps as they arrive, stop. */
import type { RealInfo, RealStep } from '@api/real';
import { type ScenarioSource } from '@api/sim';
import { api } from '../api/index.js';

class RealStore {
  runId = $state<string | null>(null);
  steps = $state<RealStep[]>([]);
  stepCount = $state(0);
  running = $state(false);
  stopped = $state(false);
  error = $state<string | null>(null);
  info = $state<Partial<RealInfo> | null>(null);
  /** executor pids by process name, as the last step reported them */
  pids = $state<Record<string, number>>({});
  simplifications = $state<{ source: string; items: string[] } | null>(null);
  private subscribed = false;
  private early: Array<{ runId: string; record: RealStep; pids: Record<string, number> }> = [];

  private subscribe(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    api.on('real.step', (e) => {
      // the first step may arrive before real.start's answer names the run
      if (this.runId === null && this.running) this.early.push(e);
      if (e.runId !== this.runId) return;
      this.steps = [...this.steps, e.record];
      this.pids = e.pids;
    });
    api.on('real.done', (e) => {
      if (e.runId !== this.runId) return;
      this.running = false;
      this.stopped = e.stopped;
      if (e.info) this.info = e.info;
      if (e.error) this.error = e.error;
    });
  }

  async start(src: ScenarioSource): Promise<void> {
    this.subscribe();
    if (this.running) await this.stop();
    this.error = null;
    this.steps = [];
    this.pids = {};
    this.stopped = false;
    this.info = null;
    this.running = true;
    this.runId = null;
    if (!this.simplifications) void api.call('real.simplifications', {}).then((s) => (this.simplifications = s)).catch(() => {});
    try {
      const r = await api.call('real.start', src);
      this.runId = r.runId;
      this.stepCount = r.stepCount;
      const mine = this.early.filter((e) => e.runId === r.runId);
      this.early = [];
      if (mine.length) {
        this.steps = [...mine.map((e) => e.record), ...this.steps];
        this.pids = mine[mine.length - 1]!.pids;
      }
      this.info = r.info;
    } catch (err) {
      this.running = false;
      this.error = (err as Error).message;
    }
  }

  async stop(): Promise<void> {
    if (!this.runId) return;
    const r = await api.call('real.stop', { runId: this.runId });
    if (r.stopped) {
      this.running = false;
      this.stopped = true;
    }
  }

  /** forget the run (another scenario was opened) */
  reset(): void {
    if (this.running) void this.stop();
    this.runId = null;
    this.steps = [];
    this.error = null;
    this.info = null;
  }
}

export const real = new RealStore();
