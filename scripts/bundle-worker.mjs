// The worker threads' code as one self-contained file (build/app/node/work/worker.bundle.js), for
// the packaged app: electron-builder packs the app into app.asar, and a worker thread is started
// from app.asar.unpacked (electron-builder.yml: asarUnpack) where plain Node can load it, with
// every module it needs inside, so nothing has to be resolved from inside the archive.
// esbuild comes with tsx and vite (it is not a direct dependency of its own).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const WORKER_BUNDLE = 'build/app/node/work/worker.bundle.js';

/** bundle app/node/work/worker.ts (from the sources) to `outfile` */
export async function bundleWorker(outfile = join(root, WORKER_BUNDLE)) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'app', 'node', 'work', 'worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // CommonJS packages inside call require(): give the ES module one
    banner: { js: "import { createRequire as __memlabRequire } from 'node:module'; const require = __memlabRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleWorker(process.argv[2]);
