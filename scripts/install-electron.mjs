// postinstall: fetch the Electron binary where the network allows; where it does not (offline
// classrooms, CI, this project's build machines), say so in one line and go on: `npm start`
// then serves the lab in a browser. npm 11 does not run electron's own install script (it is
// not in package.json allowScripts), so this is the one place that tries.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'node_modules', 'electron');

function present() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return true;
  const pathTxt = join(pkg, 'path.txt');
  return existsSync(pathTxt) && existsSync(join(pkg, 'dist', readFileSync(pathTxt, 'utf8').trim()));
}

if (!existsSync(join(pkg, 'install.js'))) {
  // production install without devDependencies: nothing to fetch
} else if (present()) {
  // already there (or a local copy is named by ELECTRON_OVERRIDE_DIST_PATH)
} else if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('memlab: ELECTRON_SKIP_BINARY_DOWNLOAD is set, so the Electron binary is not fetched; `npm start` will serve the lab in a browser.');
} else {
  const r = spawnSync(process.execPath, [join(pkg, 'install.js')], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
  if (r.status === 0 && present()) {
    console.log('memlab: fetched the Electron binary.');
  } else {
    const why = (r.error?.message ?? r.stderr ?? '').split('\n').map((l) => l.trim()).find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONN|timed out|403|404/i.test(l)) ?? `exit ${r.status}`;
    console.log(`memlab: could not fetch the Electron binary (${why.slice(0, 160)}); \`npm start\` will serve the lab in a browser instead.`);
  }
}
