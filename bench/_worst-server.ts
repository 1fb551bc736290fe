/**
 * The lab under test in bench/worst.ts, in a process of its own (what the bench does to build and
 * send its inputs must not be mistaken for the lab's work), with the event loop's delay measured
 * (perf_hooks.monitorEventLoopDelay). Prints its address as one JSON line; every line read on
 * stdin ("mark") answers with the loop's delays since the last mark and the CPU time the main
 * thread used meanwhile, in ms, and starts again.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { appRoot } from '../app/node/paths.js';
import { startServer } from '../app/node/serve/server.js';

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  rendererDir: mkdtempSync(join(tmpdir(), 'bench-r-')),
  dataDir: mkdtempSync(join(tmpdir(), 'bench-d-')),
  appRoot: appRoot(),
  log: () => {},
});
process.stdout.write(`${JSON.stringify({ port: server.port, token: server.token })}\n`);
const ms = (ns: number) => ns / 1e6;
/** CPU time the main thread (its task id is the pid) has used, in ms: utime + stime of /proc/self/task/PID/stat, in clock ticks (USER_HZ, 100 on Linux) */
const mainCpu = () => {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
};
let cpu0 = mainCpu();
createInterface({ input: process.stdin }).on('line', () => {
  const cpu = mainCpu();
  process.stdout.write(`${JSON.stringify({ max: ms(loop.max), p99: ms(loop.percentile(99)), mean: ms(loop.mean), cpu: cpu - cpu0 })}\n`);
  cpu0 = cpu;
  loop.reset();
});
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
