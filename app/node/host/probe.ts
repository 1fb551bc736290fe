/**
 * "Run it for real": a probe child process (the Node runtime the app already has) allocates and
 * touches memory while the panel measures it from /proc. Bounded (refused above a share of
 * MemAvailable) and always cleaned up: the child exits when its parent's IPC channel closes,
 * so it dies with the app even after a crash.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meminfo, readProcess } from './proc.js';

/** at most this share of MemAvailable may one probe take */
export const PROBE_SHARE = 0.25;

const PROBE_SOURCE = `
// memlab probe: allocate, touch, hold; obey the parent; die with it.
const held = [];
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.op === 'alloc') {
    // Buffer.allocUnsafeSlow: a fresh allocation outside Node's pool, big ones mmapped by glibc
    const b = Buffer.allocUnsafeSlow(m.bytes);
    if (m.touch) for (let i = 0; i < b.length; i += 4096) b[i] = 1;
    held.push(b);
    process.send({ done: 'alloc' });
  } else if (m.op === 'free') {
    held.length = 0;
    if (global.gc) global.gc();
    process.send({ done: 'free' });
  } else if (m.op === 'exit') process.exit(0);
});
process.send({ ready: true });
`;

let probeFile: string | null = null;
function probePath(): string {
  if (!probeFile) {
    probeFile = join(tmpdir(), `memlab-probe-${process.pid}.cjs`);
    writeFileSync(probeFile, PROBE_SOURCE);
  }
  return probeFile;
}

export interface ProbeResult {
  pid: number;
  sizeBytes: number;
  before: { VmRSS: number; VmSize: number; minflt: number };
  after: { VmRSS: number; VmSize: number; minflt: number };
}

const live = new Set<ChildProcess>();
export function killAllProbes(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

function send(c: ChildProcess, msg: object, want: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const on = (m: { done?: string }) => {
      if (m.done === want) {
        c.off('message', on);
        resolve();
      }
    };
    c.on('message', on);
    c.once('exit', () => reject(new Error('the probe exited')));
    c.send(msg);
  });
}

const sample = (pid: number) => {
  const r = readProcess(pid);
  return { VmRSS: r.RES, VmSize: r.VIRT, minflt: r.minflt };
};

/** Allocate and touch sizeBytes in a probe; measure before and after; the probe exits afterwards. */
export async function runMallocTouch(sizeBytes: number): Promise<ProbeResult> {
  const avail = meminfo().MemAvailable * 1024;
  if (sizeBytes > avail * PROBE_SHARE) {
    throw new Error(`refused: ${Math.round(sizeBytes / 1048576)} MiB is more than ${PROBE_SHARE * 100}% of MemAvailable (${Math.round(avail / 1048576)} MiB)`);
  }
  const c = fork(probePath(), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'json' });
  live.add(c);
  try {
    await new Promise<void>((resolve, reject) => {
      c.once('message', () => resolve());
      c.once('error', reject);
      c.once('exit', () => reject(new Error('the probe exited before it was ready')));
    });
    const before = sample(c.pid!);
    await send(c, { op: 'alloc', bytes: sizeBytes, touch: true }, 'alloc');
    const after = sample(c.pid!);
    return { pid: c.pid!, sizeBytes, before, after };
  } finally {
    // wait until it is really gone, so nobody sees a half-dead probe
    const exited = c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
    live.delete(c);
  }
}

/** Start a probe that holds `sizeBytes` until stopped (for the panel's table). */
export async function startHolding(sizeBytes: number): Promise<{ pid: number; stop: () => void }> {
  const avail = meminfo().MemAvailable * 1024;
  if (sizeBytes > avail * PROBE_SHARE) throw new Error(`refused: more than ${PROBE_SHARE * 100}% of MemAvailable`);
  const c = fork(probePath(), [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  live.add(c);
  await new Promise<void>((r) => c.once('message', () => r()));
  await send(c, { op: 'alloc', bytes: sizeBytes, touch: true }, 'alloc');
  return {
    pid: c.pid!,
    stop: () => {
      c.kill('SIGKILL');
      live.delete(c);
    },
  };
}
