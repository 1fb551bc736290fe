// The worker threads' code as one self-contained file (build/app/node/work/worker.bundle.js). The
// packaged app starts it from app.asar.unpacked (electron-builder.yml: asarUnpack), where plain
// Node can load it with every module it needs inside; `memlab serve` runs the same file from
// build/ (app/node/work/host.ts workerEntry). esbuild is a direct devDependency.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const WORKER_BUNDLE = 'build/app/node/work/worker.bundle.js';

/**
 * How the worker is bundled; the benches bundle what they time with the same options
 * (bench/_shipped.ts). A bundle turns every top-level const into a var, which V8 reloads from the
 * module's context at each use: hot loops read such constants from locals (app/common/policy/random.ts).
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS packages inside call require(): give the ES module one
  banner: { js: "import { createRequire as __memlabRequire } from 'node:module'; const require = __memlabRequire(import.meta.url);" },
  logLevel: 'warning',
};

/** bundle app/node/work/worker.ts (from the sources) to `outfile` */
export async function bundleWorker(outfile = join(root, WORKER_BUNDLE)) {
  const { build } = await import('esbuild');
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, 'app', 'node', 'work', 'worker.ts')], outfile });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleWorker(process.argv[2]);
