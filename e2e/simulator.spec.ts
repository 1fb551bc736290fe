import { expect, openLab, openPanel, test } from './fixtures.js';

test('run the OOM scenario: the victim is marked, the OOM state lit; scrub back to before it', async ({ page, lab, foreignRequests }) => {
  await openLab(page, lab, '#/simulator');
  await page.getByTestId('scenario-select').selectOption('oom-killer');
  await page.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByTestId('last-step')).toHaveText('Before the first step.');

  // step 7 is the worker's touch that runs out of memory
  await page.getByRole('button', { name: /^7\. worker: write w/ }).click();
  await expect(page.getByTestId('step-now')).toHaveText('7');
  const victim = page.locator('tr[data-proc="database"]');
  await expect(victim).toHaveAttribute('data-state', 'killed:oom');
  await expect(victim.getByTestId('oom-victim')).toContainText('killed by the OOM killer');
  await expect(page.locator('tr[data-proc="worker"]')).toHaveAttribute('data-state', 'running');
  // the statechart shows the kernel went through direct reclaim and the OOM kill in this step
  await expect(page.locator('[data-state="cpu.oomKill"]')).toHaveAttribute('data-visited', 'true');
  await expect(page.locator('[data-state="cpu.directReclaim"]')).toHaveAttribute('data-visited', 'true');
  await expect(page.getByTestId('frame-grid')).toBeVisible();

  // the whole machine on one screen: controls, statechart, processes, physical memory
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: 'docs/screenshots/simulator.png' });
  // and the panels under it: the charts over the whole scenario
  await openPanel(page, 'charts');
  await page.getByTestId('dock-simulator').evaluate((el) => el.scrollIntoView({ block: 'end' }));
  await page.screenshot({ path: 'docs/screenshots/simulator-memory.png' });
  await openPanel(page, 'logs');
  await expect(page.getByTestId('kernel-log')).toContainText(/Out of memory: Killed process \d+ \(database\)/);

  // scrub back: before the OOM, the database runs and nothing was killed
  await page.getByTestId('scrubber').fill('5');
  await expect(page.getByTestId('step-now')).toHaveText('5');
  await expect(victim).toHaveAttribute('data-state', 'running');
  await expect(page.locator('[data-state="cpu.oomKill"]')).not.toHaveAttribute('data-visited', 'true');
  await expect(page.getByTestId('kernel-log')).not.toContainText('Out of memory');

  expect(foreignRequests).toEqual([]);
});

test('the simulator is driven by the keyboard: arrows step, and a scenario opens from the URL', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/fork-cow/2');
  await expect(page.getByTestId('step-now')).toHaveText('2');
  await page.locator('main').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('step-now')).toHaveText('3');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('step-now')).toHaveText('1');
  await openPanel(page, 'space');
  await expect(page.getByTestId('pmap')).toContainText('[heap]');
});

test('the massif-style heap chart follows the selected process', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator/leak/8');
  await expect(page.getByTestId('step-now')).toHaveText('8');
  await expect(page.getByTestId('heap-chart')).toBeVisible();
  await expect(page.getByText('Heap over time for leaky')).toBeVisible();
  // the kernel log and strace panes are virtual lists: they say how many lines they hold
  await openPanel(page, 'logs');
  await expect(page.getByTestId('syscalls')).toHaveAttribute('data-count', /^[1-9]\d*$/);

  // three processes: the chart is the selected one's, and follows another selection
  await page.goto(`${lab.url}#/simulator/oom-killer/4`);
  await expect(page.getByTestId('step-now')).toHaveText('4');
  await openPanel(page, 'charts');
  const figure = page.locator('figure.heap');
  await expect(figure).toContainText('Heap over time for database');
  await expect(figure).toContainText('database: heap in use');
  await page.locator('tr[data-proc="cache"]').getByRole('button', { name: 'cache' }).click();
  await expect(page.locator('tr[data-proc="cache"]').getByRole('button', { name: 'cache' })).toHaveAttribute('aria-pressed', 'true');
  await expect(figure).toContainText('Heap over time for cache');
  await expect(figure).toContainText('cache: heap in use');
  await expect(figure).not.toContainText('database: heap in use');
  await openPanel(page, 'space');
  await expect(page.getByTestId('address-space')).toContainText('cache');
});

test('a broken scenario file gets an error naming its line and field, and keeps it while the lab is still starting', async ({ page, lab }) => {
  // make the race happen every time: the simulator's start-up (its list of scenarios) is held until
  // the file's error is on screen; the starter scenario it would then open must not replace the error
  let held: string | null = null;
  let sendHeld: (() => void) | null = null;
  let heldAnswered = false;
  // the start-up's last call (the statechart) answered: the simulator has decided what to open
  let chartId: number | null = null;
  let startedUp = false;
  await page.routeWebSocket(/\/api(\?|$)/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      const msg = typeof m === 'string' ? (JSON.parse(m) as { method?: string; id?: number }) : {};
      if (msg.method === 'sim.statechart') chartId = msg.id ?? null;
      if (msg.method === 'sim.listScenarios' && held === null) {
        held = m as string;
        sendHeld = () => server.send(m);
        return;
      }
      server.send(m);
    });
    server.onMessage((m) => {
      ws.send(m);
      const id = typeof m === 'string' ? (JSON.parse(m) as { id?: number }).id : undefined;
      if (held !== null && id === (JSON.parse(held) as { id: number }).id) heldAnswered = true;
      if (chartId !== null && id === chartId) startedUp = true;
    });
  });
  await openLab(page, lab, '#/simulator');
  await expect.poll(() => held !== null).toBe(true);
  await page.locator('input[type="file"]').setInputFiles({
    name: 'broken.yaml',
    mimeType: 'text/yaml',
    buffer: Buffer.from('processes: [{name: a}]\nsteps:\n  - {proc: a, malloc: 12potatoes, as: m}\n'),
  });
  const error = page.getByTestId('sim-error');
  await expect(error).toContainText("broken.yaml:3: step 1 (malloc): '12potatoes': unknown unit 'potatoes'");
  // now the list arrives: the starter scenario is offered, not opened over the learner's file
  sendHeld!();
  await expect.poll(() => heldAnswered).toBe(true);
  await expect.poll(() => startedUp).toBe(true);
  await expect(page.getByTestId('scenario-select').locator('option[value="virt-vs-res"]')).toHaveCount(1);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await expect(error).toContainText("broken.yaml:3: step 1 (malloc): '12potatoes': unknown unit 'potatoes'");
  await expect(page.getByTestId('playback')).toHaveCount(0);
});
