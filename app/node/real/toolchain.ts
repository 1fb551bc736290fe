/**
 * Which real executor this machine can run: the C one (shipped as source, compiled at first use
 * with the system's cc into the data directory, cached by a hash of the source), else the Python 3
 * ctypes one, else a message saying what to install.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Executor {
  kind: 'c' | 'python';
  /** the program and the arguments before SOCKET NAME */
  argv: string[];
  /** how it came to be (compiled now, from the cache, Python because …) */
  note: string;
}

export class ExecutorUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorUnavailable';
  }
}

/**
 * An executor's source beside the module at `moduleUrl`. In the packaged app that module is
 * inside app.asar, which a compiler or python3 cannot read: electron-builder leaves the sources
 * unpacked beside the archive (electron-builder.yml asarUnpack), and they are read from there.
 */
export function realAsset(moduleUrl: string, name: string): string {
  return fileURLToPath(new URL(`./${name}`, moduleUrl)).replace(/\.asar(?=[/\\])/, '.asar.unpacked');
}
export const executorSource = (): string => realAsset(import.meta.url, 'executor.c');
export const pythonSource = (): string => realAsset(import.meta.url, 'executor.py');

/** the first executable called `name` on PATH */
export function which(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

export interface FindOptions {
  dataDir: string;
  /** PATH to search (tests hide the compiler by passing a PATH without it) */
  path?: string;
  /** force one kind */
  prefer?: 'c' | 'python';
}

export function findExecutor(o: FindOptions): Executor {
  const path = o.path ?? process.env.PATH ?? '';
  const why: string[] = [];
  if (o.prefer !== 'python') {
    const src = executorSource();
    if (!existsSync(src)) why.push(`the executor's source is missing (${src})`);
    else {
      const text = readFileSync(src);
      const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
      const dir = join(o.dataDir, 'real');
      const bin = join(dir, `executor-${hash}`);
      if (existsSync(bin)) return { kind: 'c', argv: [bin], note: `compiled executor from the cache (${bin})` };
      const cc = which('cc', path) ?? which('gcc', path) ?? which('clang', path);
      if (!cc) why.push('no C compiler (cc, gcc or clang) on PATH');
      else {
        mkdirSync(dir, { recursive: true });
        const tmp = `${bin}.${process.pid}.tmp`;
        const r = spawnSync(cc, ['-O1', '-o', tmp, src], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PATH: path } });
        if (r.status === 0) {
          renameSync(tmp, bin);
          return { kind: 'c', argv: [bin], note: `compiled ${src} with ${cc} into ${bin}` };
        }
        rmSync(tmp, { force: true });
        why.push(`${cc} could not compile the executor: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 3).join(' ')}`);
      }
    }
  }
  if (o.prefer !== 'c') {
    const py = which('python3', path);
    const script = pythonSource();
    if (py && existsSync(script)) {
      const ok = spawnSync(py, ['-c', 'import ctypes, ctypes.util; ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc'], { timeout: 10_000, stdio: 'ignore', env: { ...process.env, PATH: path } });
      if (ok.status === 0) return { kind: 'python', argv: [py, '-S', '-u', script], note: `Python 3 ctypes executor (${why.join('; ') || 'asked for'})` };
      why.push(`${py} cannot load libc through ctypes`);
    } else why.push(py ? `the Python executor is missing (${script})` : 'no python3 on PATH');
  }
  throw new ExecutorUnavailable(
    `cannot run scenarios for real here: ${why.join('; ')}. Install a C compiler (Debian/Ubuntu: sudo apt install gcc; Fedora: sudo dnf install gcc; Arch: sudo pacman -S gcc) or Python 3 (python3), then try again.`,
  );
}
