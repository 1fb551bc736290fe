/**
 * Another local user against a lab: the lab runs as this user (root here), and a second program
 * runs as `nobody` (runuser/setpriv) and tries what an attacker on a shared classroom machine
 * would: scrape the token from the page, fetch /pack-assets/, and, even holding a leaked token,
 * open the owner's private folder with pack.open and read progress.export. Each is refused. The
 * same script run as the owner succeeds, so the refusals are not the script failing.
 * Skipped (with the reason printed) where this cannot run: not root, or no runuser/setpriv.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipping } from './skip.js';
import { appRoot } from '../app/node/paths.js';
import { type RunningServer, startServer } from '../app/node/serve/server.js';

const asRoot = process.getuid?.() === 0;
const switcher = ['/usr/sbin/runuser', '/usr/bin/runuser', '/usr/bin/setpriv'].find((p) => existsSync(p));
const why = !asRoot ? 'not running as root, so no other user can be impersonated' : !switcher ? 'neither runuser nor setpriv is installed' : process.platform !== 'linux' ? 'the uid check reads /proc/net/tcp (Linux only)' : '';

let server: RunningServer;
let work: string;
let privatePack: string;
const logLines: string[] = [];

/** What the attacker runs: plain Node and the repository's ws, printing one JSON line of outcomes. */
const ATTACK = `
import { createRequire } from 'node:module';
const require = createRequire(process.env.REPO + '/package.json');
const WebSocket = require('ws');
const port = Number(process.env.PORT);
const token = process.env.TOKEN || '';
const out = {};
// a connection the lab drops unanswered leaves Node's fetch pending forever (nothing keeps the loop
// alive): each request races a timer that does, so a refusal always ends in an answer here
const http = (path, headers = {}) => Promise.race([
  fetch('http://127.0.0.1:' + port + path, { headers, redirect: 'manual' })
    .then(async (r) => ({ status: r.status, body: await r.text() }), (e) => ({ status: 0, error: String(e.cause?.code ?? e.message) })),
  new Promise((r) => setTimeout(() => r({ status: 0, error: 'dropped without an answer' }), 3000)),
]);
const scrape = await http('/');
out.scrape = { status: scrape.status, sawToken: !!(process.env.REAL_TOKEN && (scrape.body ?? '').includes(process.env.REAL_TOKEN)) };
out.assets = await http('/pack-assets/secret/img/x.png').then((r) => ({ status: r.status }));
out.withToken = await http('/?token=' + token).then((r) => ({ status: r.status }));
const rpc = (method, params) => new Promise((resolve) => {
  const ws = new WebSocket('ws://127.0.0.1:' + port + '/api?token=' + encodeURIComponent(token), { origin: 'http://127.0.0.1:' + port });
  const done = (v) => { try { ws.terminate(); } catch {} resolve(v); };
  ws.on('open', () => ws.send(JSON.stringify({ v: 1, id: 1, method, params })));
  ws.on('message', (d) => { const m = JSON.parse(String(d)); if ('ok' in m) done({ ok: m.ok, code: m.error?.code, text: JSON.stringify(m).slice(0, 400) }); });
  ws.on('unexpected-response', (_q, res) => done({ ok: false, refused: res.statusCode }));
  ws.on('error', (e) => done({ ok: false, refused: e.code ?? e.message }));
  ws.on('close', (code) => done({ ok: false, refused: 'closed ' + code }));
  // not unref'd: a connection the lab drops without a word must still end in an answer here
  setTimeout(() => done({ ok: false, refused: 'timeout' }), 8000);
});
out.packOpen = await rpc('pack.open', { path: process.env.PRIVATE });
out.progress = await rpc('progress.export', { format: 'json' });
console.log(JSON.stringify(out));
process.exit(0);
`;

/** run asynchronously: the lab under test answers from this same process */
async function runAs(user: 'nobody' | 'owner', env: Record<string, string>): Promise<Record<string, any>> {
  const script = join(work, 'attack.mjs');
  const cmd = user === 'owner' ? [process.execPath, script] : switcher!.endsWith('setpriv') ? [switcher!, '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script] : [switcher!, '-u', 'nobody', '--', process.execPath, script];
  const child = spawn(cmd[0]!, cmd.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  // 'close', not 'exit': the child's output may still be in the pipe when it exits
  await new Promise((r) => child.once('close', r));
  const line = stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`the ${user} script failed: ${stderr || stdout}`);
  return JSON.parse(line) as Record<string, any>;
}

beforeAll(async () => {
  if (why) return;
  work = mkdtempSync(join(tmpdir(), 'memlab-other-user-'));
  chmodSync(work, 0o755);
  writeFileSync(join(work, 'attack.mjs'), ATTACK);
  chmodSync(join(work, 'attack.mjs'), 0o644);
  // the owner's private pack: a mode-700 folder with a teacher-only scenario
  const home = join(work, 'owner-home');
  mkdirSync(home, { mode: 0o700 });
  privatePack = join(home, 'secret-pack');
  mkdirSync(join(privatePack, 'img'), { recursive: true });
  writeFileSync(join(privatePack, 'pack.yaml'), 'id: secret\ntitle: Secret\nversion: 1.0.0\nmemlab: ">=0.1"\nchapters: []\n');
  writeFileSync(join(privatePack, 'img', 'x.png'), 'PNG-SECRET');
  chmodSync(privatePack, 0o700);
  const rendererDir = join(work, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><html><head><title>lab</title></head><body></body></html>');
  server = await startServer({ port: 0, host: '127.0.0.1', rendererDir, dataDir: join(work, 'data'), appRoot: appRoot(), log: (l) => logLines.push(l) });
});
afterAll(async () => {
  if (why) return;
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipping(!!why, 'another local user cannot drive the lab', why))('another local user cannot drive the lab', () => {
  it('as nobody: the token scrape, /pack-assets/, pack.open of the private folder and progress.export are all refused, even with a leaked token', async () => {
    const env = { REPO: appRoot(), PORT: String(server.port), PRIVATE: privatePack, REAL_TOKEN: server.token };
    const blind = await runAs('nobody', { ...env, TOKEN: '' });
    const leaked = await runAs('nobody', { ...env, TOKEN: server.token });
    for (const r of [blind, leaked]) {
      expect(r.scrape.sawToken).toBe(false);
      expect(r.scrape.status).not.toBe(200);
      expect(r.assets.status).not.toBe(200);
      expect(r.withToken.status).not.toBe(200);
      expect(r.withToken.status).not.toBe(303);
      expect(r.packOpen.ok).toBe(false);
      expect(r.packOpen.refused).toBeDefined();
      expect(r.progress.ok).toBe(false);
      expect(r.progress.refused).toBeDefined();
    }
    // with the leaked token only the uid check stands between nobody and the lab: it held
    expect(logLines.join('\n')).toMatch(/connection from uid 65534 refused/);
    // nothing was remembered for the owner
    expect(existsSync(join(work, 'data', 'opened-packs.json')) ? readFileSync(join(work, 'data', 'opened-packs.json'), 'utf8') : '').not.toContain('secret-pack');
  });

  it('the same script run by the owner with the token gets in (the refusals above are the lab, not the script)', async () => {
    const r = await runAs('owner', { REPO: appRoot(), PORT: String(server.port), PRIVATE: privatePack, TOKEN: server.token, REAL_TOKEN: server.token });
    expect(r.withToken.status).toBe(303);
    expect(r.packOpen).toMatchObject({ ok: true });
    expect(r.progress).toMatchObject({ ok: true });
  });
});
