/**
 * Worker threads in the packaged app (issue 14). electron-builder packs the app into app.asar,
 * which only Electron's patched fs reads; a worker thread is plain Node. This packs the app's
 * files with @electron/asar using electron-builder.yml's own `files` and `asarUnpack` globs, then
 * starts the worker pool the way the packaged app's app/node/work/host.js would from inside
 * resources/app.asar: the entry it computes must be the bundle left unpacked beside the archive,
 * and that bundle must load and work with nothing but the unpacked layout around it (no
 * node_modules, no sources). Without the Electron binary this is as close as it gets: Electron's
 * own worker would load the same file from the same place.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPackageWithOptions, listPackage } from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error: a plain .mjs build script
import { bundleWorker, WORKER_BUNDLE } from '../scripts/bundle-worker.mjs';
import { WorkerPool, workerEntry } from '../app/node/work/host.js';
import { DEFAULT_WORK_LIMITS } from '../app/node/work/limits.js';
import { realAsset } from '../app/node/real/toolchain.js';

const ROOT = join(import.meta.dirname, '..');
const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as { asarUnpack: string[]; files: string[] };
let work: string;
let resources: string;
let pool: WorkerPool | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'memlab-asar-'));
  // what electron-builder would take: package.json, the worker bundle, the exercises
  const app = join(work, 'app');
  mkdirSync(app);
  cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  cpSync(join(ROOT, 'exercises'), join(app, 'exercises'), { recursive: true });
  await bundleWorker(join(app, WORKER_BUNDLE));
  // and the real runs' executors, which the build copies beside toolchain.js
  mkdirSync(join(app, 'build', 'app', 'node', 'real'), { recursive: true });
  for (const f of ['executor.c', 'executor.py']) cpSync(join(ROOT, 'app', 'node', 'real', f), join(app, 'build', 'app', 'node', 'real', f));
  resources = join(work, 'resources');
  mkdirSync(resources);
  // electron-builder's globs are relative to the app folder; @electron/asar matches absolute paths
  await createPackageWithOptions(app, join(resources, 'app.asar'), { unpack: `{${config.asarUnpack.map((g) => join(app, g)).join(',')}}` });
  rmSync(app, { recursive: true, force: true });
}, 60_000);

afterAll(() => {
  pool?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('the worker pool from a packed app.asar', () => {
  it('packs the worker bundle (a .js the files globs take) and leaves it unpacked beside the archive', () => {
    expect(config.files).toContain('build/app/**/*.js');
    const listed = listPackage(join(resources, 'app.asar'), { isPack: true });
    expect(listed.some((l) => l.includes('unpack') && l.endsWith(join('build', 'app', 'node', 'work', 'worker.bundle.js')))).toBe(true);
    expect(existsSync(join(resources, 'app.asar.unpacked', WORKER_BUNDLE))).toBe(true);
    expect(existsSync(join(resources, 'app.asar.unpacked', 'package.json'))).toBe(true);
    // the bundle holds its modules: it imports nothing but Node's own
    const code = readFileSync(join(resources, 'app.asar.unpacked', WORKER_BUNDLE), 'utf8');
    const imports = [...code.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
    expect(imports.filter((s) => !s.startsWith('node:') && !['fs', 'path', 'os', 'url', 'module', 'worker_threads', 'crypto', 'child_process', 'net', 'events', 'util', 'stream', 'buffer'].includes(s))).toEqual([]);
  });

  it('packs the real runs\' executors and leaves them unpacked, where toolchain.js inside app.asar looks for them', () => {
    const listed = listPackage(join(resources, 'app.asar'), { isPack: true });
    const toolchainJs = pathToFileURL(join(resources, 'app.asar', 'build', 'app', 'node', 'real', 'toolchain.js')).href;
    for (const f of ['executor.c', 'executor.py']) {
      // electron-builder takes the file (files globs) and leaves it outside the archive (asarUnpack)
      expect(config.files.some((g) => g === `build/app/node/real/${f}`)).toBe(true);
      expect(listed.some((l) => l.includes('unpack') && l.endsWith(join('build', 'app', 'node', 'real', f)))).toBe(true);
      const path = realAsset(toolchainJs, f);
      expect(path).toBe(join(resources, 'app.asar.unpacked', 'build', 'app', 'node', 'real', f));
      expect(readFileSync(path, 'utf8')).toBe(readFileSync(join(ROOT, 'app', 'node', 'real', f), 'utf8'));
    }
  });

  it('host.js in build/ starts the bundle beside it (what the packaged app runs), worker.js only where there is none', () => {
    const dir = join(work, 'plain', 'build', 'app', 'node', 'work');
    mkdirSync(dir, { recursive: true });
    const hostJs = pathToFileURL(join(dir, 'host.js')).href;
    expect(workerEntry(hostJs)).toEqual({ kind: 'js', url: new URL('./worker.js', hostJs) });
    cpSync(join(resources, 'app.asar.unpacked', WORKER_BUNDLE), join(dir, 'worker.bundle.js'));
    expect(workerEntry(hostJs)).toEqual({ kind: 'bundle', url: new URL('./worker.bundle.js', hostJs) });
  });

  it('host.js inside app.asar starts the unpacked bundle, rooted at the unpacked app, and it works', async () => {
    const hostJs = join(resources, 'app.asar', 'build', 'app', 'node', 'work', 'host.js');
    const entry = workerEntry(pathToFileURL(hostJs).href);
    expect(entry.kind).toBe('bundle');
    expect(entry.url.href).toBe(pathToFileURL(join(resources, 'app.asar.unpacked', WORKER_BUNDLE)).href);
    expect(entry.appRoot!(join(resources, 'app.asar'))).toBe(join(resources, 'app.asar.unpacked'));
    const limits = { ...DEFAULT_WORK_LIMITS, poolWorkers: 1 };
    pool = new WorkerPool({ appRoot: join(resources, 'app.asar'), dataDir: join(work, 'data'), host: 'electron', arrayMiB: limits.arrayMiB }, limits, () => {}, entry);
    const opts = { seconds: 30, what: 'this', advice: 'a test' };
    expect(await pool.run('ping', {}, opts)).toBe('pong');
    // a built-in scenario, read from the unpacked exercises, simulated
    const loaded = await pool.run<{ sessionId: string; stepCount: number }>('sim', { method: 'sim.load', params: { scenarioId: 'fork-cow' } }, opts);
    expect(loaded.stepCount).toBeGreaterThan(3);
    // Markdown and a pack built (its memlab version read from the unpacked package.json)
    expect(await pool.run('markdown', { items: [{ text: '**bold**', packId: 'p', baseDir: '', inline: true }] }, opts)).toEqual(['<strong>bold</strong>']);
    const manifest = 'id: tiny\ntitle: tiny\nversion: 1.0.0\nauthors: [t]\nlicence: MIT\nmemlab: ">=0.1"\nchapters:\n  - id: c\n    title: c\n    exercises: [q.md]\n';
    const q = '---\nid: q\ntitle: q\nkind: numeric\nanswer: { expr: "1", quantity: count }\nexplanation: x\n---\nOne?\n';
    const built = await pool.run<{ id: string; problems: unknown[] }>('buildPack', { source: 'tiny', files: new Map([['pack.yaml', Buffer.from(manifest)], ['q.md', Buffer.from(q)]]) }, opts);
    expect(built.problems).toEqual([]);
    expect(built.id).toBe('tiny');
  }, 60_000);
});
