/**
 * A scenario's page reference string: the pages its touch steps reference, in order, and the
 * file pages its read_file/write_file steps go through (the page cache), as the simulator runs
 * it — so the pages are the ones the kernel model really maps: the allocation's true address
 * decides where its pages start (a 60 KiB malloc may start mid-page and span 16 pages), a stride
 * or `every` skips pages, `repeat` goes over the range again, and a touch past the mapping stops
 * where the SIGSEGV does.
 *
 * Pages are renumbered 0, 1, 2, … in the order they are first referenced (every policy gives the
 * same answers under a renaming), and `pages[n]` says what page n is: the allocation and the page
 * within it (`buf+3`), with the process in front when several processes' references are mixed,
 * or the file and its page (`file data.bin+0`), shared by every process that reads it.
 */
import { ScenarioError, type Scenario, type Step } from '../kernel/scenario.js';
import { Runner } from '../kernel/simulate.js';
import type { Task } from '../kernel/kernel.js';
import { didYouMean } from '../packs/suggest.js';
import { LIMITS } from './engine.js';

export interface ScenarioRefs {
  /** the process whose references these are, or null: every process's, in step order */
  proc: string | null;
  /** the processes that reference pages (touch or file I/O), in the scenario's order */
  processes: string[];
  /** the reference string: page numbers by first reference */
  addresses: number[];
  /** total references the scenario makes (addresses holds at most `max` of them) */
  total: number;
  /** distinct pages all the references touch (pages holds those of the references kept) */
  pageCount: number;
  /** pages[n]: what page n is */
  pages: string[];
  /** which references each step made: addresses[from..to) */
  steps: Array<{ step: number; line: number; proc: string; verb: string; from: number; to: number }>;
  /** the simulation stopped before the end (a step failed, a process was killed): why */
  stopped?: string;
}

const REFERENCING = new Set(['touch', 'read_file', 'write_file', 'read', 'write']);
const FILE_VERBS = new Set(['read_file', 'write_file', 'read', 'write']);

/** The step's process, for the verbs that reference pages. */
const procOf = (s: Step) => (s as { proc?: string }).proc ?? '';

class RecordingRunner extends Runner {
  readonly keys = new Map<string, number>();
  readonly pages: string[] = [];
  readonly addresses: number[] = [];
  total = 0;
  readonly steps: ScenarioRefs['steps'] = [];
  constructor(
    scenario: Scenario,
    private readonly want: (proc: string) => boolean,
    private readonly prefix: boolean,
    private readonly max: number,
  ) {
    super(scenario);
  }

  private ref(key: string, label: string): void {
    this.total++;
    if (this.total > LIMITS.maxRefs) {
      const line = this.scenario.stepLines[this.pos];
      throw new ScenarioError(`the touches make more than ${LIMITS.maxRefs.toLocaleString('en')} page references (the most one run takes): touch a smaller length, use every: or stride:, fewer repeat:, or choose one process`, {
        file: this.scenario.file,
        line,
        step: this.pos + 1,
        field: 'touch',
      });
    }
    let n = this.keys.get(key);
    if (n === undefined) {
      n = this.keys.size;
      this.keys.set(key, n);
      if (this.addresses.length < this.max) this.pages.push(label);
    }
    if (this.addresses.length < this.max) this.addresses.push(n);
  }

  override *touch(t: Task, addr: number, len: number, write: boolean, stride: number, passes: number, why?: string): Generator<void, void, undefined> {
    const s = this.scenario.steps[this.pos];
    if (s && REFERENCING.has(s.verb) && why === undefined && len > 0 && this.want(t.name)) {
      const ps = this.k.pageSize;
      const first = Math.floor(addr / ps);
      const end = Math.ceil((addr + len) / ps);
      const step = Math.max(1, Math.round(stride / ps));
      const who = this.prefix ? `${t.name}: ` : '';
      const from = this.addresses.length;
      const file = FILE_VERBS.has(s.verb) ? String((s as Record<string, unknown>)[s.verb]) : null;
      const alloc = file === null ? t.allocations.get(String((s as { touch?: string }).touch)) : undefined;
      const base = alloc ? Math.floor(alloc.addr / ps) : first;
      pass: for (let p = 0; p < passes; p++)
        for (let v = first; v < end; v += step) {
          // a page no mapping covers: the simulator delivers SIGSEGV there and the touch ends
          if (file === null && !t.mm.find(v * ps)) break pass;
          if (file !== null) this.ref(`file:${file}:${v - first}`, `file ${file}+${v - first}`);
          else this.ref(`${t.name}:${v}`, `${who}${(s as { touch: string }).touch}+${v - base}`);
        }
      this.steps.push({ step: this.pos + 1, line: this.scenario.stepLines[this.pos] ?? 0, proc: t.name, verb: s.verb, from, to: this.addresses.length });
    }
    yield* super.touch(t, addr, len, write, stride, passes, why);
  }
}

/**
 * The page reference string a scenario's touch (and file I/O) steps make, for one process or all.
 * Throws ScenarioError naming the file, line and field when there is nothing to take: no step
 * references memory, no process of that name, or that process references nothing.
 */
export function scenarioReferences(scenario: Scenario, opts: { proc?: string; max?: number } = {}): ScenarioRefs {
  const file = scenario.file;
  const firstLine = scenario.stepLines[0] ?? 1;
  const referencing = scenario.steps.map((s, i) => ({ s, i })).filter(({ s }) => REFERENCING.has(s.verb));
  if (referencing.length === 0)
    throw new ScenarioError(
      `no step references memory, so there is no reference string to take: the pages come from touch steps (and read_file/write_file through the page cache); add one, e.g. { proc: ${scenario.processes[0]?.name ?? 'app'}, touch: buf } after the malloc that names buf`,
      { file, line: firstLine, field: 'steps' },
    );
  const processes = [...new Set(referencing.map(({ s }) => procOf(s)))];
  const names = scenario.processes.map((p) => p.name);
  const proc = opts.proc?.trim() || null;
  if (proc !== null && !names.includes(proc)) {
    // a forked child is a process too, though not declared under processes:
    if (!processes.includes(proc))
      throw new ScenarioError(`no process named '${proc}'${didYouMean(proc, [...new Set([...names, ...processes])])}: the processes that reference pages are ${processes.join(', ')}`, { file, line: 1, field: 'proc' });
  }
  if (proc !== null && !processes.includes(proc)) {
    const first = referencing[0]!;
    throw new ScenarioError(`process '${proc}' has no touch or file I/O step, so it references no pages; the steps that do are by ${processes.join(', ')} (the first is step ${first.i + 1})`, {
      file,
      line: scenario.stepLines[first.i],
      step: first.i + 1,
      field: 'proc',
    });
  }
  const r = new RecordingRunner(scenario, (name) => proc === null || name === proc, proc === null && processes.length > 1, opts.max ?? LIMITS.maxRefs);
  let stopped: string | undefined;
  while (!r.done) {
    try {
      r.step();
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      // the reference limit is the caller's problem; any other stop ends the string there
      if (/page references/.test(err.message)) throw err;
      stopped = `the simulation stopped at step ${r.pos + 1}: ${err.message}`;
      break;
    }
  }
  if (r.total === 0)
    throw new ScenarioError(`the touch steps${proc ? ` of '${proc}'` : ''} referenced no page when the scenario ran${stopped ? ` (${stopped})` : ''}`, { file, line: scenario.stepLines[referencing[0]!.i], step: referencing[0]!.i + 1, field: 'touch' });
  return { proc, processes, addresses: r.addresses, total: r.total, pageCount: r.keys.size, pages: r.pages, steps: r.steps, ...(stopped ? { stopped } : {}) };
}
