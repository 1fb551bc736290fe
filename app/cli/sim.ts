/** `memlab sim FILE [--json] [--seed N]`: run a scenario and print /proc as it would read. */
import { parseArgs } from 'node:util';
import { parseScenario, Runner, ScenarioError, type SimReport } from '../common/kernel/index.js';
import { formatFault, type FaultTrace } from '../common/kernel/trace.js';
import { PackRefused, readRegularFile } from '../node/packs/loader.js';

/** The largest scenario file memlab reads (as the LabApi's limit): refused before it is read. */
export const MAX_SCENARIO_FILE_BYTES = 2_000_000;

function faults(trace: FaultTrace): string {
  const out = ['== page faults (perf trace -F all) =='];
  if (trace.lost) out.push(`(${trace.lost} older faults overwritten: the trace keeps the newest ${trace.length})`);
  for (let i = 0; i < trace.length; i++) out.push(formatFault(trace.entry(i)));
  return out.join('\n');
}

const usage = `memlab sim FILE [--json] [--seed N] [--faults]
  Run a scenario (YAML or JSON) on the kernel simulator. Per snapshot: every process's
  /proc/PID/status fields, /proc/vmstat and /proc/meminfo; then the system calls and the kernel log.
  --faults  also print every page fault, as perf trace -F all would (the newest 262,144).
  Exit 0; 2 when the scenario is invalid or a step cannot run (the message names the step).`;

const STATUS_KEYS = ['VmSize', 'VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'VmHWM', 'VmSwap', 'VmLck', 'VmPTE', 'VmData', 'VmStk'] as const;

function table(report: SimReport): string {
  const out: string[] = [];
  for (const s of report.snapshots) {
    out.push(`== snapshot "${s.label}" after step ${s.step} ==`);
    const names = Object.keys(s.processes);
    const cols = ['', ...names];
    const rows: string[][] = [];
    for (const k of STATUS_KEYS) rows.push([`${k} (kB)`, ...names.map((n) => String(s.processes[n]![k]))]);
    for (const k of ['minflt', 'majflt', 'oom_score', 'state'] as const) rows.push([k, ...names.map((n) => String(s.processes[n]![k]))]);
    const w = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
    out.push(cols.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
    for (const r of rows) out.push(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
    out.push('/proc/meminfo: ' + Object.entries(s.meminfo).filter(([k]) => ['MemTotal', 'MemFree', 'MemAvailable', 'Cached', 'AnonPages', 'SwapTotal', 'SwapFree'].includes(k)).map(([k, v]) => `${k} ${v} kB`).join(', '));
    out.push('/proc/vmstat:  ' + Object.entries(s.vmstat).map(([k, v]) => `${k} ${v}`).join(', '));
    out.push('');
  }
  if (report.syscalls.length) {
    out.push('== system calls ==');
    for (const c of report.syscalls) out.push(`step ${String(c.step).padStart(3)}  ${c.proc}: ${c.text}`);
    out.push('');
  }
  if (report.log.length) {
    out.push('== kernel log ==');
    for (const l of report.log) out.push(`step ${String(l.step).padStart(3)}  ${l.text}`);
  }
  return out.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false }, faults: { type: 'boolean', default: false }, seed: { type: 'string', default: '1' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`memlab sim: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`memlab sim: name one scenario file\n${usage}\n`);
    return 2;
  }
  const file = positionals[0]!;
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) {
    process.stderr.write(`memlab sim: --seed must be a whole number, not '${values.seed}'\n`);
    return 2;
  }
  let text: string;
  try {
    // a regular file of at most 2 MB: its size is checked on the open file before a byte is read
    text = readRegularFile(file, MAX_SCENARIO_FILE_BYTES).toString('utf8');
  } catch (err) {
    if (err instanceof PackRefused && /larger than/.test(err.message)) {
      process.stderr.write(`memlab sim: ${file} is larger than ${MAX_SCENARIO_FILE_BYTES / 1e6} MB, the most a scenario may be; it was not read (split it into smaller scenarios)\n`);
      return 2;
    }
    if (err instanceof PackRefused) {
      process.stderr.write(`memlab sim: cannot read ${file}: it is not a regular file\n`);
      return 2;
    }
    process.stderr.write(`memlab sim: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
  let runner: Runner;
  try {
    runner = new Runner(parseScenario(text, file), { seed });
  } catch (err) {
    if (err instanceof ScenarioError) {
      process.stderr.write(`memlab sim: ${err.describe()}\n`);
      return 2;
    }
    throw err;
  }
  let failure: ScenarioError | null = null;
  while (!runner.done) {
    try {
      runner.step();
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      failure = err;
      break;
    }
  }
  const report = runner.finish();
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${table(report)}\n`);
  if (values.faults && !values.json) process.stdout.write(`\n${faults(runner.k.trace)}\n`);
  if (failure) {
    process.stderr.write(`memlab sim: ${failure.describe()}\n`);
    return 2;
  }
  return 0;
}
