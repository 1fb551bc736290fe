import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, openLab, test } from './fixtures.js';

const linux = process.platform === 'linux' && existsSync('/proc/self/status');

test('the host panel: off by default, then real /proc, a known process and its map, and an experiment beside the prediction', async ({ page, lab, foreignRequests }) => {
  test.skip(!linux, 'the host panel reads Linux /proc');
  // a process with a known allocation: 48 MiB written
  const holder = spawn(process.execPath, ['-e', 'const b = Buffer.alloc(48 * 1024 * 1024, 1); process.stdout.write("ready\\n"); setInterval(() => b[0]++, 1000);'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
    await openLab(page, lab, '#/host');
    await expect(page.getByTestId('host-toggle')).not.toBeChecked();
    await expect(page.getByTestId('host-processes')).toHaveCount(0); // nothing is read while it is off
    await page.getByTestId('host-toggle').check();
    await expect(page.getByRole('heading', { name: '/proc/meminfo' })).toBeVisible();
    await page.getByTestId('process-filter').fill(String(holder.pid));
    const row = page.locator(`tr[data-pid="${holder.pid}"]`);
    await expect(row).toBeVisible();
    // sizes read as people read them (MiB), the kB /proc gives behind them
    await expect(row.locator('td').nth(3)).toHaveText(/^[\d.,]+ (KiB|MiB|GiB)$/);
    const res = Number(await row.locator('td').nth(3).getAttribute('data-kb'));
    expect(res).toBeGreaterThan(48 * 1024);
    await row.getByRole('button').click();
    await expect(page.getByTestId('host-pmap')).toContainText('[heap]');
    await expect(page.getByTestId('host-pmap').locator('tr[data-segment="anonymous"]').first()).toBeVisible();
    await expect(page.getByTestId('status-fields')).toContainText('VmRSS');
    await expect(page.getByTestId('status-fields')).toContainText('pages in RAM now');
    await page.getByRole('button', { name: 'Read smaps_rollup (PSS, USS)' }).click();
    await expect(page.getByTestId('rollup')).toContainText('PSS');

    await page.getByTestId('read-pss').click();
    await expect(row.locator('td[data-col="pss"]')).toHaveText(/^\d+$/);
    expect(Number(await row.locator('td[data-col="pss"]').textContent())).toBeGreaterThan(40 * 1024);

    await page.getByTestId('experiment-size').fill('32');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const result = page.getByTestId('experiment-result');
    await expect(result).toContainText('simulator predicts');
    await expect(result).toContainText('this kernel measured');
    const cells = await result.locator('tbody tr').first().locator('td').allTextContents();
    const [pred, meas] = cells.map((c) => Number(c.replace(/\D/g, '')));
    expect(pred).toBeGreaterThan(32 * 1024 * 0.95);
    expect(Math.abs(meas! - pred!)).toBeLessThan(pred! * 0.25);
    expect(foreignRequests).toEqual([]);
  } finally {
    holder.kill();
  }
});
