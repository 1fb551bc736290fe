/**
 * The real-run tests every executor must pass: the C one (a compiler on PATH) and the Python one
 * (the same tests with every C compiler hidden from PATH: real.test.ts and python.test.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RealReport } from '../../app/common/api/real.js';
import { run as simCli } from '../../app/cli/sim.js';
import { parseScenario } from '../../app/common/kernel/index.js';
import { RealRun, runReal } from '../../app/node/real/run.js';
import { which } from '../../app/node/real/toolchain.js';
import { COMPILER, pathWithout, scratch } from './paths.js';
import { skipping } from '../skip.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const scenarioFile = (id: string) => join(ROOT, 'exercises', 'scenarios', `${id}.yaml`);
export const scenario = (id: string) => parseScenario(readFileSync(scenarioFile(id), 'utf8'), `${id}.yaml`);

export function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

export async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await simCli(args), out, err };
  } finally {
    vi.restoreAllMocks();
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

type Call = { call: string; size: number; step: number; proc: string };
export type Json = { syscalls: Call[]; real: RealReport };
export const memCalls = (l: Call[]) => l.filter((c) => ['brk', 'mmap', 'munmap'].includes(c.call)).map((c) => `${c.proc}:${c.step} ${c.call} ${c.size}`);

const childMinflt = (report: RealReport) => {
  const i = report.steps.findIndex((s) => s.text.startsWith('child: write buf'));
  const before = report.steps[i - 1]!;
  const after = report.steps[i]!;
  return {
    sim: Number(after.sim.processes.child!.minflt) - Number(before.sim.processes.child!.minflt),
    real: Number(after.real.processes.child!.minflt) - Number(before.real.processes.child!.minflt),
  };
};

/** what glibc does in each scenario, measured with strace on a C program, and what the simulator says */
const SEQUENCES: Record<string, string[]> = {
  'malloc-strace': ['example_2_4:1 brk 135168', 'example_2_4:5 mmap 311296', 'example_2_4:6 munmap 311296', 'example_2_4:8 brk 307200'],
  'free-and-trim': ['app:1 brk 135168', 'app:3 brk 184320', 'app:13 brk -69632', 'app:15 brk -53248'],
};

/**
 * The suite for one executor. `hideCompiler`: run it all with every C compiler hidden from PATH
 * (and assert that the Python executor is what ran).
 */
export function realSuite(kind: 'c' | 'python', hideCompiler: boolean): void {
  const { tmp, freshDataDir } = scratch(`memlab-real-${kind}-`);
  const PATH = hideCompiler ? pathWithout(join(tmp, 'no-cc'), COMPILER) : (process.env.PATH ?? '');
  const PATH_NO_STRACE = pathWithout(join(tmp, 'no-strace'), hideCompiler ? new RegExp(`${COMPILER.source}|^strace$`) : /^strace$/);
  const haveStrace = which('strace') !== null;
  const canRun = kind === 'c' ? ['cc', 'gcc', 'clang'].some((c) => which(c)) : which('python3') !== null;

  describe.skipIf(skipping(process.platform !== 'linux' || !canRun, `the ${kind} executor's real runs`, process.platform !== 'linux' ? 'runs scenarios on a Linux kernel' : kind === 'c' ? 'no C compiler (cc, gcc, clang) on PATH' : 'no python3 on PATH'))(`run for real with the ${kind === 'c' ? 'C' : 'Python'} executor${hideCompiler ? ' (no C compiler on PATH)' : ''}`, () => {
    beforeEach(() => vi.restoreAllMocks());
    afterEach(() => vi.restoreAllMocks());

    if (hideCompiler) {
      it('the PATH really has no C compiler, and the Python executor is what runs', () => {
        for (const cc of ['cc', 'gcc', 'clang']) expect(which(cc, PATH)).toBeNull();
        expect(which('python3', PATH)).not.toBeNull();
      });
    }

    for (const id of Object.keys(SEQUENCES)) {
      it.skipIf(skipping(!haveStrace, `strace sequence (${kind})`, 'no strace on PATH (apt-get install strace)'))(`memlab sim ${id}.yaml --real --json: strace records the same brk/mmap/munmap sequence with the same sizes as the simulator's`, async () => {
        const r = await cli([scenarioFile(id), '--real', '--json'], { MEMLAB_DATA_DIR: freshDataDir(), PATH });
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        const j = JSON.parse(r.out) as Json;
        expect(j.real.info.executor).toBe(kind);
        expect(j.real.info.syscallSource).toBe('strace');
        expect(memCalls(j.syscalls)).toEqual(SEQUENCES[id]);
        expect(memCalls(j.real.syscalls)).toEqual(memCalls(j.syscalls));
        // strace's own words beside each call
        expect(j.real.syscalls.find((c) => c.call === 'brk')!.text).toMatch(/^brk\(0x[0-9a-f]+\) = 0x[0-9a-f]+$/);
        if (id === 'malloc-strace') {
          // the same shape: snapshots by label with processes, meminfo and vmstat
          expect(j.real.snapshots.map((s) => s.label)).toEqual(['threshold-raised', 'again', 'end']);
          expect(Object.keys(j.real.snapshots[0]!.processes)).toEqual(['example_2_4']);
          expect(j.real.snapshots[0]!.meminfo.MemFree).toBeGreaterThan(0);
          expect(j.real.snapshots[0]!.vmstat.pgfault).toBeGreaterThan(0);
        }
      });
    }

    it('without strace: the system calls are read off /proc/PID/maps, the same sequence, and the output says so', async () => {
      expect(which('strace', PATH_NO_STRACE)).toBeNull();
      const r = await cli([scenarioFile('malloc-strace'), '--real', '--json'], { MEMLAB_DATA_DIR: freshDataDir(), PATH: PATH_NO_STRACE });
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out) as Json;
      expect(j.real.info.executor).toBe(kind);
      expect(j.real.info.syscallSource).toBe('maps');
      expect(j.real.info.notes.join(' ')).toContain('read off /proc/PID/maps before and after each step, not recorded by strace (strace is not on PATH)');
      expect(memCalls(j.real.syscalls)).toEqual(SEQUENCES['malloc-strace']);
      const text = await cli([scenarioFile('malloc-strace'), '--real'], { MEMLAB_DATA_DIR: freshDataDir(), PATH: PATH_NO_STRACE });
      expect(text.out).toContain('system calls read off /proc/PID/maps diffs (no strace here)');
    });

    it('fork and copy-on-write: the child\'s minor faults over its write are the simulator\'s within 1%', async () => {
      const { report } = await runReal(scenario('fork-cow'), { dataDir: freshDataDir(), path: PATH });
      expect(report.info.executor).toBe(kind);
      if (hideCompiler) expect(report.info.executorNote).toContain('no C compiler');
      const m = childMinflt(report);
      expect(m.sim).toBe(4097);
      expect(Math.abs(m.real - m.sim) / m.sim).toBeLessThanOrEqual(0.01);
    });

    const root = process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
    it.skipIf(skipping(!root, `the OOM scenario in its own cgroup (${kind})`, 'needs root and the cgroup v1 memory controller at /sys/fs/cgroup/memory'))('as root: the OOM scenario runs in its own cgroup, the kernel kills the process the simulator kills, MemAvailable stays above 75%', async () => {
      const { run, report } = await runReal(scenario('oom-killer'), { dataDir: freshDataDir(), path: PATH });
      expect(report.info.executor).toBe(kind);
      // MemAvailable was watched while the steps ran, not only at their ends (the step that fills
      // 512 MiB until the kernel kills takes far longer than one 20 ms sampling period)
      expect(run.memAvailableSamples).toBeGreaterThan(report.steps.length + 1);
      expect(report.info.containment.kind).toBe('cgroup-v1');
      expect(report.info.containment.path).toContain(`memlab-real-${process.pid}-`);
      expect(report.info.containment.limitBytes).toBe(512 * 1024 * 1024);
      const last = report.steps[report.steps.length - 1]!;
      const killed = (procs: Record<string, Record<string, unknown>>) => Object.entries(procs).filter(([, p]) => p.state === 'killed:oom').map(([name]) => name);
      expect(killed(last.sim.processes)).toEqual(['database']);
      expect(killed(last.real.processes)).toEqual(killed(last.sim.processes));
      expect(report.info.oomKills).toBe(1);
      expect(report.info.memAvailableLowest).toBeGreaterThanOrEqual(report.info.memAvailableBefore * 0.75);
      // the cgroup is gone
      expect(existsSync(report.info.containment.path!)).toBe(false);
    });

    it('a run stopped midway leaves no executor behind', async () => {
      let stopAt: ((v: void) => void) | null = null;
      const reached = new Promise<void>((r) => (stopAt = r));
      const run = new RealRun(scenario('leak'), {
        dataDir: freshDataDir(),
        path: PATH,
        onStep: (rec) => {
          if (rec.step === 2) stopAt?.();
        },
      }).register();
      await run.start();
      expect(run.info.executor).toBe(kind);
      const done = run.run();
      await reached;
      const alive = run.pids.filter((p) => !gone(p));
      expect(alive.length).toBe(2); // the launcher and leaky, mid-run
      const pids = await run.stop();
      const report = await done;
      expect(report.stopped).toBe(true);
      expect(report.steps.length).toBeLessThan(scenario('leak').steps.length + 1);
      for (const pid of pids) expect(gone(pid), `executor ${pid} still runs`).toBe(true);
    });
  });
}
