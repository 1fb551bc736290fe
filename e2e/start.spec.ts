/**
 * A newcomer's `npm start`: on a machine without the Electron binary it says why in one line and
 * serves the lab on 127.0.0.1; the lab then works through every section of its nav over the socket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { findElectronBinary } from '../app/node/electron-binary.js';
import { ROOT } from './fixtures.js';

/** what each section does when it works: something only an answer from the server can show, and a move the learner makes */
const SECTION_WORKS: Record<string, (page: Page) => Promise<void>> = {
  start: async (page) => {
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome to memlab');
    // the built-in pack's exercises, counted from the server's list
    await expect(page.getByTestId('start-progress')).toHaveText(/\b0 of [1-9]\d* done/);
  },
  exercises: async (page) => {
    // the built-in pack opens, not an empty picker
    await expect(page).toHaveURL(/#\/exercises\/[^/]+$/);
    await expect(page.getByTestId('pack-select')).not.toHaveValue('');
  },
  simulator: async (page) => {
    // the starter scenario loads and a step forward runs it
    await expect(page.getByTestId('playback')).toHaveAttribute('aria-busy', 'false');
    await expect(page.getByTestId('step-now')).toHaveText('0');
    await expect(page.getByTestId('frame-grid')).toBeVisible();
    await page.getByRole('button', { name: 'Step forward' }).click();
    await expect(page.getByTestId('step-now')).toHaveText('1');
  },
  policies: async (page) => {
    // a first visit runs the default reference string; stepping moves through it
    await expect(page.getByTestId('position')).toHaveText(/^Access 0 of [1-9]\d*$/);
    await page.getByTestId('step').click();
    await expect(page.getByTestId('position')).toHaveText(/^Access 1 of [1-9]\d*: page \d+$/);
  },
  host: async (page) => {
    await expect(page.getByRole('heading', { name: 'Host', level: 1 })).toBeVisible();
    if (process.platform !== 'linux') return void (await expect(page.getByTestId('host-unavailable')).toBeVisible());
    // this machine's /proc, read by the server once the learner switches it on
    await page.getByTestId('host-toggle').check();
    await expect(page.getByTestId('host-processes').locator('tbody tr').first()).toBeVisible();
  },
};

test('npm start serves the lab where there is no Electron binary, and all sections work', async ({ page }) => {
  const electron = findElectronBinary(ROOT);
  test.skip(electron.ok, 'an Electron binary is present here, so npm start opens a window (covered by electron.spec.ts)');
  let child: ChildProcess | undefined;
  try {
    child = spawn('npm', ['start', '--silent', '--', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'mlab-start-'))], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
      detached: true,
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(out)), 45_000);
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /serving the lab at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const lines = out.split('\n').filter((l) => l.startsWith('memlab:') && l.includes('no Electron window'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no Electron window: .+; serving the lab in your browser instead\./);

    // the printed link carries the token; the lab trades it for a cookie and shows the clean URL
    await page.goto(url);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open');
    expect(page.url()).not.toContain('token');
    // every section the nav offers, each doing its own work over the socket
    const nav = await page.locator('nav a[data-section]').evaluateAll((as) => as.map((a) => a.getAttribute('data-section')!));
    expect(nav).toEqual(expect.arrayContaining(['start', 'exercises', 'simulator', 'policies', 'host']));
    for (const section of nav) {
      const works = SECTION_WORKS[section];
      expect(works, `the nav's section "${section}" has a check here`).toBeDefined();
      await page.locator(`nav a[data-section="${section}"]`).click();
      await expect(page.locator(`nav a[data-section="${section}"]`)).toHaveAttribute('aria-current', 'page');
      await works!(page);
    }
  } finally {
    if (child?.pid) process.kill(-child.pid, 'SIGTERM');
  }
});
