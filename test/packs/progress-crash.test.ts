/**
 * A writer killed at any moment of a save: a child process answers exercises one after another
 * and is SIGKILLed at random points (seeded); every answer it reported as saved must be there when
 * the store is opened again, and opening never fails.
 *
 * The kill timer of each run starts only once the writer has acknowledged its first save (it may
 * take seconds to start on a busy machine), so every kill lands in the middle of the save loop;
 * the test fails unless at least 20 kills came after at least one acknowledged save of their run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProgressStore } from '../../app/node/progress/store.js';

const ROOT = join(import.meta.dirname, '..', '..');
const KILLS = 20;

describe('progress store under SIGKILL', () => {
  it(`never loses an acknowledged answer, wherever the writer dies (${KILLS} seeded kills, each after the writer's first acknowledged save)`, async () => {
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

    const acknowledged = new Set<number>();
    let next = 0;
    /** kills that came after at least one acknowledged save of their own run */
    let midRun = 0;
    const delays = fc.sample(fc.integer({ min: 0, max: 250 }), { seed: 99, numRuns: KILLS });
    try {
      for (const delay of delays) {
        // one node process (tsx as a loader, not its launcher) in its own process group, so the kill takes any helper with it
        const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(next)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
        const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
        let out = '';
        let acksThisRun = 0;
        const firstAck = new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (d) => {
            out += d;
            const lines = out.split('\n');
            out = lines.pop()!;
            for (const l of lines) {
              const m = /^saved (\d+)$/.exec(l);
              if (!m) continue;
              acknowledged.add(Number(m[1]));
              acksThisRun++;
              resolve();
            }
          });
          void exited.then(() => reject(new Error('the writer exited before its first acknowledged save')));
        });
        await firstAck;
        // the schedule starts now: the writer is in its save loop
        await new Promise((r) => setTimeout(r, delay));
        const ackedBeforeKill = acksThisRun;
        process.kill(-child.pid!, 'SIGKILL');
        expect(await exited, 'the writer died of the kill, not on its own').toBe('SIGKILL');
        if (ackedBeforeKill >= 1) midRun++;
        next = Math.max(next, ...acknowledged) + 1;
        // opening after the crash never fails, and nothing acknowledged is missing
        const s = new ProgressStore(dir);
        for (const i of acknowledged) expect(s.get(`p/e${i}`)?.correct, `answer ${i} after a kill ${delay} ms into the save loop`).toBe(true);
        expect(s.notice, 'a kill never damages the file').toBeUndefined();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(midRun).toBeGreaterThanOrEqual(KILLS);
    expect(acknowledged.size).toBeGreaterThan(KILLS);
  }, 600_000); // each run starts a node+tsx writer: ~3.5 s alone, far more in a full parallel run
});
