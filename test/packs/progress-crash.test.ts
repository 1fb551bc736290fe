/**
 * A writer killed at any moment of a save: a child process answers exercises one after another
 * and is SIGKILLed at random points (seeded); every answer it reported as saved must be there when
 * the store is opened again, and opening never fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProgressStore } from '../../app/node/progress/store.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('progress store under SIGKILL', () => {
  it('never loses an acknowledged answer, wherever the writer dies (20 seeded kills)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-kill-'));
    const writer = join(dir, 'writer.mts');
    writeFileSync(
      writer,
      `import { ProgressStore } from ${JSON.stringify(join(ROOT, 'app', 'node', 'progress', 'store.ts'))};
const s = new ProgressStore(process.argv[2]);
for (let i = Number(process.argv[3]); ; i++) {
  await s.update('p/e' + i, (x) => ({ ...x, attempts: x.attempts + 1, correct: true, solvedAt: Date.now() }));
  process.stdout.write('saved ' + i + '\\n');
}
`,
    );
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const acknowledged = new Set<number>();
    let next = 0;
    const delays = fc.sample(fc.integer({ min: 150, max: 900 }), { seed: 99, numRuns: 20 });
    for (const delay of delays) {
      // its own process group, so the kill takes tsx's esbuild helper with it
      const child = spawn(tsx, [writer, dir, String(next)], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        for (const m of out.matchAll(/saved (\d+)\n/g)) acknowledged.add(Number(m[1]));
      });
      await new Promise((r) => setTimeout(r, delay));
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      next = Math.max(next, ...acknowledged) + 1;
      // opening after the crash never fails, and nothing acknowledged is missing
      const s = new ProgressStore(dir);
      for (const i of acknowledged) expect(s.get(`p/e${i}`)?.correct, `answer ${i} after a kill at ${delay} ms`).toBe(true);
    }
    expect(acknowledged.size).toBeGreaterThan(20);
  }, 120_000);
});
