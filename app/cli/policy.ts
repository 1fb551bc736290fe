/**
 * `memlab policy`: page replacement on a reference string, OSTEP's paging-policy.py with checked
 * answers — one policy traced access by access, every policy side by side, or a sweep of hit
 * rate against cache size.
 */
import { parseArgs } from 'node:util';
import { parseAddresses, POLICIES, POLICY_DOCS, PolicyError, type PolicyRequest, runPolicy, sweep } from '../common/policy/index.js';

const usage = `memlab policy --policy P --cache-size N (--addresses 0,1,2,0,... | --numaddrs K --maxpage M)
              [--seed S] [--clockbits B] [--json] [--why] [--sweep FROM..TO]
  Page replacement on a reference string, computed as OSTEP's paging-policy.py computes it.
  --policy P        one of the policies below (any case), or all for every policy side by side
  --cache-size N    frames in the cache (OSTEP's -C)
  --addresses LIST  the pages referenced, in order (commas or spaces); OSTEP's -a
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
    const base: Omit<PolicyRequest, 'policy' | 'cacheSize'> = {
      addresses: values.addresses !== undefined ? parseAddresses(values.addresses) : undefined,
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
        process.stdout.write(`${JSON.stringify({ addresses: s.addresses, sweep: s.rows })}\n`);
        return 0;
      }
      const names = Object.keys(s.rows[0]!.hits);
      const w = Math.max(6, ...names.map((n) => n.length));
      const out = [`references: ${s.addresses.join(',')}`, `hit rate by cache size (hits in brackets)`, `${'frames'.padEnd(7)}${names.map((n) => pad(n, w + 8)).join('')}`];
      for (const r of s.rows) out.push(`${String(r.cacheSize).padEnd(7)}${names.map((n) => pad(`${(r.hitrate[n]! * 100).toFixed(1)}% (${r.hits[n]})`, w + 8)).join('')}`);
      process.stdout.write(`${out.join('\n')}\n`);
      return 0;
    }
    if (values['cache-size'] === undefined) return fail('--cache-size is required (frames in the cache, 1 or more)');
    const cacheSize = wholeOpt('cacheSize', values['cache-size'])!;
    if (policies.length > 1) {
      const runs = policies.map((p) => runPolicy({ ...base, policy: p, cacheSize }));
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ addresses: runs[0]!.addresses, policies: Object.fromEntries(runs.map((r) => [r.policy, { accesses: r.accesses, totals: r.totals }])) })}\n`);
        return 0;
      }
      // one row per access, one column per policy: H or the fault and its victim
      const w = Math.max(...runs.map((r) => r.policy.length), 7) + 2;
      const out = [`cache of ${cacheSize} page${cacheSize === 1 ? '' : 's'}; H = hit, M = miss, M>v = miss that evicted v`, `${'#'.padStart(4)} ${'page'.padStart(6)}${runs.map((r) => pad(r.policy, w)).join('')}`];
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
      process.stdout.write(`${JSON.stringify({ accesses: r.accesses.map(({ addr, hit, evicted, cache }) => ({ addr, hit, evicted, cache })), totals: r.totals })}\n`);
      return 0;
    }
    let hits = 0;
    const out = [`policy ${r.policy}, cache of ${cacheSize} page${cacheSize === 1 ? '' : 's'}`];
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
