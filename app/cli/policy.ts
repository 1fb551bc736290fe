/**
 * `memlab policy`: page replacement on a reference string, OSTEP's paging-policy.py with checked
 * answers — one policy traced access by access, every policy side by side, or a sweep of hit
 * rate against cache size.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseScenario, ScenarioError } from '../common/kernel/index.js';
import { parseAddresses, POLICIES, POLICY_DOCS, PolicyError, type PolicyRequest, runPolicy, scenarioReferences, type ScenarioRefs, sweep, sweepAnomalies } from '../common/policy/index.js';
import { appRoot } from '../node/paths.js';
import { PackRefused, readRegularFile } from '../node/packs/loader.js';
import { MAX_SCENARIO_FILE_BYTES } from './sim.js';

const usage = `memlab policy --policy P --cache-size N (--addresses 0,1,2,0,... | --numaddrs K --maxpage M
              | --scenario FILE [--proc NAME]) [--seed S] [--clockbits B] [--json] [--why] [--sweep FROM..TO]
  Page replacement on a reference string, computed as OSTEP's paging-policy.py computes it.
  --policy P        one of the policies below (any case), or all for every policy side by side
  --cache-size N    frames in the cache (OSTEP's -C)
  --addresses LIST  the pages referenced, in order (commas or spaces); OSTEP's -a
  --scenario FILE   take the string from a scenario (a file, or a built-in's name like fork-cow):
                    the pages its touch steps reference, in order, and the file pages its
                    read_file/write_file steps go through, as the simulator runs it; pages are
                    numbered 0, 1, 2, ... by first reference (the legend says which is which)
  --proc NAME       with --scenario: only this process's references (default: every process's)
  --numaddrs K      without --addresses: draw K pages as OSTEP does, int(M * random()) (default 10)
  --maxpage M       the pages drawn are 0..M-1 (default 10)
  --seed S          seeds CPython's random as random.seed(S) (default 0); RAND and CLOCK draw from
                    the same stream after the addresses
  --clockbits B     CLOCK's counter limit (default 2)
  --sweep FROM..TO  hit rate for each cache size FROM..TO (e.g. 1..8) instead of a trace
  --why             with a trace: say why each victim was chosen
  --json            one JSON object on stdout:
                    {"accesses":[{"addr":0,"hit":false,"evicted":null,"cache":[0]},...],
                     "totals":{"hits":6,"misses":5,"hitrate":0.5455}}
                    (--policy all: {"addresses":[...],"policies":{"FIFO":{"accesses":..,"totals":..},...}};
                     --sweep: {"addresses":[...],"sweep":[{"cacheSize":1,"hits":{..},"hitrate":{..}},...]})
  cache order: FIFO arrival order; LRU and MRU least to most recently used; OPT, UNOPT, RAND,
  CLOCK OSTEP's memory list; SECOND-CHANCE frame order; LFU arrival; LINUX the inactive list
  from its tail (reclaimed next) to its head, then the active list likewise.
Policies:
${POLICIES.map((p) => `  ${p.padEnd(14)} ${POLICY_DOCS[p]}`).join('\n')}
Exit 0; 2 on bad options (the message names the option).`;

function fail(msg: string): number {
  process.stderr.write(`memlab policy: ${msg}\nmemlab policy --help for the options.\n`);
  return 2;
}

const OPTION_OF: Record<string, string> = { cacheSize: '--cache-size', addresses: '--addresses', numaddrs: '--numaddrs', maxpage: '--maxpage', seed: '--seed', clockbits: '--clockbits', policy: '--policy', from: '--sweep', to: '--sweep' };

function wholeOpt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw new PolicyError(name, `${OPTION_OF[name] ?? name} must be a whole number, not '${text}'`);
  return Number(text);
}

/** parseArgs reads "--seed -5" as two options: join a negative number to the option before it. */
function joinNegatives(argv: string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const v = argv[k + 1];
    if (/^--(seed|cache-size|numaddrs|maxpage|clockbits)$/.test(a) && v !== undefined && /^-\d/.test(v)) {
      out.push(`${a}=${v}`);
      k++;
    } else out.push(a);
  }
  return out;
}

const pad = (s: string, w: number) => s.padStart(w);

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: joinNegatives(argv),
      options: {
        policy: { type: 'string', short: 'p' },
        'cache-size': { type: 'string', short: 'C' },
        addresses: { type: 'string', short: 'a' },
        numaddrs: { type: 'string', short: 'n' },
        maxpage: { type: 'string', short: 'm' },
        seed: { type: 'string', short: 's' },
        clockbits: { type: 'string', short: 'b' },
        sweep: { type: 'string' },
        scenario: { type: 'string' },
        proc: { type: 'string' },
        json: { type: 'boolean', default: false },
        why: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  try {
    if (values.policy === undefined) return fail('--policy is required: one of ' + POLICIES.join(', ') + ', or all');
    const all = values.policy.trim().toLowerCase() === 'all';
    const policies: string[] = all ? [...POLICIES] : values.policy.split(',');
    if (values.addresses !== undefined && (values.numaddrs !== undefined || values.maxpage !== undefined)) return fail('give --addresses or --numaddrs/--maxpage, not both');
    if (values.scenario !== undefined && (values.addresses !== undefined || values.numaddrs !== undefined || values.maxpage !== undefined)) return fail('give --scenario or --addresses or --numaddrs/--maxpage, one source of references');
    if (values.proc !== undefined && values.scenario === undefined) return fail('--proc chooses a process of a --scenario: give --scenario FILE too');
    let refs: ScenarioRefs | undefined;
    if (values.scenario !== undefined) {
      const got = scenarioRefs(values.scenario, values.proc);
      if (typeof got === 'number') return got;
      refs = got;
    }
    const base: Omit<PolicyRequest, 'policy' | 'cacheSize'> = {
      addresses: refs ? refs.addresses : values.addresses !== undefined ? parseAddresses(values.addresses) : undefined,
      numaddrs: wholeOpt('numaddrs', values.numaddrs),
      maxpage: wholeOpt('maxpage', values.maxpage),
      seed: values.seed ?? '0',
      clockbits: wholeOpt('clockbits', values.clockbits),
    };
    if (values.sweep !== undefined) {
      const m = /^\s*(\d+)\s*(?:(?:\.\.|-|:)\s*(\d+))?\s*$/.exec(values.sweep);
      if (!m) return fail(`--sweep is a range of cache sizes like 1..8, not '${values.sweep}'`);
      const from = m[2] ? Number(m[1]) : 1;
      const to = Number(m[2] ?? m[1]);
      const s = sweep({ ...base, policies, from, to });
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ addresses: s.addresses, sweep: s.rows, anomalies: sweepAnomalies(s.rows), ...scenarioJson(refs) })}\n`);
        return 0;
      }
      const names = Object.keys(s.rows[0]!.hits);
      const w = Math.max(6, ...names.map((n) => n.length));
      const out = [...legend(refs), `references: ${s.addresses.join(',')}`, `hit rate by cache size (hits in brackets)`, `${'frames'.padEnd(7)}${names.map((n) => pad(n, w + 8)).join('')}`];
      for (const r of s.rows) out.push(`${String(r.cacheSize).padEnd(7)}${names.map((n) => pad(`${(r.hitrate[n]! * 100).toFixed(1)}% (${r.hits[n]})`, w + 8)).join('')}`);
      // as the Policies view says them: more memory, more faults
      for (const a of sweepAnomalies(s.rows)) out.push(`Belady's anomaly: ${a.policy} gets ${a.hits} hits with ${a.cacheSize} frames but only ${a.hitsWithMore} with ${a.cacheSize + 1}`);
      process.stdout.write(`${out.join('\n')}\n`);
      return 0;
    }
    if (values['cache-size'] === undefined) return fail('--cache-size is required (frames in the cache, 1 or more)');
    const cacheSize = wholeOpt('cacheSize', values['cache-size'])!;
    if (policies.length > 1) {
      const runs = policies.map((p) => runPolicy({ ...base, policy: p, cacheSize }));
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ addresses: runs[0]!.addresses, policies: Object.fromEntries(runs.map((r) => [r.policy, { accesses: r.accesses, totals: r.totals }])), ...scenarioJson(refs) })}\n`);
        return 0;
      }
      // one row per access, one column per policy: H or the fault and its victim
      const w = Math.max(...runs.map((r) => r.policy.length), 7) + 2;
      const out = [...legend(refs), `cache of ${cacheSize} page${cacheSize === 1 ? '' : 's'}; H = hit, M = miss, M>v = miss that evicted v`, `${'#'.padStart(4)} ${'page'.padStart(6)}${runs.map((r) => pad(r.policy, w)).join('')}`];
      runs[0]!.accesses.forEach((a, k) => {
        out.push(`${String(k + 1).padStart(4)} ${String(a.addr).padStart(6)}${runs.map((r) => pad(r.accesses[k]!.hit ? 'H' : r.accesses[k]!.evicted === null ? 'M' : `M>${r.accesses[k]!.evicted}`, w)).join('')}`);
      });
      out.push(`${'hits'.padStart(11)}${runs.map((r) => pad(String(r.totals.hits), w)).join('')}`);
      out.push(`${'hit rate'.padStart(11)}${runs.map((r) => pad(`${(r.totals.hitrate * 100).toFixed(2)}%`, w)).join('')}`);
      process.stdout.write(`${out.join('\n')}\n`);
      return 0;
    }
    const r = runPolicy({ ...base, policy: policies[0]!, cacheSize }, { explain: values.why });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ accesses: r.accesses.map(({ addr, hit, evicted, cache }) => ({ addr, hit, evicted, cache })), totals: r.totals, ...scenarioJson(refs) })}\n`);
      return 0;
    }
    let hits = 0;
    const out = [...legend(refs), `policy ${r.policy}, cache of ${cacheSize} page${cacheSize === 1 ? '' : 's'}`];
    r.accesses.forEach((a, k) => {
      if (a.hit) hits++;
      out.push(`Access: ${a.addr}  ${a.hit ? 'HIT ' : 'MISS'} -> [${a.cache.join(', ')}] Replaced:${a.evicted ?? '-'} [Hits:${hits} Misses:${k + 1 - hits}]`);
      if (values.why && 'why' in a) out.push(`    ${(a as { why: string }).why}`);
    });
    out.push('', `FINALSTATS hits ${r.totals.hits}   misses ${r.totals.misses}   hitrate ${(r.totals.hitrate * 100).toFixed(2)}`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof PolicyError) return fail(err.message.replace(/^(cacheSize|numaddrs|maxpage|clockbits|from|to)\b/, (f) => OPTION_OF[f] ?? f));
    throw err;
  }
}

/** the scenario a --scenario names: a file, or a built-in scenario's name; its references, or an exit code */
function scenarioRefs(arg: string, proc: string | undefined): ScenarioRefs | number {
  const builtin = join(appRoot(), 'exercises', 'scenarios', `${arg}.yaml`);
  const file = !existsSync(arg) && /^[a-z0-9][a-z0-9-]*$/.test(arg) && existsSync(builtin) ? builtin : arg;
  const shown = file === builtin ? `exercises/scenarios/${arg}.yaml` : arg;
  let text: string;
  try {
    text = readRegularFile(file, MAX_SCENARIO_FILE_BYTES).toString('utf8');
  } catch (err) {
    if (err instanceof PackRefused) return fail(`--scenario: cannot read ${shown}: ${/larger than/.test(err.message) ? `it is larger than ${MAX_SCENARIO_FILE_BYTES / 1e6} MB, the most a scenario may be` : 'it is not a regular file'}`);
    return fail(`--scenario: cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}${(err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (a file, or a built-in scenario\'s name such as fork-cow)' : ''}`);
  }
  try {
    return scenarioReferences(parseScenario(text, shown), { proc });
  } catch (err) {
    if (err instanceof ScenarioError) return fail(err.where.field === 'proc' ? `--proc: ${err.describe()}` : err.describe());
    throw err;
  }
}

/** the lines that say where a scenario's references came from and which page is which */
function legend(refs: ScenarioRefs | undefined): string[] {
  if (!refs) return [];
  const out = [`references from the scenario's touch steps${refs.proc ? ` by ${refs.proc}` : ''}: ${refs.total} reference${refs.total === 1 ? '' : 's'} to ${refs.pageCount} page${refs.pageCount === 1 ? '' : 's'}`];
  if (refs.stopped) out.push(`(${refs.stopped}; the references up to there)`);
  const shown = refs.pages.slice(0, 64).map((label, n) => `${n}=${label}`);
  out.push(`pages: ${shown.join(', ')}${refs.pages.length > 64 ? `, … (${refs.pages.length - 64} more; --json lists them all)` : ''}`);
  return out;
}

const scenarioJson = (refs: ScenarioRefs | undefined) => (refs ? { scenario: { proc: refs.proc, processes: refs.processes, pages: refs.pages, steps: refs.steps, ...(refs.stopped ? { stopped: refs.stopped } : {}) } } : {});
