/**
 * All main-process services behind the LabApi, joined into one handler table.
 * Each domain file exports create<Domain>Handlers(deps); add yours here.
 */
import type { Handlers } from '../../common/api/dispatch.js';
import { createCoreHandlers } from './core.js';
import { createHostServices } from './host.js';
import { createPackServices } from './packs.js';
import { createRealServices } from './real.js';
import { createPolicyHandlers } from './policy.js';
import { setReportComputer } from '../../common/packs/checkers.js';
import { SimWorkers, WorkerPool } from '../work/host.js';
import { DEFAULT_WORK_LIMITS, PROGRESS_DEFAULTS, progressFromEnv, type ProgressTiming, type WorkLimits } from '../work/limits.js';
import { createSimProxy } from '../work/sim-proxy.js';

export interface ServiceDeps {
  host: 'electron' | 'serve';
  /** Where progress, profiles and opened packs are kept. */
  dataDir: string;
  /** The repository / app root (for built-in exercises). */
  appRoot: string;
  log: (level: 'info' | 'warn' | 'error', text: string) => void;
  /** budgets of the work done in worker threads (tests make them small) */
  limits?: Partial<WorkLimits>;
  /** when a long sim.seek starts saying how far it is (sim.progress), and how often; PROGRESS_DEFAULTS, or MEMLAB_PROGRESS_AFTER_MS */
  progress?: Partial<ProgressTiming>;
  /** a worker's typed-array budget, which its simulator sessions' machines and checkpoints share (services/sim.ts); unset, checkpoints keep kernel/checkpoint.ts's default cap */
  arrayBytes?: number;
}

/** Serves files a service owns (e.g. images inside a pack) under a URL prefix, on both hosts. */
export interface AssetHandler {
  /** e.g. '/pack-assets/' */
  prefix: string;
  /** `rest` is the URL path after the prefix, still percent-encoded. null: not found. */
  handle(rest: string): Promise<{ body: Uint8Array; type: string } | null>;
}

export interface Services {
  handlers: Handlers;
  assets: AssetHandler[];
  /** Stop timers and children (host probes) on shutdown. */
  dispose(): Promise<void>;
}

export function createServices(deps: ServiceDeps): Services {
  const disposers: Array<() => void | Promise<void>> = [];
  // heavy work (simulations, checks, pack parsing, Markdown) runs in worker threads with limits;
  // this thread, which answers every client, never simulates
  const limits: WorkLimits = { ...DEFAULT_WORK_LIMITS, ...deps.limits };
  const progress = { ...PROGRESS_DEFAULTS, ...progressFromEnv(), ...deps.progress };
  const init = { appRoot: deps.appRoot, dataDir: deps.dataDir, host: deps.host, arrayMiB: limits.arrayMiB, progress };
  const pool = new WorkerPool(init, limits, deps.log);
  const simWorkers = new SimWorkers(init, limits, deps.log);
  disposers.push(() => pool.dispose(), () => simWorkers.dispose());
  setReportComputer(() => {
    throw new Error('the scenario was not simulated yet (memlab runs simulations in a worker thread); try again');
  });
  const packs = createPackServices(deps, { pool });
  const host = createHostServices(deps, { pool });
  disposers.push(host.dispose);
  const real = createRealServices(deps, packs.scenarios, { pool });
  disposers.push(real.dispose);
  const assets: AssetHandler[] = [packs.assets];
  const handlers: Handlers = {
    ...createCoreHandlers(deps),
    ...createSimProxy(simWorkers, packs.scenarios, deps.log),
    ...packs.handlers,
    ...host.handlers,
    ...real.handlers,
    ...createPolicyHandlers({ appRoot: deps.appRoot, pool, packScenarios: packs.scenarios }),
  };
  return {
    handlers,
    assets,
    async dispose() {
      for (const d of disposers.reverse()) await d();
    },
  };
}
