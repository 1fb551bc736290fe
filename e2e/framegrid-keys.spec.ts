/** The frame map is a keyboard widget: a cursor cell, its frames said through a polite live region. */
import { expect, openLab, test } from './fixtures.js';

// the kind and its pattern in the grid (the legend's), then the owner
const SAID = /^frames \d+–\d+: (free \(blank\)|anonymous \(solid\)|page cache \(hatched\)|dirty page cache \(back-hatched\)|shared memory \(tmpfs\) \(dotted\)|kernel \(cross-hatched\)|locked \(mlock\) \(barred\))(, owned by (PID \d+|[^()]+ \(PID \d+\)))?$/;

test('the frame map: Tab to it, arrows/Home/End/PageDown move an outlined cursor, and each cell is announced', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/oom-killer/3');
  await expect(page.getByTestId('step-now')).toHaveText('3');
  const map = page.getByTestId('frame-map');
  await expect(map).toHaveAttribute('tabindex', '0');
  await expect(map).toHaveAccessibleName(/arrow keys move between cells, Home\/End, PageUp\/PageDown by rows/);
  // the old role=img summary of counts is the widget's description
  await expect(map).toHaveAccessibleDescription(/frames free, \d+ frames anonymous/);

  const said = page.getByTestId('frame-said');
  const cursor = page.getByTestId('frame-cursor');
  // quiet until the map has focus: mouse moves must not flood a screen reader
  await expect(said).toHaveAttribute('aria-live', 'off');
  await expect(cursor).toBeHidden();

  // Tab reaches it (from the top of the page, through whatever comes before)
  await page.locator('body').focus();
  let tabs = 0;
  while (!(await map.evaluate((el) => el === document.activeElement)) && tabs++ < 80) await page.keyboard.press('Tab');
  await expect(map).toBeFocused();
  // the app's focus ring
  expect(await map.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('solid');
  await expect(said).toHaveAttribute('aria-live', 'polite');
  await expect(cursor).toBeVisible();
  await expect(said).toHaveText(SAID);

  const pos = async () => cursor.evaluate((el) => ({ left: (el as HTMLElement).style.left, top: (el as HTMLElement).style.top }));
  const text = async () => (await said.textContent())!.trim();

  const t0 = await text();
  const p0 = await pos();
  await page.keyboard.press('ArrowRight');
  await expect(said).not.toHaveText(t0);
  await expect(said).toHaveText(SAID);
  const p1 = await pos();
  expect(p1.left).not.toBe(p0.left);
  expect(p1.top).toBe(p0.top);

  const t1 = await text();
  await page.keyboard.press('ArrowDown');
  await expect(said).not.toHaveText(t1);
  await expect(said).toHaveText(SAID);
  const p2 = await pos();
  expect(p2.top).not.toBe(p1.top);
  expect(p2.left).toBe(p1.left);

  const t2 = await text();
  await page.keyboard.press('End');
  await expect(said).not.toHaveText(t2);
  await expect(said).toHaveText(SAID);
  const p3 = await pos();
  expect(parseFloat(p3.left)).toBeGreaterThan(parseFloat(p2.left));
  expect(p3.top).toBe(p2.top);
  // PageDown: ten rows down, same column; PageUp back
  await page.keyboard.press('PageDown');
  const p4 = await pos();
  expect(parseFloat(p4.top)).toBeGreaterThan(parseFloat(p3.top));
  expect(p4.left).toBe(p3.left);
  await page.keyboard.press('PageUp');
  expect(await pos()).toEqual(p3);
  // the arrows belong to the map while it has focus: the simulator did not step
  await expect(page.getByTestId('step-now')).toHaveText('3');

  // the first rows are the kernel's; walk down the first column until a cell of anonymous memory
  await page.keyboard.press('Control+Home');
  await expect(said).toHaveText(/^frames 0–\d+: /);
  let found = '';
  for (let i = 0; i < 60 && !found; i++) {
    const t = await text();
    if (t.includes(': anonymous')) found = t;
    else await page.keyboard.press('ArrowDown');
  }
  expect(found, 'an anonymous cell in the first column at step 3').toMatch(/: anonymous \(solid\), owned by [^()]+ \(PID \d+\)$/);

  // a mouse hover still says what a cell holds, but quietly
  const box = (await page.getByTestId('frame-grid').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 4);
  await expect(said).toHaveAttribute('aria-live', 'off');
  await expect(said).toHaveText(SAID);
  // and leaving the map silences it and hides the cursor
  await page.keyboard.press('Shift+Tab');
  await expect(map).not.toBeFocused();
  await expect(cursor).toBeHidden();
  await expect(said).toHaveAttribute('aria-live', 'off');
});
