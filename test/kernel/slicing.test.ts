/** Long steps pause between slices (so the main process stays responsive), and slicing changes nothing. */
import { describe, expect, it } from 'vitest';
import { SLICE_PAGES } from '../../app/common/kernel/simulate.js';
import { parseScenario, Runner } from '../../app/common/kernel/index.js';

const thrash = parseScenario(`machine: { ram: 256MiB, swap: 1GiB, swappiness: 100 }\nprocesses: [{ name: t }]\nsteps:\n  - { proc: t, malloc: 512MiB, as: ws }\n  - { proc: t, touch: ws, repeat: 3 }\n`);

describe('slicing', () => {
  it('a long touch pauses between slices of at most SLICE_PAGES pages', async () => {
    const r = new Runner(thrash);
    await r.stepAsync(async () => {});
    let pauses = 0;
    await r.stepAsync(async () => void pauses++);
    // 3 passes over 131,073 pages in slices of 65,536
    expect(pauses).toBeGreaterThanOrEqual(Math.floor((3 * 131072) / SLICE_PAGES) - 1);
  });
  it('gives the same result sliced or not', async () => {
    const a = new Runner(thrash);
    while (!a.done) a.step();
    const b = new Runner(thrash);
    while (!b.done) await b.stepAsync(async () => {});
    expect(JSON.stringify(b.finish())).toBe(JSON.stringify(a.finish()));
  });
});
