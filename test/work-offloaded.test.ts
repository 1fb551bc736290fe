/**
 * The lab's event loop does none of the heavy work (issue 14): with the hosts' services
 * (createServices, worker threads), every path that simulates, parses a scenario or renders
 * Markdown does it in a worker. The modules doing that work are replaced, on this thread only, by
 * ones that throw: a call made here instead of in a worker fails the request, and the test.
 * (Worker threads load their own copies of the modules; vitest's mocks do not reach them.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallContext } from '../app/common/api/dispatch.js';
import { procAvailable } from '../app/node/host/proc.js';
import { createServices, type Services } from '../app/node/services/index.js';
import { skipping } from './skip.js';

const { onMainThread } = vi.hoisted(() => ({
  onMainThread: (what: string) => () => {
    throw new Error(`${what} ran on the lab's event loop`);
  },
}));
vi.mock('../app/common/packs/markdown.js', async (real) => ({ ...(await real<object>()), renderMarkdown: vi.fn(onMainThread('renderMarkdown')) }));
vi.mock('../app/common/packs/shape.js', () => ({ scenarioShape: vi.fn(onMainThread('parsing a predict scenario')) }));
vi.mock('../app/node/host/experiment.js', () => ({ simulateExperiment: vi.fn(onMainThread("the host experiment's simulation")), pssAll: vi.fn(onMainThread("reading every process's smaps_rollup")) }));
vi.mock('../app/node/host/proc.js', async (real) => ({ ...(await real<object>()), rollup: vi.fn(onMainThread('smaps_rollup of a process')) }));
vi.mock('../app/node/real/run.js', async (real) => ({ ...(await real<object>()), plan: vi.fn(onMainThread("a real run's simulator pass")), assess: vi.fn(onMainThread("a real run's simulator pass")) }));
vi.mock('../app/common/policy/index.js', async (real) => ({ ...(await real<object>()), runPolicy: vi.fn(onMainThread('a page replacement policy run')), sweep: vi.fn(onMainThread('a policy sweep')) }));
vi.mock('../app/common/kernel/index.js', async (real) => ({ ...(await real<object>()), parseScenario: vi.fn(onMainThread('parseScenario')), simulate: vi.fn(onMainThread('simulate')) }));

const ROOT = join(import.meta.dirname, '..');
let base: string;
let services: Services;
let h: Record<string, (p: unknown, c: CallContext) => Promise<any>>;
const ctx: CallContext = { clientId: 'offloaded', emit: () => {}, onClose: () => {} };

const manifest = (id: string, exercises: string[]) => `id: ${id}\ntitle: ${id}\nversion: 1.0.0\nauthors: [t]\nlicence: MIT\nmemlab: ">=0.1"\nchapters:\n  - id: c\n    title: c\n    exercises: [${exercises.join(', ')}]\n`;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'offloaded-'));
  services = createServices({ host: 'serve', dataDir: join(base, 'data'), appRoot: ROOT, log: () => {} });
  h = services.handlers as unknown as typeof h;
});
afterAll(async () => {
  await services.dispose();
  rmSync(base, { recursive: true, force: true });
});

describe('heavy work runs in worker threads, not on the event loop', () => {
  it('a wrong answer: its misconception (Markdown) and hints are rendered in a worker, inline', async () => {
    const dir = join(base, 'diag');
    mkdirSync(join(dir, 'scenarios'), { recursive: true });
    writeFileSync(join(dir, 'pack.yaml'), manifest('diag', ['n.md', 'p.md']));
    writeFileSync(join(dir, 'n.md'), '---\nid: n\ntitle: n\nkind: numeric\nanswer: { expr: "1", quantity: count }\nhints: ["A *hint*"]\nmisconceptions:\n  - { answer: 2, says: "Two is **the pages**, not the faults" }\nexplanation: x\n---\nOne?\n');
    writeFileSync(join(dir, 'scenarios', 's.yaml'), 'machine: { ram: 1GiB }\nprocesses:\n  - { name: a }\nsteps:\n  - { proc: a, malloc: 1MiB, as: b }\n  - { snapshot: mid }\n  - { proc: a, touch: b }\n  - { snapshot: end }\n');
    writeFileSync(join(dir, 'p.md'), '---\nid: p\ntitle: p\nkind: predict\nscenario: scenarios/s.yaml\nanswer: { expr: sim.mid.a.minflt, quantity: count, tolerance: "0" }\nexplanation: x\n---\nHow many?\n');
    expect((await h['pack.open']!({ path: dir }, ctx)).exercises).toBe(2);
    await h['exercise.hint']!({ packId: 'diag', exerciseId: 'n' }, ctx);
    const r = await h['exercise.answer']!({ packId: 'diag', exerciseId: 'n', answer: { value: '2' } }, ctx);
    expect(r.verdict).toBe('incorrect');
    // one paragraph shown inline: the HTML without its <p>
    expect(r.diagnosis).toBe('Two is <strong>the pages</strong>, not the faults');
    expect(r.exercise.hints).toEqual(['A <em>hint</em>']);
    expect(r.exercise.html).toBe('<p>One?</p>\n');
    // a predict exercise holds the simulator before the step its answer reads: the scenario was parsed in a worker
    const p = await h['exercise.get']!({ packId: 'diag', exerciseId: 'p' }, ctx);
    expect(p.simulator).toMatchObject({ until: 1 });
  }, 30_000);

  it.skipIf(skipping(!procAvailable().ok, 'host.experiment in a worker', 'no Linux /proc here'))('host.experiment simulates its half in a worker', async () => {
    await h['host.enable']!({ enabled: true }, ctx);
    const r = await h['host.experiment']!({ sizeMib: 2 }, ctx);
    // 2 MiB touched: 512 pages resident in the model (and the page of malloc's chunk header)
    expect(r.predicted.resGrowthKb).toBeGreaterThanOrEqual(2048);
    expect(r.predicted.resGrowthKb).toBeLessThanOrEqual(2048 + 8);
    expect(r.predicted.minflt).toBeGreaterThanOrEqual(512);
  }, 30_000);

  it.skipIf(skipping(!procAvailable().ok, 'host.pssAll in a worker', 'no Linux /proc here'))("host.pssAll reads every process's smaps_rollup in a worker (this process's among them)", async () => {
    await h['host.enable']!({ enabled: true }, ctx);
    const r = await h['host.pssAll']!({}, ctx);
    const mine = r.rows.find((x: { pid: number }) => x.pid === process.pid);
    expect(mine?.Pss).toBeGreaterThan(0);
  }, 30_000);

  it.skipIf(skipping(!procAvailable().ok, 'real.check in a worker', 'no Linux /proc here'))('real.check parses the scenario and makes its simulator pass in a worker; its errors keep file and line', async () => {
    const r = await h['real.check']!({ text: 'machine: { ram: 64MiB }\nprocesses:\n  - { name: a }\nsteps:\n  - { proc: a, malloc: 1MiB, as: b }\n  - { proc: a, touch: b }\n' }, ctx);
    expect(typeof r.runnable).toBe('boolean');
    if (!r.runnable) expect(r.why).not.toMatch(/event loop/);
    const bad = h['real.check']!({ text: 'machine: { ram: 64MiB }\nprocesses:\n  - { name: a }\nsteps:\n  - { proc: a, frobnicate: 1 }\n', fileName: 'bad.yaml' }, ctx);
    await expect(bad).rejects.toMatchObject({ code: 'invalid-input', where: { file: 'bad.yaml', line: 5 } });
  }, 30_000);

  it('policy.run and policy.sweep simulate the policies in a worker; their errors keep the field', async () => {
    const BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];
    const run = await h['policy.run']!({ policies: ['FIFO', 'LRU'], cacheSize: 3, addresses: BELADY }, ctx);
    expect(run.runs.map((r: { policy: string; totals: { hits: number } }) => [r.policy, r.totals.hits])).toEqual([
      ['FIFO', 3],
      ['LRU', 2],
    ]);
    const sw = await h['policy.sweep']!({ policies: ['FIFO'], from: 3, to: 4, addresses: BELADY }, ctx);
    // Belady's anomaly: FIFO hits 3 times with 3 frames, twice with 4
    expect(sw.anomalies).toEqual([{ policy: 'FIFO', cacheSize: 3, hits: 3, hitsWithMore: 2 }]);
    await expect(h['policy.run']!({ policies: ['NOPE'], cacheSize: 3, addresses: BELADY }, ctx)).rejects.toMatchObject({ code: 'invalid-input', where: { field: 'policy' } });
  }, 30_000);
});
