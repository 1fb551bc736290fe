import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import { expect, openLab, startLab, test, openPanel } from './fixtures.js';

const PACK = 'linux-process-memory';

function zip(entries: Record<string, string>, rename?: [string, string]): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) z.addBuffer(Buffer.from(data), name);
  z.end();
  return new Promise((res) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => {
      let b = Buffer.concat(chunks);
      if (rename) b = Buffer.from(b.toString('latin1').replaceAll(rename[0], rename[1]), 'latin1');
      res(b);
    });
  });
}

const MANIFEST = (id: string) => `id: ${id}\ntitle: Instructor pack ${id}\nversion: 1.0.0\nauthors: [Ms Teacher]\nlicence: CC0\nchapters:\n  - id: one\n    title: One\n    exercises: [q.md]\n`;
const Q = `---\nid: q\ntitle: Which system call grows the heap?\nkind: text\npatterns: ["^brk$"]\nreference: brk\nexplanation: brk moves the program break.\n---\nName the system call.\n`;

test('a wrong answer shows its diagnosis and a hint helps; a right one shows the explanation; progress survives a restart', async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/res-after-memset`);
  await expect(page.getByRole('heading', { name: 'RES after a partial memset' })).toBeVisible();
  const input = page.getByTestId('answer-input');
  await input.fill('12 potatoes');
  await input.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'invalid');
  await expect(page.getByTestId('feedback')).toContainText("'potatoes' is not a unit");
  await input.fill('2 GiB');
  await input.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
  await expect(page.getByTestId('diagnosis')).toContainText('That is VIRT');
  await page.getByRole('button', { name: /Show a hint \(1 of 2\)/ }).click();
  await expect(page.getByTestId('hints')).toContainText('Only pages that are written become resident.');
  await input.fill('1048576 kB');
  await input.press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
  await expect(page.getByTestId('feedback')).toContainText('the unit taken as kB (1024 bytes, as /proc means it)');
  // predict, then run: the feedback says what the simulator's run gives
  await expect(page.getByTestId('feedback')).toContainText("The simulator's run of the scenario gives 1 GiB");
  await expect(page.getByTestId('explanation')).toContainText('The classic top(1) example is right here');
  await expect(page.locator('a[data-exercise="res-after-memset"]')).toHaveAttribute('data-status', 'correct');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: 'docs/screenshots/exercise.png' });

  await lab.restart();
  await openLab(page, lab, `#/exercises/${PACK}/res-after-memset`);
  await expect(page.locator('a[data-exercise="res-after-memset"]')).toHaveAttribute('data-status', 'correct');
  await expect(page.getByTestId('explanation')).toBeVisible();
});

test('one exercise of every kind, with the keyboard only', async ({ page, lab }) => {
  const go = async (id: string) => {
    await openLab(page, lab, `#/exercises/${PACK}/${id}`);
    await expect(page.locator(`article[data-kind]`)).toBeVisible();
  };
  const expectCorrect = () => expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
  const focusFirst = async (sel: string) => {
    await page.locator(sel).first().focus();
  };

  // numeric
  await go('page-size');
  await focusFirst('[data-testid="answer-input"]');
  await page.keyboard.type('4096 B');
  await page.keyboard.press('Enter');
  await expectCorrect();

  // choice: arrow keys move within a radio group, space selects
  await go('zero-page');
  await focusFirst('input[type="radio"]');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expectCorrect();

  // multiple
  await go('brk-or-mmap');
  await focusFirst('input[type="checkbox"]');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expectCorrect();

  // ordering: move items with their Up/Down buttons until the order is right
  await go('massif');
  const want = ['Build the program with -g', 'Run valgrind --tool=massif ./prog', 'Find massif.out.PID in the current directory', 'Run ms_print massif.out.PID', 'Read the peak snapshot and its allocation tree'];
  for (let target = 0; target < want.length; target++) {
    for (;;) {
      const items = await page.locator('ol.ordering li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-item')));
      const at = items.indexOf(want[target]!);
      if (at === target) break;
      await page.getByRole('button', { name: `Move “${want[target]}” up` }).focus();
      await page.keyboard.press('Enter');
    }
  }
  await page.getByRole('button', { name: 'Check' }).focus();
  await page.keyboard.press('Enter');
  await expectCorrect();

  // matching: choose in each select with the keyboard
  await go('overcommit-modes');
  const answers: Record<string, string> = { '0': 'heuristic: refuse only allocations that could never fit', '1': 'always grant: never refuse', '2': 'strict: refuse beyond CommitLimit = swap + RAM × overcommit_ratio' };
  for (const [left, right] of Object.entries(answers)) {
    const select = page.getByLabel(left, { exact: true });
    await select.focus();
    await select.selectOption(right); // selectOption drives the native control as the keyboard would
  }
  await page.getByRole('button', { name: 'Check' }).focus();
  await page.keyboard.press('Enter');
  await expectCorrect();

  // text
  await go('free-large');
  await focusFirst('[data-testid="answer-input"]');
  await page.keyboard.type('munmap');
  await page.keyboard.press('Enter');
  await expectCorrect();

  // predict
  await go('cow-faults');
  await expect(page.getByTestId('open-simulator')).toHaveAttribute('href', '#/simulator/fork-cow/6');
  await focusFirst('[data-testid="answer-input"]');
  await page.keyboard.type('4097');
  await page.keyboard.press('Enter');
  await expectCorrect();

  // tune: type the value into the number field
  await go('oom-adj');
  await focusFirst('[data-testid="knob-processes.cache.oom_score_adj"]');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('500');
  await page.keyboard.press('Enter');
  await expectCorrect();

  // observe (simulated fallback where the host panel is off)
  await go('observe-res');
  await focusFirst('[data-testid="answer-input"]');
  await page.keyboard.type('64 MiB');
  await page.keyboard.press('Enter');
  await expectCorrect();
});

test('an instructor pack opened from a .memlab file shows up and works', async ({ page, lab }) => {
  await openLab(page, lab, '#/exercises');
  const buf = await zip({ 'pack.yaml': MANIFEST('teacher'), 'q.md': Q });
  await page.getByText('Open another pack').click();
  await page.getByTestId('pack-file').setInputFiles({ name: 'teacher.memlab', mimeType: 'application/zip', buffer: buf });
  await expect(page.getByText('Opened “Instructor pack teacher”.')).toBeVisible();
  await page.locator('a[data-exercise="q"]').click();
  await page.getByTestId('answer-input').fill('brk');
  await page.getByTestId('answer-input').press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
  // it is still there after a restart
  await lab.restart();
  await openLab(page, lab, '#/exercises/teacher/q');
  await expect(page.locator('a[data-exercise="q"]')).toHaveAttribute('data-status', 'correct');
});

test('a pack with a path-traversal entry is refused with a clear message', async ({ page, lab }) => {
  await openLab(page, lab, '#/exercises');
  const buf = await zip({ 'pack.yaml': MANIFEST('evil'), 'q.md': Q, 'zz/x.md': 'x' }, ['zz/x.md', '../x.md']);
  await page.getByText('Open another pack').click();
  await page.getByTestId('pack-file').setInputFiles({ name: 'evil.memlab', mimeType: 'application/zip', buffer: buf });
  await expect(page.getByTestId('exercise-error')).toContainText("evil.memlab: the entry '../x.md' would escape the pack folder; the pack was refused");
});

test('hostile Markdown in a pack does nothing and loads nothing remote', async ({ page, lab, foreignRequests }) => {
  const dir = mkdtempSync(join(tmpdir(), 'xss-'));
  const hostile = `---\nid: q\ntitle: Hostile\nkind: text\npatterns: ["^x$"]\nreference: x\nexplanation: x\n---\n<script>window.pwned = 1</script>\n\n<img src=x onerror="window.pwned = 2">\n\n[click me](javascript:window.pwned=3)\n\n![remote](https://evil.example/track.png)\n\n<svg><script>window.pwned = 4</script></svg>\n`;
  const buf = await zip({ 'pack.yaml': MANIFEST('hostile'), 'q.md': hostile });
  void dir;
  await openLab(page, lab, '#/exercises');
  await page.getByText('Open another pack').click();
  await page.getByTestId('pack-file').setInputFiles({ name: 'hostile.memlab', mimeType: 'application/zip', buffer: buf });
  await page.locator('a[data-exercise="q"]').click();
  await expect(page.getByRole('heading', { name: 'Hostile' })).toBeVisible();
  const prose = page.locator('.prose');
  await expect(prose).toContainText('<script>window.pwned = 1</script>'); // shown as text
  await prose.getByText('click me').click().catch(() => {});
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  expect(await prose.locator('script, svg, img[onerror], a[href^="javascript"]').count()).toBe(0);
  expect(foreignRequests).toEqual([]);
});

test('a damaged progress file is recovered from its backup and the learner is told', async ({ page }) => {
  const { writeFileSync, readFileSync } = await import('node:fs');
  const lab = await startLab();
  try {
    await openLab(page, lab, `#/exercises/${PACK}/page-size`);
    await page.getByTestId('answer-input').fill('4 KiB');
    await page.getByTestId('answer-input').press('Enter');
    await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
    await page.goto(`${lab.url}#/exercises/${PACK}/stack-limit`);
    await page.getByTestId('answer-input').fill('8 MiB');
    await page.getByTestId('answer-input').press('Enter');
    await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
    const file = join(lab.dataDir, 'progress-default.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 30));
    await lab.restart();
    await openLab(page, lab, `#/exercises/${PACK}/page-size`);
    await expect(page.getByTestId('progress-notice')).toContainText('restored it from the backup');
    await expect(page.locator('a[data-exercise="page-size"]')).toHaveAttribute('data-status', 'correct');
  } finally {
    await lab.stop();
  }
});

test('an exercise opens the simulator beside it, in the state the exercise describes', async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/cow-faults`);
  await page.getByTestId('toggle-beside').click();
  const side = page.getByTestId('simulator-beside');
  await expect(side.getByTestId('step-now')).toHaveText('6');
  await expect(side.locator('tr[data-proc="child"]')).toBeVisible();
  // the learner can still answer beside it
  await page.getByTestId('answer-input').fill('4097');
  await page.getByTestId('answer-input').press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
});

test('a scenario can be edited in the simulator, checked as it is typed', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/fork-cow/0');
  await openPanel(page, 'edit');
  const editor = page.getByTestId('scenario-editor');
  await expect(editor).toHaveValue(/fork: child/);
  const text = await editor.inputValue();
  await editor.fill(text.replace('ram: 256MiB', 'ram: 2potatoes'));
  await expect(page.getByTestId('editor-check')).toContainText("unknown unit 'potatoes'");
  await editor.fill(text.replace('malloc: 64MiB', 'malloc: 32MiB'));
  await expect(page.getByTestId('editor-check')).toContainText('valid');
  // the machine through the form: the YAML keeps its comments and gains the new values
  await page.getByTestId('machine-ram').fill('512MiB');
  await page.getByTestId('machine-swappiness').fill('100');
  await page.getByRole('button', { name: 'Set in the scenario' }).click();
  await expect(editor).toHaveValue(/ram: 512MiB/);
  await expect(editor).toHaveValue(/swappiness: 100/);
  await expect(page.getByTestId('editor-check')).toContainText('valid');
  await page.getByRole('button', { name: 'Run the edited scenario' }).click();
  await page.getByRole('button', { name: 'Run to the end' }).click();
  await expect(page.locator('tr[data-proc="child"]')).toBeVisible();
  await expect(page.getByTestId('last-step')).toContainText('After step');
});

test('author mode: a pack folder reloads on save and shows its errors in place', async ({ page, lab }) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/author-`);
  writeFileSync(`${dir}/pack.yaml`, MANIFEST('authored'));
  writeFileSync(`${dir}/q.md`, Q);
  await openLab(page, lab, '#/exercises');
  await page.getByText('Open another pack').click();
  await page.getByTestId('pack-path').fill(dir);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByText('Opened “Instructor pack authored”.')).toBeVisible();
  await page.getByTestId('author-mode').check();
  await expect(page.getByTestId('author-mode')).toBeChecked();
  // the author breaks the exercise and saves
  writeFileSync(`${dir}/q.md`, Q.replace('kind: text', 'kind: essay'));
  await expect(page.getByTestId('reloaded')).toContainText('1 problem(s)');
  await expect(page.getByTestId('pack-problems')).toContainText('q.md:4');
  // and fixes it
  writeFileSync(`${dir}/q.md`, Q);
  await expect(page.getByTestId('reloaded')).toContainText('0 problem(s)');
  await expect(page.locator('a[data-exercise="q"]')).toBeVisible();
});

test('observe on the host: the probe runs for real and the answer is checked against its measurement', async ({ page, lab }) => {
  test.skip(process.platform !== 'linux', 'needs Linux /proc');
  await openLab(page, lab, `#/exercises/${PACK}/observe-res`);
  await page.getByTestId('run-probe').click();
  const reading = page.getByTestId('probe-reading');
  await expect(reading).toContainText('VmRSS:');
  const [before, after] = [...((await reading.textContent()) ?? '').matchAll(/VmRSS: (\d+) kB/g)].map((m) => Number(m[1]));
  await page.getByTestId('answer-input').fill(`${after! - before!} kB`);
  await page.getByTestId('answer-input').press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
});

test('learner profiles keep separate progress', async ({ page, lab }) => {
  await openLab(page, lab, `#/exercises/${PACK}/page-size`);
  await page.getByTestId('answer-input').fill('4 KiB');
  await page.getByTestId('answer-input').press('Enter');
  await expect(page.locator('a[data-exercise="page-size"]')).toHaveAttribute('data-status', 'correct');
  await page.getByText('Results and progress').click();
  await page.getByTestId('new-profile').fill('ana');
  await page.getByRole('button', { name: 'Create and switch' }).click();
  await expect(page.getByTestId('profile-select')).toHaveValue('ana');
  await expect(page.locator('a[data-exercise="page-size"]')).toHaveAttribute('data-status', 'new');
  await page.getByTestId('profile-select').selectOption('default');
  await expect(page.locator('a[data-exercise="page-size"]')).toHaveAttribute('data-status', 'correct');
});
