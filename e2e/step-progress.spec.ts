/**
 * A long step says how far it is (#17): the toolbar shows a progress bar fed by sim.progress while
 * the step runs in the simulator's worker, and drops it when the step's view arrives. The lab runs
 * with MEMLAB_PROGRESS_AFTER_MS=0 and MEMLAB_PROGRESS_EVERY_MS=0: every pause between a touch's
 * slices reports, so the test sees the reports however fast this machine runs thrash's passes.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from '@playwright/test';
import { expect, holdAnswers, type Lab, openLab, startLab, test } from './fixtures.js';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
// the lab's CSP forbids injected scripts (rightly); the audit alone may bypass it
test.use({ bypassCSP: true });

/** axe over the toolbar (with its bar): serious and critical findings, as e2e/a11y.spec.ts audits every section */
async function auditToolbar(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const found = (await page.evaluate(`window.axe.run(document.querySelector('[data-testid="sim-toolbar"]'), { resultTypes: ['violations'] }).then((r) => r.violations)`)) as Array<{ id: string; impact: string; help: string }>;
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help}`);
}

let lab: Lab;
test.beforeAll(async () => {
  lab = await startLab({ env: { MEMLAB_PROGRESS_AFTER_MS: '0', MEMLAB_PROGRESS_EVERY_MS: '0' } });
});
test.afterAll(async () => {
  await lab.stop();
  rmSync(lab.dataDir, { recursive: true, force: true });
});

type Seen = { now: number; max: number; name: string };

/** from now on, every state of the step's progress bar the page ever draws (each sim.progress is drawn in its own frame of work) */
const recordBars = `(() => {
  const seen = [];
  window.__bars = seen;
  const note = () => {
    const el = document.querySelector('[role="progressbar"][data-testid="step-progress"]');
    if (!el) return;
    const s = { now: Number(el.getAttribute('aria-valuenow')), max: Number(el.getAttribute('aria-valuemax')), name: el.getAttribute('aria-label') };
    const last = seen[seen.length - 1];
    if (!last || last.now !== s.now || last.max !== s.max) seen.push(s);
  };
  new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow', 'aria-valuemax'] });
})()`;

test('a long step shows a progress bar that rises and goes when its view arrives; a short step shows none', async ({ page }) => {
  await openLab(page, lab, '#/simulator/thrash/1');
  await expect(page.getByTestId('step-now')).toHaveText('1');
  const forward = page.getByRole('button', { name: 'Step forward' });
  await expect(forward).toBeEnabled();
  await page.evaluate(recordBars);

  // step 2 touches all 512 MiB for the first time: 131,072 pages, reported between its slices
  await forward.click();
  await expect(page.getByTestId('step-now')).toHaveText('2');
  await expect(page.getByTestId('step-progress')).toHaveCount(0);
  const seen = (await page.evaluate('window.__bars')) as Seen[];
  expect(seen.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(2);
  for (let i = 1; i < seen.length; i++) expect(seen[i]!.now, JSON.stringify(seen)).toBeGreaterThan(seen[i - 1]!.now);
  for (const s of seen) {
    expect(s.max).toBeGreaterThanOrEqual(131072);
    expect(s.now).toBeLessThanOrEqual(s.max);
    expect(s.name).toMatch(/^Step 2 of 12: [\d,]+ of 131,07\d pages$/);
  }
  expect(seen[0]!.name).toBe(`Step 2 of 12: ${seen[0]!.now.toLocaleString('en')} of ${seen[0]!.max.toLocaleString('en')} pages`);

  // back to step 1, then the malloc of step 1 again: no page touched, no bar at any moment
  await page.getByRole('button', { name: 'Reset to the start' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('0');
  await page.evaluate(recordBars);
  await forward.click();
  await expect(page.getByTestId('step-now')).toHaveText('1');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  expect(await page.evaluate('window.__bars')).toEqual([]);
  await expect(page.getByTestId('step-progress')).toHaveCount(0);
});

test('the page answers while a step runs: the bar stays until the answer, and the controls still work', async ({ page }) => {
  // the answer to the long seek is held here until the page has been used: the step is "still running"
  let asked = false;
  const held = await holdAnswers(page, (r) => {
    if (asked || r.method !== 'sim.seek' || r.params?.step !== 12) return false;
    return (asked = true);
  });
  await openLab(page, lab, '#/simulator/thrash/0');
  await expect(page.getByTestId('step-now')).toHaveText('0');
  // run to the end: ten passes over 512 MiB, each reported as it runs
  await page.getByRole('button', { name: 'Run to the end' }).click();
  const bar = page.getByRole('progressbar', { name: /^Step \d+ of 12: [\d,]+ of [\d,]+ pages$/ });
  await expect(bar).toBeVisible();
  await expect.poll(() => held.length).toBe(1);
  // the last pass was reported; the view has not come: the bar stays, and the page still answers
  await expect(bar).toHaveAccessibleName(/^Step 11 of 12: /);
  await page.getByLabel('Speed').selectOption('5');
  await expect(page.getByLabel('Speed')).toHaveValue('5');
  await page.getByTestId('panel-tab-logs').first().click();
  await expect(page.getByTestId('panel-logs').first()).toBeVisible();
  await expect(bar).toBeVisible();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await auditToolbar(page), scheme).toEqual([]);
  }
  held[0]!.release();
  await expect(page.getByTestId('step-now')).toHaveText('12');
  await expect(bar).toHaveCount(0);
});
