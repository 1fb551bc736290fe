/**
 * Author mode as the hosts run it (createServices: pack parsing and simulations in worker threads,
 * this thread forbidden to simulate) reports exactly what `memlab pack check` reports on the same
 * folder: the same problems, the same count (issue 15). Its own file: createServices replaces
 * this thread's report computer for the whole process.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallContext } from '../../app/common/api/dispatch.js';
import { parseScenario, simulate } from '../../app/common/kernel/index.js';
import type { PackProblem } from '../../app/common/packs/parse.js';
import { setReportComputer } from '../../app/common/packs/checkers.js';
import { checkPack } from '../../app/node/packs/check.js';
import { loadPack } from '../../app/node/packs/loader.js';
import { createServices, type Services } from '../../app/node/services/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
let services: Services | undefined;
afterAll(async () => services?.dispose());

/** pack check as the command line runs it: in a thread that simulates (this one, given its simulator back) */
function packCheck(dir: string): Promise<PackProblem[]> {
  setReportComputer((text) => simulate(parseScenario(text)));
  return loadPack(dir).then((p) => checkPack(p));
}

describe('author mode behind worker threads', () => {
  it('reports the problems pack check reports, on a clean pack and after a mistake is saved', async () => {
    const base = mkdtempSync(join(tmpdir(), 'author-workers-'));
    const dir = join(base, 'docs-pack');
    cpSync(join(ROOT, 'test', 'packs', 'docs-pack'), dir, { recursive: true });
    services = createServices({ host: 'serve', dataDir: join(base, 'data'), appRoot: ROOT, log: () => {} });
    const h = services.handlers as unknown as Record<string, (p: unknown, c: CallContext) => Promise<any>>;
    const events: Array<{ exercises: number; problems: PackProblem[] }> = [];
    const ctx: CallContext = { clientId: 'author', emit: (event, data) => void (event === 'pack.changed' && events.push(data as never)), onClose: () => {} };
    const { id: packId } = await h['pack.open']!({ path: dir }, ctx);
    // the first check is reported before pack.watch answers
    expect(await h['pack.watch']!({ packId, watch: true }, ctx)).toEqual({ watching: true });
    expect(events).toHaveLength(1);
    const clean = await packCheck(dir);
    expect(clean).toEqual([]);
    expect(events[0]).toEqual({ packId, exercises: 3, problems: clean });

    // a /proc size written with a unit where the field already has one: pack check reports it, and so must author mode
    const pred = join(dir, 'predict-pages.md');
    const next = new Promise<void>((resolve) => {
      const t = setInterval(() => events.length > 1 && (clearInterval(t), resolve()), 20);
    });
    writeFileSync(pred, readFileSync(pred, 'utf8').replace('(sim.after-touch.a.out.VmRSS - sim.after-malloc.a.out.VmRSS) / 4 KiB', 'sim.after-touch.a.out.VmRSS MiB - sim.after-malloc.a.out.VmRSS'));
    await next;
    const broken = await packCheck(dir);
    expect(broken.length).toBeGreaterThan(0);
    expect(events.at(-1)).toEqual({ packId, exercises: 3, problems: broken });
    expect(await h['pack.watch']!({ packId, watch: false }, ctx)).toEqual({ watching: false });
  }, 60_000);
});
