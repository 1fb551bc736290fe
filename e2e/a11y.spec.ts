/** axe-core in every section: no serious or critical accessibility findings. */
import { createRequire } from 'node:module';
import { expect, openLab, test } from './fixtures.js';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// the lab's CSP forbids injected scripts (rightly); the audit alone may bypass it
test.use({ bypassCSP: true });

async function audit(page: import('@playwright/test').Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const results = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run(document, {
      resultTypes: ['violations'],
    });
    return r.violations;
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`no serious or critical axe findings in any section (${scheme})`, async ({ page, lab }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await openLab(page, lab, '#/exercises/linux-process-memory/brk-or-mmap');
    await expect(page.getByRole('heading', { name: 'brk or mmap?' })).toBeVisible();
    expect(await audit(page)).toEqual([]);

    await page.goto(`${lab.url}#/simulator/oom-killer/7`);
    await expect(page.getByTestId('step-now')).toHaveText('7');
    expect(await audit(page)).toEqual([]);

    await page.goto(`${lab.url}#/host`);
    await expect(page.getByRole('heading', { name: 'Host', level: 1 })).toBeVisible();
    expect(await audit(page)).toEqual([]);
  });
}
