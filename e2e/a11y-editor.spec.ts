/** axe-core over the simulator with its editor open (the step form) and the fault trace scrolled: no serious or critical findings. */
import { createRequire } from 'node:module';
import { expect, openLab, openPanel, test } from './fixtures.js';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
test.use({ bypassCSP: true });

for (const scheme of ['light', 'dark'] as const) {
  test(`the scenario editor, the step form and the address space pass axe (${scheme})`, async ({ page, lab }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await openLab(page, lab, '#/simulator/fork-cow/6');
    await expect(page.getByTestId('step-now')).toHaveText('6');
    await openPanel(page, 'edit');
    await expect(page.getByTestId('steps-form').locator('li.row')).toHaveCount(9);
    await expect(page.getByTestId('watermark-gauge')).toBeVisible();
    await page.addScriptTag({ path: axePath });
    const audit = async () =>
      ((await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, at: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`)) as Array<{ id: string; impact: string; help: string; at: string[] }>).filter(
        (v) => v.impact === 'serious' || v.impact === 'critical',
      );
    expect(await audit()).toEqual([]);
    // every other panel of the dock too
    for (const id of ['space', 'charts', 'logs', 'lifecycle', 'about'] as const) {
      await openPanel(page, id);
      if (id === 'space') await expect(page.getByTestId('address-space')).toBeVisible();
      expect(await audit(), id).toEqual([]);
    }
  });
}
