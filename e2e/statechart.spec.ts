/** The kernel statechart is a diagram: states as boxes, transitions as labelled arrows, with what ran lit. */
import { guardName, kernelMachine } from '../app/common/kernel/machine.js';
import { expect, openLab, test } from './fixtures.js';

/** One arrow the machine's definition calls for: from a state to a target, labelled with its event (or, eventless, its guard). */
interface Arrow {
  from: string;
  to: string;
  label: string;
}
/**
 * Every transition of each region of the kernel machine, read from xstate's own state nodes (evented
 * ones are in a Map by event, eventless ones in `always`), one arrow per target, self-loops included;
 * targetless (internal) transitions are written in their state's box, not drawn as arrows.
 */
function machineArrows(): Map<string, { states: number; arrows: Arrow[] }> {
  type Node = { id: string; key: string; states: Record<string, Node>; transitions: Map<string, T[]>; always?: T[] };
  type T = { eventType: string; target?: Array<{ id: string }>; guard?: unknown };
  const short = (id: string) => id.replace(/^kernel\./, '');
  const out = new Map<string, { states: number; arrows: Arrow[] }>();
  for (const region of Object.values((kernelMachine.root as unknown as Node).states)) {
    const arrows: Arrow[] = [];
    for (const st of Object.values(region.states)) {
      for (const t of [...[...st.transitions.values()].flat(), ...(st.always ?? [])]) {
        const guard = guardName(t.guard);
        const label = t.eventType ? (guard ? `${t.eventType} [${guard}]` : t.eventType) : (guard ?? '[else]');
        for (const to of t.target ?? []) arrows.push({ from: short(st.id), to: short(to.id), label });
      }
    }
    out.set(region.key, { states: Object.keys(region.states).length, arrows });
  }
  return out;
}
const byKey = (a: Arrow, b: Arrow) => `${a.from} ${a.to} ${a.label}`.localeCompare(`${b.from} ${b.to} ${b.label}`);

test('the statechart draws every transition as an arrow and lights the path through the OOM kill', async ({ page, lab, foreignRequests }) => {
  const regions = machineArrows();
  expect([...regions.keys()]).toEqual(['cpu', 'kswapd']);
  // the page fault handler is re-entered when kswapd's region moves: two self-loops, one per watermark crossed
  const loops = regions.get('cpu')!.arrows.filter((a) => a.from === 'cpu.pageFault' && a.to === 'cpu.pageFault');
  expect(loops).toHaveLength(2);
  await page.setViewportSize({ width: 1024, height: 640 });
  await openLab(page, lab, '#/simulator/oom-killer/0');
  await expect(page.getByTestId('step-now')).toHaveText('0');

  const cpu = page.locator('svg[data-region="cpu"]');
  await expect(cpu).toBeVisible();
  // each region draws exactly the machine's transitions: the same sources, targets and labels, self-loops included
  for (const [key, { states, arrows }] of regions) {
    const svg = page.locator(`section[data-chart="kernel"] svg[data-region="${key}"]`);
    await expect(svg).toHaveAttribute('aria-label', `${key}: ${states} states, ${arrows.length} transitions`);
    await expect(svg.locator('[data-edge]')).toHaveCount(arrows.length);
    const drawn = await svg.locator('[data-edge]').evaluateAll((els) =>
      els.map((e) => ({ from: e.getAttribute('data-from')!, to: e.getAttribute('data-to')!, label: e.querySelector('text')!.textContent! })),
    );
    expect(drawn.sort(byKey), key).toEqual([...arrows].sort(byKey));
  }
  await expect(page.locator('section[data-chart="kernel"] [data-edge]')).toHaveCount([...regions.values()].reduce((n, r) => n + r.arrows.length, 0));
  // each arrow has a route with an arrowhead and a label (the event, or the guard of an eventless one)
  const access = page.locator('[data-edge][data-from="cpu.running"][data-to="cpu.pageFault"]');
  await expect(access).toHaveCount(1);
  await expect(access.locator('text')).toHaveText('ACCESS');
  await expect(access.locator('path')).toHaveAttribute('marker-end', /^url\(#arrow-/);
  // the two self-loops on pageFault, each labelled with its guard and ending in an arrowhead
  const loop = page.locator('[data-edge][data-from="cpu.pageFault"][data-to="cpu.pageFault"]');
  await expect(loop).toHaveCount(loops.length);
  await expect(loop.locator('text')).toHaveText(loops.map((l) => l.label));
  for (const path of await loop.locator('path').all()) await expect(path).toHaveAttribute('marker-end', /^url\(#arrow-/);
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
  const intoSwapIn = page.locator('[data-edge][data-to="cpu.swapIn"]');
  await expect(intoSwapIn).toHaveCount(regions.get('cpu')!.arrows.filter((a) => a.to === 'cpu.swapIn').length);
  await expect(page.locator('[data-edge][data-to="cpu.swapIn"][data-taken]')).toHaveCount(0);

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
