/**
 * `memlab serve`: the main-process services and the built renderer over HTTP + WebSocket,
 * on 127.0.0.1 by default. The same services the Electron shell hosts over IPC.
 */
import { randomUUID } from 'node:crypto';
import { CONTENT_TYPES } from '../mime.js';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { type CallContext, createDispatcher, eventEnvelope } from '../../common/api/dispatch.js';
import { MAX_MESSAGE_BYTES } from '../../common/api/protocol.js';
import { createServices, type ServiceDeps, type Services } from '../services/index.js';
import {
  allowedHosts,
  contentSecurityPolicy,
  hostAllowed,
  newToken,
  originAllowed,
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
}

export interface RunningServer {
  url: string;
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

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const token = newToken();
  const deps: ServiceDeps = {
    host: 'serve',
    dataDir: opts.dataDir,
    appRoot: opts.appRoot,
    log: (level, text) => log(`[memlab] ${level}: ${text}`),
  };
  const services = opts.services ?? createServices(deps);
  const dispatcher = createDispatcher(services.handlers, (e) =>
    log(`[memlab] ${e.level}: client ${e.clientId}: ${e.code}${e.method ? ` (${e.method})` : ''}: ${e.message}`),
  );
  let allowed = new Set<string>();
  const rendererRoot = normalize(opts.rendererDir + sep);

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab.invalid');
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
    const file = normalize(join(rendererRoot, path));
    if (!file.startsWith(rendererRoot)) return notFound(res);
    let body: Buffer;
    try {
      if (!(await stat(file)).isFile()) return notFound(res);
      body = await readFile(file);
    } catch {
      // unknown paths inside the app fall back to the page (client-side routes)
      if (extname(path) !== '') return notFound(res);
      return serveIndex(res);
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
    html = html.replace('<head>', `<head>\n    <meta name="memlab-token" content="${token}">`);
    res.writeHead(200, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store' });
    res.end(html);
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
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.maxHeadersCount = 100;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, why: string) => {
      log(`[memlab] warn: websocket refused: ${why}`);
      socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', 'http://lab.invalid');
    if (url.pathname !== '/api') return refuse(400, `path ${url.pathname}`);
    if (!hostAllowed(req.headers.host, allowed)) return refuse(403, `Host ${req.headers.host ?? '(none)'}`);
    if (!originAllowed(req.headers.origin, allowed)) return refuse(403, `Origin ${req.headers.origin ?? '(none)'}`);
    const given = url.searchParams.get('token') ?? '';
    if (!tokensEqual(given, token)) return refuse(403, given ? 'wrong token' : 'missing token');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    const clientId = randomUUID();
    const cleanups: Array<() => void> = [];
    const send = (obj: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(obj));
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
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        log(`[memlab] warn: client ${clientId}: binary frame refused`);
        send({ v: 1, id: null, ok: false, error: { code: 'bad-json', message: 'binary frames are not LabApi messages' } });
        return;
      }
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      dispatcher.handleText(text, ctx).then(send, (err: unknown) => log(`[memlab] error: ${String(err)}`));
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
  const port = (server.address() as AddressInfo).port;
  allowed = allowedHosts(opts.host, port);
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${shownHost}:${port}/`;

  let closing: Promise<void> | null = null;
  return {
    url,
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
