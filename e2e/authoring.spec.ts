/**
 * Authoring (issue 15): the README's Authoring section followed word for word, a pack written
 * from FORMAT.md and SCENARIOS.md answered in the lab, and author mode reporting exactly what
 * `memlab pack check` reports.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, openLab, ROOT, test } from './fixtures.js';

const memlab = (cwd: string, args: string[]): { out: string; code: number } => {
  try {
    return { out: execFileSync(process.execPath, [join(ROOT, 'bin', 'memlab.js'), ...args], { cwd, encoding: 'utf8' }), code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; status?: number };
    return { out: e.stdout ?? '', code: e.status ?? 1 };
  }
};

async function openPath(page: Page, path: string): Promise<void> {
  await page.getByRole('link', { name: 'Exercises' }).first().click();
  await page.getByText('Open another pack').click();
  await page.getByLabel('Folder or .memlab path on this computer').fill(path);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
}

// pack check and pack build run as child processes (20 parameter draws each): slow on a shared machine
test.describe.configure({ timeout: 300_000 });

test('the README Authoring section, word for word: pack new → edit → pack check → pack build → open in the lab', async ({ page, lab }) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = /^## Authoring\n([\s\S]*?)^## /m.exec(readme)![1]!;
  const dir = mkdtempSync(join(tmpdir(), 'readme-'));
  // every command block, in order; an instructor types `npx memlab`, the test runs the same built command
  const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
  expect(commands).toEqual(['npx memlab pack new my-pack', 'npx memlab pack check my-pack', 'npx memlab pack build my-pack -o my-pack.memlab']);
  const edit = /[Ii]n `([^`]+)`, change the line `([^`]+)` to `([^`]+)`/.exec(section)!;
  const promised = /a clean pack ends with `([^`]+)`/.exec(section)![1]!;
  // 1. scaffold
  expect(memlab(dir, commands[0]!.split(' ').slice(2)).code).toBe(0);
  // 2. the edit, exactly as written
  const file = join(dir, edit[1]!);
  const before = readFileSync(file, 'utf8');
  expect(before.split('\n')).toContain(edit[2]);
  writeFileSync(file, before.replace(`${edit[2]}\n`, `${edit[3]}\n`));
  // 3. check: the summary the README promises
  const check = memlab(dir, commands[1]!.split(' ').slice(2));
  expect(check.code).toBe(0);
  expect(check.out.trim().split('\n').at(-1)).toBe(promised);
  // 4. build
  expect(memlab(dir, commands[2]!.split(' ').slice(2)).code).toBe(0);
  expect(existsSync(join(dir, 'my-pack.memlab'))).toBe(true);
  // 5. open it in the lab as the README says, and find the renamed exercise
  const renamed = /listed as "([^"]+)"/.exec(section)![1]!;
  await openLab(page, lab);
  await openPath(page, join(dir, 'my-pack.memlab'));
  await expect(page.getByRole('link', { name: renamed })).toBeVisible();
  await page.getByRole('link', { name: renamed }).click();
  await expect(page.getByRole('heading', { name: renamed })).toBeVisible();
});

test('a pack written from FORMAT.md and SCENARIOS.md: its parameterised prediction is answered, wrong then right', async ({ page, lab }) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'docs-')), 'docs-pack');
  cpSync(join(ROOT, 'test', 'packs', 'docs-pack'), dir, { recursive: true });
  expect(memlab(dir, ['pack', 'check', dir]).out).toContain('docs-pack: 3 exercises, 0 problems');
  await openLab(page, lab);
  await openPath(page, dir);
  await page.getByRole('link', { name: 'Pages made resident' }).click();
  const prose = (await page.locator('.prose').first().textContent()) ?? '';
  const [, m, n] = /mallocs (\d+) MiB and memsets the first (\d+) MiB/.exec(prose)!;
  // the learner's own numbers reached the text; the misconception of the whole block is named
  await page.getByTestId('answer-input').fill(String(Number(m) * 256));
  await page.getByTestId('answer-input').press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'incorrect');
  await expect(page.getByTestId('feedback')).toContainText('only the pages memset wrote');
  await page.getByTestId('answer-input').fill(String(Number(n) * 256));
  await page.getByTestId('answer-input').press('Enter');
  await expect(page.getByTestId('feedback')).toHaveAttribute('data-verdict', 'correct');
  // the explanation computes from the same parameters ({{n * 256}}, {{m - n}})
  await expect(page.locator('.exercise')).toContainText(`${Number(n) * 256} pages of 4 KiB`);
  await expect(page.locator('.exercise')).toContainText(`${Number(m) - Number(n)} MiB of the block`);
});

test('author mode reports what pack check reports: the same problems, the same count, beside their exercise', async ({ page, lab }) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'author-')), 'docs-pack');
  cpSync(join(ROOT, 'test', 'packs', 'docs-pack'), dir, { recursive: true });
  await openLab(page, lab);
  await openPath(page, dir);
  await expect(page.getByRole('link', { name: 'Pages made resident' })).toBeVisible();
  await page.getByTestId('author-mode').check();
  await expect(page.getByTestId('reloaded')).toContainText('3 exercise(s), 0 problem(s)', { timeout: 60_000 });
  // break a highlight and the scenario on disk, as the instructor did, and a unit
  const lab1 = join(dir, 'watch-faults.md');
  writeFileSync(lab1, readFileSync(lab1, 'utf8').replace('{ log: "mmap(", in: strace }', '{ log: "mmap(", in: dmesg }'));
  const pred = join(dir, 'predict-pages.md');
  writeFileSync(pred, readFileSync(pred, 'utf8').replace('(sim.after-touch.a.out.VmRSS - sim.after-malloc.a.out.VmRSS) / 4 KiB', 'sim.after-touch.a.out.VmRSS MiB - sim.after-malloc.a.out.VmRSS'));
  const cliProblems = () => (JSON.parse(memlab(dir, ['pack', 'check', dir, '--json']).out) as { problems: Array<{ file: string; message: string; level?: string }> }).problems;
  let cli = cliProblems();
  let errors = cli.filter((p) => p.level !== 'warning');
  expect(errors.length).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('reloaded')).toContainText(`, ${errors.length} problem(s)`, { timeout: 60_000 });
  // each problem of an exercise file is listed beside that exercise, word for word
  for (const p of cli.filter((x) => x.file.endsWith('.md'))) await expect(page.locator(`[data-problems-for="${p.file.replace(/\.md$/, '')}"]`)).toContainText(p.message);
  await page.screenshot({ path: join(tmpdir(), 'memlab-author-mode.png'), fullPage: true });
  // now the scenario: a file verb naming an allocation
  const scen = join(dir, 'scenarios', 'touch.yaml');
  writeFileSync(scen, readFileSync(scen, 'utf8').replace('{ proc: a.out, touch: buf, length: "{{n}} MiB", write: false, repeat: 2, note: "read it twice" }', '{ proc: a.out, read: buf, length: "{{n}} MiB" }'));
  cli = cliProblems();
  errors = cli.filter((p) => p.level !== 'warning');
  expect(cli.some((p) => p.file === 'scenarios/touch.yaml')).toBe(true);
  await expect(page.getByTestId('reloaded')).toContainText(`, ${errors.length} problem(s)`, { timeout: 60_000 });
  await expect(page.getByTestId('pack-problems')).toContainText(`${cli.length} problem(s) in this pack`);
  await expect(page.getByTestId('pack-problems')).toContainText("'buf' is an allocation of the program, not a file");
});

test("the simulator beside a parameterised prediction runs the learner's numbers, and follows a Reset to the next variant", async ({ page, lab }) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'variant-')), 'docs-pack');
  cpSync(join(ROOT, 'test', 'packs', 'docs-pack'), dir, { recursive: true });
  // a block size drawn from values none of which is the scenario's default (64 MiB)
  const f = join(dir, 'predict-pages.md');
  writeFileSync(f, readFileSync(f, 'utf8').replace('m: { choices: [64, 128, 256] }', 'm: { range: [80, 400], step: 8 }'));
  await openLab(page, lab);
  await openPath(page, dir);
  await page.getByRole('link', { name: 'Pages made resident' }).click();
  page.on('dialog', (d) => void d.accept());
  await page.getByTestId('toggle-beside').click();
  const beside = page.getByTestId('simulator-beside');
  const seen: string[] = [];
  for (let round = 0; round < 4; round++) {
    const prose = (await page.locator('.prose').first().textContent()) ?? '';
    const [, m] = /mallocs (\d+) MiB and memsets the first (\d+) MiB/.exec(prose)!;
    // the step list beside the question names the learner's block, not the scenario's default
    await expect(beside.getByTestId('step-list')).toContainText(`malloc(${m} MiB)`);
    await expect(beside.getByTestId('step-list')).not.toContainText('malloc(64 MiB)');
    // the prediction is still held: the memset (and its outcome) is not shown
    await expect(beside.getByTestId('sim-held')).toBeVisible();
    await expect(beside.getByTestId('steps-held')).toBeVisible();
    await expect(beside.getByTestId('step-list')).not.toContainText('memset');
    if (round === 0) await page.screenshot({ path: join(tmpdir(), 'memlab-variant-beside.png'), fullPage: true });
    seen.push(m!);
    if (new Set(seen).size > 1) break;
    const variant = (await page.locator('.meta').first().textContent()) ?? '';
    await page.getByTestId('reset').click();
    await expect(page.locator('.meta').first()).not.toHaveText(variant);
  }
  expect(new Set(seen).size).toBeGreaterThan(1);
  // once the prediction is over (here: given up), "open it full size" runs the same variant, not the scenario's defaults
  const m = /mallocs (\d+) MiB/.exec((await page.locator('.prose').first().textContent()) ?? '')![1]!;
  await page.getByTestId('give-up').click();
  const full = page.getByTestId('open-simulator');
  await expect(full).toHaveAttribute('href', new RegExp(`/with%3A%7B.*%22m%22%3A${m}(%2C|%7D)`));
  await full.click();
  await expect(page.getByTestId('simulator-beside')).toHaveCount(0);
  await expect(page.getByTestId('step-list')).toContainText(`malloc(${m} MiB)`);
  await expect(page.getByTestId('step-list')).not.toContainText('malloc(64 MiB)');
  await expect(page.getByTestId('sim-variant')).toContainText(`m = ${m}`);
  // the picker names the scenario that is running
  await expect(page.getByTestId('scenario-select')).toHaveValue('pack:docs-pack:scenarios/touch.yaml');
  await page.screenshot({ path: join(tmpdir(), 'memlab-variant-full.png') });
  // and its outcome is no longer held back
  await expect(page.getByTestId('step-list')).toContainText('a.out: write buf');
  // a reload keeps the variant: it is in the address
  await page.reload();
  await expect(page.getByTestId('step-list')).toContainText(`malloc(${m} MiB)`);
});
