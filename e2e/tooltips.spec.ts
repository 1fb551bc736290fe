/**
 * Every number in the lab says which /proc field it is: its own title, or its column's header's
 * (the header also carries it as an accessible description), names a /proc file.
 */
import { existsSync } from 'node:fs';
import type { Locator } from '@playwright/test';
import { expect, openLab, test, openPanel } from './fixtures.js';

const PROC = /\/proc\//;
const linux = process.platform === 'linux' && existsSync('/proc/self/status');

/**
 * The numeric cells of a table that name no /proc file, neither in their own title nor in their
 * column header's; and how many numeric cells there were.
 */
async function untitledNumbers(table: Locator): Promise<{ count: number; missing: string[] }> {
  return table.evaluate((t: HTMLTableElement) => {
    const heads = Array.from(t.tHead?.rows[0]?.cells ?? []);
    const missing: string[] = [];
    let count = 0;
    for (const row of Array.from(t.tBodies[0]?.rows ?? [])) {
      for (const cell of Array.from(row.cells)) {
        const text = cell.textContent?.trim() ?? '';
        if (!/^[-+]?[\d.,]+( kB| KiB| MiB| GiB)?$/.test(text)) continue; // a number (hex addresses too are checked: 0000…)
        count++;
        const own = cell.getAttribute('title') ?? '';
        const head = cell.tagName === 'TD' && heads[cell.cellIndex] ? (heads[cell.cellIndex]!.getAttribute('title') ?? '') : '';
        if (!/\/proc\//.test(own) && !/\/proc\//.test(head)) missing.push(`${heads[cell.cellIndex]?.textContent ?? '?'}=${text}`);
      }
    }
    return { count, missing };
  });
}

/** The header is described (aria-describedby) by the same text its tooltip shows. */
async function expectDescribedHeader(header: Locator, like: RegExp) {
  const title = await header.getAttribute('title');
  expect(title).toMatch(like);
  await expect(header).toHaveAccessibleDescription(title!);
}

test('simulator: every number in the process table, the pmap, the frame grid and the counters names its /proc field', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/oom-killer/7');
  await expect(page.getByTestId('step-now')).toHaveText('7');
  await page.locator('tr[data-proc="worker"]').getByRole('button', { name: 'worker' }).click();
  await openPanel(page, 'space');
  await expect(page.getByTestId('pmap')).toBeVisible();

  // top: every numeric cell, and the headers it leans on
  const top = page.getByRole('table', { name: 'Processes (like top)' });
  const t = await untitledNumbers(top);
  expect(t.count).toBeGreaterThan(20);
  expect(t.missing).toEqual([]);
  for (const th of await top.locator('thead th').all()) expect(await th.getAttribute('title')).toBeTruthy();
  await expectDescribedHeader(top.locator('th', { hasText: /^RES$/ }), /^VmRSS in \/proc\/PID\/status .*resident set size/);
  await expectDescribedHeader(top.locator('th', { hasText: /^SHR$/ }), /RssFile \+ RssShmem in \/proc\/PID\/status/);
  await expectDescribedHeader(top.locator('th', { hasText: /^SWAP$/ }), /VmSwap in \/proc\/PID\/status/);
  await expectDescribedHeader(top.locator('th', { hasText: /^VIRT$/ }), /VmSize in \/proc\/PID\/status/);
  await expectDescribedHeader(top.locator('th', { hasText: /^%MEM$/ }), /VmRSS .*÷ MemTotal in \/proc\/meminfo/);
  await expectDescribedHeader(top.locator('th', { hasText: /^oom_score$/ }), /^\/proc\/PID\/oom_score: /);
  await expect(top.locator('th', { hasText: /^majflt$/ })).toHaveAttribute('title', /field 12 of \/proc\/PID\/stat/);
  // the cells carry the tooltip themselves, not only their header
  await expect(page.locator('tr[data-proc="worker"] td').nth(2)).toHaveAttribute('title', /^VmRSS in \/proc\/PID\/status/);

  // pmap -x: its columns come from /proc/PID/smaps
  const pmap = page.getByTestId('pmap');
  const p = await untitledNumbers(pmap);
  expect(p.count).toBeGreaterThan(6);
  expect(p.missing).toEqual([]);
  await expectDescribedHeader(pmap.locator('th', { hasText: /^RSS$/ }), /^Rss in \/proc\/PID\/smaps/);
  await expectDescribedHeader(pmap.locator('th', { hasText: /^Kbytes$/ }), /^Size in \/proc\/PID\/smaps/);
  await expectDescribedHeader(pmap.locator('th', { hasText: /^Dirty$/ }), /Shared_Dirty \+ Private_Dirty in \/proc\/PID\/smaps/);
  for (const bar of await pmap.locator('.bar').all()) await expect(bar).toHaveAttribute('title', /resident.*swapped.*zero-page.*not in RAM.*\/proc\/PID\/smaps/);

  // the counters line: each is a /proc/vmstat counter
  const counters = page.locator('.counters [data-counter]');
  await expect(counters).toHaveCount(7);
  for (const c of await counters.all()) {
    const name = await c.getAttribute('data-counter');
    await expect(c).toHaveAttribute('title', new RegExp(`^${name} in /proc/vmstat: \\S`));
  }
  await expect(page.locator('[data-counter="pgmajfault"]')).toHaveAttribute('title', /pgmajfault in \/proc\/vmstat: major faults since boot — the task waited for I\/O/);
  await expect(page.locator('[data-counter="oom_kill"]')).toHaveAttribute('title', /\/proc\/vmstat: processes the OOM killer has killed/);

  // the frame grid: the legend's counts, MemFree and the watermarks
  const legend = page.locator('.legend .n');
  await expect(legend).toHaveCount(8);
  for (const n of await legend.all()) await expect(n).toHaveAttribute('title', /frames.*in \/proc\/meminfo/);
  await expect(page.locator('.legend li', { hasText: /^anonymous \d+$/ }).locator('.n')).toHaveAttribute('title', /AnonPages in \/proc\/meminfo/);
  const wm = page.getByTestId('watermarks');
  await expect(wm.locator('[data-field="meminfo.MemFree"]')).toHaveAttribute('title', /^MemFree in \/proc\/meminfo/);
  for (const w of ['min', 'low', 'high']) await expect(wm.locator(`[data-field="zoneinfo.${w}"]`)).toHaveAttribute('title', new RegExp(`^${w} in /proc/zoneinfo`));
});

test('host: every real /proc reading names its file and field', async ({ page, lab }) => {
  test.skip(!linux, 'the host panel reads Linux /proc');
  await openLab(page, lab, '#/host');
  await page.getByTestId('host-toggle').check();
  await expect(page.getByRole('heading', { name: '/proc/meminfo' })).toBeVisible();

  const meminfo = page.locator('section[aria-labelledby="mem-h"] table');
  for (const td of await meminfo.locator('td').all()) await expect(td).toHaveAttribute('title', /in \/proc\/meminfo \(kB\): \S/);
  await expect(meminfo.locator('tr', { hasText: 'MemFree' }).locator('td')).toHaveAttribute('title', /^MemFree in \/proc\/meminfo/);
  const vmstat = page.locator('section[aria-labelledby="vm-h"] table');
  for (const td of await vmstat.locator('td').all()) await expect(td).toHaveAttribute('title', /in \/proc\/vmstat: .*per second/);
  await expect(vmstat.locator('tr', { hasText: 'pgmajfault' }).locator('td')).toHaveAttribute('title', /^pgmajfault in \/proc\/vmstat: major faults/);
  const zones = page.getByTestId('host-zones');
  const z = await untitledNumbers(zones);
  expect(z.missing).toEqual([]);
  await expectDescribedHeader(zones.locator('th', { hasText: /^min$/ }), /^min in \/proc\/zoneinfo/);

  // the process table: our own test process is there and readable
  await page.getByTestId('process-filter').fill(String(process.pid));
  const row = page.locator(`tr[data-pid="${process.pid}"]`);
  await expect(row).toBeVisible();
  const procs = page.getByTestId('host-processes');
  const t = await untitledNumbers(procs);
  expect(t.count).toBeGreaterThan(8);
  expect(t.missing).toEqual([]);
  await expectDescribedHeader(procs.locator('th', { hasText: /^RES$/ }), /^VmRSS in \/proc\/PID\/status/);
  await expect(row.locator('td').nth(3)).toHaveAttribute('title', /^VmRSS in \/proc\/PID\/status/);

  // one process: its status lines and its pmap
  await row.getByRole('button').click();
  const pmap = page.getByTestId('host-pmap');
  await expect(pmap).toContainText('[heap]');
  const p = await untitledNumbers(pmap);
  expect(p.count).toBeGreaterThan(10);
  expect(p.missing).toEqual([]);
  await expectDescribedHeader(pmap.locator('th', { hasText: /^Swap$/ }), /^Swap in \/proc\/PID\/smaps/);
  await expect(page.getByTestId('status-fields').locator('dt', { hasText: /^VmRSS$/ })).toHaveAttribute('title', /^VmRSS in \/proc\/PID\/status: pages in RAM now/);
  for (const dd of await page.getByTestId('status-fields').locator('dd').all()) await expect(dd).toHaveAttribute('title', PROC);
});

test('simulator: the charts\' legends say which /proc field each line plots', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/oom-killer/7');
  await expect(page.getByTestId('step-now')).toHaveText('7');
  const mem = page.getByTestId('mem-chart').locator('.u-legend .u-series');
  await expect(mem.filter({ hasText: 'MemFree' })).toHaveAttribute('title', /^MemFree in \/proc\/meminfo/);
  await expect(mem.filter({ hasText: /^RSS database/ })).toHaveAttribute('title', /VmRSS in \/proc\/PID\/status/);
  await expect(mem.filter({ hasText: /^swap worker/ })).toHaveAttribute('title', /VmSwap in \/proc\/PID\/status/);
  await expect(mem.filter({ hasText: /^low/ })).toHaveAttribute('title', /^low in \/proc\/zoneinfo/);
  const rates = page.getByTestId('rate-chart').locator('.u-legend .u-series');
  await expect(rates.filter({ hasText: 'pgscan_direct' })).toHaveAttribute('title', /^pgscan_direct in \/proc\/vmstat: .*increase during each step/);
  // every series of both charts (but the x axis) has one
  for (const s of [...(await mem.all()).slice(1), ...(await rates.all()).slice(1)]) await expect(s).toHaveAttribute('title', /\/proc\//);
});
