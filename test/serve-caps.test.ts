/**
 * The caps that keep one hostile client (or one runaway input) from taking the lab down, each
 * seen holding from outside: a client may have only so many requests being handled at once, a
 * client that stops reading its answers is closed, and a worker call is stopped when the whole
 * process passes its memory budget. Each test fails with its guard removed (the security mutants
 * of issue #14).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../app/node/serve/server.js';
import { createServices, type Services } from '../app/node/services/index.js';
import { appRoot } from '../app/node/paths.js';
import { WorkerPool } from '../app/node/work/host.js';
import { DEFAULT_WORK_LIMITS } from '../app/node/work/limits.js';

const MAX_IN_FLIGHT = 2;
const MAX_BUFFERED = 1 << 20;
const BIG_ANSWER = 1 << 20;

let server: RunningServer;
/** the same services, with the cap in bytes only: 1 MiB of requests unanswered */
let byBytes: RunningServer;
let services: Services;
const logLines: string[] = [];
const logWaiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];

/** app.ping, observed: how many 'hold-…' pings are being handled at once (each waits for release()); 'big' answers 1 MiB */
let active = 0;
let maxActive = 0;
let held: Array<() => void> = [];
let onEnter: (() => void) | undefined;
const release = () => {
  const h = held;
  held = [];
  for (const r of h) r();
};

function waitLog(re: RegExp): Promise<string> {
  const seen = logLines.find((l) => re.test(l));
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => logWaiters.push({ re, resolve }));
}

beforeAll(async () => {
  const rendererDir = mkdtempSync(join(tmpdir(), 'memlab-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  const dataDir = mkdtempSync(join(tmpdir(), 'memlab-caps-'));
  services = createServices({ host: 'serve', dataDir, appRoot: appRoot(), log: () => {} });
  services.handlers['app.ping'] = async ({ nonce }) => {
    if (!nonce.startsWith('hold')) return { nonce: nonce === 'big' ? 'x'.repeat(BIG_ANSWER) : nonce, serverTime: Date.now() };
    active++;
    maxActive = Math.max(maxActive, active);
    onEnter?.();
    try {
      await new Promise<void>((r) => held.push(r));
      return { nonce, serverTime: Date.now() };
    } finally {
      active--;
    }
  };
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    rendererDir,
    dataDir,
    appRoot: appRoot(),
    services,
    limits: { maxInFlight: MAX_IN_FLIGHT, maxBufferedBytes: MAX_BUFFERED },
    log: (l) => {
      logLines.push(l);
      for (const w of [...logWaiters]) {
        if (!w.re.test(l)) continue;
        logWaiters.splice(logWaiters.indexOf(w), 1);
        w.resolve(l);
      }
    },
  });
  byBytes = await startServer({ port: 0, host: '127.0.0.1', rendererDir, dataDir, appRoot: appRoot(), services, limits: { maxInFlight: 1000, maxInFlightBytes: 1 << 20 }, log: () => {} });
});
afterAll(async () => {
  await byBytes.close();
  await server.close();
});

function connect(srv = server): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api?token=${srv.token}`, { origin: `http://127.0.0.1:${srv.port}` });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** the answers (not events) to the given ids */
function answers(ws: WebSocket, ids: number[]): Promise<Map<number, any>> {
  const got = new Map<number, any>();
  return new Promise((resolve) => {
    const on = (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString());
      if (!('ok' in m) || !ids.includes(m.id)) return;
      got.set(m.id, m);
      if (got.size === ids.length) {
        ws.off('message', on);
        resolve(got);
      }
    };
    ws.on('message', on);
  });
}

const ping = (id: number, nonce: string, pad = '') => JSON.stringify({ v: 1, id, method: 'app.ping', params: { nonce }, ...(pad ? { pad } : {}) });

/**
 * fire `count` app.ping requests (each `padBytes` long) at once; hold every one that enters until
 * those already in are let go; return the most seen at once and what the client still had unsent
 * while the first ones were held
 */
async function flood(count: number, padBytes: number, srv = server, cap = MAX_IN_FLIGHT): Promise<{ maxActive: number; unsentWhileHeld: number }> {
  active = 0;
  maxActive = 0;
  const ws = await connect(srv);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const pad = 'p'.repeat(padBytes);
  const done = answers(ws, ids);
  const full = new Promise<void>((r) => (onEnter = () => void (active >= cap && r())));
  for (const id of ids) ws.send(ping(id, `hold-${id}`, pad));
  await full;
  // while the first ones are held, another client is answered (the cap is per client), which also
  // gives the server turns of its event loop to read whatever it is willing to read of this one
  const other = await connect(srv);
  for (let i = 0; i < 20; i++) {
    const otherAnswer = answers(other, [1000 + i]);
    other.send(ping(1000 + i, 'free'));
    expect((await otherAnswer).get(1000 + i).result.nonce).toBe('free');
  }
  other.close();
  const unsentWhileHeld = ws.bufferedAmount;
  // this client's requests are let in only as earlier ones are answered
  let allAnswered = false;
  void done.then(() => (allAnswered = true));
  while (!allAnswered) {
    release();
    await Promise.race([done, new Promise<void>((r) => (onEnter = r))]);
  }
  const got = await done;
  expect([...got.values()].every((m) => m.ok && m.result.nonce === `hold-${m.id}`)).toBe(true);
  ws.close();
  return { maxActive, unsentWhileHeld };
}

describe('per-client caps of memlab serve', () => {
  it(`handles at most ${MAX_IN_FLIGHT} small requests of one client at once, and answers them all`, async () => {
    // 200 pings of ~60 bytes arrive in one or two reads of the socket: pausing it is not enough,
    // the ones already read wait their turn
    expect((await flood(200, 0)).maxActive).toBe(MAX_IN_FLIGHT);
  }, 20_000);

  it(`stops reading the socket of a client with ${MAX_IN_FLIGHT} large requests unanswered`, async () => {
    // 24 requests of 512 KiB (the envelope carries a padding field): 12 MiB, more than the
    // kernel's socket buffers hold on loopback unless the server reads them
    const { maxActive: most, unsentWhileHeld } = await flood(24, 512 * 1024);
    expect(most).toBe(MAX_IN_FLIGHT);
    // the server read only what the kernel's buffers took: the rest is still on this client's side
    expect(unsentWhileHeld).toBeGreaterThan(0);
  }, 20_000);

  it('caps the bytes of requests unanswered too: 1 MiB lets in two of 512 KiB, however many the count cap allows', async () => {
    const { maxActive: most, unsentWhileHeld } = await flood(24, 512 * 1024, byBytes, 2);
    expect(most).toBe(2);
    expect(unsentWhileHeld).toBeGreaterThan(0);
  }, 20_000);
});

describe('a client that does not read', () => {
  it(`is closed once more than ${MAX_BUFFERED >> 20} MiB of answers wait for it, and the others are still answered`, async () => {
    const stalled = await connect();
    const reader = await connect();
    const closed = new Promise<void>((r) => stalled.once('close', () => r()));
    // it stops reading its socket, then asks for 64 answers of 1 MiB each: far more than the
    // kernel's socket buffers on loopback (a few MiB) and the server's cap
    stalled.pause();
    for (let id = 1; id <= 64; id++) stalled.send(ping(id, 'big'));
    expect(await waitLog(/closed: it is not reading \(\d+ bytes waiting\)/)).toMatch(/client [0-9a-f-]{36}: closed/);
    // the server dropped it: once it reads again it finds the connection gone
    stalled.resume();
    await closed;
    expect(stalled.readyState).toBe(WebSocket.CLOSED);
    const a = answers(reader, [7]);
    reader.send(ping(7, 'still here'));
    expect((await a).get(7).result.nonce).toBe('still here');
    reader.close();
  }, 20_000);
});

describe('the whole-process memory watchdog', () => {
  const limits = { ...DEFAULT_WORK_LIMITS, poolWorkers: 1 };
  const pool = new WorkerPool({ appRoot: appRoot(), dataDir: mkdtempSync(join(tmpdir(), 'memlab-rss-')), host: 'serve', arrayMiB: limits.arrayMiB }, limits);
  afterAll(() => pool.dispose());
  const opts = (seconds: number) => ({ seconds, what: 'this probe', advice: 'it is a test' });

  it('stops a busy worker when the process passes its memory budget, and the pool answers the next call', async () => {
    // a budget this process is always over (its RSS is tens of MiB): the spinning call is stopped by
    // the watchdog, long before its own 8 s time budget
    limits.rssMiB = 1;
    await expect(pool.run('limitsProbe', { kind: 'spin' }, opts(8))).rejects.toThrow(/^this probe needed more than 1 MiB of memory \(the whole lab's limit\); it is a test$/);
    // the same pool (its limits object) back at the default budget: a fresh worker answers
    limits.rssMiB = DEFAULT_WORK_LIMITS.rssMiB;
    expect(await pool.run('ping', {}, opts(30))).toBe('pong');
  }, 30_000);
});
