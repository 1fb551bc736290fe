/**
 * Is there an Electron binary to run? Never `require('electron')` to find out: in recent
 * Electron that starts a download. Look where electron's installer leaves it instead:
 * node_modules/electron/path.txt naming a file under node_modules/electron/dist/, or a copy an
 * offline classroom already has, named by ELECTRON_OVERRIDE_DIST_PATH.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ElectronBinary = { ok: true; path: string } | { ok: false; reason: string };

const PLATFORM_EXE: Record<string, string> = {
  linux: 'electron',
  darwin: 'Electron.app/Contents/MacOS/Electron',
  win32: 'electron.exe',
};

export function findElectronBinary(root: string, env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const exe = join(override, PLATFORM_EXE[process.platform] ?? 'electron');
    return existsSync(exe)
      ? { ok: true, path: exe }
      : { ok: false, reason: `ELECTRON_OVERRIDE_DIST_PATH=${override} has no ${PLATFORM_EXE[process.platform] ?? 'electron'}` };
  }
  const pkgDir = join(root, 'node_modules', 'electron');
  if (!existsSync(pkgDir)) return { ok: false, reason: 'the electron package is not installed (run npm install)' };
  const pathTxt = join(pkgDir, 'path.txt');
  if (!existsSync(pathTxt)) {
    return {
      ok: false,
      reason: 'the Electron binary was never downloaded (no node_modules/electron/path.txt); set ELECTRON_OVERRIDE_DIST_PATH to a local copy, or run npm install where the network allows',
    };
  }
  const exe = join(pkgDir, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(exe) ? { ok: true, path: exe } : { ok: false, reason: `node_modules/electron/path.txt names ${exe}, which is missing` };
}
