/** `memlab host [--pid N] [--json]`: this machine's memory as /proc tells it. */
import { parseArgs } from 'node:util';
import { maps, meminfo, pressure, procAvailable, processes, readProcess, rollup, statusFields, sysctls, vmstat, zoneWatermarks } from '../node/host/proc.js';

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { pid: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`memlab host: ${(err as Error).message}\nusage: memlab host [--pid N] [--json]\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write('usage: memlab host [--pid N] [--json]\n');
    return 0;
  }
  const a = procAvailable();
  if (!a.ok) {
    process.stderr.write(`memlab host: ${a.why}\n`);
    return 1;
  }
  if (values.pid !== undefined) {
    const pid = Number(values.pid);
    if (!Number.isInteger(pid) || pid <= 0) {
      process.stderr.write(`memlab host: --pid must be a process id, not '${values.pid}'\n`);
      return 2;
    }
    const r = readProcess(pid);
    if (r.state === 'gone') {
      process.stderr.write(`memlab host: no process ${pid} (it may have exited)\n`);
      return 1;
    }
    const detail = { process: r, status: statusFields(pid), rollup: rollup(pid), maps: maps(pid) };
    if (values.json) process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
    else {
      process.stdout.write(`${pid}: ${r.command} (${r.user})\n`);
      for (const [k, v] of Object.entries(detail.status ?? {})) process.stdout.write(`${k.padEnd(14)} ${v}\n`);
      if (detail.rollup) process.stdout.write(`PSS ${detail.rollup.Pss} kB, SwapPss ${detail.rollup.SwapPss} kB, USS ${detail.rollup.USS} kB\n`);
      process.stdout.write(`${'Address'.padEnd(16)} ${'Kbytes'.padStart(9)} ${'RSS'.padStart(9)} ${'Dirty'.padStart(9)} Mode  Segment    Mapping\n`);
      for (const m of detail.maps ?? []) process.stdout.write(`${m.address} ${String(m.kbytes).padStart(9)} ${String(m.rss).padStart(9)} ${String(m.dirty).padStart(9)} ${m.mode}  ${m.segment.padEnd(10)} ${m.mapping}\n`);
      if (detail.maps === null) process.stdout.write('(its map is not readable by this user)\n');
    }
    return 0;
  }
  const report = { meminfo: meminfo(), vmstat: vmstat(), pressure: pressure(), zones: zoneWatermarks(), sysctls: sysctls(), processes: processes() };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`/proc/meminfo: ${Object.entries(report.meminfo).map(([k, v]) => `${k} ${v} kB`).join(', ')}\n`);
  process.stdout.write(`/proc/vmstat: ${Object.entries(report.vmstat).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  if (report.pressure) process.stdout.write(`memory pressure (avg10): some ${report.pressure.some}%, full ${report.pressure.full}%\n`);
  for (const z of report.zones) process.stdout.write(`zone ${z.zone} (node ${z.node}): free ${z.free} pages; watermarks min ${z.min} low ${z.low} high ${z.high}\n`);
  for (const s of report.sysctls) process.stdout.write(`${s.name} = ${s.value}  — ${s.meaning}\n`);
  process.stdout.write(`\n${'PID'.padStart(7)} ${'USER'.padEnd(10)} ${'VIRT'.padStart(10)} ${'RES'.padStart(9)} ${'SHR'.padStart(8)} ${'SWAP'.padStart(7)} ${'minflt'.padStart(9)} ${'majflt'.padStart(7)} ${'oom'.padStart(5)} COMMAND\n`);
  for (const p of report.processes.filter((x) => x.state === 'ok').sort((x, y) => y.RES - x.RES)) {
    process.stdout.write(`${String(p.pid).padStart(7)} ${p.user.slice(0, 10).padEnd(10)} ${String(p.VIRT).padStart(10)} ${String(p.RES).padStart(9)} ${String(p.SHR).padStart(8)} ${String(p.SWAP).padStart(7)} ${String(p.minflt).padStart(9)} ${String(p.majflt).padStart(7)} ${String(p.oom_score).padStart(5)} ${p.command}\n`);
  }
  const other = report.processes.filter((x) => x.state !== 'ok');
  process.stdout.write(`(${other.filter((x) => x.state === 'kernel-thread').length} kernel threads and ${other.filter((x) => x.state === 'unreadable').length} unreadable processes not shown)\n`);
  return 0;
}
