import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainHandlers } from '../../common/api/dispatch.js';
import { API_VERSION } from '../../common/api/protocol.js';
import type { coreMethods } from '../../common/api/core.js';
import type { ServiceDeps } from './index.js';

export function appVersion(appRoot: string): string {
  try {
    return (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function createCoreHandlers(deps: ServiceDeps): DomainHandlers<typeof coreMethods> {
  const version = appVersion(deps.appRoot);
  return {
    'app.info': () => ({
      name: 'memlab',
      version,
      apiVersion: API_VERSION,
      host: deps.host,
      platform: process.platform,
      procAvailable: process.platform === 'linux' && existsSync('/proc/self/status'),
      dataDir: deps.dataDir,
    }),
    'app.ping': ({ nonce }) => ({ nonce, serverTime: Date.now() }),
  };
}
