/** memlab serve: time from starting the command to an interactive lab page in Chromium. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumExecutable } from '../scripts/chromium.mjs';
import type { BenchRow } from './types.js';

const ROOT = join(import.meta.dirname, '..');
const RUNS = 5;

export async function run(): Promise<BenchRow[]> {
  const exe = chromiumExecutable();
  if (!exe) throw new Error('no Chromium');
  const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const startup: number[] = [];
  const listen: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'memlab.js'), 'serve', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'mlab-bench-'))], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', () => reject(new Error(out)));
      });
      listen.push(performance.now() - t0);
      const page = await browser.newPage();
      await page.goto(url);
      await page.getByTestId('connection-status').and(page.locator('[data-status="open"]')).waitFor();
      startup.push(performance.now() - t0);
      await page.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    await browser.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return [
    { group: 'serve', name: `memlab serve start to listening (median of ${RUNS})`, value: median(listen), unit: 'ms' },
    {
      group: 'serve',
      name: `memlab serve start to an interactive page in Chromium (median of ${RUNS})`,
      value: median(startup),
      unit: 'ms',
      target: { text: 'under 3 s', met: median(startup) < 3000 },
    },
  ];
}
