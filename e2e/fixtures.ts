/**
 * e2e fixtures: a real `memlab serve` (the built app) on a free loopback port with a fresh
 * data directory, and a page that records every request so tests can assert nothing leaves
 * the machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';

export const ROOT = join(import.meta.dirname, '..');

export interface Lab {
  /** the link memlab printed: it carries the token (the first visit trades it for a cookie) */
  url: string;
  /** the token in that link, for clients that are not a browser */
  token: string;
  origin: string;
  dataDir: string;
  /** Everything the server printed on stderr (its log). */
  log(): string;
  /** Stop and start the server again on the same data dir (progress must survive). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLab(opts: { dataDir?: string; extraArgs?: string[]; env?: Record<string, string> } = {}): Promise<Lab> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'memlab-e2e-'));
  let child: ChildProcess;
  let stderr = '';
  let url = '';
  /** a restart comes back on the same port, as `memlab serve` does on its default port, so open tabs can reconnect */
  let port = '0';
  const boot = async () => {
    child = spawn(process.execPath, [join(ROOT, 'bin', 'memlab.js'), 'serve', '--port', port, '--data-dir', dataDir, ...(opts.extraArgs ?? [])], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ...opts.env },
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`memlab serve did not start:\n${out}\n${stderr}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          port = new URL(m[1]!).port;
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`memlab serve exited with ${code}:\n${out}\n${stderr}`));
      });
    });
  };
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  await boot();
  const lab: Lab = {
    get url() {
      return url;
    },
    get origin() {
      return new URL(url).origin;
    },
    get token() {
      return new URL(url).searchParams.get('token')!;
    },
    dataDir,
    log: () => stderr,
    restart: async () => {
      await stop();
      await boot();
    },
    stop,
  };
  return lab;
}

type Fixtures = {
  lab: Lab;
  /** Requests the page made to any origin other than the lab's own. */
  foreignRequests: string[];
};

export const test = base.extend<Fixtures>({
  lab: async ({}, use) => {
    const lab = await startLab();
    await use(lab);
    await lab.stop();
    rmSync(lab.dataDir, { recursive: true, force: true });
  },
  foreignRequests: async ({ page, lab }, use) => {
    const foreign: string[] = [];
    page.on('request', (req) => {
      const u = req.url();
      if (u.startsWith('data:') || u.startsWith('blob:') || u === 'about:blank') return;
      const origin = new URL(u).origin;
      const labOrigin = lab.origin;
      const wsOrigin = labOrigin.replace(/^http/, 'ws');
      if (origin !== labOrigin && origin !== wsOrigin) foreign.push(u);
    });
    await use(foreign);
  },
});

export { expect };

/** Open the lab and wait until the LabApi link is up. */
export async function openLab(page: Page, lab: Lab, hash = ''): Promise<void> {
  await page.goto(lab.url + hash);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open');
}

/** Open one of the simulator's panels (the tabs under the machine: charts, space, logs, lifecycle, edit, about). */
export async function openPanel(page: Page, id: 'charts' | 'space' | 'logs' | 'lifecycle' | 'edit' | 'real' | 'about'): Promise<void> {
  const tab = page.getByTestId(`panel-tab-${id}`).first();
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  await expect(page.getByTestId(`panel-${id}`).first()).toBeVisible();
}

/** A LabApi request as the page sent it over the socket. */
export type ApiRequest = { method?: string; id?: number; params?: Record<string, unknown> };
/** An answer held back from the page: the request it answers, and how to let it through. */
export type HeldAnswer = { request: ApiRequest; release: () => void };

/**
 * Hold the socket's answers to the requests `pick` chooses until the test lets each go: a request
 * stays "in flight" for as long as the test likes, and answers can be made to land in any order.
 * Call before the page opens the lab; the returned list fills as answers are held.
 */
export async function holdAnswers(page: Page, pick: (request: ApiRequest) => boolean): Promise<HeldAnswer[]> {
  const held: HeldAnswer[] = [];
  await page.routeWebSocket(/\/api(\?|$)/, (ws) => {
    const server = ws.connectToServer();
    const picked = new Map<number, ApiRequest>();
    ws.onMessage((m) => {
      const request = typeof m === 'string' ? (JSON.parse(m) as ApiRequest) : {};
      if (request.id !== undefined && pick(request)) picked.set(request.id, request);
      server.send(m);
    });
    server.onMessage((m) => {
      const id = typeof m === 'string' ? (JSON.parse(m) as { id?: number }).id : undefined;
      const request = id === undefined ? undefined : picked.get(id);
      if (request) {
        picked.delete(id!);
        held.push({ request, release: () => ws.send(m) });
        return;
      }
      ws.send(m);
    });
  });
  return held;
}
