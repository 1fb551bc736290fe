/** `memlab serve [--port N] [--host H] [--open] [--data-dir DIR]` */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { appRoot, defaultDataDir, rendererDir } from '../node/paths.js';
import { startServer } from '../node/serve/server.js';

export const usage = `memlab serve [--port N] [--host ADDR] [--open] [--data-dir DIR]
  Serve the lab on http://127.0.0.1:PORT (default port 5178; 0 picks a free one). The printed
  link carries this run's key (as Jupyter's does): open it; the lab answers no one without it,
  and on Linux no other user's program even with it.
  --host ADDR   bind another address (warns: anyone who can reach it could use the lab)
  --open        open the lab in the default browser
  --data-dir    where progress and opened packs are kept (default: ${defaultDataDir()})`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => process.stderr.write(`memlab: could not open a browser (${cmd}); open ${url} yourself\n`));
  child.unref();
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '5178' },
        host: { type: 'string' },
        open: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`memlab serve: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`memlab serve: --port must be a whole number from 0 to 65535, not '${values.port}'\n`);
    return 2;
  }
  const host = values.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    process.stderr.write(
      `memlab serve: warning: listening on ${host}, not loopback: anyone who can reach this address and has the printed link can use this lab\n`,
    );
  }
  // MEMLAB_LIMITS='{"simSeconds":5,"maxInFlight":4}': smaller budgets (tests, a crowded machine)
  let limits: Record<string, number> = {};
  if (process.env.MEMLAB_LIMITS) {
    try {
      limits = JSON.parse(process.env.MEMLAB_LIMITS) as Record<string, number>;
      if (!limits || typeof limits !== 'object' || Object.values(limits).some((v) => typeof v !== 'number' || !(v > 0))) throw new Error('each limit is a positive number');
    } catch (err) {
      process.stderr.write(`memlab serve: MEMLAB_LIMITS is not a JSON object of positive numbers: ${(err as Error).message}\n`);
      return 2;
    }
  }
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true });
  const root = appRoot();
  let server;
  try {
    server = await startServer({ port, host: host === 'localhost' ? '127.0.0.1' : host, rendererDir: rendererDir(root), dataDir, appRoot: root, limits, workLimits: limits });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(
      `memlab serve: cannot listen on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use (try --port 0)' : e.message}\n`,
    );
    return 1;
  }
  // the link carries the lab's key: only the user who sees this terminal can open the lab
  process.stdout.write(`memlab is serving the lab at ${server.openUrl}\n`);
  if (values.open) openBrowser(server.openUrl);
  return await new Promise<number>((done) => {
    const stop = (signal: string) => {
      process.stderr.write(`memlab serve: ${signal}, shutting down\n`);
      server.close().then(
        () => done(0),
        () => done(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
