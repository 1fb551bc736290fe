/**
 * The Electron window itself, through Playwright's _electron. Runs where the Electron binary
 * exists (or ELECTRON_OVERRIDE_DIST_PATH names one); elsewhere it is skipped and says why.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { findElectronBinary } from '../app/node/electron-binary.js';
import { ROOT } from './fixtures.js';

const found = findElectronBinary(ROOT);
if (!found.ok) console.log(`electron e2e skipped: ${found.reason}`);

test.describe('Electron shell', () => {
  test.skip(!found.ok, found.ok ? '' : `no Electron binary: ${found.ok ? '' : found.reason}`);

  test('opens the lab over IPC, sandboxed, and denies window.open', async () => {
    const app = await electron.launch({
      executablePath: found.ok ? found.path : undefined,
      args: [ROOT, '--no-sandbox'],
      env: { ...process.env, MEMLAB_DATA_DIR: '' },
    });
    try {
      const page = await app.firstWindow();
      await expect(page.getByTestId('connection-status')).toContainText('via Electron IPC');
      for (const section of ['simulator', 'host', 'exercises']) {
        await page.locator(`nav a[data-section="${section}"]`).click();
        await expect(page.locator(`nav a[data-section="${section}"]`)).toHaveAttribute('aria-current', 'page');
      }
      // no Node in the page, only the two-function bridge
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => Object.keys((window as unknown as { memlabBridge: object }).memlabBridge).sort())).toEqual(['invoke', 'onEvent']);
      const opened = await page.evaluate(() => window.open('https://example.com') === null);
      expect(opened).toBe(true);
      expect(app.windows()).toHaveLength(1);
      // sandboxed and isolated: the page sees neither Node's process nor the preload's electron
      expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
      const csp = await page.evaluate(async () => (await fetch(location.href)).headers.get('content-security-policy'));
      expect(csp).toContain("script-src 'self'");
    } finally {
      await app.close();
    }
  });
});
