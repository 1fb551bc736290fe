/**
 * The kernel is a walkable structure: one handler per scenario verb, no import cycles among its
 * files (counting only imports that exist at run time), and operations in the files named after
 * their Linux homes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STEP_VERBS, VERB_RULES } from '../../app/common/kernel/scenario.js';
import { VERBS } from '../../app/common/kernel/simulate.js';

const DIR = join(import.meta.dirname, '..', '..', 'app', 'common', 'kernel');

/** the files a module imports at run time (a type-only import, `import type` or all-`type` specifiers, is erased) */
export function runtimeImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(import|export)\s+([^'"]*?)\s*from\s+'(\.\/[^']+)'/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const clause = m[2]!.trim();
    if (/^type\s/.test(clause)) continue;
    const braces = /\{([^}]*)\}/.exec(clause);
    if (braces && !/^\*|^\w+\s*,/.test(clause)) {
      const names = braces[1]!.split(',').map((s) => s.trim()).filter(Boolean);
      if (names.length > 0 && names.every((n) => n.startsWith('type '))) continue;
    }
    out.push(m[3]!.replace(/\.js$/, '.ts'));
  }
  return out;
}

export function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

describe('kernel structure', () => {
  it('has one handler per scenario verb, and one rule per verb', () => {
    expect(Object.keys(VERBS).sort()).toEqual([...STEP_VERBS].sort());
    expect(Object.keys(VERB_RULES).sort()).toEqual([...STEP_VERBS].sort());
  });

  it('has no import cycle among its files', () => {
    const graph = new Map<string, string[]>();
    for (const f of readdirSync(DIR).filter((x) => x.endsWith('.ts'))) graph.set(f.replace(/^/, './'), runtimeImports(readFileSync(join(DIR, f), 'utf8')));
    expect(graph.size).toBeGreaterThan(15);
    expect(findCycle(graph)).toBeNull();
  });

  it('the cycle finder finds a cycle, and type-only imports are not edges', () => {
    expect(findCycle(new Map([['./a.ts', ['./b.ts']], ['./b.ts', ['./c.ts']], ['./c.ts', ['./a.ts']]]))).toEqual(['./a.ts', './b.ts', './c.ts', './a.ts']);
    expect(runtimeImports("import type { A } from './a.js';\nimport { type B, type C } from './b.js';\nimport { d, type E } from './d.js';\nexport { f } from './f.js';\n")).toEqual(['./d.ts', './f.ts']);
  });

  it('kernel.ts holds state: no operation on tasks or mappings lives there', () => {
    const src = readFileSync(join(DIR, 'kernel.ts'), 'utf8');
    for (const op of ['fork(', 'spawn(', 'exitTask(', 'unmapVma(', 'zapPte(', 'faultInForExec']) expect(src, op).not.toContain(op);
    expect(src).not.toContain('kswapdAwake');
  });
});
