/** Where memlab's own files are, whether run from build/ (compiled) or app/ (tsx, tests). */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The folder holding memlab's package.json. */
export function appRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'memlab') return (cachedRoot = dir);
      } catch {
        /* keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find memlab package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function rendererDir(root = appRoot()): string {
  return join(root, 'build', 'renderer');
}

/**
 * The user data directory, shared by `memlab serve` and the Electron app so a learner's
 * progress is the same in both: $XDG_CONFIG_HOME/memlab (Electron's userData on Linux),
 * ~/Library/Application Support/memlab on macOS, %APPDATA%\memlab on Windows.
 */
export function defaultDataDir(): string {
  if (process.env.MEMLAB_DATA_DIR) return resolve(process.env.MEMLAB_DATA_DIR);
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'memlab');
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'memlab');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'memlab');
}
