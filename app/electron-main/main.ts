/**
 * The Electron shell: a thin window around the same services `memlab serve` hosts, reached
 * through the preload bridge instead of a socket. Everything here applies policy.ts.
 */
import { mkdirSync } from 'node:fs';
import { CONTENT_TYPES } from '../node/mime.js';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell } from 'electron';
import { type CallContext, createDispatcher, eventEnvelope } from '../common/api/dispatch.js';
import { appRoot, rendererDir } from '../node/paths.js';
import { createServices, type Services } from '../node/services/index.js';
import { handleTrusted } from './ipc.js';
import {
  APP_HOST,
  APP_SCHEME,
  APP_URL,
  CONTENT_SECURITY_POLICY,
  IPC_CALL,
  IPC_EVENT,
  isAllowedNavigation,
  isAllowedRequest,
  permissionAllowed,
  WEB_PREFERENCES,
} from './policy.js';

const TYPES = CONTENT_TYPES;

const log = (level: 'info' | 'warn' | 'error', text: string) => process.stderr.write(`[memlab] ${level}: ${text}\n`);

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);

// No network: no component updates, no background requests.
app.commandLine.appendSwitch('disable-background-networking');
app.commandLine.appendSwitch('disable-component-update');

let services: Services | undefined;

function serveAppProtocol(root: string, svc: Services): void {
  const base = normalize(rendererDir(root) + sep);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const headers = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' };
    if (url.host !== APP_HOST) return new Response('not found', { status: 404, headers });
    for (const a of svc.assets) {
      if (url.pathname.startsWith(a.prefix)) {
        const asset = await a.handle(url.pathname.slice(a.prefix.length));
        return asset
          ? new Response(Buffer.from(asset.body), { headers: { ...headers, 'Content-Type': asset.type } })
          : new Response('not found', { status: 404, headers });
      }
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      // a malformed %-escape is simply not a file here
      return new Response('not found', { status: 404, headers });
    }
    // source maps are never shipped nor served
    if (path.endsWith('.map') || path.includes('\0')) return new Response('not found', { status: 404, headers });
    const file = normalize(join(base, path));
    if (!file.startsWith(base)) return new Response('not found', { status: 404, headers });
    try {
      const body = await readFile(file);
      return new Response(body, { headers: { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' } });
    } catch {
      return new Response('not found', { status: 404, headers });
    }
  });
}

function lockDownSessions(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(permissionAllowed(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => permissionAllowed(permission));
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ok = isAllowedRequest(details.url, { dev: !app.isPackaged });
    if (!ok) log('warn', `blocked a request to ${details.url}: memlab makes no network requests`);
    callback({ cancel: !ok });
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      log('warn', `window.open(${url}) denied`);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url, contents.getURL())) {
        log('warn', `navigation to ${url} denied`);
        event.preventDefault();
      }
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 1024,
    minHeight: 640,
    title: 'memlab',
    show: false,
    webPreferences: { ...WEB_PREFERENCES, preload: join(import.meta.dirname, 'preload.cjs') },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_URL);
  return win;
}

function buildMenu(win: BrowserWindow, svc: Services, ctx: CallContext): void {
  // File ▸ Open: the pack service opens it as pack.open would; the page hears pack.changed and shows it
  const openPack = async (folder: boolean) => {
    const r = await dialog.showOpenDialog(win, {
      title: folder ? 'Open a pack folder' : 'Open a .memlab pack',
      properties: folder ? ['openDirectory'] : ['openFile'],
      filters: folder ? [] : [{ name: 'memlab packs', extensions: ['memlab'] }],
    });
    if (r.canceled || !r.filePaths[0]) return;
    try {
      const p = await svc.handlers['pack.open']({ path: r.filePaths[0] }, ctx);
      ctx.emit('pack.changed', { packId: p.id, exercises: p.exercises, problems: p.problems });
    } catch (err) {
      ctx.emit('app.notice', { level: 'error', text: err instanceof Error ? err.message : String(err) });
    }
  };
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      {
        label: 'File',
        submenu: [
          { label: 'Open Pack File…', accelerator: 'CmdOrCtrl+O', click: () => void openPack(false) },
          { label: 'Open Pack Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: () => void openPack(true) },
          { type: 'separator' },
          { role: 'quit' },
        ],
      },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { label: 'Help', submenu: [{ label: 'memlab on this computer', click: () => void shell.openPath(appRoot()) }] },
    ]),
  );
}

async function start(): Promise<void> {
  await app.whenReady();
  const root = appRoot();
  const dataDir = app.getPath('userData');
  mkdirSync(dataDir, { recursive: true });
  const svc = createServices({ host: 'electron', dataDir, appRoot: root, log });
  services = svc;
  const dispatcher = createDispatcher(svc.handlers, (e) =>
    log(e.level, `client ${e.clientId}: ${e.code}${e.method ? ` (${e.method})` : ''}: ${e.message}`),
  );
  lockDownSessions();
  serveAppProtocol(root, svc);
  const win = createWindow();
  const cleanups: Array<() => void> = [];
  const ctx: CallContext = {
    clientId: `window-${win.id}`,
    emit: (event, data) => {
      if (!win.isDestroyed()) win.webContents.send(IPC_EVENT, eventEnvelope(event, data));
    },
    onClose: (fn) => cleanups.push(fn),
  };
  handleTrusted(ipcMain, IPC_CALL, (_event, message) => dispatcher.handle(message, ctx), (url) =>
    log('warn', `IPC from untrusted frame ${url} refused`),
  );
  const started = Date.now();
  let seq = 0;
  const beat = setInterval(() => {
    const m = process.memoryUsage();
    ctx.emit('app.heartbeat', { seq: seq++, uptimeMs: Date.now() - started, rssBytes: m.rss, heapUsedBytes: m.heapUsed });
  }, 1000);
  win.on('closed', () => {
    clearInterval(beat);
    for (const fn of cleanups) fn();
  });
  buildMenu(win, svc, ctx);
  app.on('window-all-closed', () => app.quit());
}

app.on('before-quit', () => {
  void services?.dispose();
});

start().catch((err: unknown) => {
  log('error', `failed to start: ${err instanceof Error ? err.stack : String(err)}`);
  app.exit(1);
});
