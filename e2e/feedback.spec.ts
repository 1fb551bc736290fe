/**
 * Feedback that teaches, as a student sees it in Chromium (#12): numbers typed their own way
 * (SI and IEC units, a decimal comma, hex, a counted noun) get specific messages, an ambiguous
 * comma costs no attempt, a wrong choice shows its own reason rendered as Markdown, hints render
 * Markdown, and the examples under a numeric box are not the answer.
 */
import type { Page } from '@playwright/test';
import { expect, openLab, test } from './fixtures.js';

const PACK = 'linux-process-memory';
const feedback = (page: Page) => page.getByTestId('feedback');

async function answer(page: Page, text: string) {
  const input = page.getByTestId('answer-input');
  await input.fill(text);
  await input.press('Enter');
}

test('units typed their own way: SI vs IEC, a decimal comma, did-you-mean', async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/virt-after-malloc`);
  await expect(page.getByRole('heading', { name: 'VIRT after malloc' })).toBeVisible();
  // the examples under the box are generic: not this exercise's answer
  await expect(page.locator('#num-hint')).toContainText('1.5 GiB');
  await expect(page.locator('#num-hint')).not.toContainText('1048576 kB');
  const size = Number(/malloc\((\d)UL << 30\)/.exec((await page.locator('.prose').textContent())!)![1]);
  expect(size).toBeGreaterThanOrEqual(1);

  // "1,0 GiB": a decimal comma or a thousands separator? Not counted, both readings named, no attempt spent
  await answer(page, `${size},0 GiB`);
  await expect(feedback(page)).toHaveAttribute('data-verdict', 'invalid');
  await expect(feedback(page)).toContainText(`with a decimal comma it is ${size}.0 GiB`);
  await expect(feedback(page)).toContainText(`with the comma separating thousands it is ${size}0 GiB`);
  await expect(page.locator('.meta')).toContainText('0 answer(s)');

  // "N GB" is SI: N × 10^9 bytes, wrong for N GiB — and the feedback says GiB would be right
  await answer(page, `${size} GB`);
  await expect(feedback(page)).toHaveAttribute('data-verdict', 'incorrect');
  await expect(feedback(page)).toContainText(`${(size * 1e9).toLocaleString('en-US')} bytes`);
  await expect(page.getByTestId('diagnosis')).toContainText(`Did you mean ${size} GiB?`);
  await expect(page.locator('.meta')).toContainText('1 answer(s)');

  // "3.22 GB" for 3 GiB: SI, rounded to the digits typed — right
  const gb = ((size * 2 ** 30) / 1e9).toFixed(2);
  await answer(page, `${gb} GB`);
  await expect(feedback(page)).toHaveAttribute('data-verdict', 'correct');
  await expect(feedback(page)).toContainText('the unit taken as GB (SI: 10^9 bytes)');
  await page.screenshot({ path: 'test-results/feedback-units.png' });
});

test('counts take a counted noun, and hex numbers are numbers', async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/minor-faults`);
  const mib = Number(/fresh (\d+) MiB malloc block/.exec((await page.locator('.prose').textContent())!)![1]);
  await answer(page, `${mib * 256} faults`);
  await expect(feedback(page)).toHaveAttribute('data-verdict', 'correct');
  await expect(feedback(page)).toContainText('a count of faults');

  await openLab(page, lab, `#/exercises/${PACK}/oom-score`);
  await answer(page, '0x341'); // 833
  await expect(feedback(page)).toHaveAttribute('data-verdict', 'correct');
});

test('a wrong choice shows its own reason, rendered as Markdown; hints render Markdown too', async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/string-literal`);
  await page.getByLabel('It works', { exact: true }).check();
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(feedback(page)).toHaveAttribute('data-verdict', 'incorrect');
  await expect(feedback(page)).toContainText('You chose “It works”, which is not the answer.');
  await expect(feedback(page)).not.toContainText('Not this one');
  const why = page.getByTestId('diagnosis');
  // the option's own reason, its `code` rendered as code, no raw Markdown left
  await expect(why.locator('code').first()).toHaveText('char arr[] = "hello world"');
  await expect(why).not.toContainText('`');

  await page.getByRole('button', { name: /Show a hint/ }).click();
  await expect(page.getByTestId('hints').locator('li code').first()).toHaveText('"hello world"');
  await openLab(page, lab, `#/exercises/${PACK}/page-size`);
  await page.getByRole('button', { name: /Show a hint/ }).click();
  await expect(page.getByTestId('hints').locator('li code').first()).toHaveText('getconf PAGESIZE');
  await expect(page.getByTestId('hints')).not.toContainText('`');
  await page.screenshot({ path: 'test-results/feedback-hint.png' });
});

test('a text answer that is a classic misconception gets its own message', async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/free-large`);
  await answer(page, 'free');
  await expect(feedback(page)).toHaveAttribute('data-verdict', 'incorrect');
  await expect(feedback(page)).not.toContainText('That is not what we were looking for');
  await expect(page.getByTestId('diagnosis')).toContainText('C library function');
  await expect(page.getByTestId('diagnosis').locator('em')).toHaveText('system call'); // *system call* rendered
});
