import { expect, openLab, test } from './fixtures.js';

const LAB = '#/exercises/linux-process-memory/lab-page-life';

test("guided lab 2 with the keyboard alone: a wrong answer sends the learner back, progress survives a restart mid-lab, also past a stage without a question", async ({ page, lab }) => {
  await openLab(page, lab, LAB);
  await expect(page.getByRole('heading', { name: /Stage 1 of 6: L0: malloc/ })).toBeVisible();
  await expect(page.getByTestId('highlights')).toContainText('vma heap');

  // stage 1: brk — choose with the keyboard
  await page.locator('input[type="radio"]').first().focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
  await expect(page.getByRole('heading', { name: /Stage 2 of 6/ })).toBeVisible();

  // stage 2 has no question: go on
  await page.getByRole('button', { name: 'Next stage →' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /Stage 3 of 6: Swapped out/ })).toBeVisible();

  // stage 3: answer wrongly first ("freed"): diagnosis, and the lab sends us back to stage 2
  const radios = page.locator('input[type="radio"]');
  await radios.first().focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
  await expect(page.getByTestId('diagnosis')).toContainText('reclaim wrote it to swap');
  await expect(page.getByRole('heading', { name: /Stage 2 of 6: L1: first touch/ })).toBeVisible();
  await page.getByRole('button', { name: 'Next stage →' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /Stage 3 of 6/ })).toBeVisible();
  // now right: "in swap"
  await page.locator('input[type="radio"]').first().focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /Stage 4 of 6: L2: back from swap/ })).toBeVisible();

  // leave in the middle and restart the lab's server: the lab resumes at the same stage
  await lab.restart();
  await openLab(page, lab, LAB);
  await expect(page.getByRole('heading', { name: /Stage 4 of 6: L2: back from swap/ })).toBeVisible();

  // stage 4: where the page's contents come from (the first option: read back from swap)
  await page.locator('input[type="radio"]').first().focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /Stage 5 of 6: L3: a second page/ })).toBeVisible();
  // stage 5 has no question: continue to stage 6, then look back at stage 5 (a revisit)
  await page.getByRole('button', { name: 'Next stage →' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /Stage 6 of 6: L4–L5: use after free/ })).toBeVisible();
  await page.getByRole('button', { name: '← Previous stage' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /Stage 5 of 6: L3: a second page/ })).toBeVisible();

  // restart again: continuing past a stage without a question was saved, and the revisit did not lower it
  await lab.restart();
  await openLab(page, lab, LAB);
  await expect(page.getByRole('heading', { name: /Stage 6 of 6: L4–L5: use after free/ })).toBeVisible();
  await expect(page.getByTestId('stage-l3')).toContainText('✔');

  // stage 6: the use after free
  await page.locator('input[type="radio"]').first().focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('explanation')).toContainText('L0–L5 story');
  await expect(page.locator('a[data-exercise="lab-page-life"]')).toHaveAttribute('data-status', 'correct');
  // finished stages stay visitable
  await page.getByTestId('stage-l0').click();
  await expect(page.getByRole('heading', { name: /Stage 1 of 6/ })).toBeVisible();
});

test('continuing past a stage without a question is kept when the window reloads', async ({ page, lab }) => {
  await openLab(page, lab, LAB);
  await page.locator('input[type="radio"]').first().focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /Stage 2 of 6: L1: first touch/ })).toBeVisible();
  await page.getByRole('button', { name: 'Next stage →' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /Stage 3 of 6: Swapped out/ })).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open');
  await expect(page.getByRole('heading', { name: /Stage 3 of 6: Swapped out/ })).toBeVisible();
  await expect(page.getByTestId('stage-l1')).toContainText('✔');
});

test('a stage’s link opens the simulator at its step with what it points at marked', async ({ page, lab }) => {
  // lab 1 (from malloc to RES): stage 1 points at a.out's VmSize and VmRSS
  await openLab(page, lab, '#/exercises/linux-process-memory/lab-malloc-to-res');
  await expect(page.getByTestId('highlights')).toContainText('counter a.out.VmSize');
  await page.getByTestId('lab-simulator').click();
  await expect(page.getByTestId('step-now')).toHaveText('1');
  const look = page.getByTestId('sim-highlights');
  await expect(look).toContainText(/VmSize in \/proc\/PID\/status of a\.out = [\d,]+ kB/);
  await expect(look).toContainText(/VmRSS in \/proc\/PID\/status of a\.out = [\d,]+ kB/);
  // the table marks a.out's VIRT and RES cells, and nothing else
  const row = page.locator('tr[data-proc="a.out"]');
  await expect(row.locator('td[data-hl]')).toHaveCount(2);
  const cols = await page.locator('table.top thead th').allTextContents();
  const marked = await row.locator('td').evaluateAll((tds) => tds.map((td, i) => ((td as HTMLElement).dataset.hl ? i : -1)).filter((i) => i >= 0));
  expect(marked.map((i) => cols[i])).toEqual(['VIRT', 'RES']);
  await expect(row.locator('td[data-hl]').first()).toHaveCSS('outline-style', 'solid');
});

test('a stage that points at a VMA marks it in the address space and the pmap', async ({ page, lab }) => {
  await openLab(page, lab, LAB);
  await expect(page.getByTestId('highlights')).toContainText('vma heap');
  await page.getByTestId('lab-simulator').click();
  await expect(page.getByTestId('sim-highlights')).toContainText('the heap mapping');
  await expect(page.getByTestId('address-space').locator('li.vma[data-hl]')).toHaveCount(1);
  await expect(page.getByTestId('address-space').locator('li.vma[data-hl]')).toContainText('[heap]');
  await expect(page.getByTestId('pmap').locator('tr[data-hl]')).toContainText('[heap]');
  // without the stage's marks (the plain simulator URL), nothing is marked
  await page.goto(`${lab.url}#/simulator/page-life/1`);
  await expect(page.getByTestId('step-now')).toHaveText('1');
  await expect(page.locator('[data-hl]')).toHaveCount(0);
});

test('the simulator beside a guided lab follows its stage: the step and what the stage points at', async ({ page, lab }) => {
  await openLab(page, lab, '#/exercises/linux-process-memory/lab-malloc-to-res');
  await page.getByTestId('toggle-beside').click();
  const beside = page.getByTestId('simulator-beside');
  await expect(beside.getByTestId('step-now')).toHaveText('1');
  await expect(beside.getByTestId('sim-highlights')).toContainText('VmSize in /proc/PID/status of a.out');
  // on to stage 2 (no question on stage 1): the simulator moves to its step, 3
  await page.getByRole('button', { name: 'Next stage →' }).click();
  await expect(page.getByRole('heading', { name: /Stage 2 of/ })).toBeVisible();
  await expect(beside.getByTestId('step-now')).toHaveText('3');
  await expect(beside.locator('tr[data-proc="a.out"] td[data-hl]')).toHaveCount(2);
  // and back
  await page.getByRole('button', { name: '← Previous stage' }).click();
  await expect(beside.getByTestId('step-now')).toHaveText('1');
});

test('a stage names each counter in the /proc file Linux keeps it in, and the steps show sizes as people write them', async ({ page, lab }) => {
  await openLab(page, lab, '#/exercises/linux-process-memory/lab-oom');
  await page.getByTestId('lab-simulator').click();
  // oom_score has a file of its own; it is not a line of /proc/PID/status
  await expect(page.getByTestId('sim-highlights')).toContainText('oom_score in /proc/PID/oom_score of database');
  await expect(page.getByTestId('sim-highlights')).not.toContainText('oom_score in /proc/PID/status');
  await expect(page.getByTestId('step-list')).toContainText('database: malloc(300 MiB) → db');
  await expect(page.getByTestId('step-list')).not.toContainText('314572800');
});
