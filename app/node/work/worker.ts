/**
 * The worker thread side: heavy work off the lab's event loop. One message in ({id, task, input}),
 * one message out ({id, ok, result | error}). A worker either hosts one client's simulator
 * sessions (task 'sim') or serves the pool (checks, packs, Markdown). Its V8 heap is capped by
 * resourceLimits; its typed arrays (outside that heap) by the guard below.
 */
// first: this thread's CPU priority is lowered before the rest of its code is even evaluated
import { thread } from './priority.js';
import { parentPort, workerData } from 'node:worker_threads';
import type { CallContext, Handlers } from '../../common/api/dispatch.js';
import { ApiError, MAX_MESSAGE_BYTES } from '../../common/api/protocol.js';
import { type Answer, check, runScenarioText } from '../../common/packs/checkers.js';
import { oneParagraph, renderMarkdown } from '../../common/packs/markdown.js';
import type { Exercise } from '../../common/packs/schema.js';
import { parseScenario, type SimReport, ScenarioError } from '../../common/kernel/index.js';
import { pssAll, simulateExperiment } from '../host/experiment.js';
import { scenarioShape } from '../../common/packs/shape.js';
import { plan } from '../real/run.js';
import { checkPack } from '../packs/check.js';
import { buildPack } from '../packs/loader.js';
import { type PolicyRunParams, policyRunOf, type PolicySweepParams, policySweepOf, scenarioRefsOf } from '../services/policy.js';
import { createSimHandlers } from '../services/sim.js';
import { fullGc } from './gc.js';
import { type ProgressTiming, WorkLimitError } from './limits.js';

export interface WorkerInit {
  appRoot: string;
  dataDir: string;
  host: 'electron' | 'serve';
  arrayMiB: number;
  /** how much nicer (setpriority) than the main thread this worker runs; priority.ts's WORKER_NICE by default */
  nice?: number;
  /** when a long simulator call reports progress (sim.progress) */
  progress?: ProgressTiming;
}

export type WireError = { name: string; message: string; code?: string; where?: unknown; issues?: unknown };

const init = workerData as WorkerInit;

/**
 * The largest answer a worker hands back: half the LabApi's message limit, so that checking it
 * against the contract and sending it stays a short job for the main thread.
 */
const MAX_RESULT_CHARS = MAX_MESSAGE_BYTES / 2;
/**
 * The answers so limited, by task. A real run's plan (a snapshot after every step) stays on the
 * main thread, which sends it a step at a time beside the kernel's: it may be larger.
 */
const RESULT_CHARS: Record<string, number> = { sim: MAX_RESULT_CHARS, check: MAX_RESULT_CHARS, reports: MAX_RESULT_CHARS, realPlan: 8 * MAX_RESULT_CHARS };

/**
 * Typed arrays and ArrayBuffers live outside the V8 heap that resourceLimits caps: a scenario that
 * maps 1 TiB would allocate gigabytes of page tables there. Every large one is checked against
 * this worker's budget first, and refused with a WorkLimitError before it is allocated.
 */
function guardTypedArrays(budgetBytes: number): void {
  const big = 1 << 20;
  // arrays no longer used count until the garbage collector has run (a restored machine's old copy,
  // checkpoints given up): past the budget, collect first, and refuse only what live arrays leave no room for
  const gc = fullGc();
  const check = (bytes: number) => {
    if (!(bytes > big)) return;
    let held = process.memoryUsage().arrayBuffers;
    if (held + bytes > budgetBytes && Number.isFinite(bytes)) {
      gc();
      held = process.memoryUsage().arrayBuffers;
    }
    if (held + bytes > budgetBytes || !Number.isFinite(bytes))
      throw new WorkLimitError(`needed more than ${Math.round(budgetBytes / 1048576)} MiB of memory (it asked for ${bytes >= 2 ** 40 ? `${(bytes / 2 ** 40).toFixed(1)} TiB` : `${Math.round(bytes / 1048576)} MiB`} at once)`);
  };
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) {
    const Real = g[name] as { BYTES_PER_ELEMENT: number; new (...a: unknown[]): unknown };
    g[name] = new Proxy(Real, {
      construct(target, args, newTarget) {
        const a = args[0];
        if (typeof a === 'number') check(a * target.BYTES_PER_ELEMENT);
        else if (a && typeof a === 'object' && !(a instanceof ArrayBuffer) && typeof (a as { length?: unknown }).length === 'number') check((a as { length: number }).length * target.BYTES_PER_ELEMENT);
        return Reflect.construct(target, args, newTarget === g[name] ? target : newTarget) as object;
      },
    });
  }
  const RealAB = ArrayBuffer;
  g.ArrayBuffer = new Proxy(RealAB, {
    construct(target, args, newTarget) {
      if (typeof args[0] === 'number') check(args[0]);
      return Reflect.construct(target, args, newTarget === g.ArrayBuffer ? target : newTarget) as object;
    },
  });
}

guardTypedArrays(init.arrayMiB * 1048576);

/** the events a simulator call may push to the client that made it, through the main thread (sim-proxy.ts) */
const SIM_EVENTS = new Set(['sim.progress']);
/** a call's context: its events go to the main thread tagged with the call's id, which hands them to the caller only */
const simCtx = (id: number): CallContext => ({
  clientId: 'worker',
  emit: (event, data) => {
    if (SIM_EVENTS.has(event)) parentPort!.postMessage({ id, event: { name: event, data } });
  },
  onClose: () => {},
});
let simHandlers: Handlers | undefined;
let packList: Array<{ packId: string; packTitle: string; path: string; text: string }> = [];

const log = (level: 'info' | 'warn' | 'error', text: string) => parentPort!.postMessage({ log: { level, text } });

/** the scenario texts an answer check may simulate, computed here; failures become the error they raise */
function reportsFor(texts: string[]): Record<string, SimReport | { error: string }> {
  const out: Record<string, SimReport | { error: string }> = {};
  for (const t of texts) {
    try {
      out[t] = runScenarioText(t);
    } catch (err) {
      if (err instanceof WorkLimitError) throw err;
      out[t] = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  return out;
}

const tasks: Record<string, (input: any, id: number) => unknown> = {
  ping: () => 'pong',
  /** this worker's thread id (Linux), to see its priority from /proc */
  thread: () => thread,
  // the limits' own checks (test/work-limits.test.ts): allocate outside the heap, spin, grow the heap
  limitsProbe({ kind, bytes }: { kind: 'array' | 'spin' | 'heap'; bytes?: number }) {
    if (kind === 'array') return new Uint8Array(bytes ?? 0).length;
    if (kind === 'spin') for (;;);
    const keep: unknown[] = [];
    for (;;) keep.push({ a: Math.random(), b: [1, 2, 3], c: 'x'.repeat(64) + keep.length });
  },
  async sim({ method, params, packs }: { method: string; params: unknown; packs?: typeof packList }, id: number) {
    simHandlers ??= createSimHandlers(
      { host: init.host, dataDir: init.dataDir, appRoot: init.appRoot, log, ...(init.progress ? { progress: init.progress } : {}), arrayBytes: init.arrayMiB * 1048576 },
      { list: async () => packList, read: async () => { throw new ApiError('not-found', 'pack scenarios reach the simulator as text'); } },
    ) as unknown as Handlers;
    if (packs) packList = packs;
    const h = (simHandlers as unknown as Record<string, (p: unknown, c: CallContext) => unknown>)[method];
    if (!h) throw new ApiError('unknown-method', `no simulator method '${method}'`);
    return await h(params, simCtx(id));
  },
  buildPack({ source, files }: { source: string; files: Map<string, Uint8Array> }) {
    const buffers = new Map([...files].map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength)]));
    const p = buildPack(source, buffers);
    return { ...p, files: undefined, filesKeys: [...p.files.keys()], exercises: [...p.exercises].map(([k, e]) => [k, { ...e, lineOf: undefined }]) };
  },
  /** pack check on these files, as `memlab pack check` runs it (author mode): here the simulator runs for real */
  checkPack({ source, files }: { source: string; files: Map<string, Uint8Array> }) {
    const buffers = new Map([...files].map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength)]));
    return checkPack(buildPack(source, buffers));
  },
  /** the Policies view: a scenario's page reference string (the scenario is simulated) */
  policyScenarioRefs({ text, file, proc, max }: { text: string; file: string; proc?: string; max: number }) {
    return scenarioRefsOf(text, file, proc, max);
  },
  /** the Policies view: policies traced on one reference string */
  policyRun(p: PolicyRunParams) {
    return policyRunOf(p);
  },
  /** the Policies view: hits against cache size (up to SWEEP_BUDGET references simulated) */
  policySweep(p: PolicySweepParams) {
    return policySweepOf(p);
  },
  reports({ texts }: { texts: string[] }) {
    return reportsFor(texts);
  },
  check({ ex, answer, params, scenarios, measured, texts }: { ex: Exercise; answer: Answer; params: Record<string, number | string>; scenarios: Record<string, string>; measured?: number; texts: string[] }) {
    const result = check(ex, answer, {
      params,
      scenarioText: (ref) => {
        const t = scenarios[ref];
        if (t === undefined) throw new Error(`the pack has no ${ref}`);
        return t;
      },
      ...(measured !== undefined ? { measured } : {}),
    });
    return { result, reports: reportsFor(texts) };
  },
  /**
   * The simulator's pass over a scenario before it runs for real (real.check, real.start): parsed
   * and planned here, handed back as plain data; `steps: false` when only the totals are wanted.
   */
  async realPlan({ text, file, steps }: { text: string; file: string; steps: boolean }) {
    let scenario;
    try {
      scenario = parseScenario(text, file);
    } catch (err) {
      if (err instanceof ScenarioError) throw new ApiError('invalid-input', err.describe(), { file, line: err.where.line, field: err.where.field });
      throw err;
    }
    const { runner: _runner, ...p } = await plan(scenario);
    return { scenario, plan: steps ? p : { ...p, steps: [] } };
  },
  /** the host panel's experiment, simulated: malloc and touch this many bytes (its counters before and after) */
  pssAll: () => pssAll(),
  hostExperiment({ bytes }: { bytes: number }) {
    return simulateExperiment(bytes);
  },
  scenarioShape({ text, file, params }: { text: string; file?: string; params?: Record<string, number | string> }) {
    return scenarioShape(text, file, params);
  },
  markdown({ items }: { items: Array<{ text: string; packId: string; baseDir: string; inline?: boolean }> }) {
    return items.map((i) => {
      const html = renderMarkdown(i.text, { packId: i.packId, baseDir: i.baseDir });
      return i.inline ? oneParagraph(html) : html;
    });
  },
};

function wire(err: unknown): WireError {
  if (err instanceof ApiError) return { name: 'ApiError', message: err.message, code: err.code, where: err.where, issues: err.issues };
  if (err instanceof WorkLimitError) return { name: 'WorkLimitError', message: err.message };
  // a typed array V8 itself refuses (more than it can ever hold) is a memory limit too
  if (err instanceof RangeError && /Array buffer allocation failed|Invalid typed array length|Invalid array length|Array buffer/i.test(err.message))
    return { name: 'WorkLimitError', message: `needed more memory than memlab gives one request (${err.message})` };
  return { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
}

// loaded: the main thread starts the calls' clocks now
parentPort!.postMessage({ ready: true, ...thread });

parentPort!.on('message', (msg: { id: number; task: string; input: unknown }) => {
  const fn = tasks[msg.task];
  Promise.resolve()
    .then(() => {
      if (!fn) throw new Error(`no task '${msg.task}'`);
      return fn(msg.input, msg.id);
    })
    .then((result) => {
      // an answer too big to send is refused here, where building it cost only this worker's
      // time: the main thread never copies, checks or serialises a giant result
      const most = RESULT_CHARS[msg.task];
      if (most !== undefined) {
        const size = JSON.stringify(result)?.length ?? 0;
        if (size > most) throw new WorkLimitError(`needed an answer of ${Math.round(size / 1048576)} MiB; memlab sends at most ${most / 1048576} MiB at once (fewer processes, steps or snapshots)`);
      }
      return result;
    })
    .then(
      (result) => parentPort!.postMessage({ id: msg.id, ok: true, result }),
      (err: unknown) => parentPort!.postMessage({ id: msg.id, ok: false, error: wire(err) }),
    );
});
