/**
 * PATHs that hide tools from the real-run code, so the tests truly take the paths a machine without
 * them takes: a directory of symlinks to every program on this PATH but the hidden ones.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll } from 'vitest';

/** C compilers by every name a findExecutor could look for (cc, gcc, clang, gcc-12, x86_64-linux-gnu-gcc, …) */
export const COMPILER = /(^|-)(cc|gcc|clang|tcc|c89|c99|c\+\+|g\+\+|clang\+\+)(-[\d.]+)?$/;

/** a PATH (one directory) with every program of `path` but those `hide` matches */
export function pathWithout(dir: string, hide: RegExp, path = process.env.PATH ?? ''): string {
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  // python3 itself, not a version manager's shim that would look for the real one on PATH again
  const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout?.trim();
  if (python && !hide.test('python3')) {
    symlinkSync(realpathSync(python), join(dir, 'python3'));
    seen.add('python3');
  }
  for (const d of path.split(delimiter)) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name) || hide.test(name)) continue;
      try {
        if (!statSync(join(d, name)).isFile()) continue;
      } catch {
        continue;
      }
      seen.add(name);
      symlinkSync(join(d, name), join(dir, name));
    }
  }
  return dir;
}

/** A temp folder removed after the file's tests, and a fresh data dir in it per call (each run its own). */
export function scratch(prefix: string): { tmp: string; freshDataDir: () => string } {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  return {
    tmp,
    freshDataDir: () => {
      const d = join(tmp, `data-${++n}`);
      mkdirSync(d);
      return d;
    },
  };
}
