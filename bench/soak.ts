/**
 * `npm run soak -- --minutes N`: the main-process services under continuous use — every
 * built-in scenario simulated over and over through the LabApi, the host panel sampling /proc at
 * 1 Hz — printing heap and RSS over time and the slope of each (a leak shows as a steady climb).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type CallContext, createDispatcher } from '../app/common/api/dispatch.js';
import { isMethodName } from '../app/common/api/index.js';
import { appRoot } from '../app/node/paths.js';
import { createServices } from '../app/node/services/index.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, every: { type: 'string', default: '15' } } });
const minutes = Number(values.minutes);
const everyS = Number(values.every);
if (!(minutes > 0) || !(everyS > 0)) {
  console.error('soak: --minutes and --every (seconds between samples) must be positive numbers');
  process.exit(2);
}

const services = createServices({ host: 'serve', dataDir: mkdtempSync(join(tmpdir(), 'memlab-soak-')), appRoot: appRoot(), log: () => {} });
const dispatcher = createDispatcher(services.handlers, () => {});
const events = { count: 0 };
const closers: Array<() => void> = [];
const ctx: CallContext = { clientId: 'soak', emit: () => void events.count++, onClose: (fn) => closers.push(fn) };
let id = 1;
async function call(method: string, params: unknown): Promise<any> {
  if (!isMethodName(method)) return undefined;
  const r = await dispatcher.handle({ v: 1, id: id++, method, params }, ctx);
  if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
  return r.result;
}

// the host panel, sampling at 1 Hz, as a learner who turned it on would have it
let hostOn = false;
try {
  hostOn = !!(await call('host.enable', { enabled: true }))?.enabled;
} catch (err) {
  console.log(`soak: host panel not sampling (${(err as Error).message})`);
}

const scenarios: Array<{ id: string }> = ((await call('sim.listScenarios', {}).catch(() => undefined)) as any)?.scenarios ?? [];
console.log(`soak: ${minutes} min; ${scenarios.length} built-in scenarios in rotation; host panel ${hostOn ? 'sampling at 1 Hz' : 'off'}`);
console.log('t_s\theap_MiB\trss_MiB\truns\tevents');

const samples: Array<{ t: number; heap: number; rss: number }> = [];
const start = Date.now();
const end = start + minutes * 60_000;
let runs = 0;
let lastPanel = 0;
let nextSample = start;
const MiB = 1024 * 1024;
while (Date.now() < end) {
  for (const s of scenarios) {
    await call('sim.run', { scenarioId: s.id, seed: runs });
    runs++;
    await new Promise((r) => setImmediate(r));
    if (Date.now() >= nextSample) break;
  }
  if (scenarios.length === 0) await new Promise((r) => setTimeout(r, 200));
  // what the panel's view asks for while it is open
  if (hostOn && Date.now() - lastPanel >= 1000) {
    lastPanel = Date.now();
    await call('host.processes', {});
    await call('host.system', {});
  }
  if (Date.now() >= nextSample) {
    // measure what is retained, not where the collector happens to be in its cycle
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    const t = (Date.now() - start) / 1000;
    samples.push({ t, heap: m.heapUsed / MiB, rss: m.rss / MiB });
    console.log(`${t.toFixed(0)}\t${(m.heapUsed / MiB).toFixed(1)}\t${(m.rss / MiB).toFixed(1)}\t${runs}\t${events.count}`);
    nextSample += everyS * 1000;
  }
}

/** least-squares slope, in MiB per minute, over the second half (after warm-up) */
function slope(key: 'heap' | 'rss'): number {
  const pts = samples.slice(Math.floor(samples.length / 2));
  const n = pts.length;
  if (n < 2) return 0;
  const mx = pts.reduce((a, p) => a + p.t, 0) / n;
  const my = pts.reduce((a, p) => a + p[key], 0) / n;
  const num = pts.reduce((a, p) => a + (p.t - mx) * (p[key] - my), 0);
  const den = pts.reduce((a, p) => a + (p.t - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}
console.log(`soak: ${runs} scenario runs, ${events.count} events; slope over the second half: heap ${slope('heap').toFixed(3)} MiB/min, RSS ${slope('rss').toFixed(3)} MiB/min`);
for (const c of closers) c();
if (hostOn) await call('host.enable', { enabled: false }).catch(() => {});
await services.dispose();
process.exit(0);
