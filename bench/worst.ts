/**
 * Worst inputs (issue 14): how long a lab takes to answer each clearly, how long another client's
 * ping waits meanwhile (beside the same pings on the idle lab, in this same run), and how long the
 * parsers take on the worst files the per-file limits still let through.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import WebSocket from 'ws';
import { MAX_MARKDOWN_BYTES, MAX_YAML_BYTES } from '../app/common/packs/limits.js';
import { renderMarkdown } from '../app/common/packs/markdown.js';
import { compilePattern } from '../app/common/packs/pattern.js';
import { appRoot } from '../app/node/paths.js';
import { startServer } from '../app/node/serve/server.js';
import type { BenchRow } from './types.js';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

function time(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];

  // the parsers on the worst files the limits let through: each must stay under a second
  const n = MAX_YAML_BYTES;
  const yamls: Record<string, string> = {
    'distinct keys': Array.from({ length: Math.floor(n / 12) }, (_, i) => `k${i}: v${i}`).join('\n').slice(0, n),
    'a list of flow maps': Array.from({ length: Math.floor(n / 20) }, (_, i) => `- {a: ${i}, b: [1,2]}`).join('\n').slice(0, n),
    'aliases': ('- &a [1]\n' + '- *a\n'.repeat(n / 5)).slice(0, n),
    'flow nested 32 deep': ('[' + ('['.repeat(31) + ']'.repeat(31) + ',').repeat(Math.floor(n / 64))).slice(0, n - 1) + ']',
  };
  for (const [name, text] of Object.entries(yamls)) {
    const ms = time(() => parseDocument(text, { lineCounter: new LineCounter(), uniqueKeys: true }).toJS({ maxAliasCount: 50 }));
    rows.push({ group: 'worst', name: `parse 64 KiB of YAML: ${name}`, value: ms, unit: 'ms', target: { text: 'under 1 s (the per-file limit)', met: ms < 1000 } });
  }
  for (const [name, text] of Object.entries({ '[': '['.repeat(MAX_MARKDOWN_BYTES), '![': '!['.repeat(MAX_MARKDOWN_BYTES / 2), '*a': '*a'.repeat(MAX_MARKDOWN_BYTES / 2) })) {
    const ms = time(() => renderMarkdown(text, { packId: 'p', baseDir: '' }));
    rows.push({ group: 'worst', name: `render 64 KiB of Markdown: ${name} repeated`, value: ms, unit: 'ms', target: { text: 'under 1 s (the per-file limit)', met: ms < 1000 } });
  }
  // RE2 on 300 characters beside a backtracking RegExp on 24 (it doubles with every character more)
  const re2 = compilePattern('^a*a*a*a*a*a*b');
  if (re2.ok) {
    const lin = time(() => re2.pattern.test('a'.repeat(300)));
    const back = time(() => /^a*a*a*a*a*a*b/i.test('a'.repeat(24)));
    rows.push({ group: 'worst', name: '^a*a*a*a*a*a*b on 300 characters (RE2)', value: lin, unit: 'ms', ratio: { value: back / Math.max(lin, 1e-3), against: 'RegExp on only 24 characters / RE2 on 300' } });
  }

  // a lab fed the worst inputs while another client pings
  const server = await startServer({ port: 0, host: '127.0.0.1', rendererDir: mkdtempSync(join(tmpdir(), 'bench-r-')), dataDir: mkdtempSync(join(tmpdir(), 'bench-d-')), appRoot: appRoot(), log: () => {} });
  const open = async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
    await new Promise((r) => ws.once('open', r));
    let id = 0;
    const waiting = new Map<number, (m: any) => void>();
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    });
    return { ws, call: (method: string, params: unknown) => new Promise<any>((r) => { const i = ++id; waiting.set(i, r); ws.send(JSON.stringify({ v: 1, id: i, method, params })); }) };
  };
  try {
    const pinger = await open();
    const pings: number[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const t = performance.now();
        await pinger.call('app.ping', { nonce: 'b' });
        pings.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const c = await open();
    await c.call('sim.load', { scenarioId: 'fork-cow' }); // workers started
    await new Promise((r) => setTimeout(r, 1500));
    const idle = pings.splice(0);
    const sc = (steps: string) => `machine: { ram: 8GiB, swap: 1GiB }\nprocesses:\n  - { name: a }\nsteps:\n${steps}`;
    const inputs: Array<[string, () => Promise<unknown>]> = [
      ['mmap 1 TiB and touch it', async () => {
        const r = await c.call('sim.load', { text: sc('  - { proc: a, mmap: 1TiB, as: big }\n  - { proc: a, touch: big }\n') });
        if (r.ok) await c.call('sim.seek', { sessionId: r.result.sessionId, step: 2 });
      }],
      ['1,000 processes x 20,000 snapshots (sim.run)', () => c.call('sim.run', { text: `machine: { ram: 8GiB }\nprocesses:\n${Array.from({ length: 1000 }, (_, i) => `  - { name: p${i} }`).join('\n')}\nsteps:\n${Array.from({ length: 20000 }, (_, i) => `  - { snapshot: s${i} }`).join('\n')}\n` })],
      ['alternating writes and tick: 5000 (1.9 MB)', async () => {
        const pair = '  - { proc: a, touch: b, length: 1 }\n  - { tick: 5000 }\n';
        const r = await c.call('sim.load', { text: sc('  - { proc: a, malloc: 64MiB, as: b }\n' + pair.repeat(Math.floor(1_899_000 / pair.length))) });
        if (r.ok) await c.call('sim.seek', { sessionId: r.result.sessionId, step: r.result.stepCount });
      }],
    ];
    for (const [name, fn] of inputs) {
      const t = performance.now();
      await fn();
      rows.push({ group: 'worst', name: `lab: ${name}: time to a clear answer (default budgets)`, value: (performance.now() - t) / 1000, unit: 's' });
    }
    stop = true;
    await loop;
    const p99 = pct(pings, 0.99);
    rows.push({
      group: 'worst',
      name: 'another client\'s ping while those run (p99)',
      value: p99,
      unit: 'ms',
      ratio: { value: p99 / Math.max(pct(idle, 0.99), 1e-3), against: 'p99 on the idle lab' },
      target: { text: 'no ping over 250 ms', met: Math.max(...pings) <= 250 },
    });
    pinger.ws.close();
    c.ws.close();
  } finally {
    await server.close();
  }
  return rows;
}
