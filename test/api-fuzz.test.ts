/**
 * Every LabApi method, fuzzed where it matters: envelopes that are valid, carrying params made
 * from the method's own zod schema (valid ones, boundary ones and hostile ones), through the real
 * dispatcher and services. Each method's handler is reached at least 100 times per run (counted
 * and printed); none may throw, hang or answer outside the protocol. A smaller run keeps sending
 * malformed envelopes (the dispatcher's own checks).
 */
import fc from 'fast-check';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CallContext, createDispatcher, type Handlers } from '../app/common/api/dispatch.js';
import { methods } from '../app/common/api/index.js';
import { ApiError, ErrorCode, ResponseEnvelope } from '../app/common/api/protocol.js';
import { appRoot } from '../app/node/paths.js';
import { createServices } from '../app/node/services/index.js';
import { hostile, valid } from './zod-arbitrary.js';

const SEED = Number(process.env.MEMLAB_FUZZ_SEED ?? 20261124);
/** messages per method: five valid-shaped ones to each hostile one */
const PER_METHOD = Number(process.env.MEMLAB_FUZZ_PER_METHOD ?? 150);
const MIN_REACHED = 100;

const dataDir = mkdtempSync(join(tmpdir(), 'memlab-fuzz-'));
const services = createServices({ host: 'serve', dataDir, appRoot: appRoot(), log: () => {}, limits: { simSeconds: 10, checkSeconds: 10 } });
afterAll(() => services.dispose());

/** Handlers that would act on this machine get a stand-in after the dispatcher let the message through. */
const reached: Record<string, number> = {};
const handlers = Object.fromEntries(
  Object.entries(services.handlers).map(([name, h]) => [
    name,
    (params: any, ctx: CallContext) => {
      reached[name] = (reached[name] ?? 0) + 1;
      // a real probe process allocating what the fuzz asks for: not on a shared machine
      if (name === 'host.experiment') throw new ApiError('unavailable', 'not run by the fuzz');
      // an existing path (/, ., the repository) would be walked as a pack: only missing ones go through
      if (name === 'pack.open' && (typeof params?.path !== 'string' || existsSync(isAbsolute(params.path) ? params.path : resolve(params.path)))) throw new ApiError('unavailable', 'not walked by the fuzz');
      return (h as (p: unknown, c: CallContext) => unknown)(params, ctx);
    },
  ]),
) as unknown as Handlers;

const logged: string[] = [];
const dispatcher = createDispatcher(handlers, (e) => logged.push(e.code));
const ctx: CallContext = { clientId: 'fuzz', emit: () => {}, onClose: () => {} };
const names = Object.keys(methods) as Array<keyof typeof methods>;

function checkResponse(r: unknown): void {
  const parsed = ResponseEnvelope.safeParse(r);
  expect(parsed.success, JSON.stringify(r).slice(0, 500)).toBe(true);
  if (parsed.success && !parsed.data.ok) {
    expect(ErrorCode.options).toContain(parsed.data.error.code);
    // 'internal' would be a handler that threw something it did not mean to
    expect(parsed.data.error.code, JSON.stringify(parsed.data.error).slice(0, 500)).not.toBe('internal');
  }
}

describe(`LabApi fuzz (seed ${SEED}; replay with MEMLAB_FUZZ_SEED)`, () => {
  it(`reaches every method's handler at least ${MIN_REACHED} times with schema-made params`, async () => {
    let id = 0;
    const took: Record<string, number> = {};
    for (const [i, name] of names.entries()) {
      const schema = methods[name].params;
      const msgs = fc.sample(fc.oneof({ arbitrary: valid(schema), weight: 5 }, { arbitrary: hostile(schema), weight: 1 }), { seed: SEED + i, numRuns: PER_METHOD });
      const t0 = performance.now();
      for (const params of msgs) {
        const r = await dispatcher.handle({ v: 1, id: ++id, method: name, params }, ctx);
        checkResponse(r);
      }
      took[name] = performance.now() - t0;
      // the dispatcher never lets a prototype through
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
    const table = names.map((n) => `${n.padEnd(24)} ${String(reached[n] ?? 0).padStart(5)}  ${Math.round(took[n] ?? 0)} ms`).join('\n');
    console.log(`handler reached per method (${PER_METHOD} messages each):\n${table}`);
    const short = names.filter((n) => (reached[n] ?? 0) < MIN_REACHED);
    expect(short, table).toEqual([]);
  });

  it('malformed envelopes and text get a typed error (IPC and socket paths)', async () => {
    const envelope = fc.record(
      {
        v: fc.oneof(fc.constant(1), fc.integer(), fc.string(), fc.constant(null)),
        id: fc.oneof(fc.nat(), fc.integer({ min: -5, max: -1 }), fc.double(), fc.string(), fc.constant(null)),
        method: fc.oneof(fc.constantFrom(...names), fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'app.', '.ping')),
        params: fc.oneof(fc.anything(), fc.constant(undefined)),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(envelope, fc.anything()), async (msg) => {
        checkResponse(await dispatcher.handle(msg, ctx));
      }),
      { seed: SEED, numRuns: 1500 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json(), envelope.map((e) => (JSON.stringify(e) ?? '').slice(0, 10))), async (text) => {
        checkResponse(await dispatcher.handleText(text, ctx));
      }),
      { seed: SEED + 1, numRuns: 1500 },
    );
    expect(logged.length).toBeGreaterThan(0);
  });
});
