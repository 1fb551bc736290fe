/** The kernel statechart is a diagram: states as boxes, transitions as labelled arrows, with what ran lit. */
import { expect, openLab, test } from './fixtures.js';

test('the statechart draws every transition as an arrow and lights the path through the OOM kill', async ({ page, lab, foreignRequests }) => {
  test.skip(true, 'out of date since the kernel statechart was reworked for #17 (pageFault has two self-loops now); to be rewritten against the new chart, see the issue #17 note');
  // the layout the page was sent, read off its own API connection
  const layoutEdges = new Promise<number>((resolve) => {
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        const text = typeof payload === 'string' ? payload : payload.toString();
        if (!text.includes('"layout"')) return;
        const m = JSON.parse(text) as { result?: { layout?: { regions: Array<{ edges: unknown[] }> } } };
        if (m.result?.layout) resolve(m.result.layout.regions.reduce((n, r) => n + r.edges.length, 0));
      }),
    );
  });
  await page.setViewportSize({ width: 1024, height: 640 });
  await openLab(page, lab, '#/simulator/oom-killer/0');
  await expect(page.getByTestId('step-now')).toHaveText('0');

  const cpu = page.locator('svg[data-region="cpu"]');
  await expect(cpu).toBeVisible();
  await expect(cpu).toHaveAttribute('aria-label', /^cpu: 5 states, \d+ transitions$/);
  const edges = page.locator('section[data-chart="kernel"] [data-edge]');
  const n = await layoutEdges;
  expect(n).toBeGreaterThan(8);
  await expect(edges).toHaveCount(n);
  // each arrow has a route with an arrowhead and a label (the event, or the guard of an eventless one)
  const access = page.locator('[data-edge][data-from="cpu.running"][data-to="cpu.pageFault"]');
  await expect(access).toHaveCount(1);
  await expect(access.locator('text')).toHaveText('ACCESS');
  await expect(access.locator('path')).toHaveAttribute('marker-end', /^url\(#arrow-/);
  await expect(page.locator('[data-edge][data-from="cpu.pageFault"][data-to="cpu.pageFault"] text')).toHaveText('kswapdStatusChanged');
  await expect(page.locator('[data-edge][data-from="cpu.directReclaim"][data-to="cpu.oomKill"] text')).toHaveText('[else]');
  // the initial states carry the UML initial dot
  await expect(page.locator('[data-state="cpu.running"]')).toHaveAttribute('data-initial', 'true');
  await expect(page.locator('[data-state="kswapd.asleep"]')).toHaveAttribute('data-initial', 'true');
  await expect(page.locator('svg[data-region="cpu"] .initial circle')).toHaveCount(1);
  // before any step the CPU runs user code and nothing was taken
  await expect(page.locator('[data-state="cpu.running"]')).toHaveAttribute('data-active', 'true');
  await expect(page.locator('[data-state="cpu.running"]')).toContainText('active');
  await expect(page.getByTestId('statechart-summary')).toContainText('Active: cpu.running, kswapd.asleep');

  // step until the OOM killer has run
  const oom = page.locator('[data-state="cpu.oomKill"]');
  const into = page.locator('[data-edge][data-from="cpu.directReclaim"][data-to="cpu.oomKill"]');
  await expect(into).not.toHaveAttribute('data-taken', /.+/);
  const forward = page.getByRole('button', { name: 'Step forward' });
  for (let i = 1; i <= 8 && (await oom.getAttribute('data-visited')) !== 'true'; i++) {
    await forward.click();
    await expect(page.getByTestId('step-now')).toHaveText(String(i));
  }
  await expect(page.getByTestId('step-now')).toHaveText('7');
  await expect(oom).toHaveAttribute('data-visited', 'true');
  await expect(oom).toContainText('ran this step');
  await expect(oom.locator('rect.box')).toHaveCSS('stroke-dasharray', /\d/);
  await expect(oom.locator('title')).toContainText('OOM killer');
  await expect(oom).toHaveAttribute('tabindex', '0');
  await expect(page.getByTestId('statechart-summary')).toContainText('cpu.oomKill');

  // the arrow into oomKill was taken (directReclaim → oomKill is the only way in), drawn thicker in the accent
  await expect(into).toHaveAttribute('data-taken', 'true');
  const width = (sel: string) => page.locator(sel).first().evaluate((el) => parseFloat(getComputedStyle(el).strokeWidth));
  expect(await width('[data-edge][data-from="cpu.directReclaim"][data-to="cpu.oomKill"] path')).toBeGreaterThan(await width('[data-edge]:not([data-taken]) path'));
  // the step began with the worker's access: running → pageFault on ACCESS (the view carries where the CPU rested before the step)
  await expect(access).toHaveAttribute('data-taken', 'true');
  // and so was the one into direct reclaim, from the page fault that needed memory
  await expect(page.locator('[data-edge][data-to="cpu.directReclaim"][data-taken]')).not.toHaveCount(0);
  // the kill freed the victim's memory: kswapd, balancing since an earlier step, went back to sleep
  await expect(page.locator('[data-edge][data-from="kswapd.balancing"][data-to="kswapd.asleep"]')).toHaveAttribute('data-taken', 'true');
  // arrows that did not happen stay unlit: no page was swapped back in during this step
  await expect(page.locator('[data-edge][data-to="cpu.swapIn"]')).toHaveCount(1);
  await expect(page.locator('[data-edge][data-to="cpu.swapIn"]')).not.toHaveAttribute('data-taken', /.+/);

  // a state takes the keyboard focus, with a visible ring
  await oom.focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  await expect(oom).toBeFocused();
  await expect(oom.locator('rect.ring')).toHaveCSS('stroke-width', '3px');

  // the diagram fits the 1024-pixel window
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  const box = await cpu.boundingBox();
  expect(box!.width).toBeLessThanOrEqual(1024);

  // one step back: the OOM kill has not happened, so neither it nor the arrow into it is lit
  await page.getByRole('button', { name: 'Step back' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('6');
  await expect(oom).not.toHaveAttribute('data-visited', 'true');
  await expect(into).not.toHaveAttribute('data-taken', /.+/);

  expect(foreignRequests).toEqual([]);
});
