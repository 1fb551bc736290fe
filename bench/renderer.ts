/**
 * The renderer in Chromium: frame times while the simulator view plays a 256 MiB machine
 * (its frame grid redrawn every step), and the bundle size (gzip).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import { chromiumExecutable } from '../scripts/chromium.mjs';
import type { BenchRow } from './types.js';

const ROOT = join(import.meta.dirname, '..');

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const assets = join(ROOT, 'build', 'renderer', 'assets');
  let gz = 0;
  let raw = 0;
  for (const f of readdirSync(assets).filter((x) => /\.(js|css)$/.test(x))) {
    const b = readFileSync(join(assets, f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
  }
  rows.push({ group: 'renderer', name: 'bundle size, JS + CSS (gzip)', value: gz / 1024, unit: 'KiB', note: `${(raw / 1024).toFixed(0)} KiB before gzip` });

  const exe = chromiumExecutable();
  if (!exe) throw new Error('no Chromium');
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'memlab.js'), 'serve', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'mlab-bench-'))], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
  const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${url}#/simulator/page-life/0`);
    await page.getByTestId('step-now').waitFor();
    const steps = Number((await page.getByTestId('scrubber').getAttribute('max')) ?? 1);
    // record every animation frame while the timeline is scrubbed back and forth for 4 s
    // (a string: tsx would wrap named functions in a helper the page does not have)
    const frames: number[] = await page.evaluate(`(async () => {
      const n = ${steps};
      const times = [];
      let on = true;
      const loop = (t) => { times.push(t); if (on) requestAnimationFrame(loop); };
      requestAnimationFrame(loop);
      const range = document.querySelector('[data-testid="scrubber"]');
      const end = performance.now() + 4000;
      let s = 0;
      while (performance.now() < end) {
        s = (s + 1) % (n + 1);
        range.value = String(s);
        range.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 50));
      }
      on = false;
      return times;
    })()`);
    const d = frames.slice(1).map((t, i) => t - frames[i]!).sort((a, b) => a - b);
    const q = (p: number) => d[Math.min(d.length - 1, Math.floor(p * d.length))]!;
    const cells = Number(await page.evaluate(`(() => { const c = document.querySelector('[data-testid="frame-grid"]'); return c.width * c.height; })()`));
    rows.push({ group: 'renderer', name: 'simulator playback, 256 MiB machine at 20 steps/s: median frame time', value: q(0.5), unit: 'ms', target: { text: '60 fps (16.7 ms)', met: q(0.5) <= 17.5 } });
    rows.push({ group: 'renderer', name: 'simulator playback: 95th percentile frame time', value: q(0.95), unit: 'ms', target: { text: 'no dropped frames at p95 (16.7 ms)', met: q(0.95) <= 17.5 }, note: `${d.length} frames; ${cells} cells; headless, no GPU` });
  } finally {
    await browser.close();
    child.kill();
  }
  return rows;
}
