/** The progress store: atomic, backed up, recovered, merged; never silently reset. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProgressStore } from '../../app/node/progress/store.js';

const solve = (s: ProgressStore, k: string) => s.update(k, (x) => ({ ...x, attempts: x.attempts + 1, correct: true, solvedAt: Date.now() }));

describe('progress store', () => {
  it('survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const a = new ProgressStore(dir);
    await solve(a, 'p/one');
    const b = new ProgressStore(dir);
    expect(b.get('p/one')?.correct).toBe(true);
    expect(b.notice).toBeUndefined();
  });

  it('recovers a garbled file from its backup and tells the learner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const a = new ProgressStore(dir);
    await solve(a, 'p/one');
    await solve(a, 'p/two'); // the backup now holds p/one
    writeFileSync(a.file, readFileSync(a.file, 'utf8').slice(0, 40));
    const b = new ProgressStore(dir);
    expect(b.get('p/one')?.correct).toBe(true);
    expect(b.notice).toMatch(/damaged .* restored it from the backup/);
    expect(readdirSync(dir).some((f) => f.includes('.corrupt-'))).toBe(true);
  });

  it('keeps a damaged file aside and says so when the backup is bad too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    writeFileSync(join(dir, 'progress-default.json'), '{"version": 1, "profile": 3');
    writeFileSync(join(dir, 'progress-default.json.bak'), 'garbage');
    const s = new ProgressStore(dir);
    expect(s.notice).toMatch(/kept as .*corrupt-/);
  });

  it('garbled at any offset: loading never throws and never silently loses answers', async () => {
    const dir0 = mkdtempSync(join(tmpdir(), 'prog-'));
    const a = new ProgressStore(dir0);
    for (let i = 0; i < 5; i++) await solve(a, `p/e${i}`);
    const good = readFileSync(a.file);
    const bak = readFileSync(a.backup);
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), fc.boolean(), (off, byte, truncate) => {
        const dir = mkdtempSync(join(tmpdir(), 'prog-'));
        const f = join(dir, 'progress-default.json');
        const b = Buffer.from(good);
        b[off] = byte;
        writeFileSync(f, truncate ? b.subarray(0, off) : b);
        writeFileSync(`${f}.bak`, bak);
        const s = new ProgressStore(dir);
        const solved = Object.values(s.snapshot.exercises).filter((x) => x.correct).length;
        // either the file still parsed (all 5) or the backup (4: the last save's) was used, with a notice
        if (solved < 5) expect(s.notice).toMatch(/backup/);
        expect(solved).toBeGreaterThanOrEqual(4);
      }),
      { seed: 3, numRuns: 300 },
    );
  });

  it('two windows writing at once lose nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const w1 = new ProgressStore(dir);
    const w2 = new ProgressStore(dir);
    await Promise.all([solve(w1, 'p/a'), solve(w2, 'p/b'), solve(w1, 'p/c'), solve(w2, 'p/d')]);
    await solve(w1, 'p/e');
    const fresh = new ProgressStore(dir);
    expect(Object.keys(fresh.snapshot.exercises).sort()).toEqual(['p/a', 'p/b', 'p/c', 'p/d', 'p/e']);
  });

  it('a writer killed mid-save leaves the old file or the new one, never a torn one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const s = new ProgressStore(dir);
    await solve(s, 'p/a');
    // write-file-atomic writes a temp file and renames it; a crash leaves the temp file behind
    writeFileSync(`${s.file}.123456`, '{"torn":');
    const again = new ProgressStore(dir);
    expect(again.get('p/a')?.correct).toBe(true);
    expect(again.notice).toBeUndefined();
    expect(existsSync(s.file)).toBe(true);
  });
});

describe('guided stage position', () => {
  it('going back a stage is kept: the newer record wins a merge, not the larger number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const s = new ProgressStore(dir);
    await s.update('p/lab', (x) => ({ ...x, stage: 3 }));
    await new Promise((r) => setTimeout(r, 2));
    await s.update('p/lab', (x) => ({ ...x, stage: 1 }));
    expect(new ProgressStore(dir).get('p/lab')?.stage).toBe(1);
  });
});

describe('many windows at once', () => {
  it('three windows answering thirty exercises at once lose none (a lock file serialises the read-merge-write)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const ws = [new ProgressStore(dir), new ProgressStore(dir), new ProgressStore(dir)];
    await Promise.all(Array.from({ length: 30 }, (_, i) => solve(ws[i % 3]!, `p/e${i}`)));
    expect(Object.keys(new ProgressStore(dir).snapshot.exercises)).toHaveLength(30);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it("a reset in one window is not undone by another window's next save", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const w1 = new ProgressStore(dir);
    const w2 = new ProgressStore(dir);
    await solve(w1, 'p/a');
    await solve(w2, 'p/b'); // w2 now holds p/a too (merged from disk)
    expect(w2.get('p/a')?.correct).toBe(true);
    await new Promise((r) => setTimeout(r, 2));
    await w1.reset(['p/a']);
    await solve(w2, 'p/c');
    const fresh = new ProgressStore(dir);
    // p/a starts a new attempt; the solved one is kept in its history, not brought back as current
    expect(fresh.get('p/a')).toMatchObject({ correct: false, attempts: 0 });
    expect(fresh.get('p/a')?.history.map((x) => x.correct)).toEqual([true]);
    // and the exercise can be done again after the reset
    await new Promise((r) => setTimeout(r, 2));
    await solve(w2, 'p/a');
    expect(new ProgressStore(dir).get('p/a')?.correct).toBe(true);
  });

  it('a lock left by a crashed process is broken, not waited on forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const s = new ProgressStore(dir);
    const lock = `${s.file}.lock`;
    writeFileSync(lock, '99999 0\n');
    const old = new Date(Date.now() - 60_000);
    const { utimesSync } = await import('node:fs');
    utimesSync(lock, old, old);
    await solve(s, 'p/a');
    expect(new ProgressStore(dir).get('p/a')?.correct).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});

describe('after kill -9', () => {
  const deadPid = async () => {
    const { spawn } = await import('node:child_process');
    const c = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => c.once('exit', r));
    return c.pid!;
  };

  it('a lock whose holder is gone is taken over at once, however fresh it looks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const s = new ProgressStore(dir);
    const lock = `${s.file}.lock`;
    const pid = await deadPid();
    writeFileSync(lock, `${pid} ${Date.now()}\n`);
    // an mtime an hour ahead: only the pid check can free this lock before the 30 s wait gives up
    const { utimesSync } = await import('node:fs');
    const later = new Date(Date.now() + 3_600_000);
    utimesSync(lock, later, later);
    await solve(s, 'p/a');
    expect(new ProgressStore(dir).get('p/a')?.correct).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it('a lock held by a live process is respected', async () => {
    const { lockHolderDead } = await import('../../app/node/progress/store.js');
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    writeFileSync(join(dir, 'l1'), `1 ${Date.now()}\n`); // init: alive
    writeFileSync(join(dir, 'l2'), `${process.pid} ${Date.now()}\n`);
    writeFileSync(join(dir, 'l3'), `${await deadPid()} ${Date.now()}\n`);
    writeFileSync(join(dir, 'l4'), 'garbage\n');
    expect([1, 2, 3, 4].map((i) => lockHolderDead(join(dir, `l${i}`)))).toEqual([false, false, true, false]);
  });

  it("the atomic writer's temp files left by a killed save are removed at start, a fresh one (another window's save) kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const { utimesSync } = await import('node:fs');
    const old = new Date(Date.now() - 60_000);
    for (const n of ['progress-default.json.123456', 'progress-alice.json.4294967295']) {
      writeFileSync(join(dir, n), '{"torn');
      utimesSync(join(dir, n), old, old);
    }
    writeFileSync(join(dir, 'progress-default.json.777'), '{"in flight');
    writeFileSync(join(dir, 'notes.json.1'), 'not ours');
    utimesSync(join(dir, 'notes.json.1'), old, old);
    new ProgressStore(dir);
    expect(readdirSync(dir).sort()).toEqual(['notes.json.1', 'progress-default.json.777']);
  });
});

describe("a newer memlab's progress file", () => {
  it('is left untouched, and the learner is told their work now is not saved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prog-'));
    const f = join(dir, 'progress-default.json');
    const future = JSON.stringify({ version: 99, profile: 'default', lessons: { a: 1 } });
    writeFileSync(f, future);
    const s = new ProgressStore(dir);
    expect(s.notice).toMatch(/saved by a newer memlab .* not saved/);
    await solve(s, 'p/a');
    expect(readFileSync(f, 'utf8')).toBe(future);
    expect(readdirSync(dir).filter((x) => x.includes('corrupt'))).toEqual([]);
  });
});
