import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { COMPILER, pathWithout } from '../test/real/paths.js';
import { expect, type Lab, openLab, openPanel, startLab, test as base } from './fixtures.js';

/** gone: no /proc entry, or only a zombie's */
function gone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

const cell = (page: Page, scope: string, field: string, col: 'sim' | 'real' | 'diff') =>
  page.getByTestId(`real-row-${scope}-${field}`).locator(`td[data-col="${col}"]`);
const number = (s: string) => Number(s.replace(/[^\d-]/g, ''));

base.skip(process.platform !== 'linux', 'runs scenarios on a Linux kernel');

// every test runs with the C executor, and again with every C compiler hidden from the server's PATH
const tmp = mkdtempSync(join(tmpdir(), 'memlab-e2e-real-'));
base.afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const VARIANTS = [
  { kind: 'c', label: 'C', env: {} as Record<string, string> },
  { kind: 'python', label: 'Python', env: { PATH: pathWithout(join(tmp, 'no-cc'), COMPILER) } },
];
const labWith = (env: Record<string, string>) =>
  base.extend<{ lab: Lab }>({
    lab: async ({}, use) => {
      const lab = await startLab({ env });
      await use(lab);
      await lab.stop();
      rmSync(lab.dataDir, { recursive: true, force: true });
    },
  });

for (const v of VARIANTS) {
  const test = labWith(v.env);
  test.describe(`${v.label} executor`, () => {
  test(`fork and copy-on-write, run for real (${v.label} executor): the child\'s minor faults over its write match the simulator within 1%`, async ({ page, lab }) => {
    await openLab(page, lab, '#/simulator');
    // with none named, a starter scenario loads first: let it finish, then load the chosen one in its place
    await expect(page.getByTestId('playback')).toHaveAttribute('aria-busy', 'false');
    await page.getByTestId('scenario-select').selectOption('fork-cow');
    await page.getByRole('button', { name: 'Load', exact: true }).click();
    await expect(page.getByTestId('playback')).toHaveAttribute('aria-busy', 'false');
    await expect(page.getByTestId('last-step')).toHaveText('Before the first step.');
    // "Run for real" is a tab of the simulator's dock
    await openPanel(page, 'real');
    // the simulator stands at the child's write: the real table follows it
    await page.getByRole('button', { name: /^6\. child: write buf/ }).click();
    await page.getByTestId('real-start').click();
    await expect(page.getByTestId('real-status')).toHaveText(/Done: 9 steps/, { timeout: 30_000 });
    await expect(page.getByTestId('real-table').locator('caption')).toContainText('After step 6: child: write buf');
    const sim = number(await cell(page, 'child', 'minflt', 'sim').innerText());
    const kernel = number(await cell(page, 'child', 'minflt', 'real').innerText());
    expect(sim).toBe(4097);
    expect(Math.abs(kernel - sim) / sim).toBeLessThanOrEqual(0.01);
    // the step's counters are compared as changes, and the view says why
    await expect(page.getByTestId('real-row-child-minflt')).toContainText('Δ step');
    await expect(page.getByTestId('real-run')).toContainText('the simulator does not model the faults a program takes starting up');
    await expect(page.getByTestId('real-info')).toContainText(`${v.label} executor`);
    await expect(page.getByTestId('real-info')).toContainText(existsSync('/usr/bin/strace') || existsSync('/bin/strace') ? 'system calls recorded by strace' : 'read off /proc/PID/maps');
    // both columns of system calls are there; the fork is a clone on both sides
    await page.getByTestId('real-step').selectOption('4');
    await expect(page.getByTestId('real-sim-calls')).toContainText('parent: clone');
    await expect(page.getByTestId('real-kernel-calls')).toContainText('parent: clone');
    await page.getByTestId('real-step').selectOption('6');
    await page.getByTestId('real-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `test-results/realrun-fork-cow-${v.kind}.png`, fullPage: false });
    // every executor is gone once the run is done
    const pids = ((await page.getByTestId('real-run').getAttribute('data-pids')) ?? '').split(' ').filter(Boolean).map(Number);
    expect(pids.length).toBe(3); // the launcher, parent and child
    await expect.poll(() => pids.every(gone)).toBe(true);
  });

  test(`a run stopped midway leaves no executor process behind (${v.label} executor)`, async ({ page, lab }) => {
    await openLab(page, lab, '#/simulator');
    // with none named, a starter scenario loads first: let it finish, then load the chosen one in its place
    await expect(page.getByTestId('playback')).toHaveAttribute('aria-busy', 'false');
    await page.getByTestId('scenario-select').selectOption('leak');
    await page.getByRole('button', { name: 'Load', exact: true }).click();
    await expect(page.getByTestId('playback')).toHaveAttribute('aria-busy', 'false');
    await expect(page.getByTestId('last-step')).toHaveText('Before the first step.');
    // "Run for real" is a tab of the simulator's dock
    await openPanel(page, 'real');
    await page.getByTestId('real-start').click();
    // step 2 arrived: the leaky process has its memory, and the ticks keep the run going a while
    await expect(page.getByTestId('real-step').locator('option')).toHaveCount(3, { timeout: 30_000 });
    const pids = ((await page.getByTestId('real-run').getAttribute('data-pids')) ?? '').split(' ').filter(Boolean).map(Number);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.some((p) => !gone(p))).toBe(true);
    await page.getByTestId('real-stop').click();
    await expect(page.getByTestId('real-status')).toContainText('Stopped at step');
    for (const pid of pids) expect(gone(pid), `executor ${pid} still runs`).toBe(true);
  });
  });
}

// neither a C compiler nor python3 on the server's PATH
const bare = labWith({ PATH: pathWithout(join(tmp, 'neither'), new RegExp(`${COMPILER.source}|^python3?([.\\d]*)?$`)) });
bare('with neither a C compiler nor Python 3: Run for real says in one line what to install', async ({ page, lab }) => {
  await openLab(page, lab, '#/simulator');
  await expect(page.getByTestId('playback')).toHaveAttribute('aria-busy', 'false');
  await openPanel(page, 'real');
  await page.getByTestId('real-start').click();
  const error = page.getByTestId('real-error');
  await expect(error).toContainText('cannot run scenarios for real here');
  await expect(error).toContainText('no C compiler (cc, gcc or clang) on PATH; no python3 on PATH');
  await expect(error).toContainText('sudo apt install gcc');
  expect((await error.innerText()).trim().split('\n')).toHaveLength(1);
  await page.screenshot({ path: 'test-results/realrun-neither.png', fullPage: false });
});
