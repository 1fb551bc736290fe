/**
 * All main-process services behind the LabApi, joined into one handler table.
 * Each domain file exports create<Domain>Handlers(deps); add yours here.
 */
import type { Handlers } from '../../common/api/dispatch.js';
import { createCoreHandlers } from './core.js';

export interface ServiceDeps {
  host: 'electron' | 'serve';
  /** Where progress, profiles and opened packs are kept. */
  dataDir: string;
  /** The repository / app root (for built-in exercises). */
  appRoot: string;
  log: (level: 'info' | 'warn' | 'error', text: string) => void;
}

export interface Services {
  handlers: Handlers;
  /** Stop timers and children (host probes) on shutdown. */
  dispose(): Promise<void>;
}

export function createServices(deps: ServiceDeps): Services {
  const disposers: Array<() => void | Promise<void>> = [];
  const handlers: Handlers = {
    ...createCoreHandlers(deps),
  };
  return {
    handlers,
    async dispose() {
      for (const d of disposers.reverse()) await d();
    },
  };
}
