/**
 * Running scenarios for real: the C executor, the Python one where no compiler is found, a clear
 * message where neither is; the OOM scenario in a cgroup of its own; refusals; stop.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RealReport } from '../../app/common/api/real.js';
import { run as simCli } from '../../app/cli/sim.js';
import { parseScenario } from '../../app/common/kernel/index.js';
import { RealRefused, RealRun, runReal } from '../../app/node/real/run.js';

const ROOT = join(import.meta.dirname, '..', '..');
const scenarioFile = (id: string) => join(ROOT, 'exercises', 'scenarios', `${id}.yaml`);
const scenario = (id: string) => parseScenario(readFileSync(scenarioFile(id), 'utf8'), `${id}.yaml`);
const tmp = mkdtempSync(join(tmpdir(), 'memlab-real-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDataDir = () => {
  const d = join(tmp, `data-${++n}`);
  mkdirSync(d);
  return d;
};

/** a PATH with python3 and nothing else: no cc, no gcc */
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const pyOnly = join(tmp, 'py-only');
mkdirSync(pyOnly);
if (python) symlinkSync(python, join(pyOnly, 'python3'));
const nothing = join(tmp, 'empty');
mkdirSync(nothing);

function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
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

type Json = { syscalls: Array<{ call: string; size: number; step: number }>; real: RealReport };
const memCalls = (l: Array<{ call: string; size: number; step: number }>) => l.filter((c) => ['brk', 'mmap', 'munmap'].includes(c.call)).map((c) => `${c.step} ${c.call} ${c.size}`);

const childMinflt = (report: RealReport) => {
  const i = report.steps.findIndex((s) => s.text.startsWith('child: write buf'));
  const before = report.steps[i - 1]!;
  const after = report.steps[i]!;
  return {
    sim: Number(after.sim.processes.child!.minflt) - Number(before.sim.processes.child!.minflt),
    real: Number(after.real.processes.child!.minflt) - Number(before.real.processes.child!.minflt),
  };
};

describe.skipIf(process.platform !== 'linux')('run for real', () => {
  beforeEach(() => vi.restoreAllMocks());
  afterEach(() => vi.restoreAllMocks());

  it('memlab sim malloc-strace.yaml --real --json: the same brk/mmap/munmap sequence with the same sizes in both columns', async () => {
    const r = await cli([scenarioFile('malloc-strace'), '--real', '--json'], { MEMLAB_DATA_DIR: freshDataDir() });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Json;
    expect(j.real.info.executor).toBe('c');
    expect(memCalls(j.syscalls)).toEqual(['1 brk 135168', '5 mmap 311296', '6 munmap 311296', '8 brk 307200']);
    expect(memCalls(j.real.syscalls)).toEqual(memCalls(j.syscalls));
    // the same shape: snapshots by label with processes, meminfo and vmstat
    expect(j.real.snapshots.map((s) => s.label)).toEqual(['threshold-raised', 'again', 'end']);
    expect(Object.keys(j.real.snapshots[0]!.processes)).toEqual(['example_2_4']);
    expect(j.real.snapshots[0]!.meminfo.MemFree).toBeGreaterThan(0);
    expect(j.real.snapshots[0]!.vmstat.pgfault).toBeGreaterThan(0);
  });

  it('fork and copy-on-write: the child\'s minor faults over its write are the simulator\'s within 1% (C executor)', async () => {
    const { report } = await runReal(scenario('fork-cow'), { dataDir: freshDataDir() });
    expect(report.info.executor).toBe('c');
    const m = childMinflt(report);
    expect(m.sim).toBe(4097);
    expect(Math.abs(m.real - m.sim) / m.sim).toBeLessThanOrEqual(0.01);
  });

  describe.skipIf(!python)('without a C compiler', () => {
    it('the Python executor runs fork-cow: the child\'s minor faults within 1%', async () => {
      const { report } = await runReal(scenario('fork-cow'), { dataDir: freshDataDir(), path: pyOnly });
      expect(report.info.executor).toBe('python');
      expect(report.info.executorNote).toContain('no C compiler');
      const m = childMinflt(report);
      expect(Math.abs(m.real - m.sim) / m.sim).toBeLessThanOrEqual(0.01);
    });

    it('the Python executor runs malloc-strace: glibc mmaps and unmaps the 300 KiB block as the simulator does; its heap was set up by the interpreter (said)', async () => {
      const r = await cli([scenarioFile('malloc-strace'), '--real', '--json'], { MEMLAB_DATA_DIR: freshDataDir(), PATH: pyOnly });
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out) as Json;
      expect(j.real.info.executor).toBe('python');
      const real = memCalls(j.real.syscalls);
      expect(real).toContain('5 mmap 311296');
      expect(real).toContain('6 munmap 311296');
      expect(j.real.info.notes.join(' ')).toContain('interpreter has used glibc');
    });
  });

  it('with neither a compiler nor python3: a clear message naming what to install', async () => {
    const r = await cli([scenarioFile('malloc-strace'), '--real'], { MEMLAB_DATA_DIR: freshDataDir(), PATH: nothing });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/cannot run scenarios for real here: .*no C compiler \(cc, gcc or clang\) on PATH; no python3 on PATH/);
    expect(r.err).toContain('sudo apt install gcc');
    expect(r.out).toBe('');
  });

  it('without a cgroup, a scenario that puts memory under pressure is refused with the reason', async () => {
    await expect(runReal(scenario('oom-killer'), { dataDir: freshDataDir(), noCgroup: true })).rejects.toThrow(RealRefused);
    await expect(runReal(scenario('oom-killer'), { dataDir: freshDataDir(), noCgroup: true })).rejects.toThrow(/the OOM killer kills.*without a memory cgroup of its own/);
    // one that does not press runs, capped
    const { report } = await runReal(scenario('malloc-strace'), { dataDir: freshDataDir(), noCgroup: true });
    expect(report.info.containment.kind).toBe('none');
    expect(report.steps).toHaveLength(10);
  });

  const root = process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  it.skipIf(!root)('as root: the OOM scenario runs in its own cgroup, the kernel kills the process the simulator kills, MemAvailable stays above 75%', async () => {
    const { report } = await runReal(scenario('oom-killer'), { dataDir: freshDataDir() });
    expect(report.info.containment.kind).toBe('cgroup-v1');
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
      onStep: (rec) => {
        if (rec.step === 2) stopAt?.();
      },
    }).register();
    await run.start();
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
