/** The simulator workbench: which scenario is loaded, where the timeline is, playback. */
import { type Highlight, highlightedProcess } from '@api/highlight';
import { type ChartLayout, type LoadedScenario, type LogStream, type ScenarioInfo, type ScenarioParams, type ScenarioSource, scenarioSource, type SimProgress, type SimView } from '@api/sim';
import { api } from '../api/index.js';

/** one string per set of scenario parameters (sorted by name), so a new variant is seen as a new scenario */
export const paramsKey = (params: ScenarioParams | undefined): string =>
  params && Object.keys(params).length ? JSON.stringify(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : '';

type Chart = { id: string; key: string; type: string; description?: string; children: Chart[] };

class SimStore {
  scenarios = $state<ScenarioInfo[]>([]);
  loaded = $state<LoadedScenario | null>(null);
  scenarioId = $state<string | null>(null);
  /** the parameters the open scenario was run with (an exercise's drawn variant), as paramsKey writes them; '' for its defaults */
  paramsKey = $state('');
  view = $state<SimView | null>(null);
  chart = $state<Chart | null>(null);
  /** the statechart as the main process laid it out (dagre), drawn by the Statechart component */
  chartLayout = $state<ChartLayout | null>(null);
  /** each task's lifecycle machine, laid out */
  processLayout = $state<ChartLayout | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  /** how far a long step is while its view is on its way (sim.progress); null otherwise */
  progress = $state<SimProgress | null>(null);
  /** a scenario is being opened: the controls wait, so a click meant for it does not reach the old one */
  loading = $state(false);
  playing = $state(false);
  /** steps per second while playing */
  speed = $state(2);
  /** what a guided lab's stage points at (#/simulator/<id>/<step>/<highlights>): the views mark it */
  highlights = $state<Highlight[]>([]);
  /** the process whose address space is drawn: the only pmap each view carries */
  selected = $state<string | null>(null);
  /** beside a predict exercise: the last step that may be shown before the prediction is committed */
  limit = $state<number | null>(null);
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** each load's number: a load overtaken by a later one (the learner moved on) is dropped and its session closed */
  private generation = 0;

  /** whether anything was ever asked to load here (a file, a choice, a link), even one that failed */
  get asked(): boolean {
    return this.generation > 0;
  }
  /** sessions this store closed: a late answer about one of them is for nobody */
  private closed = new Set<string>();
  private close(sessionId: string): void {
    this.closed.add(sessionId);
    void api.call('sim.close', { sessionId }).catch(() => {});
  }
  private wanted: number | null = null;
  /** the step last asked for (ahead of `view` while a seek is under way) */
  private cursor = 0;

  private listening = false;

  /** the list, the chart and its layout, asked for once (the route may change many times) */
  async init(): Promise<void> {
    if (!this.listening) {
      this.listening = true;
      // only for the session shown and while a seek of it is under way: a late report is for nobody
      api.on('sim.progress', (p) => {
        if (this.busy && p.sessionId === this.loaded?.sessionId) this.progress = p;
      });
    }
    if (this.scenarios.length === 0) await this.refreshScenarios();
    if (!this.chart) {
      const r = await api.call('sim.statechart', {});
      this.chart = r.chart as Chart;
      this.chartLayout = r.layout;
      this.processLayout = r.process;
    }
  }

  /** the scenarios to choose from: built in, then those in the packs open now (a pack may have been opened since the last time) */
  async refreshScenarios(): Promise<void> {
    this.scenarios = (await api.call('sim.listScenarios', {})).scenarios;
  }

  /** open a scenario by the id sim.listScenarios gives it (built in, or `pack:<packId>:<path>`) */
  loadId(id: string, step = 0, params?: ScenarioParams): Promise<void> {
    const key = paramsKey(params);
    return this.load(key ? { ...scenarioSource(id), params: params! } : scenarioSource(id), step, id);
  }

  async load(src: ScenarioSource, step = 0, id: string | null = null): Promise<void> {
    this.pause();
    this.error = null;
    this.loading = true;
    const gen = ++this.generation;
    try {
      if (this.loaded) this.close(this.loaded.sessionId);
      const loaded = await api.call('sim.load', src);
      if (gen !== this.generation) {
        this.close(loaded.sessionId);
        return;
      }
      this.loaded = loaded;
      this.scenarioId = id;
      this.paramsKey = paramsKey(src.params);
      this.view = null;
      const named = highlightedProcess(this.highlights);
      this.selected = named && this.loaded.processes.includes(named) ? named : (this.loaded.processes[0] ?? null);
      await this.seek(step);
    } catch (err) {
      if (gen !== this.generation) return;
      this.loaded = null;
      this.view = null;
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Seek; rapid scrubbing coalesces to the latest wanted step. */
  async seek(step: number): Promise<void> {
    if (!this.loaded) return;
    const target = Math.max(0, Math.min(step, this.loaded.stepCount, this.limit ?? Infinity));
    this.wanted = target;
    this.cursor = target;
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.wanted !== null && this.loaded) {
        const s = this.wanted;
        this.wanted = null;
        const session: string = this.loaded.sessionId;
        let view: SimView;
        try {
          view = await api.call('sim.seek', { sessionId: session, step: s, maps: this.selected ? [this.selected] : [] });
        } catch (err) {
          // the scenario was replaced while this step was asked for: the answer is for nobody
          if (this.closed.has(session) || this.loaded?.sessionId !== session) continue;
          throw err;
        }
        this.progress = null;
        if (this.loaded?.sessionId === session) this.view = view;
        else if (this.wanted === null) this.wanted = this.cursor;
      }
      if (this.view?.error) this.error = this.view.error.message;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      this.pause();
    } finally {
      this.busy = false;
      this.progress = null;
    }
  }

  /** older log lines at the view's step; null when the view has moved to another step meanwhile */
  async logLines(stream: LogStream, from: number, count: number): Promise<string[] | null> {
    const v = this.view;
    if (!this.loaded || !v) return null;
    const session = this.loaded.sessionId;
    try {
      const r = await api.call('sim.log', { sessionId: session, stream, from, count });
      return r.step === this.view?.step && r.step === v.step ? r.lines : null;
    } catch (err) {
      // the scenario was replaced meanwhile (the learner moved on): nothing to show
      if (this.closed.has(session) || this.loaded?.sessionId !== session) return null;
      throw err;
    }
  }

  /** draw another process's address space: its pmap comes with the view at this step */
  select(name: string): Promise<void> {
    this.selected = name;
    return this.seek(this.cursor);
  }

  stepForward(): Promise<void> {
    return this.seek(this.cursor + 1);
  }
  stepBack(): Promise<void> {
    return this.seek(this.cursor - 1);
  }
  reset(): Promise<void> {
    this.pause();
    return this.seek(0);
  }

  play(): void {
    if (!this.loaded || this.playing) return;
    this.playing = true;
    const tick = async () => {
      if (!this.playing || !this.loaded) return;
      if ((this.view?.step ?? 0) >= Math.min(this.loaded.stepCount, this.limit ?? Infinity)) {
        this.pause();
        return;
      }
      await this.stepForward();
      this.timer = setTimeout(tick, 1000 / this.speed);
    };
    void tick();
  }

  pause(): void {
    this.playing = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export const sim = new SimStore();
