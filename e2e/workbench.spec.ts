/** The workbench (issue #16): the machine on one screen, a frame grid that shows the lesson, a first screen that offers the next step. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, openLab, ROOT, test } from './fixtures.js';

const SCENARIOS = readdirSync(join(ROOT, 'exercises', 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

/** whether an element's box overlaps the viewport (at least part of it is on screen without scrolling) */
async function onScreen(page: Page, el: Locator): Promise<boolean> {
  const box = await el.boundingBox();
  const vp = page.viewportSize()!;
  return !!box && box.width > 0 && box.height > 0 && box.y < vp.height && box.y + box.height > 0 && box.x < vp.width && box.x + box.width > 0;
}

test('1280x800: after loading each built-in scenario, the controls, statechart, frame grid and process table are on screen together', async ({ page, lab }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await openLab(page, lab, '#/simulator');
  for (const id of SCENARIOS) {
    await page.getByTestId('scenario-select').selectOption(id);
    await page.getByRole('button', { name: 'Load', exact: true }).click();
    await expect(page.getByTestId('playback')).toHaveAttribute('aria-busy', 'false');
    await expect(page.getByTestId('step-now')).toHaveText('0');
    await expect(page.getByTestId('frame-grid')).toBeVisible();
    await page.evaluate(() => window.scrollTo(0, 0));
    const parts = {
      controls: page.getByTestId('playback'),
      statechart: page.locator('section.chart[data-chart="kernel"] svg').first(),
      'frame grid': page.getByTestId('frame-grid'),
      'process table': page.getByTestId('process-table'),
    };
    for (const [name, el] of Object.entries(parts)) await expect.poll(() => onScreen(page, el), `${id}: ${name} on screen`).toBe(true);
  }
});

test('1024x640: the controls and the frame grid they drive stay on screen together, also while scrolled', async ({ page, lab }) => {
  await page.setViewportSize({ width: 1024, height: 640 });
  await openLab(page, lab, '#/simulator/oom-killer/0');
  // the first visit lists the scenarios and opens one: slow on a loaded machine
  await expect(page.getByTestId('frame-grid')).toBeVisible({ timeout: 30_000 });
  expect(await onScreen(page, page.getByTestId('playback'))).toBe(true);
  expect(await onScreen(page, page.getByTestId('frame-grid'))).toBe(true);
  // the toolbar is sticky: scrolled down to the panels, the controls are still there
  await page.getByTestId('panel-tab-logs').scrollIntoViewIfNeeded();
  expect(await onScreen(page, page.getByTestId('playback'))).toBe(true);
});

/** pixels of the frame grid painted in each class's colours (the canvas says which colours it used) */
const painted = `(() => {
  const cv = document.querySelector('[data-testid="frame-grid"]');
  const cls = JSON.parse(cv.dataset.classColours || '{}');
  const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
  const out = {};
  for (const k of Object.keys(cls)) out[k] = 0;
  for (let i = 0; i < px.length; i += 4) {
    const c = px[i] + ',' + px[i + 1] + ',' + px[i + 2];
    for (const k of Object.keys(cls)) if (cls[k].includes(c)) out[k]++;
  }
  return out;
})()`;

/** a process's RssAnon in pages, as the table shows it (RES - SHR, kB) */
async function anonPages(page: Page, proc: string): Promise<number> {
  const row = page.locator(`tr[data-proc="${proc}"]`);
  const cols = await page.locator('table.top thead th').allTextContents();
  const cells = await row.locator('td').allTextContents();
  const at = (name: string) => Number(cells[cols.indexOf(name)]!.replace(/,/g, ''));
  return (at('RES') - at('SHR')) / 4;
}

test('fork and copy-on-write, step by step: the grid shows the pages still shared, and the copies the child made', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/fork-cow/3');
  await expect(page.getByTestId('step-now')).toHaveText('3');
  await expect(page.getByTestId('frame-grid')).toHaveAttribute('data-class-colours', /shared/);
  // before the fork nothing is shared
  await expect.poll(async () => ((await page.evaluate(painted)) as { shared: number }).shared).toBe(0);
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('4');
  // after fork: every anonymous page of the child is its parent's, shared, one cell a frame
  const shared = await anonPages(page, 'child');
  expect(shared).toBeGreaterThan(16000);
  await expect.poll(async () => ((await page.evaluate(painted)) as { shared: number }).shared).toBe(shared);
  await expect(page.locator('.legend li[data-class="7"] .n')).toHaveText(String(shared));
  // each process has a colour of its own (the table's swatch), the child's not its parent's
  const childColour = await page.locator('tr[data-proc="child"] .swatch').getAttribute('data-colour');
  const parentColour = await page.locator('tr[data-proc="parent"] .swatch').getAttribute('data-colour');
  expect(childColour).not.toBe(parentColour);
  /** pixels (one a frame here) painted in a process's private colour */
  const pixelsOf = (hex: string) =>
    page.evaluate((hex) => {
      const cv = document.querySelector('[data-testid="frame-grid"]') as HTMLCanvasElement;
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] === r && px[i + 1] === g && px[i + 2] === b) n++;
      return n;
    }, hex);
  // nothing is private to the child yet
  expect(await pixelsOf(childColour!)).toBe(0);
  const parentBefore = await pixelsOf(parentColour!);
  // the child writes a quarter: each page written is copied (a COW fault) and no longer shared
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('5');
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('6');
  const copied = Number((await page.locator('tr[data-proc="child"] td').allTextContents())[(await page.locator('table.top thead th').allTextContents()).indexOf('minflt')]);
  expect(copied).toBe(4097);
  await expect.poll(async () => ((await page.evaluate(painted)) as { shared: number }).shared).toBe(shared - copied);
  // every copy is private, in the child's colour; the page each was copied from is now mapped by
  // the parent alone (mapcount 1), so it is the parent's
  await expect.poll(() => pixelsOf(childColour!)).toBe(copied);
  expect(await pixelsOf(parentColour!)).toBe(parentBefore + copied);
  await page.getByTestId('frame-grid').screenshot({ path: test.info().outputPath('fork-cow-grid.png') });
});

test('a first visit lands on the start page; one click reaches the first exercise', async ({ page, lab }) => {
  await openLab(page, lab);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome to memlab');
  await expect(page.getByTestId('start-progress')).toContainText(/0 of \d+ done/);
  await page.getByTestId('start-first').click();
  await expect(page).toHaveURL(/#\/exercises\/[^/]+\/[^/]+$/);
  await expect(page.locator('#ex-title')).toBeVisible();
  // the next visit offers to continue there
  const title = await page.locator('#ex-title').textContent();
  await page.goto(lab.url);
  await expect(page.getByTestId('start-continue')).toBeVisible();
  await page.getByTestId('start-continue').click();
  await expect(page.locator('#ex-title')).toHaveText(title!);
});

test('the Exercises section opens the built-in pack, never an empty picker', async ({ page, lab }) => {
  await openLab(page, lab, '#/exercises');
  await expect(page).toHaveURL(/#\/exercises\/[^/]+$/);
  await expect(page.getByTestId('pack-select')).not.toHaveValue('');
});

test('the simulator\'s panels are tabs, and the one open is remembered', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/oom-killer/3');
  await expect(page.getByTestId('panel-charts')).toBeVisible();
  await page.getByTestId('panel-tab-logs').click();
  await expect(page.getByTestId('panel-logs')).toBeVisible();
  await expect(page.getByTestId('panel-tab-logs')).toHaveAttribute('aria-selected', 'true');
  // arrow keys move between the tabs
  await page.getByTestId('panel-tab-logs').press('ArrowRight');
  await expect(page.getByTestId('panel-tab-lifecycle')).toBeFocused();
  await expect(page.getByTestId('panel-lifecycle')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('panel-lifecycle')).toBeVisible();
});

test('the dock\'s height drags with the mouse and moves with the keys, is remembered across a reload, and never outgrows the window', async ({ page, lab }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openLab(page, lab, '#/simulator/oom-killer/3');
  await expect(page.getByTestId('panel-charts')).toBeVisible();
  const sash = page.getByRole('separator', { name: 'Resize simulator panels' });
  const panel = page.getByTestId('panel-charts');
  const now = async () => Number(await sash.getAttribute('aria-valuenow'));
  // as tall as its content until sized
  await expect.poll(now).toBeGreaterThan(200);
  const natural = await now();
  // drag the bar down 150 px: the panel is 150 px shorter, and says so
  await sash.scrollIntoViewIfNeeded();
  const box = (await sash.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 + 75, { steps: 3 });
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 + 150, { steps: 3 });
  await page.mouse.up();
  await expect(sash).toHaveAttribute('aria-valuenow', String(natural - 150));
  expect(Math.round((await panel.boundingBox())!.height)).toBe(natural - 150);
  // the content scrolls inside it, and the keyboard can reach it
  await expect(panel).toHaveAttribute('tabindex', '0');
  // remembered across a reload
  await page.reload();
  await expect(page.getByTestId('panel-charts')).toBeVisible();
  await expect(sash).toHaveAttribute('aria-valuenow', String(natural - 150));
  expect(Math.round((await page.getByTestId('panel-charts').boundingBox())!.height)).toBe(natural - 150);
  // the keys: up grows it, down shrinks it, Home is the least, End the most
  await sash.focus();
  await page.keyboard.press('ArrowUp');
  await expect(sash).toHaveAttribute('aria-valuenow', String(natural - 150 + 16));
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(sash).toHaveAttribute('aria-valuenow', String(natural - 150 - 16));
  await page.keyboard.press('Home');
  await expect(sash).toHaveAttribute('aria-valuenow', await sash.getAttribute('aria-valuemin') as string);
  await page.keyboard.press('End');
  const max = Number(await sash.getAttribute('aria-valuemax'));
  await expect(sash).toHaveAttribute('aria-valuenow', String(max));
  // a drag past the top stops at the most
  const b2 = (await sash.boundingBox())!;
  await page.mouse.move(b2.x + 10, b2.y + 4);
  await page.mouse.down();
  await page.mouse.move(b2.x + 10, b2.y - 2000, { steps: 4 });
  await page.mouse.up();
  await expect(sash).toHaveAttribute('aria-valuenow', String(max));
  // Enter gives the panel back its content's height
  await sash.focus();
  await page.keyboard.press('Enter');
  await expect(panel).not.toHaveAttribute('tabindex', '0');
  await expect.poll(now).toBe(natural);
});

test('1024x640: at its tallest the dock fits under the sticky controls, and the controls and the frame grid are still on screen at the top', async ({ page, lab }) => {
  await page.setViewportSize({ width: 1024, height: 640 });
  await openLab(page, lab, '#/simulator/oom-killer/3');
  await expect(page.getByTestId('frame-grid')).toBeVisible({ timeout: 30_000 });
  const sash = page.getByRole('separator', { name: 'Resize simulator panels' });
  await sash.focus();
  await page.keyboard.press('End');
  const max = Number(await sash.getAttribute('aria-valuemax'));
  await expect(sash).toHaveAttribute('aria-valuenow', String(max));
  expect(max).toBeGreaterThanOrEqual(120);
  // scrolled down to the page's end: the controls (sticky), the tabs and the whole panel are on screen together
  const panel = page.getByTestId('panel-charts');
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const bar = (await page.getByTestId('sim-toolbar').boundingBox())!;
  const tabs = (await page.getByTestId('panel-tab-charts').boundingBox())!;
  const p = (await panel.boundingBox())!;
  const status = (await page.getByTestId('connection-status').boundingBox())!;
  expect(await onScreen(page, page.getByTestId('playback'))).toBe(true);
  expect(tabs.y, 'the tabs below the controls').toBeGreaterThanOrEqual(bar.y + bar.height - 1);
  expect(p.y + p.height, 'the panel above the status bar').toBeLessThanOrEqual(status.y + 1);
  // back at the top: the controls and the frame grid are on screen
  await page.evaluate(() => window.scrollTo(0, 0));
  expect(await onScreen(page, page.getByTestId('playback'))).toBe(true);
  expect(await onScreen(page, page.getByTestId('frame-grid'))).toBe(true);
});

test('a chapter says how much of it is done, and is marked when finished', async ({ page, lab }) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/chapters-`);
  writeFileSync(`${dir}/pack.yaml`, 'id: ch-pack\ntitle: Chapter pack\nversion: 1.0.0\nauthors: [Ms Teacher]\nlicence: CC0\nchapters:\n  - id: one\n    title: One\n    exercises: [q.md]\n  - id: two\n    title: Two\n    exercises: [r.md]\n');
  writeFileSync(`${dir}/q.md`, '---\nid: q\ntitle: Grow the heap\nkind: text\npatterns: ["^brk$"]\nreference: brk\nexplanation: brk moves the program break.\n---\nName the system call.\n');
  writeFileSync(`${dir}/r.md`, '---\nid: r\ntitle: Map memory\nkind: text\npatterns: ["^mmap$"]\nreference: mmap\nexplanation: mmap maps.\n---\nName the other one.\n');
  await openLab(page, lab, '#/exercises');
  await page.getByText('Open another pack').click();
  await page.getByTestId('pack-path').fill(dir);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByText('Opened “Chapter pack”.')).toBeVisible();
  await page.goto(`${lab.url}#/exercises/ch-pack/q`);
  const one = page.locator('h3[data-chapter="one"]');
  await expect(one).toHaveText(/^One\s+0 of 1 done$/);
  const input = page.getByTestId('answer-input');
  // a wrong answer is tried, not finished
  await input.fill('sbrk');
  await input.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
  await expect(page.locator('a[data-exercise="q"]')).toHaveAttribute('data-status', 'tried');
  await expect(one).toHaveText(/^One\s+0 of 1 done$/);
  await input.fill('brk');
  await input.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
  await expect(one).toHaveAttribute('data-finished', 'true');
  await expect(one.getByTestId('chapter-done')).toHaveText('✔ all solved');
  // the other chapter is not
  await expect(page.locator('h3[data-chapter="two"]')).toHaveText(/^Two\s+0 of 1 done$/);
  await page.reload();
  await expect(page.locator('h3[data-chapter="one"] [data-testid="chapter-done"]')).toHaveText('✔ all solved');
});

test('a primary button keeps its text readable on hover', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/oom-killer/0');
  const play = page.getByRole('button', { name: '▶ Play' });
  await play.hover();
  const [bg, fg] = await play.evaluate((b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]);
  const lum = (c: string) => {
    const [r, g, b] = c.match(/\d+/g)!.slice(0, 3).map(Number).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [a, b] = [lum(bg), lum(fg)].sort((x, y) => y - x);
  expect((a! + 0.05) / (b! + 0.05)).toBeGreaterThanOrEqual(4.5);
});

test('a log line cut at the pane\'s edge can be read whole: on hover, on a click, and wrapped', async ({ page, lab }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openLab(page, lab, '#/simulator/oom-killer/7');
  await expect(page.getByTestId('step-now')).toHaveText('7');
  await page.getByTestId('panel-tab-logs').click();
  const row = page.getByTestId('kernel-log').locator('.row[data-line]', { hasText: 'Out of memory: Killed process' });
  await expect(row).toHaveAttribute('title', /Out of memory: Killed process \d+ \(database\) total-vm:\d+kB, anon-rss:\d+kB/);
  // cut in the pane: the text is wider than the row
  expect(await row.evaluate((r) => r.scrollWidth > r.clientWidth)).toBe(true);
  await row.click();
  await expect(page.getByTestId('kernel-log-line')).toHaveText((await row.getAttribute('title'))!);
  const h1 = (await row.boundingBox())!.height;
  await page.getByTestId('log-wrap').check();
  await expect.poll(async () => (await page.getByTestId('kernel-log').locator('.row[data-line]', { hasText: 'Out of memory: Killed' }).boundingBox())!.height).toBeGreaterThan(h1 * 1.5);
  const wrapped = page.getByTestId('kernel-log').locator('.row[data-line]', { hasText: 'Out of memory: Killed' });
  expect(await wrapped.evaluate((r) => r.scrollHeight <= r.clientHeight + 1)).toBe(true);
});

test('host: sizes are read with their unit, and the process table can be held still to read it', async ({ page, lab }) => {
  test.skip(process.platform !== 'linux', 'the host panel reads Linux /proc');
  await openLab(page, lab, '#/host');
  await page.getByTestId('host-toggle').check();
  const rows = page.getByTestId('host-processes').locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  await expect(rows.first().locator('td').nth(3)).toHaveText(/^[\d.,]+ (KiB|MiB|GiB)$/);
  await page.getByTestId('host-pause').click();
  await expect(page.getByTestId('host-pause')).toHaveAttribute('aria-pressed', 'true');
  const before = await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-pid')}:${tr.querySelector('td[data-kb]')?.getAttribute('data-kb')}`).join(' '));
  // the panel samples once a second: three samples later the held table has not moved
  await page.waitForTimeout(3000);
  expect(await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-pid')}:${tr.querySelector('td[data-kb]')?.getAttribute('data-kb')}`).join(' '))).toBe(before);
});

test('restarting memlab serve under an open tab: the tab reconnects by itself, says so, and shows the same exercise', async ({ page, lab }) => {
  await openLab(page, lab, '#/exercises/linux-process-memory/page-size');
  const title = page.locator('#ex-title');
  await expect(title).toBeVisible();
  const before = await title.textContent();
  await lab.restart();
  // within 5 s the link is up again, without a reload, and the learner is told what happened
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open', { timeout: 5_000 });
  await expect(page.locator('footer .notice')).toContainText(/restarted; reconnected|Reconnected/);
  await expect(title).toHaveText(before!);
  // and it works: the next exercise opens from the server that came back
  await page.getByRole('button', { name: 'Next exercise →' }).click();
  await expect(title).not.toHaveText(before!);
  // the root URL comes back to where the learner was
  await page.goto(lab.url.replace(/\?token=.*$/, ''));
  await expect(page.getByTestId('start-continue')).toBeVisible();
});

test('the simulator beside an exercise is really beside it at 1280 (the divider drags), and below it when narrower', async ({ page, lab }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openLab(page, lab, '#/exercises/linux-process-memory/cow-faults');
  await page.getByTestId('toggle-beside').click();
  const aside = page.getByTestId('simulator-beside');
  await expect(aside.getByTestId('frame-grid')).toBeVisible();
  const article = page.locator('article.exercise');
  const [a, s] = [(await article.boundingBox())!, (await aside.boundingBox())!];
  expect(s.x).toBeGreaterThanOrEqual(a.x + a.width - 1); // to the right of the exercise
  expect(s.y).toBeLessThan(a.y + 200); // at its top, not below it
  // the answer box and the simulator's controls are on screen together
  expect(await onScreen(page, page.getByTestId('answer-input'))).toBe(true);
  expect(await onScreen(page, aside.getByTestId('playback'))).toBe(true);
  // the divider moves with the keyboard, and the simulator's share follows
  const divider = page.getByTestId('split-divider');
  await divider.focus();
  const w0 = (await aside.boundingBox())!.width;
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect.poll(async () => (await aside.boundingBox())!.width).toBeGreaterThan(w0 + 50);
  await expect(divider).toHaveAttribute('aria-valuenow', '36');
  // narrower: stacked, the simulator under the exercise
  await page.setViewportSize({ width: 1024, height: 640 });
  await expect.poll(async () => (await aside.boundingBox())!.y).toBeGreaterThan((await article.boundingBox())!.y + 100);
});

test('opening an exercise from the sidebar moves focus to it: the answer box is a few Tabs away', async ({ page, lab }) => {
  await openLab(page, lab, '#/exercises/linux-process-memory/page-size');
  await expect(page.locator('#ex-title')).toBeFocused();
  let tabs = 0;
  while (tabs < 12 && !(await page.getByTestId('answer-input').evaluate((el) => el === document.activeElement))) {
    await page.keyboard.press('Tab');
    tabs++;
  }
  expect(tabs).toBeLessThan(12);
});

test('charts read without hovering: values at the current step with their units, one colour per process as in the table', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/thrash/4');
  await expect(page.getByTestId('step-now')).toHaveText('4');
  // thrash runs one pass a step, so its charts have a shape to show
  expect(Number((await page.getByTestId('sim-toolbar').locator('.stepno').textContent())!.match(/of (\d+)/)![1])).toBeGreaterThanOrEqual(10);
  const mem = page.getByTestId('mem-chart');
  const value = (label: string) => mem.locator('.u-legend .u-series', { hasText: label }).locator('.u-value');
  await expect(value('MemFree')).toHaveText(/^[\d.,]+ (KiB|MiB|GiB)$/);
  await expect(value('RSS thrasher')).toHaveText(/^[\d.,]+ (KiB|MiB|GiB)$/);
  await expect(value('swap thrasher')).toHaveText(/^[\d.,]+ (KiB|MiB|GiB)$/);
  const rates = page.getByTestId('rate-chart');
  await expect(rates.locator('.u-legend .u-series', { hasText: 'pgmajfault' }).locator('.u-value')).toHaveText(/^[1-9][\d,]* this step$/);
  // the process's RSS line is drawn in the process's own colour (the table's swatch)
  const swatch = await page.locator('tr[data-proc="thrasher"] .swatch').getAttribute('data-colour');
  const stroke = await mem.locator('.u-legend .u-series', { hasText: 'RSS thrasher' }).locator('.u-marker').evaluate((m) => getComputedStyle(m).borderColor);
  const hex = (rgb: string) => '#' + rgb.match(/\d+/g)!.slice(0, 3).map((n) => Number(n).toString(16).padStart(2, '0')).join('');
  expect(hex(stroke)).toBe(swatch);
});

test('the faults chart labels its log axis in every scenario, thrash and fork included', async ({ page, lab }) => {
  for (const [id, step] of [['fork-cow', 6], ['thrash', 3], ['thrash', 12], ['page-life', 6]] as const) {
    await openLab(page, lab, `#/simulator/${id}/${step}`);
    await expect(page.getByTestId('step-now')).toHaveText(String(step));
    // at least two powers of ten labelled, the lowest being 1
    await expect(page.getByTestId('rate-chart'), `${id}/${step}`).toHaveAttribute('data-y-labels', /^1 \S+( \S+)*$/);
  }
});

test('the scenario form says at the field that a size cannot be read, and will not set it', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/fork-cow/0');
  await page.getByTestId('panel-tab-edit').click();
  await page.getByTestId('machine-ram').fill('abc');
  await expect(page.getByTestId('machine-ram-error')).toContainText("'abc' is not a size");
  await expect(page.getByTestId('machine-ram')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('button', { name: 'Set in the scenario' })).toBeDisabled();
  // right beside it, not half a screen away
  const [f, e] = [(await page.getByTestId('machine-ram').boundingBox())!, (await page.getByTestId('machine-ram-error').boundingBox())!];
  expect(Math.abs(e.y - f.y)).toBeLessThan(60);
  await page.getByTestId('machine-ram').fill('512MiB');
  await expect(page.getByTestId('machine-ram-error')).toHaveCount(0);
});

test('the selected sidebar item keeps its tick visible on its highlight', async ({ page, lab }) => {
  await openLab(page, lab, '#/exercises/linux-process-memory/page-size');
  await page.getByTestId('answer-input').fill('4 KiB');
  await page.getByTestId('answer-input').press('Enter');
  const item = page.locator('a[data-exercise="page-size"]');
  await expect(item).toHaveAttribute('data-status', 'correct');
  const [bg, fg] = await item.evaluate((a) => [getComputedStyle(a).backgroundColor, getComputedStyle(a.querySelector('.mark')!).color]);
  expect(fg).not.toBe(bg);
  const lum = (c: string) => {
    const [r, g, b] = c.match(/\d+/g)!.slice(0, 3).map(Number).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [x, y] = [lum(bg), lum(fg)].sort((p, q) => q - p);
  expect((x! + 0.05) / (y! + 0.05)).toBeGreaterThanOrEqual(3);
});
