/**
 * The loopback uid check when /proc cannot name the peer: a connection whose client end has no
 * row in /proc/net/tcp{,6} (peerUid says null: not this namespace's, or gone) is refused like
 * another user's; only "no /proc at all" (undefined) falls back to the token and cookie alone.
 * peerUid is replaced here to give each answer; serve.test.ts and other-user.test.ts see real rows.
 */
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { appRoot } from '../app/node/paths.js';
import { type RunningServer, startServer } from '../app/node/serve/server.js';

const peer = vi.hoisted(() => ({ uid: null as number | null | undefined }));
vi.mock('../app/node/serve/security.js', async (real) => ({ ...(await real<object>()), peerUid: () => peer.uid }));

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', rendererDir: mkdtempSync(join(tmpdir(), 'peer-r-')), dataDir: mkdtempSync(join(tmpdir(), 'peer-d-')), appRoot: appRoot(), log: () => {} });
});
afterAll(() => server.close());

/** an API connection with the right token and Origin: 'open', or how it failed */
function connect(): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
  return new Promise((resolve) => {
    ws.once('open', () => (ws.close(), resolve('open')));
    ws.once('error', (e) => resolve(`refused: ${e.message}`));
  });
}
const get = (): Promise<string> =>
  new Promise((resolve) => {
    // a new connection each time (the default agent keeps one alive, and the check is made per connection)
    const req = request({ host: '127.0.0.1', port: server.port, path: `/?token=${server.token}`, agent: false }, (res) => (res.resume(), resolve(String(res.statusCode))));
    req.on('error', (e) => resolve(`refused: ${e.message}`));
    req.end();
  });

describe('the peer uid check', () => {
  it('lets the owner in, and without /proc falls back to the token', async () => {
    peer.uid = process.getuid!();
    expect(await connect()).toBe('open');
    expect(await get()).toBe('303');
    peer.uid = undefined;
    expect(await connect()).toBe('open');
  });

  it('refuses another uid and a socket /proc has no row for, even with the token', async () => {
    for (const uid of [process.getuid!() + 1, null]) {
      peer.uid = uid;
      expect(await connect()).toMatch(/^refused/);
      expect(await get()).toMatch(/^refused/);
    }
  });
});
