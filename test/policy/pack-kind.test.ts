/** The `policy` exercise kind: checked by the engine, diagnosed, and proved by pack check. */
import { describe, expect, it } from 'vitest';
import { checkPack, formatProblem } from '../../app/cli/pack.js';
import { check } from '../../app/common/packs/checkers.js';
import { drawParams } from '../../app/common/packs/params.js';
import { policyWidget } from '../../app/common/packs/policy.js';
import { Exercise } from '../../app/common/packs/schema.js';
import { runPolicy } from '../../app/common/policy/index.js';
import { buildPack } from '../../app/node/packs/loader.js';

const BELADY = '1,2,3,4,1,2,5,1,2,3,4,5';
const ex = (o: Record<string, unknown>) => Exercise.parse({ id: 'x', title: 'x', explanation: 'x', kind: 'policy', ...o });
const ctx = (params = {}) => ({ params, scenarioText: () => '' });
const say = (e: ReturnType<typeof ex>, value: string, params = {}) => check(e, { value }, ctx(params));

describe('policy exercises', () => {
  it('hits: right, wrong (with the policy that would give it named), unreadable', () => {
    const e = ex({ policy: 'fifo', reference: BELADY, cache_size: 4, ask: 'hits' });
    expect(say(e, '2').verdict).toBe('correct');
    const w = say(e, '4');
    expect(w.verdict).toBe('incorrect');
    // 4 hits on this string with 4 frames is LRU's answer
    expect(w.diagnosis).toBe('That is what LRU gives on this string, not FIFO.');
    expect(say(e, 'two').verdict).toBe('invalid');
    expect(say(e, '').verdict).toBe('invalid');
  });

  it('victim at access k, with "none" for an access that evicts nothing', () => {
    const e = ex({ policy: 'OPT', reference: BELADY, cache_size: 3, ask: 'victim', at: 4 });
    expect(say(e, '3').verdict).toBe('correct');
    expect(say(e, '1')).toMatchObject({ verdict: 'incorrect', diagnosis: expect.stringMatching(/FIFO|LRU/) });
    const hit = ex({ policy: 'FIFO', reference: BELADY, cache_size: 3, ask: 'victim', at: 8 });
    expect(say(hit, 'none').verdict).toBe('correct');
    expect(say(hit, ' - ').verdict).toBe('correct');
    expect(say(hit, '1').verdict).toBe('incorrect');
    expect(say(hit, 'page one').verdict).toBe('invalid');
  });

  it('final cache in any order, brackets allowed; a page twice is not counted', () => {
    const e = ex({ policy: 'LRU', reference: BELADY, cache_size: 3, ask: 'final_cache' });
    const want = runPolicy({ policy: 'LRU', cacheSize: 3, addresses: BELADY.split(',').map(Number) }).accesses.at(-1)!.cache;
    expect(say(e, `[${[...want].reverse().join(', ')}]`).verdict).toBe('correct');
    expect(say(e, want.slice(1).join(' ')).verdict).toBe('incorrect');
    expect(say(e, '3, 3, 4').verdict).toBe('invalid');
  });

  it("anomaly: the size at which FIFO's hits drop; the size before it is diagnosed", () => {
    const e = ex({ reference: BELADY, ask: 'anomaly' });
    expect(say(e, '4').verdict).toBe('correct');
    expect(say(e, '3').diagnosis).toMatch(/just before the jump/);
  });

  it('draws the string per learner from a seed parameter, as OSTEP draws it', () => {
    const e = ex({ params: { s: { range: [1, 1000] } }, policy: 'RAND', generate: { numaddrs: 10, maxpage: 5 }, seed: '{{s}}', cache_size: 3, ask: 'hits' });
    const p1 = drawParams(e.params, 1);
    const p2 = drawParams(e.params, 2);
    const w1 = policyWidget(e as never, p1);
    expect(w1.reference).toEqual(runPolicy({ policy: 'RAND', cacheSize: 3, numaddrs: 10, maxpage: 5, seed: p1.s }).addresses);
    expect(w1.reference).not.toEqual(policyWidget(e as never, p2).reference);
    // RAND continues the stream after the drawn addresses, as OSTEP does
    const hits = runPolicy({ policy: 'RAND', cacheSize: 3, numaddrs: 10, maxpage: 5, seed: p1.s }).totals.hits;
    expect(say(e, String(hits), p1).verdict).toBe('correct');
  });

  it('pack check proves the author answer and finds questions without an answer', () => {
    const file = (name: string, fm: string) => [name, Buffer.from(`---\nid: ${name.replace('.md', '')}\ntitle: t\nkind: policy\nexplanation: e\n${fm}---\nq\n`)] as const;
    const pack = (files: Array<readonly [string, Buffer]>) =>
      buildPack('t', new Map([['pack.yaml', Buffer.from(`id: t\ntitle: t\nversion: 1.0.0\nauthors: [a]\nlicence: x\nchapters:\n  - id: c\n    title: c\n    exercises: [${files.map((f) => f[0]).join(', ')}]\n`)], ...files]));
    expect(checkPack(pack([file('ok.md', `reference: "${BELADY}"\ncache_size: 3\nask: hits\nanswer: 3\n`)])).map(formatProblem)).toEqual([]);
    const bad = checkPack(
      pack([
        file('wrong.md', `reference: "${BELADY}"\ncache_size: 3\nask: hits\nanswer: 4\n`),
        file('none.md', `reference: "1,2,3,1,2,3"\nask: anomaly\n`),
        file('far.md', `reference: "1,2,3"\ncache_size: 2\nask: victim\nat: 9\n`),
        file('nosize.md', `reference: "1,2,3"\nask: hits\n`),
        file('param.md', `reference: "1,2,3"\ncache_size: "{{c}}"\nask: hits\n`),
      ]),
    ).map(formatProblem);
    expect(bad.find((m) => m.startsWith('wrong.md'))).toMatch(/\(answer\).*answer is 4, but FIFO on this string gives 3/);
    expect(bad.find((m) => m.startsWith('none.md'))).toMatch(/no anomaly/);
    expect(bad.find((m) => m.startsWith('far.md'))).toMatch(/\(at\).*has 3 accesses/);
    expect(bad.find((m) => m.startsWith('nosize.md'))).toMatch(/\(cache_size\).*needs cache_size/);
    expect(bad.find((m) => m.startsWith('param.md'))).toMatch(/parameter declared/);
  });
});
