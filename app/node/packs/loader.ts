/**
 * Loading a pack from a folder or a `.memlab` zip, safely: entries may not escape the pack (no
 * '..', no absolute paths), links are refused, size and file count are limited. A pack with
 * errors still loads: its valid exercises work and each problem names file, line and field.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { didYouMean } from '../../common/packs/suggest.js';
import yauzl from 'yauzl';
import { appRoot } from '../paths.js';
import { MAX_MARKDOWN_BYTES, MAX_YAML_BYTES, yamlTooHeavy } from '../../common/packs/limits.js';
import { type LineOf, parseExerciseFile, parseManifest, type PackProblem } from '../../common/packs/parse.js';
import type { Exercise, PackManifest } from '../../common/packs/schema.js';

export const LIMITS = { maxFiles: 500, maxTotalBytes: 50 * 1024 * 1024, maxFileBytes: 10 * 1024 * 1024 };

export interface LoadedExercise {
  exercise: Exercise;
  prose: string;
  /** path inside the pack */
  file: string;
  chapter: string;
  /** the line of a front-matter field, for errors found later (pack check) */
  lineOf: LineOf;
}

export interface Pack {
  id: string;
  manifest?: PackManifest;
  /** where it came from: a folder or a .memlab file */
  source: string;
  files: Map<string, Buffer>;
  exercises: Map<string, LoadedExercise>;
  problems: PackProblem[];
}

export class PackRefused extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'PackRefused';
  }
}

/**
 * A YAML or Markdown file too big to parse quickly is not read (nor inflated) at all: it stands in
 * the pack as this marker, and buildPack reports it, with its size, as a problem.
 */
const OVERSIZE = '\u0000memlab-not-read:';
function parseCap(name: string): number | undefined {
  if (/\.ya?ml$/i.test(name)) return MAX_YAML_BYTES;
  if (/\.md$/i.test(name)) return MAX_YAML_BYTES + MAX_MARKDOWN_BYTES;
  return undefined;
}
function oversize(name: string, size: number): Buffer | undefined {
  const cap = parseCap(name);
  return cap !== undefined && size > cap ? Buffer.from(`${OVERSIZE}${size}:${cap}`) : undefined;
}

function safeName(name: string): boolean {
  if (!name || name.startsWith('/') || name.includes('\\') || /^[A-Za-z]:/.test(name)) return false;
  return !name.split('/').some((p) => p === '..');
}

export function readFolder(dir: string): Map<string, Buffer> {
  const root = realpathSync(dir);
  const files = new Map<string, Buffer>();
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(root, p).split(sep).join('/');
      const st = lstatSync(p);
      if (st.isSymbolicLink()) throw new PackRefused(`links are not allowed in a pack: ${rel}`, rel);
      if (st.isDirectory()) {
        if (!e.name.startsWith('.')) walk(p);
        continue;
      }
      if (!st.isFile() || e.name.startsWith('.')) continue;
      if (files.size >= LIMITS.maxFiles) throw new PackRefused(`a pack may hold at most ${LIMITS.maxFiles} files`);
      if (st.size > LIMITS.maxFileBytes) throw new PackRefused(`${rel} is larger than ${LIMITS.maxFileBytes / 1048576} MiB`, rel);
      const skipped = oversize(rel, st.size);
      if (skipped) {
        files.set(rel, skipped);
        continue;
      }
      total += st.size;
      if (total > LIMITS.maxTotalBytes) throw new PackRefused(`a pack may be at most ${LIMITS.maxTotalBytes / 1048576} MiB`);
      // opened as a regular file only (a FIFO swapped in after the lstat is refused, never waited on)
      files.set(rel, readRegularFile(p, LIMITS.maxFileBytes, rel));
    }
  };
  walk(root);
  return files;
}

/** Read a .memlab (zip) into memory, refusing escapes, links and bombs. */
export function readZip(buffer: Buffer, name = 'pack.memlab'): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true }, (err, zip) => {
      if (err || !zip) return reject(new PackRefused(`${name} is not a valid .memlab (zip) file: ${err?.message ?? 'unreadable'}`));
      const files = new Map<string, Buffer>();
      let total = 0;
      const fail = (e: Error) => {
        zip.close();
        reject(e);
      };
      zip.on('error', (e: Error) => {
        const escape = /invalid relative path: (.*)/.exec(e.message);
        if (escape) return fail(new PackRefused(`${name}: the entry '${escape[1]}' would escape the pack folder; the pack was refused`, escape[1]));
        fail(e instanceof PackRefused ? e : new PackRefused(`${name}: ${e.message}`));
      });
      zip.on('entry', (entry: yauzl.Entry) => {
        const fname = entry.fileName;
        if (!safeName(fname)) return fail(new PackRefused(`${name}: the entry '${fname}' would escape the pack folder; the pack was refused`, fname));
        const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
        if (mode === 0o120000) return fail(new PackRefused(`${name}: links are not allowed in a pack ('${fname}')`, fname));
        if (fname.endsWith('/')) return zip.readEntry();
        if (files.size >= LIMITS.maxFiles) return fail(new PackRefused(`${name}: a pack may hold at most ${LIMITS.maxFiles} files`));
        if (entry.uncompressedSize > LIMITS.maxFileBytes) return fail(new PackRefused(`${name}: ${fname} is larger than ${LIMITS.maxFileBytes / 1048576} MiB`, fname));
        const skipped = oversize(fname, entry.uncompressedSize);
        if (skipped) {
          files.set(fname, skipped);
          return zip.readEntry();
        }
        total += entry.uncompressedSize;
        if (total > LIMITS.maxTotalBytes) return fail(new PackRefused(`${name}: a pack may be at most ${LIMITS.maxTotalBytes / 1048576} MiB unpacked`));
        zip.openReadStream(entry, (e2, stream) => {
          if (e2 || !stream) return fail(new PackRefused(`${name}: ${fname}: ${e2?.message ?? 'unreadable'}`, fname));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', (e3: Error) => fail(new PackRefused(`${name}: ${fname}: ${e3.message}`, fname)));
          stream.on('end', () => {
            files.set(fname, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.readEntry();
    });
  });
}

/** Strip a single top folder (a zip of "mypack/…") so pack.yaml is at the root. */
export function rootAt(files: Map<string, Buffer>): Map<string, Buffer> {
  if (files.has('pack.yaml')) return files;
  const tops = new Set([...files.keys()].map((k) => k.split('/')[0]));
  if (tops.size === 1) {
    const top = [...tops][0]! + '/';
    if (files.has(top + 'pack.yaml')) return new Map([...files].filter(([k]) => k.startsWith(top)).map(([k, v]) => [k.slice(top.length), v]));
  }
  return files;
}

/** This memlab's version, from its package.json. */
function memlabVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Does `version` (1.2.3) satisfy `required` (">=1.2" or ">=1.2.3")? */
export function satisfies(version: string, required: string): boolean {
  const want = required.replace(/^>=/, '').split('.').map(Number);
  const have = version.split(/[.+-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

export function buildPack(source: string, raw: Map<string, Buffer>, opts: { memlabVersion?: string } = {}): Pack {
  const files = rootAt(raw);
  const problems: PackProblem[] = [];
  // a file too big to parse quickly is left out, with the reason, before anything reads it
  for (const [f, b] of files) {
    const head = b.subarray(0, 64).toString('utf8');
    if (head.startsWith(OVERSIZE)) {
      const [size, cap] = head.slice(OVERSIZE.length).split(':').map(Number);
      const kind = /\.md$/i.test(f) ? 'an exercise file' : 'a YAML file';
      problems.push({ file: f, line: 1, message: `${f} was not read: it is ${Math.ceil(size! / 1024)} KiB; memlab reads at most ${Math.ceil(cap! / 1024)} KiB for ${kind} (split it, or shorten it)` });
      files.delete(f);
      continue;
    }
    if (!/\.ya?ml$/i.test(f) || f === 'pack.yaml') continue;
    const heavy = yamlTooHeavy(b.toString('utf8'));
    if (heavy) {
      problems.push({ file: f, line: 1, message: `${f} was not read: ${heavy}` });
      files.delete(f);
    }
  }
  const exercises = new Map<string, LoadedExercise>();
  const manifestText = files.get('pack.yaml')?.toString('utf8');
  if (manifestText === undefined) {
    return { id: 'unknown', source, files, exercises, problems: [...problems, { file: 'pack.yaml', message: 'a pack needs a pack.yaml at its top level' }] };
  }
  const m = parseManifest(manifestText);
  const manifestLine = m.lineOf;
  problems.push(...m.problems);
  const manifest = m.value;
  if (!manifest) return { id: 'unknown', source, files, exercises, problems };
  const version = opts.memlabVersion ?? memlabVersion();
  if (!satisfies(version, manifest.memlab))
    problems.push({ file: 'pack.yaml', line: manifestLine('memlab'), field: 'memlab', message: `this pack needs memlab ${manifest.memlab}; this is memlab ${version}: some of it may not work` });
  const chapterIds = new Set(manifest.chapters.map((c) => c.id));
  /** the exercise files the chapters name: a misspelt name is suggested among the others */
  const listed = new Set(manifest.chapters.flatMap((c) => c.exercises));
  manifest.chapters.forEach((ch, ci) => {
    for (const r of ch.requires) if (!chapterIds.has(r)) problems.push({ file: 'pack.yaml', line: manifestLine(`chapters.${ci}.requires`), field: `chapters.${ci}.requires`, message: `chapter '${ch.id}' requires '${r}', which the pack does not have` });
    ch.exercises.forEach((f, ei) => {
      const text = files.get(f)?.toString('utf8');
      if (text === undefined) {
        problems.push({ file: 'pack.yaml', line: manifestLine(`chapters.${ci}.exercises.${ei}`), field: `chapters.${ci}.exercises.${ei}`, message: `${f} is listed but not in the pack${didYouMean(f, [...files.keys()].filter((x) => x.endsWith('.md') && !listed.has(x)))}` });
        return;
      }
      const r = parseExerciseFile(text, f);
      problems.push(...r.problems);
      if (!r.exercise) return;
      if (exercises.has(r.exercise.id)) {
        problems.push({ file: f, line: r.lineOf('id'), field: 'id', message: `the id '${r.exercise.id}' is used twice: ${exercises.get(r.exercise.id)!.file} has it too; ids must be unique in the pack` });
        return;
      }
      if (r.exercise.scenario && !r.exercise.scenario.startsWith('builtin:') && !files.has(r.exercise.scenario)) {
        problems.push({ file: f, line: r.lineOf('scenario'), field: 'scenario', message: `the scenario ${r.exercise.scenario} is not in the pack${didYouMean(r.exercise.scenario, [...files.keys()].filter((x) => /\.ya?ml$/.test(x) && x !== 'pack.yaml'))}` });
        return;
      }
      exercises.set(r.exercise.id, { exercise: r.exercise, prose: r.prose, file: f, chapter: ch.id, lineOf: r.lineOf });
    });
  });
  return { id: manifest.id, manifest, source, files, exercises, problems };
}

/**
 * Read a file only if it is a regular file no larger than `max`: opened without blocking (a FIFO
 * or a device never stalls the lab), its type and size checked on the open descriptor before a
 * byte is read.
 */
export function readRegularFile(path: string, max: number, name = path): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new PackRefused(`${name} is not a regular file (a pipe, a device or a socket is never opened)`, name);
    if (st.size > max) throw new PackRefused(`${name} is larger than ${Math.round(max / 1048576)} MiB`, name);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n <= 0) break;
      off += n;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** A pack's files, from a folder or a .memlab, with every limit checked before anything is parsed. */
export async function readPackFiles(path: string): Promise<Map<string, Buffer>> {
  if (path.endsWith('.memlab')) return readZip(readRegularFile(path, LIMITS.maxTotalBytes), path);
  const st = lstatSync(path);
  if (!st.isDirectory() && !(st.isSymbolicLink() && realpathIsDir(path))) throw new PackRefused(`${path} is neither a pack folder nor a .memlab file`);
  return readFolder(path);
}

function realpathIsDir(path: string): boolean {
  try {
    return lstatSync(realpathSync(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function loadPack(path: string): Promise<Pack> {
  return buildPack(path, await readPackFiles(path));
}
