/**
 * All main-process services behind the LabApi, joined into one handler table.
 * Each domain file exports create<Domain>Handlers(deps); add yours here.
 */
import type { Handlers } from '../../common/api/dispatch.js';
import { createCoreHandlers } from './core.js';
import { createHostServices } from './host.js';
import { createPackServices } from './packs.js';
import { createPolicyHandlers } from './policy.js';
import { createSimHandlers } from './sim.js';

export interface ServiceDeps {
  host: 'electron' | 'serve';
  /** Where progress, profiles and opened packs are kept. */
  dataDir: string;
  /** The repository / app root (for built-in exercises). */
  appRoot: string;
  log: (level: 'info' | 'warn' | 'error', text: string) => void;
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
  const packs = createPackServices(deps);
  const host = createHostServices(deps);
  disposers.push(host.dispose);
  const assets: AssetHandler[] = [packs.assets];
  const handlers: Handlers = {
    ...createCoreHandlers(deps),
    ...createSimHandlers(deps, packs.scenarios),
    ...packs.handlers,
    ...host.handlers,
    ...createPolicyHandlers(),
  };
  return {
    handlers,
    assets,
    async dispose() {
      for (const d of disposers.reverse()) await d();
    },
  };
}
