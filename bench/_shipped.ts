/**
 * Code as it ships, for the benchmarks. The simulator and the policies run in the lab's worker,
 * which `npm run build` bundles with esbuild (scripts/bundle-worker.mjs): const enums are
 * inlined there. tsx, which runs the benches from the sources, transforms file by file and leaves
 * every `PG.Referenced` a property load, about a third slower on the kernel's hot paths. So the
 * benches import the modules they time through the same bundler with the same options
 * (scripts/bundle-worker.mjs BUNDLE_OPTIONS).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildOptions } from 'esbuild';
// @ts-expect-error: a plain .mjs build script
import { BUNDLE_OPTIONS } from '../scripts/bundle-worker.mjs';

const root = join(import.meta.dirname, '..');

/** Bundle `exports` (module → names) into one ES module as the worker bundle is built, and import it. */
export async function shipped<T>(exports: Record<string, string[]>): Promise<T> {
  const { build } = await import('esbuild');
  const contents = Object.entries(exports)
    .map(([file, names]) => `export { ${names.join(', ')} } from ${JSON.stringify(join(root, file))};`)
    .join('\n');
  const out = await build({
    ...(BUNDLE_OPTIONS as BuildOptions),
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'bench-entry.ts' },
    write: false,
  });
  const file = join(mkdtempSync(join(tmpdir(), 'memlab-bench-')), 'shipped.mjs');
  writeFileSync(file, out.outputFiles[0]!.text);
  return (await import(pathToFileURL(file).href)) as T;
}

/** A full garbage collection, so each timed run starts from the same heap (and the memory of the last run's typed arrays is free to reuse): the worker's own (app/node/work/gc.ts). */
export async function fullGc(): Promise<() => void> {
  return (await import('../app/node/work/gc.js')).fullGc();
}
