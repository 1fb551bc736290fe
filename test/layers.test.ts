/**
 * The one rule of dependency direction (app/README.md): common imports nothing of Node,
 * Electron, ws or the DOM; node never imports Electron; the renderer reaches into app/ only
 * for app/common/api.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function files(dir: string, exts: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (exts.test(e.name) && !/\.test\.ts$/.test(e.name) && !p.includes('__tests__')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) specs.push(m[1]!);
  for (const m of src.matchAll(/(?:import\(|require\()\s*['"]([^'"]+)['"]/g)) specs.push(m[1]!);
  for (const m of src.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) specs.push(m[1]!);
  return specs;
}

const NODE = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const FORBIDDEN_IN_COMMON = (spec: string) =>
  NODE.has(spec) || spec.startsWith('node:') || ['electron', 'ws', 'yauzl', 'yazl', 'write-file-atomic'].includes(spec) || /\/(node|electron-main|cli)\//.test(spec);

describe('layers', () => {
  it('app/common imports nothing from Node, Electron, ws or the outer layers', () => {
    const bad = files(join(ROOT, 'app', 'common'), /\.ts$/).flatMap((f) =>
      imports(f)
        .filter(FORBIDDEN_IN_COMMON)
        .map((s) => `${relative(ROOT, f)} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('app/common uses no DOM or Node globals', () => {
    const bad = files(join(ROOT, 'app', 'common'), /\.ts$/).flatMap((f) => {
      const src = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      const globals: Array<[string, RegExp]> = [
        ['window', /\bwindow\.\w/],
        ['document', /\bdocument\.\w/],
        ['process', /(?<![\w.'"`] ?)\bprocess\.(env|argv|platform|memoryUsage|exit|on|cwd|stdout|stderr|hrtime)\b/],
        ['Buffer', /\bBuffer\.\w/],
        ['require', /\brequire\(/],
      ];
      return globals.filter(([, re]) => re.test(src)).map(([g]) => `${relative(ROOT, f)} uses ${g}`);
    });
    expect(bad).toEqual([]);
  });

  it('app/node and app/cli never import Electron', () => {
    const bad = [...files(join(ROOT, 'app', 'node'), /\.ts$/), ...files(join(ROOT, 'app', 'cli'), /\.ts$/)].flatMap((f) =>
      imports(f)
        .filter((s) => s === 'electron' || s.includes('electron-main'))
        .map((s) => `${relative(ROOT, f)} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('the renderer reaches into app/ only for app/common/api', () => {
    const bad = files(join(ROOT, 'renderer', 'src'), /\.(ts|svelte)$/).flatMap((f) =>
      imports(f)
        .filter((s) => (s.includes('/app/') || s.startsWith('../../app') || s.startsWith('../../../app')) && !s.includes('app/common/api'))
        .concat(imports(f).filter((s) => NODE.has(s) || s === 'electron' || s === 'ws'))
        .map((s) => `${relative(ROOT, f)} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });
});
