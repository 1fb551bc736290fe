/**
 * The run's memory cgroup on both hierarchies: cgroup v2 (most students' desktops) and v1 (this
 * machine), each against a fixture tree in a temp dir (the code takes the cgroup root and
 * /proc/self/cgroup as parameters), and, as root, against a real cgroup2 mounted at a temp dir.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeContainment, removeCgroup } from '../../app/node/real/cgroup.js';
import { skipping } from '../skip.js';

const tmp = mkdtempSync(join(tmpdir(), 'memlab-cgroup-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const MiB = 1024 * 1024;

/** a tree of directories and files: { 'a/b/file': 'text' } */
function tree(files: Record<string, string>): string {
  const root = join(tmp, `tree-${++n}`);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const sleepers: ChildProcess[] = [];
afterEach(() => {
  for (const s of sleepers.splice(0)) s.kill('SIGKILL');
});
function sleeper(): Promise<{ child: ChildProcess; exited: Promise<string | null> }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  sleepers.push(child);
  const exited = new Promise<string | null>((r) => child.once('exit', (_code, sig) => r(sig)));
  return new Promise((resolve) => child.once('spawn', () => resolve({ child, exited })));
}

describe.skipIf(skipping(process.platform !== 'linux', 'a memory cgroup for one run', 'cgroups are Linux only'))('a memory cgroup for one run', () => {
  it('cgroup v2 (unified): a child of this process\'s cgroup with memory.max and memory.swap.max; memory.events oom_kill counted; cgroup.procs adopts; remove kills and removes', async () => {
    const root = tree({
      'cgroup.controllers': 'cpu io memory pids\n',
      'user.slice/app.scope/cgroup.controllers': 'memory pids\n',
      'user.slice/app.scope/cgroup.subtree_control': '\n',
      'user.slice/app.scope/memory.swap.max': 'max\n',
      // what an earlier memlab (pid 999999999, gone) left behind is swept
      'user.slice/app.scope/memlab-real-999999999-1/cgroup.procs': '',
    });
    const parent = join(root, 'user.slice/app.scope');
    const c = makeContainment(256 * MiB, 64 * MiB, { host: { root, self: '0::/user.slice/app.scope\n' }, systemd: false });
    expect(c.kind, c.why).toBe('cgroup-v2');
    expect(c.path).toBe(join(parent, `memlab-real-${process.pid}-${/-(\d+)$/.exec(c.path!)![1]}`));
    // memory enabled for the children (the kernel would take "+memory" and show "memory")
    expect(readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8')).toBe('+memory');
    expect(readFileSync(join(c.path!, 'memory.max'), 'utf8')).toBe(String(256 * MiB));
    expect(readFileSync(join(c.path!, 'memory.swap.max'), 'utf8')).toBe(String(64 * MiB));
    expect(c.why).toBeUndefined();
    expect(existsSync(join(parent, 'memlab-real-999999999-1'))).toBe(false);
    // the kernel's counters
    expect(c.oomKills()).toBe(0);
    writeFileSync(join(c.path!, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n');
    expect(c.oomKills()).toBe(1);
    writeFileSync(join(c.path!, 'memory.peak'), `${200 * MiB}\n`);
    expect(c.maxUsage()).toBe(200 * MiB);
    expect(c.setSwappiness(10)).toBe(false); // no per-cgroup swappiness in v2
    const { child, exited } = await sleeper();
    c.adopt(child.pid!);
    expect(readFileSync(join(c.path!, 'cgroup.procs'), 'utf8')).toBe(String(child.pid));
    c.remove();
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(c.path!)).toBe(false);
  });

  it('cgroup v2 without swap accounting: memory.max only, and the run says swap is not limited', () => {
    const root = tree({ 'cgroup.controllers': 'memory\n', 'cgroup.subtree_control': 'memory\n' });
    const c = makeContainment(128 * MiB, 32 * MiB, { host: { root, self: '0::/\n' }, systemd: false });
    expect(c.kind).toBe('cgroup-v2');
    expect(existsSync(join(c.path!, 'memory.swap.max'))).toBe(false);
    expect(c.why).toContain('no memory.swap.max');
    c.remove();
  });

  it('hybrid (v2 at ROOT/unified, memory bound to v1, not in a v1 memory cgroup): no cgroup, and the reason says why', () => {
    const root = tree({ 'unified/cgroup.controllers': 'hugetlb\n', 'memory/memory.limit_in_bytes': '9223372036854771712\n' });
    const c = makeContainment(128 * MiB, 0, { host: { root, self: '0::/\n' }, systemd: false });
    expect(c.kind).toBe('none');
    expect(c.why).toContain('no cgroup v1 memory controller');
    expect(c.why).toContain(`cgroup v2 has no memory controller in ${join(root, 'unified')} (it offers: hugetlb): memory is bound to cgroup v1 here`);
  });

  it('cgroup v1: a child of this process\'s memory cgroup with memory.limit_in_bytes and memory.memsw.limit_in_bytes; memory.oom_control oom_kill counted', async () => {
    const root = tree({
      'memory/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/job/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/job/memory.memsw.limit_in_bytes': '9223372036854771712\n',
    });
    const c = makeContainment(256 * MiB, 64 * MiB, { host: { root, self: '4:memory:/job\n0::/\n' }, systemd: false });
    expect(c.kind, c.why).toBe('cgroup-v1');
    expect(c.path!.startsWith(join(root, 'memory/job/memlab-real-'))).toBe(true);
    expect(readFileSync(join(c.path!, 'memory.limit_in_bytes'), 'utf8')).toBe(String(256 * MiB));
    expect(readFileSync(join(c.path!, 'memory.memsw.limit_in_bytes'), 'utf8')).toBe(String(320 * MiB));
    writeFileSync(join(c.path!, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    expect(c.oomKills()).toBe(2);
    expect(c.setSwappiness(0)).toBe(true);
    expect(readFileSync(join(c.path!, 'memory.swappiness'), 'utf8')).toBe('0');
    c.remove();
    expect(existsSync(c.path!)).toBe(false);
  });

  const root = process.getuid?.() === 0;
  it.skipIf(skipping(!root, 'a real cgroup2 mounted at a temp dir', 'mounting cgroup2 needs root'))('as root, a real cgroup2 mounted at a temp dir: what v2 offers here is used or its absence named; a cgroup of it adopts, is killed and removed', async () => {
    const mnt = join(tmp, `cgroup2-${process.pid}`);
    mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'cgroup2', 'none', mnt], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      console.log(`skipped: cannot mount cgroup2 here: ${mounted.stderr.trim()}`);
      rmdirSync(mnt);
      return;
    }
    const made: string[] = [];
    try {
      const controllers = readFileSync(join(mnt, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
      const host = { root: mnt, self: '0::/\n' };
      const c = makeContainment(64 * MiB, 0, { host, systemd: false });
      if (controllers.includes('memory')) {
        expect(c.kind, c.why).toBe('cgroup-v2');
        made.push(c.path!);
        expect(readFileSync(join(c.path!, 'memory.max'), 'utf8').trim()).toBe(String(64 * MiB));
        const { child, exited } = await sleeper();
        c.adopt(child.pid!);
        expect(readFileSync(`/proc/${child.pid}/cgroup`, 'utf8')).toContain(`0::/${c.path!.slice(mnt.length + 1)}`);
        expect(c.oomKills()).toBe(0);
        c.remove();
        expect(await exited).toBe('SIGKILL');
        expect(existsSync(c.path!)).toBe(false);
      } else {
        expect(c.kind).toBe('none');
        expect(c.why).toContain(`cgroup v2 has no memory controller in ${mnt} (it offers: ${controllers.join(' ') || 'none'})`);
        console.log(`cgroup2 mounted at ${mnt} offers no memory controller (it is bound to cgroup v1 on this machine): the memory limits are tested on the fixture tree only; cgroup.procs, cgroup.kill and removal are tested on the real cgroup2`);
        // what v2 can do here: a cgroup of memlab's naming takes a process, and removeCgroup kills it and removes it
        const dir = join(mnt, `memlab-real-${process.pid}-mnt`);
        mkdirSync(dir);
        made.push(dir);
        const { child, exited } = await sleeper();
        writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
        expect(readFileSync(`/proc/${child.pid}/cgroup`, 'utf8')).toContain(`0::/memlab-real-${process.pid}-mnt`);
        removeCgroup(dir);
        expect(await exited).toBe('SIGKILL');
        expect(existsSync(dir)).toBe(false);
      }
    } finally {
      for (const d of made) if (existsSync(d)) removeCgroup(d);
      spawnSync('umount', [mnt]);
      rmdirSync(mnt);
    }
  });
});
