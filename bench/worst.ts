/**
 * Worst inputs (issue 14): how long a lab takes to answer each clearly, how long another client's
 * ping waits meanwhile and how long the lab's event loop was held (beside the same figures on the
 * idle lab, in this same run), and how long the parsers take on the worst files the per-file
 * limits still let through. The lab, the pinger and this process (which builds and sends the
 * inputs) are three processes, so only the lab's own work is what delays a ping.
 */
import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import WebSocket from 'ws';
import yazl from 'yazl';
import { z } from 'zod';
import { MAX_MARKDOWN_BYTES, MAX_YAML_BYTES } from '../app/common/packs/limits.js';
import { renderMarkdown } from '../app/common/packs/markdown.js';
import { parseYaml } from '../app/common/packs/parse.js';
import { compilePattern } from '../app/common/packs/pattern.js';
import type { BenchRow } from './types.js';

const ROOT = join(import.meta.dirname, '..');
const TARGET_MS = 250;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);

function time(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** a child process run from the sources (tsx), reading its stdout line by line */
function child(script: string, args: string[] = [], node: string[] = []): { proc: ChildProcessByStdio<Writable, Readable, null>; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, [...node, '--import', 'tsx', join(import.meta.dirname, script), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  return { proc, lines: createInterface({ input: proc.stdout })[Symbol.asyncIterator]() };
}

interface Client {
  ws: WebSocket;
  call(method: string, params: unknown): Promise<any>;
}

function parsers(): BenchRow[] {
  const rows: BenchRow[] = [];
  // the parsers on the worst files the limits let through, as the lab parses them: each under a second
  const n = MAX_YAML_BYTES;
  const yamls: Record<string, string> = {
    'distinct keys': Array.from({ length: Math.floor(n / 12) }, (_, i) => `k${i}: v${i}`).join('\n').slice(0, n),
    'a list of flow maps': Array.from({ length: Math.floor(n / 20) }, (_, i) => `- {a: ${i}, b: [1,2]}`).join('\n').slice(0, n),
    'aliases (refused past 50)': ('- &a [1]\n' + '- *a\n'.repeat(n / 5)).slice(0, n),
    'flow nested 32 deep': ('[' + ('['.repeat(31) + ']'.repeat(31) + ',').repeat(Math.floor(n / 64))).slice(0, n - 1) + ']',
  };
  for (const [name, text] of Object.entries(yamls)) {
    const ms = time(() => parseYaml(text, 'x.yaml', z.unknown(), 0));
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
  return rows;
}

const manifest = (id: string, exercises: string[]) => `id: ${id}\ntitle: ${id}\nversion: 1.0.0\nauthors: [worst]\nlicence: MIT\nmemlab: ">=0.1"\nchapters:\n  - id: c\n    title: c\n    exercises: [${exercises.join(', ')}]\n`;

function zip(files: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve) => {
    const z = new yazl.ZipFile();
    for (const [name, text] of Object.entries(files)) z.addBuffer(Buffer.from(text), name);
    z.end();
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (d: Buffer) => chunks.push(d));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** What is fed, each with the lab's default budgets: the rows of test/worst-inputs.test.ts and the work the main thread used to do. */
function inputs(work: string, open: (opts?: { zeroMask?: boolean }) => Promise<Client>): Array<[string, (c: Client) => Promise<unknown>]> {
  const folder = (name: string, files: Record<string, string>) => {
    const dir = join(work, name);
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    return dir;
  };
  const sc = (steps: string, procs = '  - { name: a }') => `machine: { ram: 8GiB, swap: 1GiB }\nprocesses:\n${procs}\nsteps:\n${steps}`;
  const seekEnd = async (c: Client, text: string) => {
    const r = await c.call('sim.load', { text });
    if (r.ok) await c.call('sim.seek', { sessionId: r.result.sessionId, step: r.result.stepCount });
  };
  const pair = '  - { proc: a, touch: b, length: 1 }\n  - { tick: 5000 }\n';
  const diagnosis = `A wrong answer's diagnosis: ${'[*a'.repeat(300)}`;
  return [
    ['mmap 1 TiB and touch it', (c) => seekEnd(c, sc('  - { proc: a, mmap: 1TiB, as: big }\n  - { proc: a, touch: big }\n'))],
    ['mmap 20 TiB', (c) => seekEnd(c, sc('  - { proc: a, mmap: 20TiB, as: big }\n  - { proc: a, touch: big, length: 4KiB }\n'))],
    ['1,000 processes x 20,000 snapshots (sim.run)', (c) => c.call('sim.run', { text: sc(Array.from({ length: 20_000 }, (_, i) => `  - { snapshot: s${i} }`).join('\n') + '\n', Array.from({ length: 1000 }, (_, i) => `  - { name: p${i} }`).join('\n')) })],
    ['alternating writes and tick: 5000 (1.9 MB)', (c) => seekEnd(c, sc('  - { proc: a, malloc: 64MiB, as: b }\n' + pair.repeat(Math.floor((1_900_000 - 200) / pair.length))))],
    ['sizes of 1e308 and 2^53+1 bytes', async (c) => {
      for (const size of ['1e308', '9007199254740993']) await seekEnd(c, sc(`  - { proc: a, brk: ${size} }\n  - { proc: a, malloc: ${size}, as: x }\n`));
    }],
    ['a .memlab with 5 x 9.5 MiB of YAML', async (c) => {
      const files: Record<string, string> = { 'pack.yaml': manifest('yaml-bomb', ['q.md']), 'q.md': '---\nid: q\ntitle: q\nkind: numeric\nanswer: { expr: "1", quantity: count }\nexplanation: x\n---\nOne?\n' };
      for (let i = 0; i < 5; i++) files[`scenarios/s${i}.yaml`] = 'a: [1, 2, 3]\n'.repeat(Math.floor((9.5 * 1048576) / 13));
      return c.call('pack.openBytes', { fileName: 'yaml-bomb.memlab', base64: (await zip(files)).toString('base64') });
    }],
    ['3 MB of [ in prose, then the exercise', async (c) => {
      const dir = folder('brackets', { 'pack.yaml': manifest('brackets', ['q.md']), 'q.md': `---\nid: q\ntitle: q\nkind: numeric\nanswer: { expr: "1", quantity: count }\nexplanation: x\n---\n${'['.repeat(3_000_000)}\n` });
      await c.call('pack.open', { path: dir });
      return c.call('exercise.get', { packId: 'brackets', exerciseId: 'q' });
    }],
    ['a predict whose scenario runs for an hour', async (c) => {
      const slow = 'machine: { ram: 256MiB, swap: 1GiB, swappiness: 100 }\nprocesses:\n  - { name: a }\nsteps:\n  - { proc: a, malloc: 512MiB, as: b }\n  - { proc: a, touch: b, repeat: 1000 }\n  - { snapshot: end }\n';
      const dir = folder('slowpredict', { 'pack.yaml': manifest('slowpredict', ['p.md']), 'scenarios/slow.yaml': slow, 'p.md': `---\nid: p\ntitle: p\nkind: predict\nscenario: scenarios/slow.yaml\nanswer: { expr: sim.end.a.minflt, quantity: count, tolerance: "0" }\nexplanation: x\n---\nHow many?\n` });
      await c.call('pack.open', { path: dir });
      return c.call('exercise.answer', { packId: 'slowpredict', exerciseId: 'p', answer: { value: '7' } });
    }],
    ['^a*a*a*a*a*a*b on 90 characters (text answer)', async (c) => {
      const dir = folder('redos', { 'pack.yaml': manifest('redos', ['t.md']), 't.md': '---\nid: t\ntitle: t\nkind: text\npatterns: ["^a*a*a*a*a*a*b"]\nreference: ab\nexplanation: x\n---\nType it.\n' });
      await c.call('pack.open', { path: dir });
      return c.call('exercise.answer', { packId: 'redos', exerciseId: 't', answer: { text: 'a'.repeat(90) } });
    }],
    ['wrong answers with Markdown diagnoses (x20)', async (c) => {
      const dir = folder('diag', { 'pack.yaml': manifest('diag', ['n.md']), 'n.md': `---\nid: n\ntitle: n\nkind: numeric\nanswer: { expr: "1", quantity: count }\nmisconceptions:\n  - { answer: 2, says: ${JSON.stringify(diagnosis)} }\nexplanation: x\n---\nOne?\n` });
      await c.call('pack.open', { path: dir });
      for (let i = 0; i < 20; i++) await c.call('exercise.answer', { packId: 'diag', exerciseId: 'n', answer: { value: '2' } });
    }],
    ['real.check of a 1.9 MB scenario (the simulator pass before a real run)', (c) => c.call('real.check', { text: sc('  - { proc: a, malloc: 64MiB, as: b }\n' + '  - { proc: a, touch: b }\n'.repeat(Math.floor((1_900_000 - 200) / 26))) })],
    ['host.experiment of 1 GiB (simulated, then run)', async (c) => {
      await c.call('host.enable', { enabled: true });
      return c.call('host.experiment', { sizeMib: 1024 });
    }],
    ['pack.open of a FIFO', (c) => {
      const fifo = join(work, 'trap.memlab');
      execFileSync('mkfifo', [fifo]);
      return c.call('pack.open', { path: fifo });
    }],
    ['a client that stops reading and sends 150 x 1.9 MB', async () => {
      const c = await open({ zeroMask: true });
      (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const closed = new Promise<void>((r) => c.ws.once('close', () => r()));
      const frame = Buffer.from(`{"v":1,"id":1,"method":"sim.validate","params":{"text":${JSON.stringify(`# ${'x'.repeat(1_900_000)}\n`)}}}`);
      for (let i = 0; i < 150 && c.ws.readyState === WebSocket.OPEN; i++) c.ws.send(frame, { binary: false });
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
      c.ws.terminate();
    }],
  ];
}

/**
 * WORST_ONLY='tick|FIFO' npm run bench -- worst: only the inputs whose name that pattern matches;
 * WORST_CPU_PROF=dir: the lab writes a CPU profile there (node --cpu-prof), to see what holds its loop.
 */
export async function run(): Promise<BenchRow[]> {
  const only = process.env.WORST_ONLY;
  const prof = process.env.WORST_CPU_PROF;
  const rows = only ? [] : parsers();
  const work = mkdtempSync(join(tmpdir(), 'bench-worst-'));
  const lab = child('_worst-server.ts', [], prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []);
  let pinger: ReturnType<typeof child> | undefined;
  try {
    const { port, token } = JSON.parse((await lab.lines.next()).value as string) as { port: number; token: string };
    /** the lab's event-loop delays since the last call (ms) */
    const loop = async () => {
      lab.proc.stdin.write('mark\n');
      return JSON.parse((await lab.lines.next()).value as string) as { max: number; p99: number; mean: number; cpu: number };
    };
    const open = async (opts: { zeroMask?: boolean } = {}): Promise<Client> => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`, { origin: `http://127.0.0.1:${port}`, maxPayload: 64 * 1024 * 1024, ...(opts.zeroMask ? { generateMask: (m: Buffer) => m.fill(0) } : {}) });
      await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
      let id = 0;
      const waiting = new Map<number, (m: any) => void>();
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        waiting.get(m.id)?.(m);
        waiting.delete(m.id);
      });
      return { ws, call: (method, params) => new Promise((r) => { const i = ++id; waiting.set(i, r); ws.send(JSON.stringify({ v: 1, id: i, method, params })); }) };
    };
    const c = await open();
    // the workers started and warm before the clock matters
    await c.call('sim.load', { scenarioId: 'fork-cow' });
    await c.call('exercise.get', { packId: 'linux-process-memory', exerciseId: 'cow-faults' });
    pinger = child('_pinger.ts', [`ws://127.0.0.1:${port}/api?token=${token}`, `http://127.0.0.1:${port}`]);
    const pings: number[] = [];
    const pingLines = pinger.lines;
    void (async () => {
      for (let l = await pingLines.next(); !l.done; l = await pingLines.next()) pings.push(Number(l.value));
    })();
    while (!pings.length) await new Promise((r) => setTimeout(r, 100));
    pings.length = 0;
    await loop();
    await new Promise((r) => setTimeout(r, 3000));
    const idle = pings.splice(0);
    const idleLoop = await loop();
    const all: number[] = [];
    let loopMax = 0;
    for (const [name, fn] of inputs(work, open).filter(([name]) => !only || new RegExp(only, 'i').test(name))) {
      const t = performance.now();
      await fn(c);
      const took = performance.now() - t;
      const l = await loop();
      const mine = pings.splice(0);
      all.push(...mine);
      loopMax = Math.max(loopMax, l.max);
      rows.push({ group: 'worst', name: `lab: ${name}: time to a clear answer`, value: took / 1000, unit: 's', note: `ping max ${max(mine).toFixed(0)} ms, event loop held at most ${l.max.toFixed(0)} ms` });
      rows.push({ group: 'worst', name: `lab: ${name}: the lab's event loop held at most`, value: l.max, unit: 'ms', target: { text: `under ${TARGET_MS} ms`, met: l.max < TARGET_MS } });
      // what the main thread itself spent (a loaded machine stretches the holds above, not this)
      rows.push({ group: 'worst', name: `lab: ${name}: CPU time of the lab's main thread`, value: l.cpu, unit: 'ms', ratio: { value: l.cpu / Math.max(took, 1), against: 'share of the time to the answer' } });
    }
    rows.push({ group: 'worst', name: "another client's ping while those run (p99)", value: pct(all, 0.99), unit: 'ms', ratio: { value: pct(all, 0.99) / Math.max(pct(idle, 0.99), 1e-3), against: `p99 on the idle lab (${pct(idle, 0.99).toFixed(1)} ms)` } });
    rows.push({
      group: 'worst',
      name: "another client's ping while those run (max)",
      value: max(all),
      unit: 'ms',
      ratio: { value: max(all) / Math.max(max(idle), 1e-3), against: `max on the idle lab (${max(idle).toFixed(1)} ms, ${idle.length} pings; ${all.length} during the inputs)` },
      target: { text: `no ping over ${TARGET_MS} ms`, met: max(all) <= TARGET_MS },
    });
    rows.push({ group: 'worst', name: "the lab's event loop held at most, over every input", value: loopMax, unit: 'ms', ratio: { value: loopMax / Math.max(idleLoop.max, 1e-3), against: `the idle lab's (${idleLoop.max.toFixed(1)} ms)` }, target: { text: `under ${TARGET_MS} ms`, met: loopMax < TARGET_MS } });
    c.ws.close();
  } finally {
    pinger?.proc.kill();
    lab.proc.stdin.end();
    await new Promise((r) => (lab.proc.exitCode !== null ? r(null) : lab.proc.once('exit', r)));
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}
