// Build everything `memlab` runs: the app (tsc → build/app) and the renderer (vite → build/renderer).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function step(label, cmd, args) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${label} failed`);
    process.exit(r.status ?? 1);
  }
  console.log(`build: ${label} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

step('app (tsc)', bin('tsc'), ['-p', 'app/tsconfig.json']);
// files the app ships beside its JavaScript: the real executor's sources (compiled or run at first use)
import { cpSync } from 'node:fs';
for (const f of ['executor.c', 'executor.py']) cpSync(join(root, 'app', 'node', 'real', f), join(root, 'build', 'app', 'node', 'real', f));

// the worker threads' code in one file, unpacked beside app.asar in the packaged app (electron-builder.yml)
step('worker bundle (esbuild)', process.execPath, [join(root, 'scripts', 'bundle-worker.mjs')]);

step('renderer (vite)', bin('vite'), ['build', '--logLevel', 'warn']);

// a stamp for `npm start` to tell whether the build is older than the sources
import { writeFileSync } from 'node:fs';
writeFileSync(join(root, 'build', '.stamp'), new Date().toISOString() + '\n');
