/**
 * The main-thread side of memlab's worker threads: a handle per worker (calls with a time budget,
 * a capped heap, killed and reported when a budget runs out), a pool for checks, packs and
 * Markdown, and one worker per client for its simulator sessions. A watchdog stops every busy
 * worker when the whole process passes its memory budget. The event loop only waits on messages.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ApiError, type ErrorWhere } from '../../common/api/protocol.js';
import { DEFAULT_WORK_LIMITS, type WorkLimits, WorkLimitError } from './limits.js';
import type { WireError, WorkerInit } from './worker.js';

export interface CallOptions {
  /** the time budget of this call */
  seconds: number;
  /** what the learner sent, for the message: "this scenario", "this pack" */
  what: string;
  /** what to do about it */
  advice: string;
  /** events the call pushes while it runs (sim.progress); none are kept once it has answered */
  onEvent?: CallEvent;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  opts: CallOptions;
}

/** an event a call pushed while it ran (a simulator step's progress), for the client that made the call */
export type CallEvent = (name: string, data: unknown) => void;

const live = new Set<WorkerHandle>();
let watchdog: ReturnType<typeof setInterval> | undefined;

/** while any worker is busy, look at the process's RSS every 50 ms; stop the busy ones past the budget */
function watch(): void {
  if (watchdog) return;
  watchdog = setInterval(() => {
    const busy = [...live].filter((h) => h.busy);
    if (!busy.length) {
      clearInterval(watchdog);
      watchdog = undefined;
      return;
    }
    const rss = process.memoryUsage.rss();
    for (const h of busy) if (rss > h.limits.rssMiB * 1048576) h.kill((o) => limitError(o, `needed more than ${h.limits.rssMiB} MiB of memory (the whole lab's limit)`));
  }, 50);
  watchdog.unref();
}

function limitError(o: CallOptions, why: string): ApiError {
  return new ApiError('invalid-input', `${o.what} ${why}; ${o.advice}`);
}

/**
 * Where a worker's code is, seen from this file's URL. From the sources (tests, tsx): worker.ts,
 * loaded through tsx. From build/: the bundle `npm run build` makes beside this file
 * (worker.bundle.js, the very file the packaged app runs, so `memlab serve` and its e2e run the
 * code Electron ships, const enums inlined), or worker.js where it is missing. Inside a packaged app this file is
 * in resources/app.asar, which only Electron's patched fs can read: the worker is then the single
 * bundled file electron-builder leaves unpacked in resources/app.asar.unpacked (asarUnpack in
 * electron-builder.yml, scripts/bundle-worker.mjs), and its app root is the unpacked copy (the
 * exercises and package.json are unpacked too).
 */
export function workerEntry(hostUrl: string): { kind: 'tsx' | 'js' | 'bundle'; url: URL; appRoot?: (root: string) => string } {
  if (hostUrl.endsWith('.ts')) return { kind: 'tsx', url: new URL('./worker.ts', hostUrl) };
  const asar = /\.asar(?=[/\\])/;
  const path = fileURLToPath(hostUrl);
  if (asar.test(path)) {
    const unpacked = path.replace(asar, '.asar.unpacked');
    return { kind: 'bundle', url: pathToFileURL(join(dirname(unpacked), 'worker.bundle.js')), appRoot: (root) => root.replace(/\.asar$/, '.asar.unpacked') };
  }
  const bundle = new URL('./worker.bundle.js', hostUrl);
  if (existsSync(bundle)) return { kind: 'bundle', url: bundle };
  return { kind: 'js', url: new URL('./worker.js', hostUrl) };
}

function spawn(init: WorkerInit, limits: WorkLimits, entry: ReturnType<typeof workerEntry>): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: limits.heapMiB, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 };
  if (entry.kind === 'tsx') {
    // run from the sources (tests, tsx): load the worker through tsx as well
    const tsx = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs');
    const code = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry.url.href)}); })`;
    return new Worker(code, { eval: true, workerData: init, resourceLimits });
  }
  return new Worker(entry.url, { workerData: entry.appRoot ? { ...init, appRoot: entry.appRoot(init.appRoot) } : init, resourceLimits });
}

/** this file's own worker entry (tests of the packaged layout give another) */
let defaultEntry: ReturnType<typeof workerEntry> | undefined;
const ownEntry = () => (defaultEntry ??= workerEntry(import.meta.url));

export class WorkerHandle {
  private readonly w: Worker;
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  dead = false;
  lastUsed = Date.now();
  /** the worker's thread id and nice value (Linux), once it has loaded */
  thread: { tid?: number; nice?: number } = {};
  /** resolves once the worker has loaded its code: a call's time budget starts then, not at spawn */
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    init: WorkerInit,
    readonly limits: WorkLimits,
    log: (level: 'info' | 'warn' | 'error', text: string) => void,
    entry: ReturnType<typeof workerEntry> = ownEntry(),
  ) {
    this.ready = new Promise((r) => (this.markReady = r));
    this.w = spawn(init, limits, entry);
    this.w.unref();
    live.add(this);
    this.w.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: WireError; log?: { level: 'info' | 'warn' | 'error'; text: string }; event?: { name: string; data: unknown }; ready?: boolean; tid?: number; nice?: number }) => {
      if (m.ready) {
        this.thread = { ...(m.tid !== undefined ? { tid: m.tid } : {}), ...(m.nice !== undefined ? { nice: m.nice } : {}) };
        return this.markReady();
      }
      if (m.log) return log(m.log.level, m.log.text);
      const p = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!p) return;
      if (m.event) return p.opts.onEvent?.(m.event.name, m.event.data);
      this.pending.delete(m.id!);
      clearTimeout(p.timer);
      if (!this.pending.size) this.w.unref();
      if (m.ok) return p.resolve(m.result);
      const e = m.error!;
      if (e.name === 'ApiError') return p.reject(new ApiError(e.code as never, e.message, e.where as ErrorWhere | undefined, e.issues as never));
      if (e.name === 'WorkLimitError') {
        // the worker refused an allocation: its state may be half-made, so it is replaced
        p.reject(limitError(p.opts, e.message));
        return this.kill((o) => limitError(o, 'was stopped with another request that ran out of memory'));
      }
      p.reject(new Error(e.message));
    });
    this.w.on('error', (err: Error & { code?: string }) => {
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.kill((o) => (oom ? limitError(o, `needed more than ${limits.heapMiB} MiB of memory`) : new Error(`the worker failed: ${err.message}`)));
    });
    this.w.on('exit', () => this.kill((o) => limitError(o, 'was stopped')));
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  get load(): number {
    return this.pending.size;
  }

  call<T>(task: string, input: unknown, opts: CallOptions): Promise<T> {
    if (this.dead) return Promise.reject(new ApiError('unavailable', 'the worker was stopped; try again'));
    this.lastUsed = Date.now();
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, timer: undefined, opts };
      void this.ready.then(() => {
        if (this.pending.get(id) === p) p.timer = setTimeout(() => this.kill((o) => limitError(o, `needed more than ${o.seconds} s`)), opts.seconds * 1000);
      });
      this.pending.set(id, p);
      // an idle worker never keeps the process alive; a busy one does, until it answers
      this.w.ref();
      try {
        this.w.postMessage({ id, task, input });
      } catch (err) {
        this.pending.delete(id);
        reject(err);
        return;
      }
      watch();
    });
  }

  /** stop the worker; every call still waiting gets the error made for it */
  kill(why: (o: CallOptions) => Error): void {
    if (!this.dead) {
      this.dead = true;
      live.delete(this);
      void this.w.terminate();
    }
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(why(p.opts));
    }
  }
}

/** Workers for short jobs: checks, pack parsing, Markdown. */
export class WorkerPool {
  private handles: WorkerHandle[] = [];
  constructor(
    private readonly init: WorkerInit,
    readonly limits: WorkLimits = DEFAULT_WORK_LIMITS,
    private readonly log: (level: 'info' | 'warn' | 'error', text: string) => void = () => {},
    /** where the workers' code is (tests of the packaged layout); this file's own by default */
    private readonly entry: ReturnType<typeof workerEntry> = ownEntry(),
  ) {}

  run<T>(task: string, input: unknown, opts: CallOptions): Promise<T> {
    this.handles = this.handles.filter((h) => !h.dead);
    let h = this.handles.find((x) => !x.busy);
    if (!h && this.handles.length < this.limits.poolWorkers) {
      h = new WorkerHandle(this.init, this.limits, this.log, this.entry);
      this.handles.push(h);
    }
    h ??= this.handles.reduce((a, b) => (b.load < a.load ? b : a));
    return h.call<T>(task, input, opts);
  }

  dispose(): void {
    for (const h of this.handles) h.kill(() => new ApiError('unavailable', 'the lab is shutting down'));
    this.handles = [];
  }
}

/** One worker per client for its simulator sessions (a runaway there stops only that client's). */
export class SimWorkers {
  private readonly byClient = new Map<string, WorkerHandle>();
  constructor(
    private readonly init: WorkerInit,
    readonly limits: WorkLimits = DEFAULT_WORK_LIMITS,
    private readonly log: (level: 'info' | 'warn' | 'error', text: string) => void = () => {},
  ) {}

  /** the client's worker, started on first use; the least recently used idle one gives way at the cap */
  for(clientId: string): WorkerHandle {
    const mine = this.byClient.get(clientId);
    if (mine && !mine.dead) return mine;
    this.byClient.delete(clientId);
    for (const [id, h] of this.byClient) if (h.dead) this.byClient.delete(id);
    if (this.byClient.size >= this.limits.simWorkers) {
      const idle = [...this.byClient].filter(([, h]) => !h.busy).sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (!idle) throw new ApiError('unavailable', `the simulator is busy with ${this.byClient.size} other windows; try again in a moment`);
      idle[1].kill(() => new ApiError('unavailable', 'the simulator gave way to another window'));
      this.byClient.delete(idle[0]);
      this.log('info', `simulator of client ${idle[0]} stopped to make room (its sessions are closed)`);
    }
    const h = new WorkerHandle(this.init, this.limits, this.log);
    this.byClient.set(clientId, h);
    return h;
  }

  has(clientId: string): boolean {
    return !!this.byClient.get(clientId) && !this.byClient.get(clientId)!.dead;
  }

  release(clientId: string): void {
    this.byClient.get(clientId)?.kill(() => new ApiError('unavailable', 'the window closed'));
    this.byClient.delete(clientId);
  }

  dispose(): void {
    for (const id of [...this.byClient.keys()]) this.release(id);
  }
}

export { WorkLimitError };
