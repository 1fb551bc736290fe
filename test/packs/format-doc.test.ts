/**
 * exercises/FORMAT.md teaches by example: every ```md file=… block (and the pack.yaml block)
 * is built into a pack here and must pass pack check, and there is one for every kind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPack, formatProblem } from '../../app/cli/pack.js';
import { EXERCISE_KINDS } from '../../app/common/packs/schema.js';
import { buildPack } from '../../app/node/packs/loader.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'exercises', 'FORMAT.md'), 'utf8');
const blocks = [...doc.matchAll(/^```(?:md|yaml) file=(\S+)\n([\s\S]*?)^```$/gm)].map((m) => [m[1]!, m[2]!] as const);

describe('the worked examples in FORMAT.md', () => {
  const pack = buildPack('FORMAT.md', new Map(blocks.map(([f, t]) => [f, Buffer.from(t)])));
  it('form a pack with one exercise of every kind', () => {
    expect(blocks.map((b) => b[0])).toContain('pack.yaml');
    expect(new Set([...pack.exercises.values()].map((e) => e.exercise.kind))).toEqual(new Set(EXERCISE_KINDS));
  });
  it('pass pack check', () => {
    expect(checkPack(pack).map(formatProblem)).toEqual([]);
  });
  it('document every kind under its own heading', () => {
    for (const k of EXERCISE_KINDS) expect(doc).toContain(`### ${k}\n`);
  });
});
