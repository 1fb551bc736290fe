// `npm start`: build if the sources changed, then open the Electron app where its binary is
// present; where it is not, say why in one line and serve the lab on 127.0.0.1 instead.
// Extra arguments go to `memlab serve` (e.g. `npm start -- --port 8080`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (!/\.test\.ts$/.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const stamp = join(root, 'build', '.stamp');
const stale =
  !existsSync(stamp) ||
  !existsSync(join(root, 'build', 'renderer', 'index.html')) ||
  Math.max(newest(join(root, 'app')), newest(join(root, 'renderer'))) > statSync(stamp).mtimeMs;
if (stale) {
  console.log('memlab: building…');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const { findElectronBinary } = await import(pathToFileURL(join(root, 'build', 'app', 'node', 'electron-binary.js')).href);
const electron = findElectronBinary(root);
const forward = (child) => {
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
};
if (electron.ok && !process.argv.includes('--serve')) {
  forward(spawn(electron.path, [root], { cwd: root, stdio: 'inherit' }));
} else {
  if (!electron.ok) console.log(`memlab: no Electron window: ${electron.reason}; serving the lab in your browser instead.`);
  const args = process.argv.slice(2).filter((a) => a !== '--serve');
  forward(spawn(process.execPath, [join(root, 'bin', 'memlab.js'), 'serve', ...args], { cwd: root, stdio: 'inherit' }));
}
