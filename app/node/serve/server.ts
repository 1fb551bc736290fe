/**
 * `memlab serve`: the main-process services and the built renderer over HTTP + WebSocket,
 * on 127.0.0.1 by default. The same services the Electron shell hosts over IPC.
 */
import { randomUUID } from 'node:crypto';
import { CONTENT_TYPES } from '../mime.js';
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { type CallContext, createDispatcher, eventEnvelope } from '../../common/api/dispatch.js';
import { MAX_MESSAGE_BYTES } from '../../common/api/protocol.js';
import { createServices, type ServiceDeps, type Services } from '../services/index.js';
import type { WorkLimits } from '../work/limits.js';
import {
  allowedHosts,
  contentSecurityPolicy,
  hostAllowed,
  isLoopback,
  newToken,
  originAllowed,
  peerUid,
  sessionCookie,
  tokenFromCookie,
  tokensEqual,
} from './security.js';

export interface ServeOptions {
  port: number;
  host: string;
  rendererDir: string;
  dataDir: string;
  appRoot: string;
  /** Where log lines go (stderr by default). */
  log?: (line: string) => void;
  /** Pre-made services (tests); made from the options otherwise. */
  services?: Services;
  /** Per-client limits (tests make them small). */
  limits?: Partial<ClientLimits>;
  /** Budgets of the work done in worker threads (tests make them small). */
  workLimits?: Partial<WorkLimits>;
  /** The uid that may connect over loopback (default: this process's); tests use another. */
  ownerUid?: number;
}

export interface ClientLimits {
  /** requests a client may have unanswered; past it the server stops reading its socket */
  maxInFlight: number;
  /** bytes of requests a client may have unanswered; past it the server stops reading its socket */
  maxInFlightBytes: number;
  /** bytes queued for a client that does not read; past it the client is closed */
  maxBufferedBytes: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = { maxInFlight: 16, maxInFlightBytes: 4 * 1024 * 1024, maxBufferedBytes: 32 * 1024 * 1024 };

export interface RunningServer {
  /** the lab's address, without the token */
  url: string;
  /** the address to open (printed to the starting user's terminal): it carries the token */
  openUrl: string;
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

const TYPES = CONTENT_TYPES;

const HEARTBEAT_MS = 1000;

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy());
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
}

/** this data directory's lab token: made once, kept in `serve-token` (mode 600) so restarts keep open tabs working */
function keptToken(dataDir: string): string {
  const file = join(dataDir, 'serve-token');
  try {
    const st = lstatSync(file);
    // only a regular file of ours that nobody else can read is trusted; anything else is replaced
    if (st.isFile() && (st.mode & 0o077) === 0 && (typeof process.getuid !== 'function' || st.uid === process.getuid())) {
      const t = readFileSync(file, 'utf8').trim();
      if (/^[\w-]{32}$/.test(t)) return t;
    }
    rmSync(file, { force: true });
  } catch {
    /* none yet */
  }
  const t = newToken();
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${t}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    /* a read-only data dir: a token for this run only */
  }
  return t;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // the token is kept for the data directory (readable by its owner only), so a restarted lab
  // accepts the cookie an open tab already holds and the tab reconnects by itself
  const token = keptToken(opts.dataDir);
  const deps: ServiceDeps = {
    host: 'serve',
    dataDir: opts.dataDir,
    appRoot: opts.appRoot,
    log: (level, text) => log(`[memlab] ${level}: ${text}`),
    ...(opts.workLimits ? { limits: opts.workLimits } : {}),
  };
  const services = opts.services ?? createServices(deps);
  const dispatcher = createDispatcher(services.handlers, (e) =>
    log(`[memlab] ${e.level}: client ${e.clientId}: ${e.code}${e.method ? ` (${e.method})` : ''}: ${e.message}`),
  );
  let allowed = new Set<string>();
  let port = 0;
  const rendererRoot = normalize(opts.rendererDir + sep);
  const realRoot = realpath(opts.rendererDir).then(
    (r) => normalize(r + sep),
    () => rendererRoot,
  );
  const limits: ClientLimits = { ...DEFAULT_CLIENT_LIMITS, ...opts.limits };
  const ownerUid = opts.ownerUid ?? process.getuid?.();

  /** the cookie or the token in the URL: the only two ways in */
  const authorised = (req: IncomingMessage, url: URL): boolean => {
    const fromCookie = tokenFromCookie(req.headers.cookie, port);
    if (fromCookie !== undefined && tokensEqual(fromCookie, token)) return true;
    const given = url.searchParams.get('token');
    return given !== null && tokensEqual(given, token);
  };

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab.invalid');
    if (url.searchParams.has('token')) {
      // the link from the terminal: exchange the token for a cookie, then go to the clean URL
      if (!authorised(req, url)) return refuse(res, 403);
      url.searchParams.delete('token');
      res.writeHead(303, { 'Set-Cookie': sessionCookie(port, token), Location: url.pathname + url.search, 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    if (!authorised(req, url)) return refuse(res, 401);
    for (const a of services.assets) {
      if (url.pathname.startsWith(a.prefix)) {
        const asset = await a.handle(url.pathname.slice(a.prefix.length));
        if (!asset) return notFound(res);
        res.writeHead(200, { 'Content-Type': asset.type, 'Cache-Control': 'no-store' });
        res.end(asset.body);
        return;
      }
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return notFound(res);
    }
    if (path.endsWith('/')) path += 'index.html';
    // source maps stay with the developers: never served
    if (path.endsWith('.map') || path.includes('\0')) return notFound(res);
    const file = normalize(join(rendererRoot, path));
    if (!file.startsWith(rendererRoot)) return notFound(res);
    let body: Buffer;
    try {
      // the real file must be inside the renderer too (no link planted in it leads out), and regular
      const real = await realpath(file);
      if (!real.startsWith(await realRoot) || !(await stat(real)).isFile()) return notFound(res);
      body = await readFile(real);
    } catch {
      // the lab's routes live after the '#': any other path is simply not there
      return notFound(res);
    }
    if (file.endsWith('index.html')) return serveIndex(res);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(body);
  }

  async function serveIndex(res: ServerResponse): Promise<void> {
    let html: string;
    try {
      html = await readFile(join(rendererRoot, 'index.html'), 'utf8');
    } catch {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The renderer is not built: run `npm run build`.\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store' });
    res.end(html);
  }

  /** no token, a wrong one: say how to get in, reveal nothing */
  function refuse(res: ServerResponse, status: 401 | 403): void {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>memlab</title></head><body>' +
        '<h1>This lab answers only the link it printed</h1>' +
        '<p>memlab printed a link carrying this lab\'s key in the terminal where it was started ' +
        '(<code>memlab serve</code> or <code>npm start</code>). Open that link; this browser then stays signed in until the lab stops.</p></body></html>\n',
    );
  }

  function notFound(res: ServerResponse): void {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
  }

  const server = createServer((req, res) => {
    securityHeaders(res);
    if (!hostAllowed(req.headers.host, allowed)) {
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('misdirected request: this lab answers only to its own address\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    serveStatic(req, res).catch((err: unknown) => {
      log(`[memlab] error: ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // only the starting user's own sockets get in (Linux: the peer's uid from /proc/net/tcp{,6})
  server.on('connection', (socket) => {
    if (ownerUid === undefined || process.platform !== 'linux' || !isLoopback(socket.remoteAddress)) return;
    const uid = socket.remotePort === undefined ? null : peerUid(socket.remotePort, port);
    if (uid === undefined || uid === ownerUid) return;
    log(`[memlab] warn: connection from ${uid === null ? 'an unknown socket' : `uid ${uid}`} refused: this lab belongs to uid ${ownerUid}`);
    socket.destroy();
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.maxHeadersCount = 100;

  // each message is its own task: a client sending many large messages cannot hold the event
  // loop for all of them at once, so other clients' requests (and timers) run in between
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, allowSynchronousEvents: false });

  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, why: string) => {
      log(`[memlab] warn: websocket refused: ${why}`);
      socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', 'http://lab.invalid');
    if (url.pathname !== '/api') return refuse(400, `path ${url.pathname}`);
    if (!hostAllowed(req.headers.host, allowed)) return refuse(403, `Host ${req.headers.host ?? '(none)'}`);
    if (!originAllowed(req.headers.origin, allowed)) return refuse(403, `Origin ${req.headers.origin ?? '(none)'}`);
    if (!authorised(req, url)) {
      const given = url.searchParams.get('token') ?? tokenFromCookie(req.headers.cookie, port);
      return refuse(403, given ? 'wrong token' : 'missing token');
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    const clientId = randomUUID();
    const cleanups: Array<() => void> = [];
    const send = (obj: unknown) => {
      if (ws.readyState !== ws.OPEN) return;
      // a client that does not read its answers is closed before they pile up in this process
      if (ws.bufferedAmount > limits.maxBufferedBytes) {
        log(`[memlab] warn: client ${clientId}: closed: it is not reading (${ws.bufferedAmount} bytes waiting)`);
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(obj));
    };
    const ctx: CallContext = {
      clientId,
      emit: (event, data) => send(eventEnvelope(event, data)),
      onClose: (fn) => cleanups.push(fn),
    };
    const started = Date.now();
    let seq = 0;
    const beat = setInterval(() => {
      const m = process.memoryUsage();
      ctx.emit('app.heartbeat', { seq: seq++, uptimeMs: Date.now() - started, rssBytes: m.rss, heapUsedBytes: m.heapUsed });
    }, HEARTBEAT_MS);
    // at most maxInFlight unanswered requests (and maxInFlightBytes of them): past it, stop reading the socket (TCP pushes back)
    let inFlight = 0;
    let inFlightBytes = 0;
    let paused = false;
    const settle = (bytes: number) => {
      inFlight--;
      inFlightBytes -= bytes;
      if (paused && inFlight < limits.maxInFlight && inFlightBytes < limits.maxInFlightBytes && ws.readyState === ws.OPEN) {
        paused = false;
        ws.resume();
      }
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        log(`[memlab] warn: client ${clientId}: binary frame refused`);
        send({ v: 1, id: null, ok: false, error: { code: 'bad-json', message: 'binary frames are not LabApi messages' } });
        return;
      }
      // a Buffer already (binaryType 'nodebuffer'): decoded without another copy of up to 2 MB
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
      inFlight++;
      inFlightBytes += text.length;
      // a few large messages are as much as one client may queue: the event loop stays shared
      if ((inFlight >= limits.maxInFlight || inFlightBytes >= limits.maxInFlightBytes) && !paused) {
        paused = true;
        ws.pause();
      }
      dispatcher
        .handleText(text, ctx)
        .then(send, (err: unknown) => log(`[memlab] error: ${String(err)}`))
        .finally(() => settle(text.length));
    });
    ws.on('error', (err) => log(`[memlab] warn: client ${clientId}: ${err.message}`));
    ws.on('close', () => {
      clearInterval(beat);
      for (const fn of cleanups) {
        try {
          fn();
        } catch (err) {
          log(`[memlab] warn: cleanup failed: ${String(err)}`);
        }
      }
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  allowed = allowedHosts(opts.host, port);
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${shownHost}:${port}/`;

  let closing: Promise<void> | null = null;
  return {
    url,
    openUrl: `${url}?token=${token}`,
    port,
    host: opts.host,
    token,
    close() {
      closing ??= (async () => {
        for (const ws of wss.clients) ws.close(1001, 'server shutting down');
        wss.close();
        await new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await services.dispose();
      })();
      return closing;
    },
  };
}
