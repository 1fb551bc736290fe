/**
 * The worker threads' limits, each seen to hold: a typed array past the budget is refused before
 * it is allocated, a call past its time budget is stopped, a heap past its cap is stopped; each
 * comes back as a message naming the limit, and the pool answers the next call. And a worker
 * runs nicer than the main thread, so that the thread answering every client gets the CPU first.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appRoot } from '../app/node/paths.js';
import { WorkerPool } from '../app/node/work/host.js';
import { DEFAULT_WORK_LIMITS } from '../app/node/work/limits.js';
import { skipping } from './skip.js';

const limits = { ...DEFAULT_WORK_LIMITS, heapMiB: 48, arrayMiB: 32, poolWorkers: 1 };
const pool = new WorkerPool({ appRoot: appRoot(), dataDir: mkdtempSync(join(tmpdir(), 'memlab-wl-')), host: 'serve', arrayMiB: limits.arrayMiB }, limits);
afterAll(() => pool.dispose());
const opts = (seconds: number) => ({ seconds, what: 'this probe', advice: 'it is a test' });

describe('worker limits', () => {
  it('counts only live arrays against the budget: what is no longer used is collected before anything is refused', async () => {
    // each probe's 20 MiB is garbage once it answers; three of them would pass 32 MiB if garbage counted
    for (let k = 0; k < 6; k++) expect(await pool.run('limitsProbe', { kind: 'array', bytes: 20 << 20 }, opts(30))).toBe(20 << 20);
  });

  it('refuses a typed array past the budget before allocating it, and keeps serving', async () => {
    expect(await pool.run('limitsProbe', { kind: 'array', bytes: 4 << 20 }, opts(30))).toBe(4 << 20);
    await expect(pool.run('limitsProbe', { kind: 'array', bytes: 2 ** 40 }, opts(30))).rejects.toThrow(/this probe needed more than 32 MiB of memory \(it asked for 1\.0 TiB at once\); it is a test/);
    expect(await pool.run('ping', {}, opts(30))).toBe('pong');
  }, 60_000);

  it('stops a call past its time budget', async () => {
    await expect(pool.run('limitsProbe', { kind: 'spin' }, opts(1))).rejects.toThrow(/this probe needed more than 1 s; it is a test/);
    expect(await pool.run('ping', {}, opts(30))).toBe('pong');
  }, 60_000);

  it('stops a worker whose heap passes its cap', async () => {
    await expect(pool.run('limitsProbe', { kind: 'heap' }, opts(40))).rejects.toThrow(/this probe needed more than 48 MiB of memory; it is a test/);
    expect(await pool.run('ping', {}, opts(30))).toBe('pong');
  }, 60_000);

  it.skipIf(skipping(process.platform !== 'linux', 'worker CPU priority', 'per-thread nice is read from Linux /proc'))('runs at a lower CPU priority than the main thread, as the kernel sees it', async () => {
    const { tid } = await pool.run<{ tid?: number }>('thread', {}, opts(30));
    expect(tid).toBeGreaterThan(process.pid);
    // /proc/PID/task/TID/stat: field 19 is the thread's nice value (after the command in parentheses)
    const nice = (t: number) => Number(readFileSync(`/proc/${process.pid}/task/${t}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[16]);
    expect(nice(process.pid)).toBe(getPriority(0));
    expect(nice(tid!)).toBe(Math.min(19, getPriority(0) + 10));
  }, 60_000);
});
