/** axe-core in every section: no serious or critical accessibility findings. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from '@playwright/test';
import { expect, openLab, test } from './fixtures.js';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// the lab's CSP forbids injected scripts (rightly); the audit alone may bypass it
test.use({ bypassCSP: true });

async function audit(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const results = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run(document, {
      resultTypes: ['violations'],
    });
    return r.violations;
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`no serious or critical axe findings in any section (${scheme})`, async ({ page, lab }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await openLab(page, lab, '#/exercises/linux-process-memory/brk-or-mmap');
    await expect(page.getByRole('heading', { name: 'brk or mmap?' })).toBeVisible();
    expect(await audit(page)).toEqual([]);

    await page.goto(`${lab.url}#/simulator/oom-killer/7`);
    await expect(page.getByTestId('step-now')).toHaveText('7');
    expect(await audit(page)).toEqual([]);
    // the dock sized by its separator: its panel scrolls (focusable), the separator says its value
    const sash = page.getByRole('separator', { name: 'Resize simulator panels' });
    await sash.focus();
    await page.keyboard.press('Home');
    await expect(sash).toHaveAttribute('aria-valuenow', '120');
    expect(await audit(page)).toEqual([]);

    await page.goto(`${lab.url}#/host`);
    await expect(page.getByRole('heading', { name: 'Host', level: 1 })).toBeVisible();
    expect(await audit(page)).toEqual([]);
  });
}

// the Host view's live tables (meminfo, vmstat rates, processes, a process's map and history) only
// exist once the reading is on: audit them filled
const linux = process.platform === 'linux' && existsSync('/proc/self/status');
for (const scheme of ['light', 'dark'] as const) {
  test(`no serious or critical axe findings in the Host view with live readings on (${scheme})`, async ({ page, lab }) => {
    if (!linux) console.log('skipped: the host panel reads Linux /proc, and this is', process.platform);
    test.skip(!linux, 'the host panel reads Linux /proc');
    await page.emulateMedia({ colorScheme: scheme });
    await openLab(page, lab, '#/host');
    await page.getByTestId('host-toggle').check();
    await expect(page.getByRole('heading', { name: '/proc/meminfo' })).toBeVisible();
    // rates need two samples: wait for the vmstat table and the process list to fill
    await expect(page.locator('section[aria-labelledby="vm-h"] tbody tr').first()).toBeVisible();
    await expect(page.getByTestId('host-processes').locator('tbody tr').nth(1)).toBeVisible();
    // open this test runner's own process: it is ours, so its map is readable
    await page.getByTestId('process-filter').fill(String(process.pid));
    const row = page.locator(`tr[data-pid="${process.pid}"]`);
    await expect(row).toBeVisible();
    await row.getByRole('button').click();
    await expect(page.getByTestId('host-pmap').locator('tbody tr').first()).toBeVisible();
    await expect(page.getByTestId('status-fields')).toContainText('VmRSS');
    await page.getByRole('button', { name: 'Read smaps_rollup (PSS, USS)' }).click();
    await expect(page.getByTestId('rollup')).toContainText('PSS');
    // the history chart draws once two samples are in
    await expect(page.getByTestId('process-history').locator('canvas').first()).toBeVisible({ timeout: 15_000 });
    await page.getByTestId('process-filter').fill('');
    await expect(page.getByTestId('host-processes').locator('tbody tr').nth(1)).toBeVisible();
    expect(await audit(page)).toEqual([]);
  });
}
