import { expect, openLab, openPanel, test } from './fixtures.js';

/**
 * The frame grid's patterns, written out here on their own (not imported from the renderer): cell
 * (x, y) of a class is its ink where the pattern says so, its ground elsewhere.
 */
const PATTERNS = `({
  free: () => false,
  anonymous: () => true,
  cache: (x, y) => (x + y) % 4 === 0,
  dirty: (x, y) => (((x - y) % 4) + 4) % 4 === 0,
  shmem: (x, y) => x % 4 < 2 && y % 4 < 2,
  kernel: (x, y) => (x + y) % 4 === 0 || (((x - y) % 4) + 4) % 4 === 0,
  locked: (x, y) => y % 3 !== 2,
  shared: (x, y) => x % 3 === 0,
})`;

/**
 * Counts a canvas's pixels per class: a pixel is a class's when it is that class's ink where its
 * pattern has ink, or its ground where it has none (the canvas says which tones it painted each
 * class in). misplaced: a class's tone where its pattern puts the other one; ambiguous: more than one
 * class fits; other: no class's tone at all.
 */
const classify = `((cv, tones) => {
  const pat = ${PATTERNS};
  const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
  const out = { misplaced: 0, ambiguous: 0, other: 0 };
  for (const k of Object.keys(pat)) out[k] = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 3] === 0) continue; // past the last cell
    const c = px[i] + ',' + px[i + 1] + ',' + px[i + 2];
    const x = (i / 4) % cv.width, y = Math.floor(i / 4 / cv.width);
    const fits = [];
    let wrong = false;
    for (const k of Object.keys(pat)) {
      const ink = pat[k](x, y);
      if ((ink ? tones[k].ink : tones[k].ground).includes(c)) fits.push(k);
      else if ((ink ? tones[k].ground : tones[k].ink).includes(c)) wrong = true;
    }
    if (fits.length === 1) out[fits[0]]++;
    else if (fits.length > 1) out.ambiguous++;
    else if (wrong) out.misplaced++;
    else out.other++;
  }
  return out;
})`;
const gridCounts = `(() => { const cv = document.querySelector('[data-testid="frame-grid"]'); return ${classify}(cv, JSON.parse(cv.dataset.classTones)); })()`;
/** the legend's samples, each classified as the grid is: every pixel its class's, in its pattern */
const swatchCounts = `(() => {
  const tones = JSON.parse(document.querySelector('[data-testid="frame-grid"]').dataset.classTones);
  const out = {};
  for (const li of document.querySelectorAll('.legend li[data-kind]')) out[li.dataset.kind] = ${classify}(li.querySelector('canvas'), tones);
  return out;
})()`;
const KEYS = ['free', 'anonymous', 'cache', 'dirty', 'shmem', 'kernel', 'locked', 'shared'] as const;

test('the frame grid draws each frame’s kind as a pattern in its owner’s colour, as many as the legend counts, light and dark', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator');
  await page.locator('input[type="file"]').setInputFiles(new URL('./data/every-kind.yaml', import.meta.url).pathname);
  await expect(page.locator('[data-testid=playback][aria-busy=false]')).toBeVisible();
  await expect(page.getByTestId('step-now')).toHaveText('0');
  await page.getByRole('button', { name: 'Run to the end' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('10');
  // the legend counts frames; on this machine one cell is one frame, so the pixels must match it exactly
  await expect(page.locator('#frames-caption')).toContainText('one cell a frame');
  const legend = async () => {
    const out: Record<string, number> = {};
    for (const li of await page.locator('.legend li[data-kind]').all()) out[(await li.getAttribute('data-kind'))!] = Number(await li.locator('.n').textContent());
    return out;
  };
  const counted = await legend();
  // every class is on the machine at the end (so no class's check below is vacuous)
  for (const k of KEYS) expect(counted[k], k).toBeGreaterThan(0);
  for (const theme of ['light', 'dark']) {
    await page.getByLabel('Theme').selectOption(theme);
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    // repainted in this theme's colours: free frames in this theme's --frame-free, read from the stylesheet here
    const free = await page.evaluate(() => {
      const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true })!;
      probe.fillStyle = getComputedStyle(document.querySelector('[data-testid="frame-grid"]')!).getPropertyValue('--frame-free').trim();
      probe.fillRect(0, 0, 1, 1);
      return Array.from(probe.getImageData(0, 0, 1, 1).data).slice(0, 3).join(',');
    });
    await expect.poll(() => page.getByTestId('frame-grid').evaluate((cv) => JSON.parse((cv as HTMLCanvasElement).dataset.classTones!).free.ground), `${theme}: free frames`).toEqual([free]);
    // each class's pixels are where its pattern puts them, as many as the legend counts, and nothing else is drawn
    await expect.poll(() => page.evaluate(gridCounts), `${theme}: pixels per class`).toEqual({ ...counted, misplaced: 0, ambiguous: 0, other: 0 });
    // the legend shows each pattern (its sample classified the same way: all its 64 cells that class's) with the kind's name and count
    const samples = (await page.evaluate(swatchCounts)) as Record<string, Record<string, number>>;
    for (const k of KEYS) expect(samples[k], `${theme}: the legend's ${k} sample`).toEqual({ ...Object.fromEntries(KEYS.map((j) => [j, j === k ? 64 : 0])), misplaced: 0, ambiguous: 0, other: 0 });
  }
  await expect(page.locator('.legend li[data-kind="cache"]')).toHaveText(`page cache ${counted.cache}`);
  // a process's frames are in its colour: the child's copies (its anonymous pixels) in the child's swatch colour, the parent's in the parent's
  const pixelsOf = (hex: string) => page.evaluate((h) => {
    const cv = document.querySelector('[data-testid="frame-grid"]') as HTMLCanvasElement;
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
    const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] === r && px[i + 1] === g && px[i + 2] === b) n++;
    return n;
  }, hex);
  const owner = await page.locator('tr[data-proc="owner"] .swatch').getAttribute('data-colour');
  expect(await pixelsOf(owner!)).toBeGreaterThan(0);
});

test('stepping updates the charts in place: the same uPlot canvas, new data', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/page-life/1');
  await expect(page.getByTestId('step-now')).toHaveText('1');
  const chart = page.getByTestId('mem-chart').locator('canvas');
  await expect(chart).toHaveCount(1);
  await chart.evaluate((c) => ((c as HTMLCanvasElement & { memlabMark?: boolean }).memlabMark = true));
  const before = await chart.evaluate((c) => (c as HTMLCanvasElement).toDataURL());
  await page.locator('main').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('step-now')).toHaveText('3');
  // still the canvas marked before the steps (re-creating a chart per step was what stalled playback)
  expect(await chart.evaluate((c) => (c as HTMLCanvasElement & { memlabMark?: boolean }).memlabMark === true)).toBe(true);
  // and it shows the new steps: what it draws has changed
  await expect.poll(() => chart.evaluate((c) => (c as HTMLCanvasElement).toDataURL())).not.toBe(before);
});

test('a page-fault trace of 102,400 lines scrolls end to end with only the rows in view in the page', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator');
  await page.locator('input[type="file"]').setInputFiles(new URL('./data/touch-400m.yaml', import.meta.url).pathname);
  // a starter scenario loads first: wait until the opened file is the one on screen
  await expect(page.locator('[data-testid=playback][aria-busy=false]')).toBeVisible();
  await expect(page.getByTestId('step-now')).toHaveText('0');
  await page.getByRole('button', { name: 'Run to the end' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('2');
  await openPanel(page, 'logs');
  const trace = page.getByTestId('fault-trace');
  // 102,400 pages touched and one written by malloc's chunk header (+ the heap's first page)
  await expect(trace).toHaveAttribute('data-count', /^1024\d\d$/);
  const count = Number(await trace.getAttribute('data-count'));
  // it follows the end: the newest fault is in view
  await expect(trace.locator(`[data-line="${count - 1}"]`)).toContainText(/toucher\/\d+ minfault write => 0x[0-9a-f]+ \[ anon \] \(big\)/);
  // only the rows in view (and a few either side) are in the DOM
  expect(await trace.locator('.row').count()).toBeLessThan(60);
  // scroll to the very top: the oldest lines come from the main process a page at a time
  await trace.evaluate((el) => (el.scrollTop = 0));
  await expect(trace.locator('[data-line="0"]')).toContainText('[step 1] toucher/');
  // and to the middle
  await trace.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  const mid = trace.locator('.row').nth(15);
  await expect(mid).toContainText(/\[step 2\] toucher\/\d+ minfault write/);
  expect(await trace.locator('.row').count()).toBeLessThan(60);
  await expect(page.getByRole('heading', { name: /Page faults/ })).toContainText('102,4');
});

test('a scenario inside an instructor’s pack opens in the simulator: from the list, and beside its exercise', async ({ page, lab }) => {
  const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/packsim-`);
  writeFileSync(`${dir}/pack.yaml`, 'id: cow-pack\ntitle: COW pack\nversion: 1.0.0\nauthors: [Ms Teacher]\nlicence: CC0\nchapters:\n  - id: one\n    title: One\n    exercises: [q.md]\n');
  mkdirSync(`${dir}/scenarios`);
  writeFileSync(`${dir}/scenarios/teacher-fork.yaml`, [
    'title: The teacher’s fork',
    'description: A parent writes 8 MiB, forks, and the child writes half of it.',
    'machine: { ram: 1GiB }',
    'processes: [{ name: mum }]',
    'steps:',
    '  - { proc: mum, malloc: 8MiB, as: buf }',
    '  - { proc: mum, touch: buf }',
    '  - { proc: mum, fork: kid }',
    '  - { proc: kid, touch: buf, length: 4MiB }',
    '',
  ].join('\n'));
  writeFileSync(`${dir}/q.md`, '---\nid: q\ntitle: Copies after fork\nkind: text\nscenario: scenarios/teacher-fork.yaml\nshow_step: 3\npatterns: ["^cow$"]\nreference: cow\nexplanation: copy-on-write.\n---\nWhat does the kernel do when the child writes?\n');
  await openLab(page, lab, '#/exercises');
  await page.getByText('Open another pack').click();
  await page.getByTestId('pack-path').fill(dir);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByText('Opened “COW pack”.')).toBeVisible();

  // the simulator lists it under its pack
  await page.getByRole('link', { name: 'Simulator' }).first().click();
  const select = page.getByTestId('scenario-select');
  await expect(select.locator('optgroup[label="Pack: COW pack"] option')).toHaveText(['The teacher’s fork']);
  await select.selectOption({ label: 'The teacher’s fork' });
  await page.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByTestId('step-now')).toHaveText('0');
  await page.getByRole('button', { name: 'Run to the end' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('4');
  await expect(page.locator('tr[data-proc="kid"]')).toBeVisible();
  // 4 MiB written by the child after fork: 1,024 copy-on-write faults in the trace
  await openPanel(page, 'logs');
  await expect(page.getByTestId('fault-trace')).toContainText('kid/');
  await expect(page.getByTestId('fault-trace')).toContainText('minfault (copy-on-write) write');

  // the exercise opens the same scenario beside itself, at the step it names
  await page.goto(`${lab.url}#/exercises/cow-pack/q`);
  await page.getByTestId('toggle-beside').click();
  const beside = page.getByTestId('simulator-beside');
  await expect(beside.getByTestId('step-now')).toHaveText('3');
  await expect(beside.locator('tr[data-proc="kid"]')).toBeVisible();
  await expect(page.getByTestId('open-simulator')).toHaveAttribute('href', '#/simulator/pack%3Acow-pack%3Ascenarios%2Fteacher-fork.yaml/3');
  await page.getByTestId('open-simulator').click();
  await expect(page.getByTestId('step-now')).toHaveText('3');
  await openPanel(page, 'about');
  await expect(page.getByTestId('sim-desc')).toContainText('The teacher’s fork');
});

test('the steps are edited in a form: change a value, add, move and delete a step; the YAML follows and runs', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/fork-cow/0');
  await expect(page.getByTestId('step-now')).toHaveText('0');
  await openPanel(page, 'edit');
  const form = page.getByTestId('steps-form');
  const editor = page.getByTestId('scenario-editor');
  await expect(form.locator('li.row')).toHaveCount(9);
  // step 6: the child writes 16 MiB; make it 8 MiB
  const length6 = page.getByLabel('Step 6: length (optional)');
  await expect(length6).toHaveValue('16MiB');
  await length6.fill('8MiB');
  await form.locator('li[data-step="6"]').getByRole('button', { name: 'Apply' }).click();
  await expect(editor).toHaveValue(/- \{ proc: child, touch: buf, length: 8MiB, note: "?the child writes a quarter/);
  // add a step at the end: the parent frees the buffer
  await page.getByLabel('New step: what it does').selectOption('free');
  await page.getByLabel('New step: process').selectOption('parent');
  await page.getByLabel('New step: free (required)').fill('buf');
  await page.getByRole('button', { name: 'Add the step' }).click();
  await expect(form.locator('li.row')).toHaveCount(10);
  await expect(editor).toHaveValue(/- \{ proc: parent, free: buf \}\n?$/);
  // move it up one, then delete the snapshot it passed
  await page.getByRole('button', { name: 'Move step 10 up' }).click();
  await expect(page.getByLabel('Step 9: free (required)')).toHaveValue('buf');
  await page.getByRole('button', { name: 'Delete step 10' }).click();
  await expect(form.locator('li.row')).toHaveCount(9);
  await expect(editor).not.toHaveValue(/snapshot: child-read/);
  // a bad value is refused by the check below the text, with its step
  await page.getByLabel('Step 1: malloc (required)').fill('64 potatoes');
  await form.locator('li[data-step="1"]').getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('editor-check')).toContainText('step 1');
  await page.getByLabel('Step 1: malloc (required)').fill('64MiB');
  await form.locator('li[data-step="1"]').getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('editor-check')).toContainText('valid');
  // the comments and the machine survive, and the edited scenario runs
  await expect(editor).toHaveValue(/machine: \{ ram: 256MiB \}/);
  await page.getByRole('button', { name: 'Run the edited scenario' }).click();
  await page.getByRole('button', { name: 'Run to the end' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('9');
  await expect(page.getByTestId('last-step')).toContainText('free');
});

test('text follows the font size the learner set: log rows grow with it and do not overlap', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/fork-cow/9');
  await expect(page.getByTestId('step-now')).toHaveText('9');
  await openPanel(page, 'logs');
  const trace = page.getByTestId('fault-trace');
  // measured in one go in the page: the list re-renders its rows as it scrolls
  const rowBox = async () =>
    trace.evaluate((el) => {
      const [a, b] = [...el.querySelectorAll('.row[data-line]')].map((r) => r.getBoundingClientRect());
      return { step: b!.top - a!.top, height: a!.height, fontPx: parseFloat(getComputedStyle(el.querySelector('.row[data-line]')!).fontSize) };
    });
  const normal = await rowBox();
  // as a larger default font (the OS / browser text size) would: everything is in rem
  await page.evaluate(`document.documentElement.style.fontSize = '150%'`);
  await expect.poll(async () => (await rowBox()).fontPx).toBeGreaterThan(normal.fontPx * 1.4);
  await expect.poll(async () => (await rowBox()).step).toBeGreaterThan(normal.step * 1.4);
  const big = await rowBox();
  // each row is at least as tall as its text and the next starts below it
  expect(big.step).toBeGreaterThanOrEqual(big.fontPx);
  expect(big.step).toBeGreaterThanOrEqual(big.height - 0.5);
  // and the page still fits the window's width
  const overflow = await page.evaluate(`document.documentElement.scrollWidth - document.documentElement.clientWidth`);
  expect(overflow).toBeLessThanOrEqual(0);
});

test('the address space is drawn high addresses first, sizes on a log scale, with what is resident', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/virt-vs-res/4');
  await expect(page.getByTestId('step-now')).toHaveText('4');
  await openPanel(page, 'space');
  const space = page.getByTestId('address-space');
  const vmas = space.locator('li.vma');
  // the stack on top, the program's text below the heap, at the bottom
  await expect(vmas.first()).toHaveAttribute('data-kind', 'stack');
  const kinds = await vmas.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.kind));
  expect(kinds.indexOf('heap')).toBeGreaterThan(kinds.indexOf('anon'));
  expect(kinds.lastIndexOf('text')).toBeGreaterThan(kinds.indexOf('heap'));
  const starts = await vmas.locator('.addr').allTextContents();
  expect(starts.map((a) => parseInt(a, 16))).toEqual(starts.map((a) => parseInt(a, 16)).sort((x, y) => y - x));
  // the 2 GiB malloc: half of it written, so about half its bar resident; and much taller than a 4 KiB mapping, but not 500,000 times
  const m = vmas.filter({ hasText: '(m)' });
  await expect(m.locator('.size')).toHaveText('2.0 GiB');
  const frac = await m.locator('.bar').evaluate((b) => (b.querySelector('.res') as HTMLElement).getBoundingClientRect().width / b.getBoundingClientRect().width);
  expect(frac).toBeGreaterThan(0.45);
  expect(frac).toBeLessThan(0.55);
  const small = vmas.filter({ has: page.locator('.size', { hasText: /^4 KiB$/ }) }).first();
  const hBig = (await m.boundingBox())!.height;
  const hSmall = (await small.boundingBox())!.height;
  expect(hBig).toBeGreaterThan(hSmall * 2);
  expect(hBig).toBeLessThan(hSmall * 10);
  // the gaps between the mappings are shown, squeezed, with their size
  await expect(space.locator('li.gap').first()).toContainText(/unmapped \d/);
  await expect(space.getByText('[vvar]')).toBeVisible();
});

test('the watermark gauge shows free memory falling past high, low and min as the OOM scenario runs', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/oom-killer/0');
  const gauge = page.getByTestId('watermark-gauge');
  await expect(gauge).toHaveAttribute('data-zone', 'above-high');
  await expect(gauge).toHaveAttribute('aria-label', /above high: kswapd sleeps/);
  // step through: at some step free memory is below low (kswapd woken) before the kill frees it again
  const zones = new Set<string>();
  for (let i = 1; i <= 8; i++) {
    await page.getByRole('button', { name: 'Step forward' }).click();
    await expect(page.getByTestId('step-now')).toHaveText(String(i));
    zones.add((await gauge.getAttribute('data-zone'))!);
  }
  expect([...zones].some((z) => z.startsWith('below'))).toBe(true);
  // its marks sit in the order min < low < high
  const xs = await gauge.locator('line.mark').evaluateAll((ls) => ls.map((l) => Number(l.getAttribute('x1'))));
  expect(xs).toEqual([...xs].sort((a, b) => a - b));
});

test('a scenario of 2,000 steps lists the steps around the current one, not 2,000 buttons', async ({ page, lab }) => {
  const steps = Array.from({ length: 2000 }, (_, i) => `  - { proc: a, ${i % 2 ? 'free: b' + (i - 1) : `malloc: 64KiB, as: b${i}`} }`);
  await openLab(page, lab, '#/simulator');
  await page.locator('input[type="file"]').setInputFiles({ name: 'long.yaml', mimeType: 'text/yaml', buffer: Buffer.from(`title: Long\nmachine: { ram: 1GiB }\nprocesses: [{ name: a }]\nsteps:\n${steps.join('\n')}\n`) });
  await expect(page.getByTestId('scrubber')).toHaveAttribute('max', '2000');
  const list = page.getByTestId('step-list');
  expect(await list.locator('button').count()).toBeLessThanOrEqual(120);
  await expect(list).toContainText('1,880 later steps');
  await page.getByTestId('scrubber').fill('1500');
  await expect(page.getByTestId('step-now')).toHaveText('1500');
  await expect(list.locator('button[aria-current="step"]')).toHaveText('1500. a: free b1498');
  await expect(list).toContainText('earlier steps');
});

test('the charts draw their axes in the theme’s colours: no near-black text on the dark theme', async ({ page, lab }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openLab(page, lab, '#/simulator/oom-killer/7');
  await expect(page.getByTestId('step-now')).toHaveText('7');
  const dark = (testid: string) =>
    page.getByTestId(testid).locator('canvas').evaluate((c) => {
      const cv = c as HTMLCanvasElement;
      const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      let ink = 0;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3]! < 200) continue;
        ink++;
        if (px[i]! < 50 && px[i + 1]! < 50 && px[i + 2]! < 50) n++;
      }
      return { n, ink };
    });
  for (const id of ['mem-chart', 'rate-chart']) {
    const r = await dark(id);
    expect(r.ink, id).toBeGreaterThan(500);
    expect(r.n, id).toBe(0);
  }
});

test('choosing another process in the table draws its address space', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/fork-cow/9');
  await expect(page.getByTestId('step-now')).toHaveText('9');
  await openPanel(page, 'space');
  await expect(page.getByRole('heading', { name: /Address space of parent/ })).toBeVisible();
  await page.locator('tr[data-proc="child"]').getByRole('button', { name: 'child' }).click();
  await expect(page.getByRole('heading', { name: /Address space of child/ })).toBeVisible();
  await expect(page.getByTestId('address-space')).toHaveAttribute('aria-label', /child/);
  await expect(page.getByTestId('pmap')).toContainText('(buf)');
  // and it stays with the child as the steps go back
  await page.getByRole('button', { name: 'Step back' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('8');
  await expect(page.getByRole('heading', { name: /Address space of child/ })).toBeVisible();
});

test('the selected process’s lifecycle machine is drawn with its state lit: the OOM victim ends in killedOom', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/oom-killer/7');
  await expect(page.getByTestId('step-now')).toHaveText('7');
  await openPanel(page, 'lifecycle');
  const life = page.locator('section[data-chart="process"]');
  await expect(life.getByRole('heading')).toHaveText(/^Lifecycle of database \(PID \d+\)$/);
  await expect(life.locator('[data-state="process.killedOom"]')).toHaveAttribute('data-active', 'true');
  await expect(life.locator('[data-state="process.killedOom"]')).toHaveAttribute('data-final', 'true');
  await expect(life.locator('[data-state="process.running"]')).not.toHaveAttribute('data-active', 'true');
  // its arrows come from the machine: OOM_KILL leads there from running (a task never rests in a blocked state between steps)
  await expect(life.locator('[data-edge][data-to="process.killedOom"] text')).toHaveText(['OOM_KILL']);
  await expect(life.locator('[data-state="process.blocked"]')).toHaveCount(0);
  // the worker lives on
  await page.locator('tr[data-proc="worker"]').getByRole('button', { name: 'worker' }).click();
  await expect(life.getByRole('heading')).toHaveText(/^Lifecycle of worker/);
  await expect(life.locator('[data-state="process.running"]')).toHaveAttribute('data-active', 'true');
  // back before the kill, the database was running
  await page.locator('tr[data-proc="database"]').getByRole('button', { name: 'database' }).click();
  await page.getByTestId('scrubber').fill('5');
  await expect(page.getByTestId('step-now')).toHaveText('5');
  await expect(life.locator('[data-state="process.running"]')).toHaveAttribute('data-active', 'true');
});

test('marks in the URL that name another process select it and draw its address space', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/oom-killer/4');
  await expect(page.getByTestId('step-now')).toHaveText('4');
  await openPanel(page, 'space');
  await expect(page.getByRole('heading', { name: /Address space of database/ })).toBeVisible();
  await page.goto(`${lab.url}#/simulator/oom-killer/4/${encodeURIComponent(JSON.stringify([{ counter: 'cache.VmRSS' }]))}`);
  await expect(page.getByRole('heading', { name: /Address space of cache/ })).toBeVisible();
  await expect(page.locator('tr[data-proc="cache"] td[data-hl]')).toHaveCount(1);
  await expect(page.getByTestId('sim-highlights')).toContainText(/VmRSS in \/proc\/PID\/status of cache = [\d,]+ kB/);
});

test('a pack opened after a visit to the simulator adds its scenarios when the learner comes back', async ({ page, lab }) => {
  const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  await openLab(page, lab, '#/simulator');
  // the simulator opens on its starter scenario: wait until it has loaded (the playback controls
  // appear with it) before leaving, so its load does not land on top of what follows
  await expect(page.getByTestId('playback')).toHaveAttribute('aria-busy', 'false');
  await expect(page.getByTestId('step-now')).toHaveText('0');
  const select = page.getByTestId('scenario-select');
  await expect(select.locator('optgroup[label="Built in"] option').first()).toBeAttached();
  await expect(select.locator('optgroup[label="Pack: Later pack"]')).toHaveCount(0);
  // an open pack's own files that are not scenarios (its claim manifest) are not offered
  await expect(select.locator('option', { hasText: 'claims.yaml' })).toHaveCount(0);
  const dir = mkdtempSync(`${tmpdir()}/later-`);
  writeFileSync(`${dir}/pack.yaml`, 'id: later\ntitle: Later pack\nversion: 1.0.0\nauthors: [T]\nlicence: CC0\nchapters:\n  - id: one\n    title: One\n    exercises: [q.md]\n');
  writeFileSync(`${dir}/q.md`, '---\nid: q\ntitle: Q\nkind: text\npatterns: ["^x$"]\nreference: x\nexplanation: x.\n---\nQ?\n');
  mkdirSync(`${dir}/scenarios`);
  writeFileSync(`${dir}/scenarios/s.yaml`, 'title: Later scenario\nmachine: { ram: 1GiB }\nprocesses: [{ name: a }]\nsteps:\n  - { proc: a, malloc: 1MiB, as: m }\n');
  await page.getByRole('link', { name: 'Exercises' }).first().click();
  await page.getByText('Open another pack').click();
  await page.getByTestId('pack-path').fill(dir);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByText('Opened “Later pack”.')).toBeVisible();
  await page.getByRole('link', { name: 'Simulator' }).first().click();
  await expect(select.locator('optgroup[label="Pack: Later pack"] option')).toHaveText(['Later scenario']);
  // and it opens: the timeline changes from the starter's steps to this scenario's one step
  await expect(page.getByTestId('playback')).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('label.stepno')).not.toHaveText(/ of 1$/);
  await select.selectOption({ label: 'Later scenario' });
  await page.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.locator('label.stepno')).toHaveText(/^Step 0 of 1$/);
  await page.getByRole('button', { name: 'Step forward' }).click();
  await expect(page.getByTestId('step-now')).toHaveText('1');
  await expect(page.getByTestId('last-step')).toContainText('malloc(1 MiB)');
});
