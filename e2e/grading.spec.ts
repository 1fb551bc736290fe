/**
 * Grades a teacher can trust, as a student meets them: guided labs graded stage by stage,
 * solutions asked for (never pushed) and marked apart, resets that keep every attempt, and the
 * export that says so.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, openLab, test } from './fixtures.js';

const PACK = 'linux-process-memory';

/** Export the results (CSV or JSON) through the page, as a student would, and read the file. */
async function exportResults(page: Page, format: 'CSV' | 'JSON'): Promise<string> {
  const details = page.locator('details.results');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Export results (${format})` }).click()]);
  return readFileSync((await download.path())!, 'utf8');
}

/** the CSV row of one exercise, as a record by column */
function csvRow(csv: string, exercise: string): Record<string, string> {
  const [head, ...rows] = csv.trim().split('\n');
  const cols = head!.split(',');
  const row = rows.find((r) => r.split(',')[4] === exercise);
  if (!row) throw new Error(`no row for ${exercise} in\n${csv}`);
  // the params column may hold a quoted JSON object with commas
  const cells: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < row.length; i++) {
    const c = row[i]!;
    if (q) {
      if (c === '"' && row[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return Object.fromEntries(cols.map((c, i) => [c, cells[i]!]));
}

const choose = async (page: Page, option: string) => {
  await page.getByTestId('stage-question').getByLabel(option, { exact: true }).check();
  await page.getByTestId('stage-question').getByRole('button', { name: /^(Check|Submit|Answer)/ }).click();
};

test('the OOM lab answered wrong then right on every stage: every stage keeps its tick, the lab earns what its stages earn, and no later stage is in the page early', async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/lab-oom`);
  await expect(page.getByRole('heading', { name: /Stage 1 of 2/ })).toBeVisible();
  // stage 2 is not in the page at all before it is reached: not its question, its options, nor any solution
  const body = () => page.locator('body').innerText();
  expect(await body()).not.toContain('Who was killed?');
  expect(await body()).not.toContain('worker, who asked');
  expect(await body()).not.toContain('Solution:');
  await expect(page.getByTestId('stage-solution')).toHaveCount(0);
  // the box beside the question names the counters but does not print the scores it asks about
  await expect(page.getByTestId('highlights')).toContainText('counter database.oom_score');

  // stage 1: wrong, then right
  await choose(page, 'cache');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
  await expect(page.getByRole('heading', { name: /Stage 1 of 2/ })).toBeVisible();
  await choose(page, 'database');
  await expect(page.getByRole('heading', { name: /Stage 2 of 2/ })).toBeVisible();
  await expect(page.getByTestId('stage-fill')).toHaveAttribute('data-outcome', 'earned');
  // the verdict on stage 1 stays in view, labelled once
  await expect(page.getByTestId('previous-stage-feedback').getByTestId('feedback')).toHaveText('✔ Correct');

  // stage 2: wrong — the learner stays on stage 2, stage 1 keeps its tick, and is offered to revisit it
  await choose(page, 'worker, who asked');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
  await expect(page.getByRole('heading', { name: /Stage 2 of 2: ask/ })).toBeVisible();
  await expect(page.getByTestId('stage-fill')).toHaveAttribute('data-outcome', 'earned');
  await expect(page.getByTestId('stage-fill')).toContainText('✔');
  await expect(page.getByTestId('revisit-offer')).toContainText('Look again at the oom_score column');
  // revisiting shows stage 1 as answered: nothing to answer again
  await page.getByTestId('revisit').click();
  await expect(page.getByRole('heading', { name: /Stage 1 of 2: fill/ })).toBeVisible();
  await expect(page.getByTestId('stage-done')).toContainText('solved · 100 points');
  await expect(page.getByTestId('stage-question').locator('input')).toHaveCount(0);
  await page.getByTestId('return-stage').click();
  await expect(page.getByRole('heading', { name: /Stage 2 of 2: ask/ })).toBeVisible();

  // stage 2: right
  await choose(page, 'database');
  await expect(page.getByTestId('stage-ask')).toHaveAttribute('data-outcome', 'earned');
  await expect(page.getByTestId('stage-fill')).toHaveAttribute('data-outcome', 'earned');
  await expect(page.getByTestId('outcome')).toHaveText('✔ solved · 100 points');
  await expect(page.locator('a[data-exercise="lab-oom"]')).toHaveAttribute('data-status', 'correct');

  const row = csvRow(await exportResults(page, 'CSV'), 'lab-oom');
  expect(row).toMatchObject({ correct: 'yes', points: '100', attempts: '4', solution_viewed: 'no', gave_up: 'no', final_answer: 'ask: option 2' });
  const json = JSON.parse(await exportResults(page, 'JSON'));
  const rec = json.exercises[`${PACK}/lab-oom`];
  expect(rec.stages).toMatchObject({ fill: { attempts: 2, correct: true, points: 100 }, ask: { attempts: 2, correct: true, points: 100 } });
  expect(rec.points).toBe((rec.stages.fill.points + rec.stages.ask.points) / 2);
  expect(rec.events.filter((e: { type: string }) => e.type === 'answer').map((e: { stage: string; verdict: string }) => `${e.stage}:${e.verdict}`)).toEqual([
    'fill:incorrect',
    'fill:correct',
    'ask:incorrect',
    'ask:correct',
  ]);
});

test("a page's life: a wrong answer at stage 3 keeps the learner on stage 3 with the feedback under its question", async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/lab-page-life`);
  await choose(page, 'brk');
  await expect(page.getByRole('heading', { name: /Stage 2 of 6/ })).toBeVisible();
  await page.getByRole('button', { name: 'Next stage →' }).click();
  await expect(page.getByRole('heading', { name: /Stage 3 of 6: l2-out/ })).toBeVisible();
  await choose(page, 'freed');
  await expect(page.getByRole('heading', { name: /Stage 3 of 6: l2-out/ })).toBeVisible();
  await expect(page.getByTestId('stage-question').getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
  await expect(page.getByTestId('stage-l0')).toHaveAttribute('data-outcome', 'earned');
  // later stages are still out of the page
  expect(await page.locator('body').innerText()).not.toContain('How many major faults');
});

test('wrong three times: no solution in the page until asked for; the right answer after it is marked apart, in the sidebar and the export, with the pack\'s points', async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/page-size`);
  const box = page.getByTestId('answer-input');
  // an unreadable answer is not counted, and says so once
  await box.fill('a page');
  await box.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'invalid');
  await expect(page.getByTestId('feedback')).toContainText(/^⚠ Not counted — \S/);
  await expect(page.getByTestId('feedback')).not.toContainText(/Not counted.*Not counted/);
  for (let i = 0; i < 3; i++) {
    await expect(page.getByTestId('show-solution')).toHaveCount(0);
    await box.fill('8 KiB');
    await box.press('Enter');
    await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
    await expect(page.locator('article')).toHaveAttribute('data-status', 'tried');
  }
  // the solution is offered, not shown
  await expect(page.getByTestId('show-solution')).toBeVisible();
  await expect(page.getByTestId('solution')).toHaveCount(0);
  expect(await page.locator('body').innerText()).not.toContain('Solution:');
  await page.getByTestId('show-solution').click();
  await expect(page.getByTestId('solution')).toContainText('4 KiB');
  await box.fill('4 KiB');
  await box.press('Enter');
  await expect(page.getByTestId('outcome')).toHaveText('◔ answered after the solution · 0 points');
  const mark = page.locator('a[data-exercise="page-size"]');
  await expect(mark).toHaveAttribute('data-status', 'after-solution');
  await expect(mark.locator('.mark')).toHaveAttribute('aria-label', 'answered after the solution');
  await expect(mark.locator('.mark')).toHaveText('◔');
  const row = csvRow(await exportResults(page, 'CSV'), 'page-size');
  expect(row).toMatchObject({ correct: 'yes', after_solution: 'yes', solution_viewed: 'yes', points: '0', attempts: '4', final_answer: '4 KiB' });
});

test('answer, hint, give up, reset, answer again: the export keeps both attempts; a variant always draws the same numbers and a reset moves to the next', async ({ page, lab }) => {
  const asked: string[] = [];
  page.on('dialog', (d) => {
    asked.push(d.message());
    void d.accept();
  });
  await openLab(page, lab, `#/exercises/${PACK}/virt-after-malloc`);
  const sizeOf = async () => Number(/malloc\((\d) GiB\)/.exec(await page.locator('.prose').innerText())![1]);
  const variantOf = async () => Number(/variant (\d+)/.exec(await page.locator('.meta').first().innerText())![1]);
  const size1 = await sizeOf();
  const v1 = await variantOf();
  // the same variant draws the same numbers: after a reload too
  await page.reload();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open');
  expect(await sizeOf()).toBe(size1);
  expect(await variantOf()).toBe(v1);

  const box = page.getByTestId('answer-input');
  await box.fill('0 B');
  await box.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
  // a hint's cost is said before it is asked for
  await expect(page.getByTestId('hint')).toHaveText('Show a hint (1 of 2, free)');
  await page.getByTestId('hint').click();
  await expect(page.getByTestId('hints')).toContainText('address space');
  await page.getByTestId('give-up').click();
  await expect(page.getByTestId('outcome')).toHaveText('⚐ gave up · 0 points');
  expect(asked).toEqual([expect.stringMatching(/^Give up this exercise\?/)]);
  await expect(page.locator('a[data-exercise="virt-after-malloc"]')).toHaveAttribute('data-status', 'gave-up');
  await expect(page.locator('a[data-exercise="virt-after-malloc"] .mark')).toHaveText('⚐');

  await page.getByTestId('reset').click();
  await expect(page.locator('.meta').first()).toContainText(`attempt 2 (variant ${v1 + 1})`);
  const size2 = await sizeOf();
  await box.fill(`${size2} GiB`);
  await box.press('Enter');
  await expect(page.getByTestId('outcome')).toHaveText('✔ solved · 100 points');

  const json = JSON.parse(await exportResults(page, 'JSON'));
  const rec = json.exercises[`${PACK}/virt-after-malloc`];
  expect(rec).toMatchObject({ variant: v1 + 1, params: { size: size2 }, correct: true, gaveUp: false, points: 100 });
  expect(rec.history).toHaveLength(1);
  expect(rec.history[0]).toMatchObject({ variant: v1, params: { size: size1 }, gaveUp: true, solutionViewed: true, hintsUsed: 1, attempts: 1, points: 0 });
  expect(rec.history[0].events.map((e: { type: string }) => e.type)).toEqual(['answer', 'hint', 'give-up']);
  expect(rec.events.map((e: { type: string; verdict?: string }) => `${e.type}:${e.verdict}`)).toEqual(['answer:correct']);
  const row = csvRow(await exportResults(page, 'CSV'), 'virt-after-malloc');
  expect(row).toMatchObject({ attempt: '2', earlier_attempts: '1', variant: String(v1 + 1), params: JSON.stringify({ size: size2 }), correct: 'yes', points: '100', gave_up: 'no' });
  expect(row.learner_id).toBe(json.learnerId);
});
