/**
 * `npm run bench`: every area's benchmarks in one run, printed as one table and written to
 * bench-results.json. Ratios are measured side by side in this same run, never against numbers
 * from another machine or day. `npm run bench -- kernel host` runs only those areas.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchModule, BenchRow } from './types.js';

const dir = import.meta.dirname;
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const areas = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'types.ts', 'soak.ts'].includes(f) && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((a) => only.length === 0 || only.includes(a))
  .sort();

const rows: BenchRow[] = [];
const failures: string[] = [];
for (const area of areas) {
  const t0 = performance.now();
  process.stderr.write(`bench: ${area}…\n`);
  try {
    const mod = (await import(pathToFileURL(join(dir, `${area}.ts`)).href)) as BenchModule;
    rows.push(...(await mod.run()));
    process.stderr.write(`bench: ${area} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    failures.push(`${area}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
const table = rows.map((r) => ({
  area: r.group,
  measure: r.name,
  value: `${fmt(r.value)} ${r.unit}`,
  ratio: r.ratio ? `${fmt(r.ratio.value)}x ${r.ratio.against}` : '',
  target: r.target ? `${r.target.met ? 'met' : 'MISSED'}: ${r.target.text}` : '',
}));
const widths = Object.keys(table[0] ?? { area: '' }).map((k) => Math.max(k.length, ...table.map((t) => String((t as Record<string, string>)[k]).length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
if (table.length) {
  console.log(line(Object.keys(table[0]!)));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const t of table) console.log(line(Object.values(t)));
}
const out = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memBytes: totalmem(), node: process.version },
  rows,
  failures,
};
const file = join(dir, '..', 'bench-results.json');
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`\nbench: ${rows.length} measurements, ${rows.filter((r) => r.target && !r.target.met).length} targets missed; written to ${file}`);
for (const f of failures) console.log(`bench: FAILED ${f}`);
if (!existsSync(join(dir, '..', 'build', 'renderer', 'index.html'))) console.log('bench: note: the renderer is not built; run npm run build for the renderer and serve figures');
process.exitCode = failures.length ? 1 : 0;
