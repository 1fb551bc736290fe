/** The Policies view: the reference string, the policies run on it, the step shown, and the sweep. */
import type { LabApi } from '@api/index';
import { MAX_TRACED_REFS, type PolicyTrace, type ScenarioRefsResult, type SweepRow } from '@api/policy';
import { api } from '../api/index.js';

export const BELADY = '1,2,3,4,1,2,5,1,2,3,4,5';

type SweepResult = { rows: SweepRow[]; anomalies: Array<{ policy: string; cacheSize: number; hits: number; hitsWithMore: number }>; policies: string[] };

/** what one run was asked: the inputs its answer is for */
export type RunInputs = { addresses: number[]; policies: string[]; cacheSize: number; seed: string; clockbits: number };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const andList = (xs: string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

export class PoliciesStore {
  constructor(private readonly lab: Pick<LabApi, 'call'>) {}

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
  /** the inputs the runs below were computed from (null: nothing has run yet) */
  ran = $state<RunInputs | null>(null);
  runs = $state<PolicyTrace[]>([]);
  /** accesses done: 0 (nothing yet) … addresses.length */
  pos = $state(0);
  sweep = $state<SweepResult | null>(null);
  error = $state<string | null>(null);
  /**
   * What is being asked now, as the status says it; null: nothing. Until its answer lands the runs
   * shown are the earlier ones, so stepping waits: a step now would be a step of the run being replaced.
   */
  pending = $state<string | null>(null);
  /** the scenario's references or a drawn string are being fetched (their buttons wait) */
  taking = $state(false);
  /** the sweep's answer is still to come */
  sweeping = $state(false);
  /**
   * Each request that replaces the runs shown takes the next number; an answer whose number is not
   * the latest was asked for by inputs the learner has since replaced, and is dropped (answers can
   * land out of order: a long string's run after a short one's).
   */
  private gen = 0;
  private sweepGen = 0;

  /** the runs shown are being replaced: stepping waits for the new ones */
  get stale(): boolean {
    return this.pending !== null;
  }

  /** what the inputs above say now that the runs shown were not computed with ([] : they match) */
  get changed(): string[] {
    const ran = this.ran;
    if (!ran) return [];
    const out: string[] = [];
    const typed = this.text
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((x) => (/^\d+$/.test(x) ? String(Number(x)) : x))
      .join(',');
    if (typed !== ran.addresses.join(',')) out.push('the reference string');
    const now = [...this.selected].sort().join(',');
    if (now !== [...ran.policies].sort().join(',')) out.push('the policies');
    if (this.cacheSize !== ran.cacheSize) out.push(Number.isInteger(this.cacheSize) ? `the frames (${this.cacheSize} now)` : 'the frames');
    // the seed and the clock bits change only the policies that use them
    const uses = (p: string) => this.selected.includes(p) || ran.policies.includes(p);
    if ((uses('RAND') || uses('CLOCK')) && this.seed !== ran.seed) out.push('the seed');
    if (uses('CLOCK') && this.clockbits !== ran.clockbits) out.push('the clock bits');
    return out;
  }

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
      const r = await this.lab.call('sim.listScenarios', {});
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
    const id = this.scenarioId;
    const title = this.scenarios.find((x) => x.id === id)?.title ?? id;
    const gen = ++this.gen;
    this.pending = `Taking the references from ${title}…`;
    this.taking = true;
    try {
      const r = await this.lab.call('policy.scenarioRefs', { scenarioId: id, ...(this.proc ? { proc: this.proc } : {}), max: MAX_TRACED_REFS });
      if (gen !== this.gen) return;
      this.text = r.addresses.join(',');
      this.taken = { ...r, scenarioId: id, title, text: this.text };
    } catch (err) {
      this.fail(gen, err);
      return;
    } finally {
      this.taking = false;
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

  /** an answer to the latest request failed: say so, and the earlier runs stay shown (and steppable) */
  private fail(gen: number, err: unknown): void {
    if (gen !== this.gen) return;
    this.error = (err as Error).message;
    this.pending = null;
  }

  async run(): Promise<void> {
    // from here on, any earlier request's answer is dropped: this press is what the learner asked for
    const gen = ++this.gen;
    this.error = null;
    let addresses: number[];
    try {
      addresses = this.parse();
    } catch (err) {
      this.fail(gen, err);
      return;
    }
    if (!this.selected.length) {
      this.fail(gen, new Error('Choose at least one policy.'));
      return;
    }
    const inputs: RunInputs = { addresses, policies: [...this.selected], cacheSize: this.cacheSize, seed: this.seed, clockbits: this.clockbits };
    this.pending = `Running ${andList(inputs.policies)} with ${plural(inputs.cacheSize, 'frame')} on ${plural(addresses.length, 'reference')}…`;
    let r;
    try {
      r = await this.lab.call('policy.run', { policies: inputs.policies, cacheSize: inputs.cacheSize, addresses, seed: inputs.seed, clockbits: inputs.clockbits });
    } catch (err) {
      this.fail(gen, err);
      return;
    }
    if (gen !== this.gen) return;
    this.addresses = r.addresses;
    this.ranCacheSize = r.cacheSize;
    this.runs = r.runs;
    this.ran = inputs;
    // a new run starts at its beginning; the status said it was coming, and stepping waited for it
    this.pos = 0;
    this.pending = null;
    await this.fetchSweep(inputs);
  }

  /** the sweep again for the runs shown (the largest size changed): the position stays */
  async resweep(): Promise<void> {
    if (this.ran) await this.fetchSweep(this.ran);
  }

  private async fetchSweep(inputs: RunInputs): Promise<void> {
    const gen = ++this.sweepGen;
    this.sweeping = true;
    // OPT is always drawn as the bound
    const swept = inputs.policies.includes('OPT') ? inputs.policies : [...inputs.policies, 'OPT'];
    try {
      const s = await this.lab.call('policy.sweep', { policies: swept, from: 1, to: this.sweepTo, addresses: inputs.addresses, seed: inputs.seed, clockbits: inputs.clockbits });
      if (gen !== this.sweepGen) return;
      this.sweep = { rows: s.rows, anomalies: s.anomalies, policies: swept.map((p) => p.toUpperCase().replace(/_/g, '-')) };
    } catch (err) {
      if (gen === this.sweepGen) this.error = (err as Error).message;
    } finally {
      if (gen === this.sweepGen) this.sweeping = false;
    }
  }

  /** OSTEP's generator with the seed: the string drawn in the main process, then run */
  async generate(): Promise<void> {
    this.error = null;
    const gen = ++this.gen;
    this.pending = `Drawing ${plural(this.numaddrs, 'page')} below ${this.maxpage}…`;
    this.taking = true;
    try {
      const r = await this.lab.call('policy.run', { policies: ['FIFO'], cacheSize: 1, numaddrs: this.numaddrs, maxpage: this.maxpage, seed: this.seed });
      if (gen !== this.gen) return;
      this.text = r.addresses.join(',');
    } catch (err) {
      this.fail(gen, err);
      return;
    } finally {
      this.taking = false;
    }
    await this.run();
  }

  // stepping waits while the runs shown are being replaced (the view disables it too)
  step(d: number): void {
    if (this.stale) return;
    this.pos = Math.max(0, Math.min(this.addresses.length, this.pos + d));
  }
  toStart(): void {
    if (!this.stale) this.pos = 0;
  }
  toEnd(): void {
    if (!this.stale) this.pos = this.addresses.length;
  }
  hitsSoFar(run: PolicyTrace): number {
    let h = 0;
    for (let k = 0; k < this.pos; k++) if (run.accesses[k]!.hit) h++;
    return h;
  }
}

export const policies = new PoliciesStore(api);
