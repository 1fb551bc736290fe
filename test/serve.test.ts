/**
 * memlab serve as a stranger meets it: malformed messages, wrong Origin, missing or wrong token,
 * a DNS-rebinding Host, oversized frames — and it keeps serving the lab's own page.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipping } from './skip.js';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../app/node/serve/server.js';
import { appRoot } from '../app/node/paths.js';

let server: RunningServer;
const logLines: string[] = [];
let origin: string;

function rawHttp(path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers, setHost: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** the cookie a browser holds after opening the printed link */
const cookie = () => `memlab-${server.port}=${server.token}`;
const host = () => `127.0.0.1:${server.port}`;

function connect(opts: { token?: string | null; origin?: string | null; host?: string; cookie?: string } = {}): Promise<WebSocket> {
  const token = opts.token === undefined ? server.token : opts.token;
  const url = `ws://127.0.0.1:${server.port}/api${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
  const headers: Record<string, string> = {};
  if (opts.host) headers.Host = opts.host;
  if (opts.cookie) headers.Cookie = opts.cookie;
  const ws = new WebSocket(url, { headers, ...(opts.origin === null ? {} : { origin: opts.origin ?? origin }) });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket, pred: (m: any) => boolean = (m) => 'ok' in m): Promise<any> {
  return new Promise((resolve) => {
    const on = (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString());
      if (pred(m)) {
        ws.off('message', on);
        resolve(m);
      }
    };
    ws.on('message', on);
  });
}

async function rpc(ws: WebSocket, payload: unknown): Promise<any> {
  const p = nextMessage(ws);
  ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return p;
}

beforeAll(async () => {
  const rendererDir = mkdtempSync(join(tmpdir(), 'memlab-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><html><head><title>t</title></head><body></body></html>');
  mkdirSync(join(rendererDir, 'assets'));
  writeFileSync(join(rendererDir, 'assets', 'a.js'), 'console.log(1)');
  writeFileSync(join(rendererDir, 'assets', 'a.js.map'), '{"version":3,"sources":["secret.ts"]}');
  // a link planted inside the renderer folder must not lead out of it
  const outside = mkdtempSync(join(tmpdir(), 'memlab-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'OUTSIDE-SECRET');
  symlinkSync(join(outside, 'secret.txt'), join(rendererDir, 'assets', 'link.txt'));
  symlinkSync(outside, join(rendererDir, 'linkdir'));
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    rendererDir,
    dataDir: mkdtempSync(join(tmpdir(), 'memlab-data-')),
    appRoot: appRoot(),
    log: (l) => logLines.push(l),
  });
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.close());

describe('HTTP', () => {
  it('hands the page only to a client that presents the token, and the page never carries it', async () => {
    const bare = await rawHttp('/', { Host: host() });
    expect(bare.status).toBe(401);
    expect(bare.body).not.toContain(server.token);
    expect(bare.body).toContain('link it printed');
    expect((await rawHttp('/?token=guess', { Host: host() })).status).toBe(403);
    expect((await rawHttp('/', { Host: host(), Cookie: `memlab-${server.port}=guess` })).status).toBe(401);
    // the printed link: the token is traded for an HttpOnly, SameSite=Strict cookie and the URL cleaned
    const first = await rawHttp(`/?token=${server.token}&x=1`, { Host: host() });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/?x=1');
    const set = String(first.headers['set-cookie']);
    expect(set).toContain(`memlab-${server.port}=${server.token}`);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\//);
    const r = await rawHttp('/', { Host: host(), Cookie: `other=1; ${cookie()}` });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>t</title>');
    expect(r.body).not.toContain(server.token);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves nothing without the cookie: not the assets, not /pack-assets/', async () => {
    for (const path of ['/assets/a.js', '/pack-assets/linux-process-memory/img/x.png', '/index.html']) {
      const r = await rawHttp(path, { Host: host() });
      expect(r.status, path).toBe(401);
    }
    expect((await rawHttp('/assets/a.js', { Host: host(), Cookie: cookie() })).status).toBe(200);
  });

  it('refuses a DNS-rebinding Host header', async () => {
    const r = await rawHttp('/', { Host: `evil.example:${server.port}`, Cookie: cookie() });
    expect(r.status).toBe(421);
    expect(r.body).not.toContain(server.token);
    expect((await rawHttp('/', { Host: `localhost:${server.port}`, Cookie: cookie() })).status).toBe(200);
  });

  it('does not serve files outside the renderer, however the path is spelled (404)', async () => {
    const spellings = [
      '/../package.json',
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E/%2E%2E/etc/passwd',
      '/%252e%252e/%252e%252e/etc/passwd',
      '/assets/../../x.js',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets%2f..%2f..%2fpackage.json',
      '/assets/..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
      '/%e0%80%ae%e0%80%ae/etc/passwd',
      '/%00/etc/passwd',
      '/assets/a.js%00.png',
      '/index.html%00',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/%2F%2Fetc/passwd',
      '/etc/passwd',
      '/.%2e/.%2e/etc/passwd',
      '/..;/..;/etc/passwd',
      '/...//...//etc/passwd',
      '/assets/link.txt',
      '/linkdir/secret.txt',
      '/linkdir/',
      '/assets/a.js.map',
      '/%',
      '/%zz',
      '/proc/self/environ',
      '/..%2f..%2f..%2fproc%2fself%2fenviron',
    ];
    for (const path of spellings) {
      const r = await rawHttp(path, { Host: host(), Cookie: cookie() });
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('"name"');
      expect(r.body, path).not.toContain('root:');
      expect(r.body, path).not.toContain('OUTSIDE-SECRET');
      expect(r.body, path).not.toContain('secret.ts');
    }
  });

  it('refuses a raw backslash path without serving anything', async () => {
    for (const path of ['/..\\..\\package.json', '/assets\\..\\..\\package.json']) {
      const status = await new Promise<string>((resolve) => {
        const sock = tcpConnect(server.port, '127.0.0.1', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host()}\r\nCookie: ${cookie()}\r\nConnection: close\r\n\r\n`));
        let got = '';
        sock.on('data', (d) => (got += d));
        sock.on('close', () => resolve(got));
      });
      expect(status, path).toMatch(/^HTTP\/1\.1 (400|404) /);
      expect(status, path).not.toContain('"name"');
    }
  });

  it('answers only GET and HEAD', async () => {
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/', method: 'POST', headers: { Cookie: cookie() } }, (res) => resolve(res.statusCode!));
      req.end('x');
    });
    expect(status).toBe(405);
  });
});

describe('WebSocket admission', () => {
  it('refuses a missing token, a wrong token, a foreign Origin and a rebinding Host', async () => {
    await expect(connect({ token: null })).rejects.toThrow('403');
    await expect(connect({ token: 'guess' })).rejects.toThrow('403');
    await expect(connect({ origin: 'https://evil.example' })).rejects.toThrow('403');
    await expect(connect({ origin: `http://127.0.0.1:${server.port + 1}` })).rejects.toThrow('403');
    await expect(connect({ origin: null })).rejects.toThrow('403');
    await expect(connect({ host: `evil.example:${server.port}` })).rejects.toThrow('403');
    expect(logLines.join('\n')).toMatch(/websocket refused: missing token/);
    expect(logLines.join('\n')).toMatch(/websocket refused: Origin https:\/\/evil\.example/);
    await expect(connect({ token: null, cookie: `memlab-${server.port}=guess` })).rejects.toThrow('403');
    const ws = await connect();
    expect(await rpc(ws, { v: 1, id: 1, method: 'app.ping', params: { nonce: 'a' } })).toMatchObject({ id: 1, ok: true, result: { nonce: 'a' } });
    ws.close();
    // a browser after the first visit: the cookie alone lets it in
    const byCookie = await connect({ token: null, cookie: cookie() });
    expect(await rpc(byCookie, { v: 1, id: 2, method: 'app.ping', params: { nonce: 'b' } })).toMatchObject({ id: 2, ok: true });
    byCookie.close();
  });
});

describe('LabApi over the socket', () => {
  it('answers every kind of malformed message with a typed error, logs it, and keeps serving', async () => {
    const ws = await connect();
    const cases: Array<[unknown, string, number | null]> = [
      ['{not json', 'bad-json', null],
      [JSON.stringify([1, 2, 3]), 'bad-envelope', null],
      [{ v: 1, id: 5 }, 'bad-envelope', 5],
      [{ v: 2, id: 6, method: 'app.ping', params: {} }, 'unsupported-version', 6],
      [{ v: 1, id: 7, method: 'app.nothing', params: {} }, 'unknown-method', 7],
      [{ v: 1, id: 8, method: 'app.ping', params: { nonce: 1 } }, 'bad-params', 8],
      [{ v: 1, id: 9, method: 'app.ping', params: { nonce: 'x', extra: true } }, 'bad-params', 9],
      [{ v: 1, id: 10, method: '__proto__', params: {} }, 'unknown-method', 10],
      [{ v: 1, id: 11, method: 'constructor', params: {} }, 'unknown-method', 11],
    ];
    for (const [msg, code, id] of cases) {
      const before = logLines.length;
      const r = await rpc(ws, msg);
      expect(r, JSON.stringify(msg)).toMatchObject({ v: 1, ok: false, id, error: { code } });
      expect(typeof r.error.message).toBe('string');
      expect(logLines.length, `logged ${code}`).toBeGreaterThan(before);
    }
    const bin = nextMessage(ws);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await bin).toMatchObject({ ok: false, error: { code: 'bad-json' } });
    expect(await rpc(ws, { v: 1, id: 12, method: 'app.info', params: {} })).toMatchObject({ ok: true, result: { host: 'serve' } });
    ws.close();
  });

  it('closes a connection that sends an oversized message, and serves the next one', async () => {
    const ws = await connect();
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('x'.repeat(5 * 1024 * 1024));
    expect(await closed).toBe(1009); // message too big
    const ws2 = await connect();
    expect(await rpc(ws2, { v: 1, id: 1, method: 'app.ping', params: { nonce: 'again' } })).toMatchObject({ ok: true });
    ws2.close();
  });

  it('pushes heartbeat events', async () => {
    const ws = await connect();
    const beat = await nextMessage(ws, (m) => m.event === 'app.heartbeat');
    expect(beat.data.seq).toBe(0);
    expect(beat.data.rssBytes).toBeGreaterThan(0);
    ws.close();
  });
});

describe('memlab serve (the command)', () => {
  const built = (() => {
    try {
      readFileSync(join(appRoot(), 'build', 'app', 'cli', 'main.js'));
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(skipping(!built, 'memlab serve listens on 127.0.0.1', 'the CLI is not built here (npm run build makes build/app/cli/main.js)'))('listens on 127.0.0.1 only by default, prints one line with the URL, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(appRoot(), 'bin', 'memlab.js'), 'serve', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'mlab-'))], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(out)));
    });
    expect(out.trim().split('\n')).toHaveLength(1);
    if (process.platform === 'linux') {
      // /proc/net/tcp{,6}: the listening socket's local address is 127.0.0.1 (0100007F), nothing else
      const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
      const listening = ['/proc/net/tcp', '/proc/net/tcp6']
        .flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1))
        .map((l) => l.trim().split(/\s+/))
        .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A')
        .map((cols) => cols[1]!.split(':')[0]);
      expect(listening).toEqual(['0100007F']);
    }
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it.skipIf(skipping(!built, 'memlab serve warns on a non-loopback address', 'the CLI is not built here (npm run build makes build/app/cli/main.js)'))('warns when told to bind a non-loopback address', async () => {
    const child = spawn(process.execPath, [join(appRoot(), 'bin', 'memlab.js'), 'serve', '--port', '0', '--host', '0.0.0.0', '--data-dir', mkdtempSync(join(tmpdir(), 'mlab-'))], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(err).toMatch(/warning: listening on 0\.0\.0\.0, not loopback/);
    const exit = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exit;
  });

  it.skipIf(skipping(!built, 'memlab serve refuses a bad port', 'the CLI is not built here (npm run build makes build/app/cli/main.js)'))('refuses a bad port with a clear message', async () => {
    const child = spawn(process.execPath, [join(appRoot(), 'bin', 'memlab.js'), 'serve', '--port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(err).toContain("--port must be a whole number from 0 to 65535, not 'eighty'");
  });
});

describe('only the starting user', () => {
  it.skipIf(skipping(process.platform !== 'linux', 'the uid owning a loopback connection', 'it is read from Linux /proc/net/tcp'))('finds the uid that owns the client end of a loopback connection in /proc/net/tcp', async () => {
    const { peerUid } = await import('../app/node/serve/security.js');
    const sock = await new Promise<Socket>((resolve) => {
      const s = tcpConnect(server.port, '127.0.0.1', () => resolve(s));
    });
    expect(peerUid(sock.localPort!, server.port)).toBe(process.getuid!());
    sock.destroy();
    // a made-up table: the row with the client's local port and the server's remote port wins
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 65534        0 2 1',
    ].join('\n');
    expect(peerUid(0xd431, 0x1f90, (f) => (f.endsWith('tcp') ? table : ''))).toBe(65534);
    expect(peerUid(0xd432, 0x1f90, (f) => (f.endsWith('tcp') ? table : ''))).toBeNull();
    expect(peerUid(0xd431, 0x1f90, () => { throw new Error('no /proc'); })).toBeUndefined();
  });

  it.skipIf(skipping(process.platform !== 'linux', 'dropping another uid\'s loopback connection', 'the owner is read from Linux /proc/net/tcp'))('drops a loopback connection from a socket another uid owns, before reading it', async () => {
    const lines: string[] = [];
    const other = await startServer({ port: 0, host: '127.0.0.1', rendererDir: mkdtempSync(join(tmpdir(), 'memlab-r-')), dataDir: mkdtempSync(join(tmpdir(), 'memlab-d-')), appRoot: appRoot(), log: (l) => lines.push(l), ownerUid: process.getuid!() + 4242 });
    try {
      const got = await new Promise<string>((resolve) => {
        const sock = tcpConnect(other.port, '127.0.0.1', () => sock.write(`GET /?token=${other.token} HTTP/1.1\r\nHost: 127.0.0.1:${other.port}\r\n\r\n`));
        let out = '';
        sock.on('data', (d) => (out += d));
        sock.on('close', () => resolve(out));
        sock.on('error', () => resolve(out));
      });
      expect(got).toBe('');
      expect(lines.join('\n')).toMatch(new RegExp(`connection from uid ${process.getuid!()} refused: this lab belongs to uid ${process.getuid!() + 4242}`));
    } finally {
      await other.close();
    }
  });
});
