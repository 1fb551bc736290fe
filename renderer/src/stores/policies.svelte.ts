/** The Policies view: the reference string, the policies run on it, the step shown, and the sweep. */
import { MAX_TRACED_REFS, type PolicyTrace, type ScenarioRefsResult, type SweepRow } from '@api/policy';
import { api } from '../api/index.js';

export const BELADY = '1,2,3,4,1,2,5,1,2,3,4,5';

type SweepResult = { rows: SweepRow[]; anomalies: Array<{ policy: string; cacheSize: number; hits: number; hitsWithMore: number }>; policies: string[] };

class PoliciesStore {
  /** what the learner typed */
  text = $state(BELADY);
  cacheSize = $state(3);
  selected = $state<string[]>(['FIFO', 'LRU', 'OPT']);
  clockbits = $state(2);
  seed = $state('0');
  numaddrs = $state(12);
  maxpage = $state(6);
  sweepTo = $state(8);

  /** the string the runs below were computed on */
  addresses = $state<number[]>([]);
  ranCacheSize = $state(0);
  runs = $state<PolicyTrace[]>([]);
  /** accesses done: 0 (nothing yet) … addresses.length */
  pos = $state(0);
  sweep = $state<SweepResult | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);

  /** the scenarios a string can be taken from (built-in, then open packs'), loaded on first use */
  scenarios = $state<Array<{ id: string; title: string; pack?: string }>>([]);
  scenarioId = $state('');
  /** '' : every process */
  proc = $state('');
  /** the last string taken from a scenario, with its legend; shown while the text is that string */
  taken = $state<(ScenarioRefsResult & { scenarioId: string; title: string; text: string }) | null>(null);

  async loadScenarios(): Promise<void> {
    if (this.scenarios.length) return;
    try {
      const r = await api.call('sim.listScenarios', {});
      this.scenarios = r.scenarios.map((x) => ({ id: x.id, title: x.title, ...(x.pack ? { pack: x.pack.title } : {}) }));
      if (!this.scenarioId && this.scenarios.length) this.scenarioId = this.scenarios[0]!.id;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** the pages a scenario's touch steps reference, as the reference string; then run */
  async fromScenario(): Promise<void> {
    this.error = null;
    if (!this.scenarioId) {
      this.error = 'Choose a scenario first.';
      return;
    }
    this.busy = true;
    try {
      const id = this.scenarioId;
      const r = await api.call('policy.scenarioRefs', { scenarioId: id, ...(this.proc ? { proc: this.proc } : {}), max: MAX_TRACED_REFS });
      this.text = r.addresses.join(',');
      this.taken = { ...r, scenarioId: id, title: this.scenarios.find((x) => x.id === id)?.title ?? id, text: this.text };
    } catch (err) {
      this.error = (err as Error).message;
      return;
    } finally {
      this.busy = false;
    }
    await this.run();
  }

  /** from the URL: #/policies/REFS/POLICIES/FRAMES */
  applyRoute(rest: string[]): boolean {
    if (!rest.length) return false;
    const [refs, pols, frames] = rest;
    if (refs) this.text = refs;
    if (pols) this.selected = pols.split(',').filter(Boolean).map((p) => p.toUpperCase());
    if (frames && /^\d+$/.test(frames)) this.cacheSize = Number(frames);
    return true;
  }

  private parse(): number[] {
    const items = this.text.split(/[\s,]+/).filter(Boolean);
    if (!items.length) throw new Error('Type a reference string: pages separated by commas, like 1,2,3,1');
    return items.map((s, k) => {
      if (!/^\d+$/.test(s)) throw new Error(`Reference ${k + 1} ('${s}') is not a page number (a whole number, 0 or more)`);
      return Number(s);
    });
  }

  async run(): Promise<void> {
    this.error = null;
    let addresses: number[];
    try {
      addresses = this.parse();
    } catch (err) {
      this.error = (err as Error).message;
      return;
    }
    if (!this.selected.length) {
      this.error = 'Choose at least one policy.';
      return;
    }
    this.busy = true;
    try {
      const policies = [...this.selected];
      const r = await api.call('policy.run', { policies, cacheSize: this.cacheSize, addresses, seed: this.seed, clockbits: this.clockbits });
      this.addresses = r.addresses;
      this.ranCacheSize = r.cacheSize;
      this.runs = r.runs;
      this.pos = 0;
      // OPT is always drawn as the bound
      const swept = policies.includes('OPT') ? policies : [...policies, 'OPT'];
      const s = await api.call('policy.sweep', { policies: swept, from: 1, to: this.sweepTo, addresses, seed: this.seed, clockbits: this.clockbits });
      this.sweep = { rows: s.rows, anomalies: s.anomalies, policies: swept.map((p) => p.toUpperCase().replace(/_/g, '-')) };
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.busy = false;
    }
  }

  /** OSTEP's generator with the seed: the string drawn in the main process, then run */
  async generate(): Promise<void> {
    this.error = null;
    try {
      const r = await api.call('policy.run', { policies: ['FIFO'], cacheSize: 1, numaddrs: this.numaddrs, maxpage: this.maxpage, seed: this.seed });
      this.text = r.addresses.join(',');
      await this.run();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  step(d: number): void {
    this.pos = Math.max(0, Math.min(this.addresses.length, this.pos + d));
  }
  toStart(): void {
    this.pos = 0;
  }
  toEnd(): void {
    this.pos = this.addresses.length;
  }
  hitsSoFar(run: PolicyTrace): number {
    let h = 0;
    for (let k = 0; k < this.pos; k++) if (run.accesses[k]!.hit) h++;
    return h;
  }
}

export const policies = new PoliciesStore();
