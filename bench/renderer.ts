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

type TraceEvent = { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } };
type TraceFile = { traceEvents: TraceEvent[] } | TraceEvent[];

/** the renderer main thread's longest task in a Chromium trace: its CPU time (tdur) and wall time, in ms */
function longestTaskCpu(trace: TraceFile): { ms: number; wallMs: number; over50: number } {
  const ev = Array.isArray(trace) ? trace : trace.traceEvents;
  const main = new Set(ev.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const tasks = ev.filter((e) => e.ph === 'X' && (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && main.has(`${e.pid}:${e.tid}`) && e.tdur !== undefined);
  const worst = tasks.reduce<TraceEvent | undefined>((a, b) => (!a || b.tdur! > a.tdur! ? b : a), undefined);
  return { ms: (worst?.tdur ?? 0) / 1000, wallMs: (worst?.dur ?? 0) / 1000, over50: tasks.filter((t) => t.tdur! > 50_000).length };
}

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
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
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

    // the page-fault trace of a 400 MiB touch (102,400 lines): scroll it through end to end
    await page.goto(`${url}#/simulator`);
    await page.locator('input[type="file"]').setInputFiles(join(ROOT, 'e2e', 'data', 'touch-400m.yaml'));
    await page.getByRole('button', { name: 'Run to the end' }).click();
    // the logs are a panel of the dock now: open it
    await page.getByTestId('panel-tab-logs').first().click();
    // wait until the last step's view is in: the list holds all the lines and shows the newest
    for (let tries = 0; ; tries++) {
      const ready = await page.evaluate(`(() => { const el = document.querySelector('[data-testid="fault-trace"]'); const n = Number(el?.dataset.count); return n > 100000 && !!el.querySelector('[data-line="' + (n - 1) + '"]'); })()`);
      if (ready) break;
      if (tries > 600) throw new Error('the page-fault trace never filled');
      await new Promise((r) => setTimeout(r, 50));
    }
    const scroll = (await page.evaluate(`(async () => {
      const el = document.querySelector('[data-testid="fault-trace"]');
      const lines = Number(el.dataset.count);
      const times = [];
      let jumpWait = 0;
      const before = el.querySelector('[data-line="0"]') ? 'line 0 already in the page' : 'fetched';
      // a jump to the top: how long until the oldest lines are there
      const t0 = performance.now();
      el.scrollTop = 0;
      while (!/\\[step/.test(el.querySelector('[data-line="0"]')?.textContent ?? '')) await new Promise((r) => requestAnimationFrame(r));
      jumpWait = performance.now() - t0;
      // then scroll down 40 rows a frame for 3 s, as a fast wheel would
      await new Promise((done) => {
        const end = performance.now() + 3000;
        const loop = (t) => {
          times.push(t);
          el.scrollTop = (el.scrollTop + 720) % el.scrollHeight;
          if (t < end) requestAnimationFrame(loop); else done();
        };
        requestAnimationFrame(loop);
      });
      const blanks = el.querySelectorAll('.row.loading').length;
      return { lines, times, jumpWait, before, rows: el.querySelectorAll('.row').length, blanks };
    })()`)) as { lines: number; times: number[]; jumpWait: number; before: string; rows: number };
    const sd = scroll.times.slice(1).map((t, i) => t - scroll.times[i]!).sort((a, b) => a - b);
    const sq = (p: number) => sd[Math.min(sd.length - 1, Math.floor(p * sd.length))]!;
    rows.push({ group: 'renderer', name: `page-fault trace of ${scroll.lines.toLocaleString('en')} lines, scrolled 40 rows a frame: median frame time`, value: sq(0.5), unit: 'ms', target: { text: '60 fps (16.7 ms)', met: sq(0.5) <= 17.5 }, note: `${scroll.rows} rows in the DOM` });
    rows.push({ group: 'renderer', name: 'page-fault trace scroll: 95th percentile frame time', value: sq(0.95), unit: 'ms', target: { text: 'no stutter at p95 (33.4 ms)', met: sq(0.95) <= 33.4 }, note: `${sd.length} frames` });
    rows.push({ group: 'renderer', name: 'page-fault trace: jump to the top until the oldest lines show', value: scroll.jumpWait, unit: 'ms', note: `one sim.log page of 500 lines over the socket (${scroll.before})` });

    // thrash's passes (#17): each swaps 512 MiB through a 256 MiB machine in the simulator's worker
    // while the page must keep drawing; every frame from the click on Step until the step's view is
    // drawn, and the long tasks Chromium saw meanwhile. A frame's wall time also counts the time the
    // OS gave the CPU to someone else (the bench shares the machine): the trace's CPU time of the
    // page's longest task says what the page itself asked of one frame
    type Pass = { step: number; wallMs: number; frames: number[]; longTasks: number[]; bar: boolean };
    /** thrash opened afresh at step 1, then Step clicked through passes 1-10 (steps 2-11) */
    const thrashPasses = async (ready: () => Promise<void> = async () => {}): Promise<Pass[]> => {
      await page.goto('about:blank');
      await page.goto(`${url}#/simulator/thrash/1`);
      await page.getByTestId('step-now').filter({ hasText: /^1$/ }).waitFor();
      await page.evaluate('new Promise((r) => setTimeout(r, 300))');
      await ready();
      const out: Pass[] = [];
      for (let step = 2; step <= 11; step++) {
        out.push(
          (await page.evaluate(`(async () => {
            const want = '${step}';
            const times = [];
            const longTasks = [];
            const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); });
            try { obs.observe({ type: 'longtask' }); } catch {}
            let on = true;
            const loop = (t) => { times.push(t); if (on) requestAnimationFrame(loop); };
            await new Promise((r) => requestAnimationFrame((t) => { times.push(t); requestAnimationFrame(loop); r(); }));
            const t0 = performance.now();
            let bar = false;
            document.querySelector('[aria-label="Step forward"]').click();
            // the view is drawn: the step number shows it, and a frame after that has been painted
            while (document.querySelector('[data-testid="step-now"]').textContent !== want) {
              if (document.querySelector('[data-testid="step-progress"]')) bar = true;
              await new Promise((r) => setTimeout(r, 1));
            }
            await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
            const wallMs = performance.now() - t0;
            on = false;
            obs.disconnect();
            const frames = times.slice(1).map((t, i) => t - times[i]);
            return { step: Number(want), wallMs, frames, longTasks, bar };
          })()`)) as Pass,
        );
      }
      return out;
    };
    const passes = await thrashPasses();
    // again under a trace (which slows the page a little): the CPU time of each task
    const tracePath = join(mkdtempSync(join(tmpdir(), 'mlab-trace-')), 'thrash.json');
    await thrashPasses(() => browser.startTracing(page, { path: tracePath, categories: ['toplevel', 'devtools.timeline'] }));
    await browser.stopTracing();
    const cpu = longestTaskCpu(JSON.parse(readFileSync(tracePath, 'utf8')) as TraceFile);
    const all = passes.flatMap((p) => p.frames).sort((a, b) => a - b);
    const worst = passes.reduce((a, b) => (Math.max(...b.frames) > Math.max(...a.frames) ? b : a));
    const longest = all[all.length - 1]!;
    const median = all[Math.floor(all.length / 2)]!;
    const longTasks = passes.flatMap((p) => p.longTasks);
    const walls = passes.map((p) => p.wallMs).sort((a, b) => a - b);
    rows.push({ group: 'renderer', name: 'thrash step in Chromium (passes 1-10, Step clicked until the view is drawn): longest frame', value: longest, unit: 'ms', target: { text: 'no frame longer than 50 ms', met: longest <= 50 }, note: `in step ${worst.step}; median frame ${median.toFixed(1)} ms over ${all.length} frames; longest by step ${passes.map((p) => Math.max(...p.frames).toFixed(0)).join('/')} ms; ${longTasks.length} long tasks (longest ${longTasks.length ? Math.max(...longTasks).toFixed(0) : 0} ms); headless, no GPU` });
    rows.push({ group: 'renderer', name: "thrash step in Chromium: the page's longest task, CPU time", value: cpu.ms, unit: 'ms', target: { text: 'under 50 ms of work in one frame', met: cpu.ms <= 50 }, note: `its wall time ${cpu.wallMs.toFixed(0)} ms; ${cpu.over50} tasks over 50 ms of CPU (Chromium trace, renderer main thread)` });
    rows.push({ group: 'renderer', name: 'thrash step in Chromium: wall time of the first pass (step 2), click to view drawn', value: passes[0]!.wallMs, unit: 'ms', note: `all ten passes: median ${walls[Math.floor(walls.length / 2)]!.toFixed(0)} ms, longest ${walls[walls.length - 1]!.toFixed(0)} ms; progress bar shown in ${passes.filter((p) => p.bar).length} of ${passes.length} steps` });
  } finally {
    await browser.close();
    child.kill();
  }
  return rows;
}
