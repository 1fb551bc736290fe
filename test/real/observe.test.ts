/**
 * An observe exercise over a scenario: the learner predicts, runs the scenario for real, and the
 * answer is checked against the kernel's run (the answer's expression read over it); without a
 * run, against the simulator's value.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CallContext } from '../../app/common/api/dispatch.js';
import type { RealReport } from '../../app/common/api/real.js';
import { run as pack } from '../../app/cli/pack.js';
import { createPackServices } from '../../app/node/services/packs.js';
import { createRealServices } from '../../app/node/services/real.js';
import { COMPILER, pathWithout } from './paths.js';
import { skipping } from '../skip.js';

const appRoot = join(import.meta.dirname, '..', '..');
const base = mkdtempSync(join(tmpdir(), 'memlab-observe-real-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const OBSERVE = `---
id: observe
title: Copy-on-write faults, measured
kind: observe
probe: scenario
scenario: builtin:fork-cow
answer: { expr: "sim.child-wrote.child.minflt - sim.after-fork.child.minflt", quantity: count, tolerance: "0" }
explanation: Each page the child writes is copied on its first write, one minor fault per page.
---
The child writes 16 MiB of the buffer it shares with its parent. How many minor faults does that take?
`;

// the C executor, and the Python one with every C compiler hidden from the server's PATH
const EXECUTORS = [
  { kind: 'c', PATH: process.env.PATH ?? '' },
  { kind: 'python', PATH: pathWithout(join(base, 'no-cc'), COMPILER) },
];

describe.skipIf(skipping(process.platform !== 'linux', 'observe over a scenario', 'runs scenarios on a Linux kernel'))('observe over a scenario', () => {
  const savedPath = process.env.PATH;
  afterEach(() => void (process.env.PATH = savedPath));
  it.each(EXECUTORS)('checks against the kernel\'s run when the learner ran it, else against the simulator (and says which): $kind executor', async ({ kind, PATH }) => {
    process.env.PATH = PATH;
    const dir = join(base, `p-${kind}`);
    const write = process.stdout.write;
    process.stdout.write = () => true;
    await pack(['new', dir]);
    process.stdout.write = write;
    writeFileSync(join(dir, 'observe.md'), OBSERVE);
    const deps = { host: 'serve' as const, dataDir: join(base, `data-${kind}`), appRoot, log: () => {} };
    const packs = createPackServices(deps);
    const real = createRealServices(deps, packs.scenarios);
    const events: Array<{ event: string; data: unknown }> = [];
    const ctx: CallContext = { clientId: 'c1', emit: (event, data) => events.push({ event, data }), onClose: () => {} };
    const { id: packId } = await packs.handlers['pack.open']({ path: dir }, ctx);
    const view = await packs.handlers['exercise.get']({ packId, exerciseId: 'observe' }, ctx);
    expect(view.widget).toMatchObject({ kind: 'observe', probe: 'scenario', scenario: 'builtin:fork-cow' });

    // not run: the simulator's 4097
    const simOnly = await packs.handlers['exercise.answer']({ packId, exerciseId: 'observe', answer: { value: '4098' } }, ctx);
    expect(simOnly.verdict).toBe('incorrect');

    // run for real, then the kernel's count is the answer
    expect(await real.handlers['real.check']({ scenarioId: 'fork-cow' }, ctx)).toMatchObject({ runnable: true, executor: kind });
    const { runId } = await real.handlers['real.start']({ scenarioId: 'fork-cow' }, ctx);
    await expect.poll(() => events.some((e) => e.event === 'real.done'), { timeout: 60_000 }).toBe(true);
    const steps = events.filter((e) => e.event === 'real.step').map((e) => (e.data as { record: RealReport['steps'][number] }).record);
    const at = (label: string) => steps.find((s) => s.text.includes(`“${label}”`))!.real.processes.child!.minflt as number;
    const measured = at('child-wrote') - at('after-fork');
    expect(Math.abs(measured - 4097) / 4097).toBeLessThanOrEqual(0.01);
    const live = await packs.handlers['exercise.answer']({ packId, exerciseId: 'observe', answer: { value: String(measured + 1) }, realRunId: runId }, ctx);
    expect(live.verdict).toBe('incorrect');
    const right = await packs.handlers['exercise.answer']({ packId, exerciseId: 'observe', answer: { value: String(measured) }, realRunId: runId }, ctx);
    expect(right.verdict).toBe('correct');
    // another client cannot borrow the run
    const other = await packs.handlers['exercise.answer']({ packId, exerciseId: 'observe', answer: { value: String(measured) }, realRunId: runId }, { ...ctx, clientId: 'c2' });
    expect(other.verdict).toBe(measured === 4097 ? 'correct' : 'incorrect');
    await real.dispose();
  }, 90_000);
});
