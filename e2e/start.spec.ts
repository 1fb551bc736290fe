/**
 * A newcomer's `npm start`: on a machine without the Electron binary it says why in one line and
 * serves the lab on 127.0.0.1; the lab then works through all three sections over the socket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { findElectronBinary } from '../app/node/electron-binary.js';
import { ROOT } from './fixtures.js';

test('npm start serves the lab where there is no Electron binary, and all sections work', async ({ page }) => {
  test.skip(true, 'out of date since the Start and Policies sections joined the nav (#16, #18); to be updated, see the issue #16 note');
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
    for (const section of ['exercises', 'simulator', 'host']) {
      await page.locator(`nav a[data-section="${section}"]`).click();
      await expect(page.locator(`nav a[data-section="${section}"]`)).toHaveAttribute('aria-current', 'page');
      await expect(page.locator('main h1').first()).toBeVisible();
    }
  } finally {
    if (child?.pid) process.kill(-child.pid, 'SIGTERM');
  }
});
