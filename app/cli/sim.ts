/** `memlab sim FILE [--json] [--seed N] [--faults]`: run a scenario and print /proc as it would read. */
import { parseArgs } from 'node:util';
import { parseScenario, Runner, ScenarioError, type SimReport } from '../common/kernel/index.js';
import { formatFault, type FaultTrace } from '../common/kernel/trace.js';
import { compareStep, states } from '../common/api/real_compare.js';
import type { RealStep } from '../common/api/real.js';
import { defaultDataDir } from '../node/paths.js';
import { RealRefused, runReal } from '../node/real/run.js';
import { ExecutorUnavailable } from '../node/real/toolchain.js';
import { PackRefused, readRegularFile } from '../node/packs/loader.js';

/** The largest scenario file memlab reads (as the LabApi's limit): refused before it is read. */
export const MAX_SCENARIO_FILE_BYTES = 2_000_000;

function faults(trace: FaultTrace): string {
  const out = ['== page faults (perf trace -F all) =='];
  if (trace.lost) out.push(`(${trace.lost} older faults overwritten: the trace keeps the newest ${trace.length})`);
  for (let i = 0; i < trace.length; i++) out.push(formatFault(trace.entry(i)));
  return out.join('\n');
}

const usage = `usage: memlab sim FILE [--json] [--seed N] [--faults] [--param NAME=VALUE …] [--real [--executor c|python]]
  Run a scenario (YAML or JSON) on the kernel simulator. Per snapshot: every process's
  /proc/PID/status fields, /proc/vmstat and /proc/meminfo; then the system calls and the kernel log.
  --json    the report as JSON: per snapshot the statechart's state ("kernel": {"cpu", "kswapd"}), the
            zone's min/low/high watermarks and free memory in pages ("zone"), /proc/PID/status,
            /proc/vmstat and /proc/meminfo; then the system calls and the kernel log.
  --seed N  turn on address-space layout randomisation (ASLR), drawn from N: the same N gives the
            same addresses and the same run. Without it, addresses are those of ASLR off
            (setarch -R, or gdb), the same every run.
  --faults  also print every page fault, as perf trace -F all would (the newest 262,144).
  --param   a value for one of the scenario's {{parameters}} (over its params: default)
  --real    also run it for real on this machine's kernel, in a memory cgroup of its own, and
            print the kernel's numbers beside the simulator's after every step (with --json:
            the report gains "real", of the same shape). --executor picks the C or Python one.
  The scenario format, every verb and option, with worked examples: exercises/SCENARIOS.md
  (JSON Schema: exercises/schema/scenario.schema.json).
  Exit 0; 2 when the scenario is invalid or a step cannot run (the message names the step);
  3 when it cannot run for real here (the message says why and what to install).`;

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
    parsed = parseArgs({ args: argv, options: { real: { type: 'boolean', default: false }, executor: { type: 'string' }, json: { type: 'boolean', default: false }, faults: { type: 'boolean', default: false }, seed: { type: 'string' }, param: { type: 'string', multiple: true, default: [] }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
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
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && (!/^\d+$/.test(values.seed!.trim()) || !Number.isSafeInteger(seed))) {
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
  if (values.real) return runRealCli(text, file, values.json, values.executor);
  const params: Record<string, number> = {};
  for (const p of values.param) {
    const m = /^([a-z_][a-z0-9_]*)=(-?\d+(?:\.\d+)?)$/.exec(p);
    if (!m) {
      process.stderr.write(`memlab sim: --param is NAME=NUMBER, like --param m=128, not '${p}'\n`);
      return 2;
    }
    params[m[1]!] = Number(m[2]);
  }
  let runner: Runner;
  try {
    runner = new Runner(parseScenario(text, file, { params }), seed === undefined ? {} : { seed });
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

/** one step, both sides, as text */
export function realStepText(rec: RealStep, prev: RealStep | undefined): string {
  const out = [`== step ${rec.step}: ${rec.text} ==`];
  const rows = compareStep(rec, prev);
  const cells = rows.map((r) => [
    `${r.scope} ${r.field}${r.mode === 'delta' ? ' (Δ step)' : ''}`,
    r.sim === null ? '—' : String(r.sim),
    r.real === null ? '—' : String(r.real),
    r.diff === null ? '—' : (r.diff > 0 ? '+' : '') + String(r.diff),
  ]);
  const head = ['', 'simulator', 'kernel', 'difference'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  out.push(head.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
  for (const c of cells) out.push(c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  '));
  for (const s of states(rec)) if (s.sim !== 'running' || s.real !== 'running') out.push(`${s.name}: simulator ${s.sim}, kernel ${s.real}`);
  const calls = (l: RealStep['simSyscalls']) => (l.length ? l.map((c) => `${c.proc}: ${c.call} ${c.size}`).join('; ') : '(none)');
  out.push(`system calls — simulator: ${calls(rec.simSyscalls)}`);
  out.push(`system calls — kernel:    ${calls(rec.realSyscalls)}`);
  for (const n of rec.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

async function runRealCli(text: string, file: string, json: boolean, executor: string | undefined): Promise<number> {
  if (executor !== undefined && executor !== 'c' && executor !== 'python') {
    process.stderr.write(`memlab sim: --executor is c or python, not '${executor}'\n`);
    return 2;
  }
  let scenario;
  try {
    scenario = parseScenario(text, file);
  } catch (err) {
    if (err instanceof ScenarioError) {
      process.stderr.write(`memlab sim: ${err.describe()}\n`);
      return 2;
    }
    throw err;
  }
  const stop = () => process.exit(130);
  process.once('SIGINT', stop);
  const prevSteps: RealStep[] = [];
  const prevOf = (rec: RealStep): RealStep | undefined => {
    const p = prevSteps[prevSteps.length - 1];
    prevSteps.push(rec);
    return p;
  };
  try {
    const { run, report } = await runReal(scenario, {
      dataDir: defaultDataDir(),
      prefer: executor as 'c' | 'python' | undefined,
      onStep: json ? undefined : (rec) => process.stdout.write(`${realStepText(rec, prevOf(rec))}\n\n`),
    });
    const sim = run.sim.finish();
    const info = report.info;
    if (json) process.stdout.write(`${JSON.stringify({ ...sim, real: report }, null, 2)}\n`);
    else {
      process.stdout.write(`ran with the ${info.executor === 'c' ? 'C' : 'Python'} executor (${info.executorNote}); ${info.containment.kind === 'none' ? `no cgroup (${info.containment.why})` : `in ${info.containment.kind} ${info.containment.path ?? ''} (limit ${info.containment.limitBytes} B)`}; system calls ${info.syscallSource === 'strace' ? 'recorded by strace' : 'read off /proc/PID/maps diffs (no strace here)'}; OOM kills: ${info.oomKills}\n`);
      process.stdout.write('counters (Δ step) are compared as changes over the step: the simulator does not model start-up faults; meminfo and vmstat are the whole machine\'s.\n');
    }
    return report.error ? 2 : 0;
  } catch (err) {
    if (err instanceof RealRefused || err instanceof ExecutorUnavailable) {
      process.stderr.write(`memlab sim --real: ${err.message}\n`);
      return 3;
    }
    throw err;
  } finally {
    process.off('SIGINT', stop);
  }
}
