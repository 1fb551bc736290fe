/**
 * Loads the real Electron main process (app/electron-main/main.ts) against a recording fake of
 * the `electron` module and checks the hardening the security checklist asks for. A handler
 * registered without the sender check, a loosened webPreference or a remote origin in the CSP
 * fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

type Listener = (...args: any[]) => any;
const rec = vi.hoisted(() => ({
  windows: [] as Array<{ options: any; handlers: Record<string, Listener>; webContents: any }>,
  ipcHandlers: new Map<string, Listener>(),
  ipcOn: [] as string[],
  permissionRequest: undefined as Listener | undefined,
  permissionCheck: undefined as Listener | undefined,
  beforeRequest: undefined as Listener | undefined,
  protocolHandlers: new Map<string, Listener>(),
  privileged: [] as any[],
  appEvents: new Map<string, Listener[]>(),
  switches: [] as string[],
}));

vi.mock('electron', () => {
  const on = (name: string, fn: Listener) => {
    const list = rec.appEvents.get(name) ?? [];
    list.push(fn);
    rec.appEvents.set(name, list);
  };
  class BrowserWindow {
    id = rec.windows.length + 1;
    webContents = { send: vi.fn(), getURL: () => 'app://memlab/index.html' };
    private handlers: Record<string, Listener> = {};
    constructor(options: any) {
      rec.windows.push({ options, handlers: this.handlers, webContents: this.webContents });
    }
    once(name: string, fn: Listener) {
      this.handlers[name] = fn;
    }
    on(name: string, fn: Listener) {
      this.handlers[name] = fn;
    }
    loadURL = vi.fn(async () => {});
    show = vi.fn();
    isDestroyed = () => false;
  }
  const electron = {
    app: {
      // a packaged app: devtools: is refused like any other scheme
      isPackaged: true,
      whenReady: () => Promise.resolve(),
      getPath: () => '/tmp/memlab-electron-test',
      on,
      quit: vi.fn(),
      exit: vi.fn(),
      commandLine: { appendSwitch: (s: string) => rec.switches.push(s) },
    },
    BrowserWindow,
    ipcMain: {
      handle: (channel: string, fn: Listener) => rec.ipcHandlers.set(channel, fn),
      on: (channel: string) => rec.ipcOn.push(channel),
    },
    protocol: {
      registerSchemesAsPrivileged: (s: any[]) => rec.privileged.push(...s),
      handle: (scheme: string, fn: Listener) => rec.protocolHandlers.set(scheme, fn),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: Listener) => (rec.permissionRequest = fn),
        setPermissionCheckHandler: (fn: Listener) => (rec.permissionCheck = fn),
        webRequest: { onBeforeRequest: (fn: Listener) => (rec.beforeRequest = fn) },
      },
    },
    Menu: { setApplicationMenu: vi.fn(), buildFromTemplate: (t: unknown) => t },
    dialog: { showOpenDialog: vi.fn() },
    shell: { openPath: vi.fn(), openExternal: vi.fn() },
  };
  return { ...electron, default: electron };
});

beforeAll(async () => {
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  await import('../app/electron-main/main.js');
  await vi.waitFor(() => expect(rec.ipcHandlers.size).toBeGreaterThan(0));
});

const trusted = { url: 'app://memlab/index.html', parent: null };

describe('Electron window', () => {
  it('uses the hardened webPreferences', () => {
    expect(rec.windows).toHaveLength(1);
    const wp = rec.windows[0]!.options.webPreferences;
    expect(wp).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(wp.enableRemoteModule).toBeUndefined();
    expect(wp.preload).toMatch(/preload\.cjs$/);
    expect(rec.windows[0]!.options.minWidth).toBe(1024);
    expect(rec.windows[0]!.options.minHeight).toBe(640);
  });

  it('loads the page from its own privileged scheme, never file:// or http', async () => {
    expect(rec.privileged).toEqual([expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) })]);
    const handler = rec.protocolHandlers.get('app')!;
    const res: Response = await handler(new Request('app://memlab/index.html'));
    const csp = res.headers.get('Content-Security-Policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/https?:|\*|unsafe-eval/);
    expect(csp.split(';').find((d) => d.trim().startsWith('script-src'))).not.toContain('unsafe-inline');
    const escape: Response = await handler(new Request('app://memlab/..%2F..%2F..%2Fetc%2Fpasswd'));
    expect(escape.status).toBe(404);
  });

  it('answers a malformed app:// URL and a source map with 404, never an exception', async () => {
    const handler = rec.protocolHandlers.get('app')!;
    for (const url of ['app://memlab/%', 'app://memlab/%E0%A4%A', 'app://memlab/a%zzb.js', 'app://memlab/assets/index.js.map', 'app://memlab/index.html%00.png', 'app://other/index.html']) {
      const res: Response = await handler(new Request(url));
      expect(res.status, url).toBe(404);
    }
  });

  it('refuses every permission request and check', () => {
    for (const perm of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const cb = vi.fn();
      rec.permissionRequest!({}, perm, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(rec.permissionCheck!({}, perm)).toBe(false);
    }
  });

  it('blocks every network request', () => {
    for (const [url, cancel] of [
      ['https://example.com/x.png', true],
      ['http://127.0.0.1:8080/', true],
      ['ws://evil.example/', true],
      ['app://memlab/index.html', false],
      ['app://other/index.html', true],
      ['devtools://devtools/bundled/inspector.html', true],
      ['data:text/html,<script>alert(1)</script>', true],
      ['blob:app://memlab/0b4f-11', true],
      ['file:///etc/passwd', true],
      ['not a url', true],
    ] as const) {
      const cb = vi.fn();
      rec.beforeRequest!({ url }, cb);
      expect(cb, url).toHaveBeenCalledWith({ cancel });
    }
  });

  it('denies window.open and navigation away from the app', () => {
    const created = rec.appEvents.get('web-contents-created')![0]!;
    const handlers: Record<string, Listener> = {};
    let openHandler: Listener | undefined;
    const contents = {
      setWindowOpenHandler: (fn: Listener) => (openHandler = fn),
      on: (name: string, fn: Listener) => (handlers[name] = fn),
      getURL: () => 'app://memlab/index.html',
    };
    created({}, contents);
    expect(openHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'app://memlab/index.html' })).toEqual({ action: 'deny' });
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'app://memlab/other.html', 'javascript:alert(1)']) {
      const ev = { preventDefault: vi.fn() };
      handlers['will-navigate']!(ev, url);
      expect(ev.preventDefault, url).toHaveBeenCalled();
    }
    const inPage = { preventDefault: vi.fn() };
    handlers['will-navigate']!(inPage, 'app://memlab/index.html#/simulator');
    expect(inPage.preventDefault).not.toHaveBeenCalled();
    const wv = { preventDefault: vi.fn() };
    handlers['will-attach-webview']!(wv);
    expect(wv.preventDefault).toHaveBeenCalled();
  });
});

describe('menu', () => {
  it('File ▸ Open Pack Folder… opens the pack through the pack service and tells the page', async () => {
    const electron = (await import('electron')) as unknown as { Menu: { setApplicationMenu: { mock: { calls: unknown[][] } } }; dialog: { showOpenDialog: { mockResolvedValueOnce: (v: unknown) => void } } };
    const template = electron.Menu.setApplicationMenu.mock.calls.at(-1)![0] as Array<{ label?: string; submenu?: Array<{ label?: string; click?: () => void }> }>;
    const item = template.find((m) => m.label === 'File')!.submenu!.find((i) => i.label === 'Open Pack Folder…')!;
    electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [join(import.meta.dirname, '..', 'exercises', 'linux-process-memory')] });
    const send = rec.windows[0]!.webContents.send as ReturnType<typeof vi.fn>;
    send.mockClear();
    item.click!();
    // the pack is parsed in a worker thread, which may take a moment to start
    await vi.waitFor(() => expect(send).toHaveBeenCalledWith('memlab:event', expect.objectContaining({ event: expect.stringMatching(/pack\.changed|app\.notice/) })), { timeout: 20_000 });
    const [, envelope] = send.mock.calls.find((c) => (c[1] as { event: string }).event !== 'app.heartbeat')!;
    expect(envelope).toMatchObject({ event: 'pack.changed', data: { packId: 'linux-process-memory' } });
  });
});

describe('IPC', () => {
  it('checks the sender frame in every handler', async () => {
    expect(rec.ipcOn).toEqual([]); // fire-and-forget channels would bypass the check
    for (const [channel, handler] of rec.ipcHandlers) {
      for (const frame of [
        { url: 'https://evil.example/', parent: null },
        { url: 'app://memlab/index.html', parent: { url: 'app://memlab/index.html' } }, // an iframe
        { url: 'file:///tmp/x.html', parent: null },
        { url: 'app://memlab/other.html', parent: null }, // the app's scheme, but not its page
        { url: 'app://memlab/index.html?x=1', parent: null },
        { url: 'app://memlab/index.html/', parent: null },
        { url: 'app://memlab:80/index.html', parent: null },
        null,
      ]) {
        expect(() => handler({ senderFrame: frame }, { v: 1, id: 1, method: 'app.ping', params: { nonce: 'x' } }), channel).toThrow(/refused/);
      }
      const ok = await handler({ senderFrame: trusted }, { v: 1, id: 7, method: 'app.ping', params: { nonce: 'n' } });
      expect(ok).toMatchObject({ id: 7, ok: true, result: { nonce: 'n' } });
      // the page on one of its hash routes is the same page
      const routed = await handler({ senderFrame: { url: 'app://memlab/index.html#/simulator/x', parent: null } }, { v: 1, id: 8, method: 'app.ping', params: { nonce: 'r' } });
      expect(routed).toMatchObject({ id: 8, ok: true });
    }
  });

  it('answers malformed and unknown messages with a typed error and keeps serving', async () => {
    const call = rec.ipcHandlers.get('memlab:call')!;
    const bad = [
      ['not an object', 'bad-envelope'],
      [{ v: 1, id: 2, method: 'no.such', params: {} }, 'unknown-method'],
      [{ v: 1, id: 3, method: 'app.ping', params: { nonce: 42 } }, 'bad-params'],
      [{ v: 99, id: 4, method: 'app.ping', params: {} }, 'unsupported-version'],
    ] as const;
    for (const [msg, code] of bad) {
      const r = await call({ senderFrame: trusted }, msg);
      expect(r).toMatchObject({ ok: false, error: { code } });
    }
    expect(await call({ senderFrame: trusted }, { v: 1, id: 5, method: 'app.info', params: {} })).toMatchObject({
      ok: true,
      result: { host: 'electron' },
    });
  });

  it('registers IPC handlers only through handleTrusted', () => {
    const dir = join(import.meta.dirname, '..', 'app');
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(c?ts)$/.test(e.name) && !e.name.endsWith('.test.ts') && !p.endsWith(join('electron-main', 'ipc.ts'))) {
          if (/ipcMain\.(handle|on|once|handleOnce)\s*\(/.test(readFileSync(p, 'utf8'))) offenders.push(p);
        }
      }
    };
    walk(dir);
    expect(offenders).toEqual([]);
  });
});

describe('packaging', () => {
  it('the request policy allows devtools: only in development, and data:/blob: never', async () => {
    const { isAllowedRequest } = await import('../app/electron-main/policy.js');
    expect(isAllowedRequest('devtools://devtools/bundled/x.html', { dev: true })).toBe(true);
    expect(isAllowedRequest('devtools://devtools/bundled/x.html', { dev: false })).toBe(false);
    expect(isAllowedRequest('devtools://devtools/bundled/x.html')).toBe(false);
    for (const dev of [true, false]) {
      for (const url of ['data:text/plain,x', 'blob:app://memlab/1', 'https://example.com/', 'file:///x']) expect(isAllowedRequest(url, { dev }), url).toBe(false);
      expect(isAllowedRequest('app://memlab/index.html', { dev })).toBe(true);
    }
  });

  it('electron-builder.yml sets the fuses: RunAsNode off, cookie encryption on, NODE_OPTIONS and --inspect off, ASAR integrity on, load only from ASAR', async () => {
    const { parse } = await import('yaml');
    const cfg = parse(readFileSync(join(import.meta.dirname, '..', 'electron-builder.yml'), 'utf8')) as { electronFuses?: Record<string, boolean>; asar?: boolean; files?: string[] };
    expect(cfg.asar).toBe(true);
    expect(cfg.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    expect(cfg.files).toContain('!**/*.map');
  });

  it('no source map is built for the renderer', async () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'vite.config.ts'), 'utf8');
    expect(text).toMatch(/sourcemap:\s*false/);
    const built = join(import.meta.dirname, '..', 'build', 'renderer', 'assets');
    let maps: string[] = [];
    try {
      maps = readdirSync(built).filter((f) => f.endsWith('.map'));
    } catch {
      maps = [];
    }
    expect(maps).toEqual([]);
  });
});
