/** The Policies view: Belady's string stepped under FIFO, the sweep chart's anomaly, a policy exercise, axe in both themes. */
import { createRequire } from 'node:module';
import type { Page } from '@playwright/test';
import { expect, holdAnswers, openLab, test } from './fixtures.js';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
test.use({ bypassCSP: true });

async function audit(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const v = await page.evaluate(async () => (await (window as unknown as { axe: { run: (d: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run(document, { resultTypes: ['violations'] })).violations);
  return v.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${x.id}: ${x.help} — ${x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/** choose exactly these policies and this many frames, run, and step to the end with the keyboard */
async function runWith(page: Page, frames: number, pick: string[]) {
  for (const box of await page.locator('[data-testid^="pick-"]').all()) {
    const name = (await box.getAttribute('data-testid'))!.slice(5);
    await box.setChecked(pick.includes(name));
  }
  await page.getByTestId('frames-input').fill(String(frames));
  await page.getByTestId('run').click();
  // while this run is in flight the earlier one's position reads '… (earlier run)' and stepping
  // waits, and an earlier request answering late is dropped: 'Access 0 of 12' is this run's
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 12');
  await expect(page.getByRole('heading', { name: `Step through ${frames} frame${frames === 1 ? '' : 's'}`, exact: true })).toBeVisible();
}

test("steps Belady's string under FIFO: 3 hits with 3 frames, 2 with 4, and the sweep shows the anomaly", async ({ page, lab }) => {
  await openLab(page, lab, '#/policies');
  await expect(page.getByRole('heading', { name: 'Policies', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: "Belady's string" }).click();
  await runWith(page, 3, ['FIFO', 'OPT']);
  // step one access at a time with the Step button (keyboard: Enter on the focused button)
  const step = page.getByTestId('step');
  await step.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('position')).toHaveText('Access 1 of 12: page 1');
  await expect(page.getByTestId('verdict-FIFO')).toContainText('Fault on page 1');
  for (let k = 2; k <= 4; k++) await page.keyboard.press('Enter');
  // access 4: page 4 evicts 1, the first in
  await expect(page.getByTestId('verdict-FIFO')).toContainText('evicted 1');
  await expect(page.getByTestId('why-FIFO')).toContainText('the page that came in first');
  await expect(page.getByTestId('why-OPT')).toContainText('OPT looks ahead and evicts 3');
  await expect(page.getByTestId('policy-panel-FIFO').locator('.frame .page')).toHaveText(['2', '3', '4']);
  // arrow keys step too, from the toolbar
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('position')).toHaveText('Access 5 of 12: page 1');
  await page.keyboard.press('End');
  await expect(page.getByTestId('position')).toHaveText('Access 12 of 12: page 5');
  await expect(page.getByTestId('hits-FIFO')).toHaveText('3');
  await expect(page.getByTestId('policy-panel-FIFO')).toContainText('in all 3 hits, 9 faults');
  await expect(page.getByTestId('hits-OPT')).toHaveText('5');

  await runWith(page, 4, ['FIFO']);
  await page.getByTestId('to-end').click();
  await expect(page.getByTestId('hits-FIFO')).toHaveText('2');
  await expect(page.getByTestId('policy-panel-FIFO').locator('.frame')).toHaveCount(4);

  // the sweep: FIFO's drop from 3 frames to 4, OPT drawn as the bound
  await expect(page.getByTestId('anomalies')).toContainText("Belady's anomaly: FIFO gets 3 hits with 3 frames but only 2 with 4");
  await expect(page.getByTestId('sweep-chart').locator('canvas')).toBeVisible();
  await expect(page.getByTestId('sweep-chart')).toContainText('OPT (the bound)');
  await page.getByText('The numbers').click();
  const rows = page.getByTestId('sweep-table').locator('tbody tr');
  await expect(rows.nth(2)).toContainText('3 (25.0%)');
  await expect(rows.nth(3)).toContainText('2 (16.7%)');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: 'test-results/policies.png', fullPage: true });
});

/**
 * Hold the page's policy.run answers for some frame counts until the test lets each go: the run is
 * "in flight" for as long as the test likes, and answers can be made to land in any order.
 */
async function holdRuns(page: Page) {
  const holdFrames = new Set<number>();
  const held = await holdAnswers(page, (r) => r.method === 'policy.run' && holdFrames.has(Number(r.params?.cacheSize)));
  const of = (frames: number) => held.find((h) => h.request.params?.cacheSize === frames);
  return {
    hold: (frames: number) => holdFrames.add(frames),
    /** resolves with the held answer's release once the answer for that many frames is held */
    held: async (frames: number) => {
      await expect.poll(() => of(frames) !== undefined).toBe(true);
      return of(frames)!.release;
    },
  };
}

test('a run in flight: the earlier run is said to be the earlier one and End does not step it; a replaced run answering late is dropped', async ({ page, lab }) => {
  const runs = await holdRuns(page);
  await openLab(page, lab, '#/policies/1,2,3,4,1,2,5,1,2,3,4,5/FIFO/3');
  await expect(page.getByRole('heading', { name: 'Step through 3 frames', exact: true })).toBeVisible();
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 12');
  await expect(page.getByTestId('run-status')).toHaveText('');
  const toolbar = page.getByRole('toolbar', { name: /Step through the string/ });
  await toolbar.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('position')).toHaveText('Access 2 of 12: page 2');

  // changed without Run: the steps are said to be the 3-frame run's
  await page.getByTestId('frames-input').fill('4');
  await expect(page.getByTestId('run-status')).toHaveText("The steps below are the earlier run's, with 3 frames; changed since: the frames (4 now). Press Run to step those.");

  // Run with 4 frames; its answer is held: the 3-frame run stays, said to be the earlier one, and stepping waits
  runs.hold(4);
  await page.getByTestId('run').click();
  const release4 = await runs.held(4);
  await expect(page.getByTestId('run-status')).toHaveText("Running FIFO with 4 frames on 12 references… Until it answers, the steps below are the earlier run's (3 frames), and stepping waits.");
  await expect(page.getByTestId('position')).toHaveText('Access 2 of 12: page 2 (earlier run)');
  await expect(page.getByTestId('stepper')).toHaveAttribute('aria-busy', 'true');
  for (const id of ['step', 'to-end', 'step-back']) await expect(page.getByTestId(id)).toBeDisabled();
  await toolbar.focus();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Home');
  await expect(page.getByTestId('position')).toHaveText('Access 2 of 12: page 2 (earlier run)');
  await expect(page.getByRole('heading', { name: 'Step through 3 frames earlier run', exact: true })).toBeVisible();
  await page.setViewportSize({ width: 1280, height: 900 });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await audit(page), scheme).toEqual([]);
    await page.screenshot({ path: `test-results/policies-in-flight-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // the 4-frame answer lands: its own run, from its start
  release4();
  await expect(page.getByRole('heading', { name: 'Step through 4 frames', exact: true })).toBeVisible();
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 12');
  await expect(page.getByTestId('run-status')).toHaveText('');
  await page.getByTestId('to-end').click();
  await expect(page.getByTestId('hits-FIFO')).toHaveText('2');

  // out of order: 5 frames asked, then 6; the 6-frame answer lands first and is stepped, then the 5-frame one lands and is dropped
  runs.hold(5);
  await page.getByTestId('frames-input').fill('5');
  await page.getByTestId('run').click();
  const release5 = await runs.held(5);
  await page.getByTestId('frames-input').fill('6');
  await page.getByTestId('run').click();
  await expect(page.getByRole('heading', { name: 'Step through 6 frames', exact: true })).toBeVisible();
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 12');
  await page.getByTestId('step').click();
  await page.getByTestId('step').click();
  await page.getByTestId('step').click();
  release5();
  // a sweep asked after the release is answered after it on the same socket: once it shows, the 5-frame answer has been read
  await page.getByLabel('Sizes 1 to').fill('7');
  await page.getByLabel('Sizes 1 to').press('Enter');
  await page.getByText('The numbers').click();
  await expect(page.getByTestId('sweep-table').locator('tbody tr')).toHaveCount(7);
  await expect(page.getByRole('heading', { name: 'Step through 6 frames', exact: true })).toBeVisible();
  await expect(page.getByTestId('position')).toHaveText('Access 3 of 12: page 3');
  await expect(page.getByTestId('run-status')).toHaveText('');
});

test('Linux two lists beside LRU, with the lists drawn; bad input is named', async ({ page, lab }) => {
  await openLab(page, lab, '#/policies/1,2,3,1,2,3,10,11,12,13,14,15,16,17,18,19,1,2,3/LRU,LINUX/6');
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 19');
  await page.getByTestId('to-end').click();
  await expect(page.getByTestId('hits-LRU')).toHaveText('3');
  await expect(page.getByTestId('hits-LINUX')).toHaveText('6');
  await expect(page.getByTestId('policy-panel-LINUX').getByRole('list', { name: 'active list, tail to head', exact: true }).locator('.page')).toHaveText(['1', '2', '3']);
  await page.getByTestId('refs-input').fill('1,2,x');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('policy-error')).toContainText("Reference 3 ('x') is not a page number");
});

test("takes the reference string from a scenario's touch steps, for every process or one; a scenario without touches is named", async ({ page, lab }) => {
  await openLab(page, lab, '#/policies');
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 12');
  const pick = page.getByTestId('scenario-select');
  await expect(pick.locator('option[value="free-and-trim"]')).toHaveCount(1);
  await pick.selectOption('free-and-trim');
  await runWith(page, 4, ['FIFO', 'LRU']);
  await page.getByTestId('take-refs').click();
  // four 60 KiB chunks touched in turn: 64 references to 61 pages (a chunk's last page is the next one's first)
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 64');
  await expect(page.getByTestId('scenario-note')).toContainText("touch steps, every process: 64 references to 61 pages");
  await expect(page.getByTestId('refs-input')).toHaveValue(/^0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,15,16,/);
  await page.getByText('Which page is which').click();
  await expect(page.getByTestId('scenario-legend').locator('li').nth(16)).toHaveText('16 b+1');
  // the scenario source, the note and the open legend are axe-clean too
  expect(await audit(page)).toEqual([]);
  await page.getByTestId('to-end').click();
  await expect(page.getByTestId('hits-FIFO')).toHaveText('3');
  await page.screenshot({ path: 'test-results/policies-scenario.png', fullPage: true });

  // one process of a scenario with two: the first 500 of the child's references, the rest said
  await pick.selectOption('fork-cow');
  await page.getByTestId('take-refs').click();
  await expect(page.getByTestId('scenario-note')).toContainText('every process');
  await page.getByTestId('scenario-proc').selectOption('child');
  await page.getByTestId('take-refs').click();
  await expect(page.getByTestId('scenario-note')).toContainText('touch steps by child: 20,482 references to 16,385 pages');
  await expect(page.getByTestId('scenario-note')).toContainText('The first 500 are stepped here');
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 500');

  // no touches: the error names the file, the line and the field; the string shown is kept
  await pick.selectOption('malloc-strace');
  await page.getByTestId('take-refs').click();
  await expect(page.getByTestId('policy-error')).toContainText(/exercises\/scenarios\/malloc-strace\.yaml:\d+: steps: no step references memory/);
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 500');
});

test('a policy exercise answered wrong, then right; its link opens the Policies view on the same string', async ({ page, lab }) => {
  await openLab(page, lab, '#/exercises/linux-process-memory/victim-fifo-belady');
  await expect(page.getByRole('heading', { name: 'FIFO with more frames' })).toBeVisible();
  await expect(page.getByTestId('policy-refs').locator('li')).toHaveCount(12);
  const input = page.getByTestId('answer-input');
  await input.fill('4');
  await input.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
  await expect(page.getByTestId('diagnosis')).toContainText(/That is LRU.s count/);
  await input.fill('2');
  await input.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
  await expect(page.getByTestId('explanation')).toContainText(/Belady.s anomaly/);
  await page.goto(`${lab.url}#/exercises/linux-process-memory/victim-lru`);
  await page.getByTestId('open-policies').click();
  await expect(page.getByRole('heading', { name: 'Policies', level: 1 })).toBeVisible();
  await expect(page.getByTestId('policy-panel-LRU')).toBeVisible();
  await expect(page.getByTestId('policy-panel-FIFO')).toBeVisible();
  await expect(page.getByTestId('position')).toHaveText('Access 0 of 10');
});

for (const scheme of ['light', 'dark'] as const) {
  test(`no serious or critical axe findings in the Policies view and a policy exercise (${scheme})`, async ({ page, lab }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await openLab(page, lab, '#/policies/1,2,3,4,1,2,5,1,2,3,4,5/FIFO,LRU,OPT,SECOND-CHANCE,LINUX/3');
    await page.getByTestId('step').click();
    await page.getByTestId('step').click();
    await page.getByText('The numbers').click();
    await expect(page.getByTestId('sweep-table')).toBeVisible();
    expect(await audit(page)).toEqual([]);
    await page.goto(`${lab.url}#/exercises/linux-process-memory/victim-clock`);
    await expect(page.getByTestId('policy-refs')).toBeVisible();
    expect(await audit(page)).toEqual([]);
  });
}
