import { expect, holdAnswers, openLab, test } from './fixtures.js';

test('the three sections are reachable and the LabApi round trip works over the socket', async ({ page, lab, foreignRequests }) => {
  await openLab(page, lab);
  await expect(page.getByTestId('connection-status')).toContainText('via memlab serve');

  for (const [section, heading] of [
    ['start', 'Welcome to memlab'],
    ['simulator', 'Simulator'],
    ['host', 'Host'],
    ['exercises', 'Exercises'],
  ] as const) {
    await page.locator(`nav a[data-section="${section}"]`).click();
    // the Exercises section opens the built-in pack straight away (#/exercises/<pack>)
    await expect(page).toHaveURL(new RegExp(`#/${section}(/[^/]+)?$`));
    await expect(page.locator(`nav a[data-section="${section}"]`)).toHaveAttribute('aria-current', 'page');
    await expect(page.getByRole('heading', { level: 1 }).first()).toContainText(heading);
  }

  // the footer shows the connection and the version only; developer data is behind a flag
  await expect(page.getByTestId('heartbeat')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Ping' })).toHaveCount(0);
  await page.evaluate(() => localStorage.setItem('memlab.dev', '1'));
  await page.reload();
  await expect(page.getByTestId('connection-status')).toContainText('Connected');

  // request/response: ping echoes its nonce and the view shows the round trip
  await page.getByRole('button', { name: 'Ping' }).click();
  await expect(page.getByTestId('ping-result')).toContainText(/round trip \d+\.\d ms/);

  // the live event stream: heartbeats keep arriving
  const beat = page.getByTestId('heartbeat');
  await expect(beat).toContainText(/beat #\d+/);
  const first = Number(/#(\d+)/.exec((await beat.textContent()) ?? '')![1]);
  await expect.poll(async () => Number(/#(\d+)/.exec((await beat.textContent()) ?? '')?.[1] ?? -1)).toBeGreaterThan(first);

  expect(foreignRequests).toEqual([]);
});

test('keyboard alone reaches every section', async ({ page, lab }) => {
  await openLab(page, lab);
  await page.keyboard.press('Tab'); // skip link
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('nav a[data-section="start"]')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('nav a[data-section="exercises"]')).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/simulator$/);
  await page.keyboard.press('Tab');
  await expect(page.locator('nav a[data-section="policies"]')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/policies$/);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/host$/);
});

test('dark theme follows the OS, and the learner can override it', async ({ page, lab }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openLab(page, lab);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.getByLabel('Theme').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('every section fits a 1024x640 window without sideways scrolling', async ({ page, lab }) => {
  await page.setViewportSize({ width: 1024, height: 640 });
  for (const hash of ['#/exercises/linux-process-memory/res-after-memset', '#/simulator/oom-killer/7', '#/host']) {
    await openLab(page, lab, hash);
    await expect(page.locator('main h1').first()).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, hash).toBeLessThanOrEqual(1);
  }
});

test("the start page's cards keep their places while the pack loads: nothing jumps when it comes", async ({ page, lab }) => {
  // the pack's answer is held until the page has been measured without it
  const held = await holdAnswers(page, (r) => r.method === 'pack.get');
  await openLab(page, lab, '#/start');
  await expect.poll(() => held.length).toBe(1);
  const simCard = page.locator('li.card').filter({ has: page.getByTestId('start-simulator') });
  const hostCard = page.locator('li.card').filter({ hasText: 'Look at this machine' });
  await expect(page.getByTestId('start-loading')).toHaveAttribute('aria-busy', 'true');
  const before = [await simCard.boundingBox(), await hostCard.boundingBox()];
  await page.screenshot({ path: 'test-results/start-loading.png' });
  held[0]!.release();
  await expect(page.getByTestId('start-progress')).toHaveText(/\b0 of [1-9]\d* done/);
  await expect(page.getByTestId('start-loading')).toHaveCount(0);
  const after = [await simCard.boundingBox(), await hostCard.boundingBox()];
  for (const k of [0, 1]) {
    expect(after[k]!.x, `card ${k} x`).toBe(before[k]!.x);
    expect(after[k]!.y, `card ${k} y`).toBe(before[k]!.y);
    expect(Math.abs(after[k]!.height - before[k]!.height), `card ${k} height`).toBeLessThanOrEqual(1);
  }
  await page.screenshot({ path: 'test-results/start-loaded.png' });
});
