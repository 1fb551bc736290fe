/**
 * Running scenarios for real: the C executor's suite (the Python executor runs the same one with the
 * compilers hidden, python.test.ts), a clear message where neither can run, refusals, and strace's
 * lines read as system calls.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStraceLine, RealRefused, runReal } from '../../app/node/real/run.js';
import { cli, realSuite, scenario, scenarioFile } from './suite.js';
import { COMPILER, pathWithout, scratch } from './paths.js';
import { skipping } from '../skip.js';

realSuite('c', false);

const { tmp, freshDataDir } = scratch('memlab-real-test-');

describe.skipIf(skipping(process.platform !== 'linux', 'run for real', 'runs scenarios on a Linux kernel'))('run for real: where it cannot, and strace', () => {
  it('with neither a compiler nor python3: one clear line naming what to install', async () => {
    // everything else of this machine is there: only the compilers and Python are hidden
    const PATH = pathWithout(join(tmp, 'neither'), new RegExp(`${COMPILER.source}|^python3?([.\\d]*)?$`));
    const r = await cli([scenarioFile('malloc-strace'), '--real'], { MEMLAB_DATA_DIR: freshDataDir(), PATH });
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err.endsWith('\n')).toBe(true);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^memlab sim --real: cannot run scenarios for real here: .*no C compiler \(cc, gcc or clang\) on PATH; no python3 on PATH\. Install a C compiler \(Debian\/Ubuntu: sudo apt install gcc;/);
  });

  it('without a cgroup, a scenario that puts memory under pressure is refused with the reason', async () => {
    await expect(runReal(scenario('oom-killer'), { dataDir: freshDataDir(), noCgroup: true })).rejects.toThrow(RealRefused);
    await expect(runReal(scenario('oom-killer'), { dataDir: freshDataDir(), noCgroup: true })).rejects.toThrow(/the OOM killer kills.*without a memory cgroup of its own/);
    // one that does not press runs, capped
    const { report } = await runReal(scenario('malloc-strace'), { dataDir: freshDataDir(), noCgroup: true });
    expect(report.info.containment.kind).toBe('none');
    expect(report.steps).toHaveLength(10);
  });

  it('where strace is there but may not trace (ptrace forbidden), the maps diff is used and the run says why', async () => {
    const PATH = pathWithout(join(tmp, 'no-ptrace'), /^strace$/);
    writeFileSync(join(PATH, 'strace'), '#!/bin/sh\necho "strace: test_ptrace_get_syscall_info: PTRACE_TRACEME: Operation not permitted" >&2\nexit 1\n');
    chmodSync(join(PATH, 'strace'), 0o755);
    const { report } = await runReal(scenario('malloc-strace'), { dataDir: freshDataDir(), path: PATH });
    expect(report.info.syscallSource).toBe('maps');
    expect(report.info.notes.join(' ')).toContain('not recorded by strace (strace cannot trace here: strace: test_ptrace_get_syscall_info: PTRACE_TRACEME: Operation not permitted)');
    expect(report.syscalls.filter((c) => c.call === 'brk').map((c) => c.size)).toEqual([135168, 307200]);
  });

  it('strace -f lines become system calls with their sizes: brk from each process\'s last break, lengths in pages', () => {
    const last = new Map<number, number>();
    const lines = [
      '4242  brk(NULL)                         = 0x55d000000000',
      '4242  brk(0x55d000021000)               = 0x55d000021000',
      '4243  brk(0x55d000030000)               = 0x55d000030000', // another process: its own break, unknown yet
      '4242  mmap(NULL, 307216, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000',
      '4242  munmap(0x7f0000000000, 311296)    = 0',
      '4242  brk(0x55d000010000)               = 0x55d000010000',
      '4242  mmap(NULL, 1099511627776, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)',
      '4242  mremap(0x7f0000000000, 8192, 16384, MREMAP_MAYMOVE) = 0x7f0000100000',
      '4242  +++ exited with 0 +++',
    ];
    const calls = lines.map((l) => parseStraceLine(l, last)).filter((c) => c !== null);
    expect(calls.map((c) => `${c.pid} ${c.call} ${c.size}`)).toEqual(['4242 brk 135168', '4242 mmap 311296', '4242 munmap 311296', '4242 brk -69632', '4242 mmap 1099511627776', '4242 mremap 8192']);
    expect(calls[0]!.text).toBe('brk(0x55d000021000) = 0x55d000021000');
    expect(calls[4]!.text).toContain('= -1 ENOMEM');
  });
});
