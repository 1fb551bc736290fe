/**
 * The Policies store against a fake LabApi whose answers the test gives by hand, in any order:
 * a run still in flight must not be stepped as if it were the new one, and an answer to a request
 * the learner has since replaced must be dropped, whenever it lands.
 *
 * vitest runs without the Svelte plugin, so the store's `$state` fields are read here as plain
 * fields (the stub below): this tests what the store decides, not Svelte's reactivity.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runPolicy } from '../../../app/common/policy/engine.js';

vi.hoisted(() => {
  (globalThis as unknown as { $state: <T>(v: T) => T }).$state = (v) => v;
});
vi.mock('@api/policy', async () => await import('../../../app/common/api/policy.js'));
vi.mock('../api/index.js', () => ({ api: { call: () => new Promise(() => {}) } }));

const { BELADY, PoliciesStore } = await import('./policies.svelte.js');

type Call = { method: string; params: Record<string, unknown>; resolve: (v: unknown) => void; reject: (e: Error) => void };

/** a LabApi whose every call waits until the test answers it */
function fakeLab() {
  const calls: Call[] = [];
  const lab = {
    call: (method: string, params: Record<string, unknown>) =>
      new Promise((resolve, reject) => {
        calls.push({ method, params, resolve, reject });
      }),
  };
  /** the unanswered calls to one method, oldest first */
  const open = (method: string) => calls.filter((c) => c.method === method && !(c as { done?: boolean }).done);
  /** answer a call as the main process would (policy.run computed by the real engine) */
  const answer = async (c: Call, result?: unknown) => {
    (c as { done?: boolean }).done = true;
    if (result === undefined && c.method === 'policy.run') {
      const p = c.params as { policies: string[]; cacheSize: number; addresses: number[] };
      result = { addresses: p.addresses, cacheSize: p.cacheSize, runs: p.policies.map((policy) => runPolicy({ policy, cacheSize: p.cacheSize, addresses: p.addresses }, { explain: true })) };
    }
    if (result === undefined && c.method === 'policy.sweep') result = { addresses: c.params.addresses, rows: [], anomalies: [] };
    c.resolve(result);
    await flush();
  };
  const fail = async (c: Call, message: string) => {
    (c as { done?: boolean }).done = true;
    c.reject(new Error(message));
    await flush();
  };
  return { lab: lab as unknown as ConstructorParameters<typeof PoliciesStore>[0], calls, open, answer, fail };
}

/** let the store's awaits after an answer run */
const flush = () => new Promise((r) => setTimeout(r, 0));

const fifoHits = (st: InstanceType<typeof PoliciesStore>) => st.hitsSoFar(st.runs.find((r) => r.policy === 'FIFO')!);

let f: ReturnType<typeof fakeLab>;
let st: InstanceType<typeof PoliciesStore>;
beforeEach(() => {
  f = fakeLab();
  st = new PoliciesStore(f.lab);
  st.text = BELADY;
  st.selected = ['FIFO'];
});

describe('a run in flight', () => {
  it('leaves the earlier run shown, titled as it was, and stepping waits until the new one lands', async () => {
    st.cacheSize = 3;
    const first = st.run();
    await f.answer(f.open('policy.run')[0]!);
    await f.answer(f.open('policy.sweep')[0]!);
    await first;
    st.toEnd();
    expect(fifoHits(st)).toBe(3);
    st.toStart();
    for (let k = 0; k < 5; k++) st.step(1);

    st.cacheSize = 4;
    const second = st.run();
    expect(st.stale).toBe(true);
    expect(st.pending).toBe('Running FIFO with 4 frames on 12 references…');
    // End, Step, Back and Start now would act on the 3-frame run: each waits
    for (const press of [() => st.toEnd(), () => st.step(1), () => st.step(-1), () => st.toStart()]) {
      press();
      expect(st.pos).toBe(5);
    }
    expect(st.ranCacheSize).toBe(3);

    await f.answer(f.open('policy.run')[0]!);
    expect(st.stale).toBe(false);
    expect(st.ranCacheSize).toBe(4);
    expect(st.pos).toBe(0);
    st.toEnd();
    expect(fifoHits(st)).toBe(2);
    await f.answer(f.open('policy.sweep')[0]!);
    await second;
  });

  it('drops the answer to a replaced run when it lands after the newer one', async () => {
    st.cacheSize = 3;
    const a = st.run();
    st.cacheSize = 4;
    const b = st.run();
    const [runA, runB] = f.open('policy.run');
    expect(runA!.params.cacheSize).toBe(3);
    expect(runB!.params.cacheSize).toBe(4);
    await f.answer(runB!);
    expect(st.ranCacheSize).toBe(4);
    st.step(1);
    st.step(1);
    // the 3-frame answer comes last: it is not shown, and the position the learner reached stays
    await f.answer(runA!);
    expect(st.ranCacheSize).toBe(4);
    expect(st.ran?.cacheSize).toBe(4);
    expect(st.pos).toBe(2);
    expect(st.stale).toBe(false);
    // only the newer run asked for a sweep
    expect(f.calls.filter((c) => c.method === 'policy.sweep')).toHaveLength(1);
    await f.answer(f.open('policy.sweep')[0]!);
    await Promise.all([a, b]);
  });

  it("keeps stepping waiting when the replaced run's answer lands first (the preset pressed while the first visit's run was in flight)", async () => {
    st.cacheSize = 3;
    const a = st.run();
    st.cacheSize = 4;
    const b = st.run();
    const [runA, runB] = f.open('policy.run');
    await f.answer(runA!);
    expect(st.runs).toEqual([]);
    expect(st.stale).toBe(true);
    expect(f.calls.filter((c) => c.method === 'policy.sweep')).toHaveLength(0);
    await f.answer(runB!);
    expect(st.ranCacheSize).toBe(4);
    expect(st.stale).toBe(false);
    await f.answer(f.open('policy.sweep')[0]!);
    await Promise.all([a, b]);
  });

  it("says nothing of a replaced run's failure; the latest one's failure is said and the earlier run steps again", async () => {
    const first = st.run();
    await f.answer(f.open('policy.run')[0]!);
    await f.answer(f.open('policy.sweep')[0]!);
    await first;
    st.cacheSize = 4;
    const a = st.run();
    st.cacheSize = 5;
    const b = st.run();
    const [runA, runB] = f.open('policy.run');
    await f.fail(runA!, 'the 4-frame run failed');
    expect(st.error).toBeNull();
    expect(st.stale).toBe(true);
    await f.fail(runB!, 'the 5-frame run failed');
    expect(st.error).toBe('the 5-frame run failed');
    expect(st.stale).toBe(false);
    expect(st.ranCacheSize).toBe(3);
    st.toEnd();
    expect(st.pos).toBe(12);
    await Promise.all([a, b]);
  });

  it('a sweep answered out of order keeps the latest one, and asking for a new sweep keeps the position', async () => {
    const first = st.run();
    await f.answer(f.open('policy.run')[0]!);
    await f.answer(f.open('policy.sweep')[0]!, { addresses: [], rows: [{ cacheSize: 1 }], anomalies: [] });
    await first;
    st.step(1);
    st.step(1);
    st.step(1);
    st.sweepTo = 6;
    const a = st.resweep();
    st.sweepTo = 9;
    const b = st.resweep();
    const [sweepA, sweepB] = f.open('policy.sweep');
    expect(sweepA!.params.to).toBe(6);
    expect(sweepB!.params.to).toBe(9);
    expect(st.sweeping).toBe(true);
    await f.answer(sweepB!, { addresses: [], rows: [{ cacheSize: 9 }], anomalies: [] });
    expect(st.sweeping).toBe(false);
    await f.answer(sweepA!, { addresses: [], rows: [{ cacheSize: 6 }], anomalies: [] });
    expect(st.sweep?.rows).toEqual([{ cacheSize: 9 }]);
    expect(st.pos).toBe(3);
    await Promise.all([a, b]);
  });

  it("drops a scenario's references when Run was pressed while they were on their way", async () => {
    st.scenarios = [{ id: 'free-and-trim', title: 'Free and trim' }];
    st.scenarioId = 'free-and-trim';
    const taking = st.fromScenario();
    expect(st.pending).toBe('Taking the references from Free and trim…');
    const run = st.run();
    await f.answer(f.open('policy.scenarioRefs')[0]!, { addresses: [0, 1, 2], total: 3, pageCount: 3, processes: [], pages: ['a', 'b', 'c'], steps: [] });
    expect(st.text).toBe(BELADY);
    expect(st.taken).toBeNull();
    expect(f.open('policy.run')).toHaveLength(1);
    await f.answer(f.open('policy.run')[0]!);
    expect(st.addresses).toHaveLength(12);
    await f.answer(f.open('policy.sweep')[0]!);
    await Promise.all([taking, run]);
  });
});

describe('inputs changed without Run', () => {
  it('names what the runs shown were not computed with', async () => {
    expect(st.changed).toEqual([]);
    const first = st.run();
    await f.answer(f.open('policy.run')[0]!);
    await f.answer(f.open('policy.sweep')[0]!);
    await first;
    expect(st.changed).toEqual([]);
    st.text = ' 1, 2 3,04 1 2 5 1 2 3 4 5 ';
    expect(st.changed).toEqual([]);
    st.cacheSize = 4;
    expect(st.changed).toEqual(['the frames (4 now)']);
    // the seed and clock bits matter only to RAND and CLOCK
    st.seed = '7';
    st.clockbits = 3;
    expect(st.changed).toEqual(['the frames (4 now)']);
    st.selected = ['FIFO', 'CLOCK'];
    expect(st.changed).toEqual(['the policies', 'the frames (4 now)', 'the seed', 'the clock bits']);
    st.text = '1,2,3';
    expect(st.changed[0]).toBe('the reference string');
  });
});
