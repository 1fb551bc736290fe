/** Every executor dies with memlab, even when memlab is killed outright (SIGKILL: no exit handler runs). */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { which } from '../../app/node/real/toolchain.js';
import { COMPILER, pathWithout } from './paths.js';
import { skipping } from '../skip.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'memlab-real-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

// the C executor, and the Python one with every C compiler hidden from PATH (each under strace where it is here)
const NO_CC = pathWithout(join(dataDir, 'no-cc'), COMPILER);
const EXECUTORS = [
  { kind: 'c', PATH: process.env.PATH ?? '', dataDir: join(dataDir, 'c') },
  { kind: 'python', PATH: NO_CC, dataDir: join(dataDir, 'python') },
];

describe.skipIf(skipping(process.platform !== 'linux', 'memlab killed mid-run', 'runs scenarios on a Linux kernel'))('memlab killed mid-run', () => {
  it.each(EXECUTORS)('takes every executor with it ($kind executor)', async ({ kind, PATH, dataDir }) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(import.meta.dirname, 'fixtures', 'run-and-hang.ts'), join(ROOT, 'exercises', 'scenarios', 'leak.yaml'), dataDir], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PATH } });
    let out = '';
    const pids = await new Promise<number[]>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /pids ([\d ]+)\n/.exec(out);
        if (m) resolve(m[1]!.trim().split(' ').map(Number));
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before the run started: ${out}`)));
    });
    expect(out).toContain(`executor ${kind} syscalls ${which('strace') ? 'strace' : 'maps'}`);
    expect(pids.length).toBe(2);
    expect(pids.every((p) => !gone(p))).toBe(true);
    // tsx runs the script in a child node: kill the whole tree's Node processes the hard way
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    const nodes = readFileSync(`/proc/${pids[0]}/status`, 'utf8').match(/^PPid:\s+(\d+)/m);
    if (nodes) {
      try {
        process.kill(Number(nodes[1]), 'SIGKILL'); // the real node process tsx started
      } catch {
        /* gone with its parent */
      }
    }
    await expect.poll(() => pids.every(gone), { timeout: 10_000 }).toBe(true);
  }, 60_000);
});
