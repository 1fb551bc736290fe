/** `memlab results merge FILES… -o class.csv`: one class table from learners' exported results (JSON or CSV). */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CSV_HEADER, csvLine, ProgressFile, toCsv } from '../node/progress/store.js';

const usage = `usage: memlab results merge FILES… -o class.csv
  Joins learners' exported results (JSON or CSV) into one class table, one row per learner and
  exercise. A file that cannot be read stops the merge: nothing is written, and each bad file
  and line is named. Exit 0 when written, 1 when an input is bad, 2 on a wrong command line.`;

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cells: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (q) {
        if (c === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (c === '"') q = false;
        else cur += c;
      } else if (c === '"') q = true;
      else if (c === ',') {
        cells.push(cur);
        cur = '';
      } else cur += c;
    }
    cells.push(cur);
    rows.push(cells);
  }
  return rows;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help' || (sub === 'merge' && (rest.includes('--help') || rest.includes('-h')))) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (sub !== 'merge') {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: { output: { type: 'string', short: 'o' } }, allowPositionals: true }));
  } catch (err) {
    process.stderr.write(`memlab results: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (!positionals.length || !values.output) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const header = CSV_HEADER;
  // exports from before points were recorded have every column but the last
  const older = CSV_HEADER.slice(0, -1);
  const out: string[][] = [header];
  let bad = 0;
  let badFiles = 0;
  for (const f of positionals) {
    const before = bad;
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      process.stderr.write(`memlab results: cannot read ${f}: ${(err as NodeJS.ErrnoException).code}\n`);
      bad++;
      continue;
    }
    if (f.endsWith('.json')) {
      let data;
      try {
        data = ProgressFile.safeParse(JSON.parse(text));
      } catch (err) {
        process.stderr.write(`memlab results: ${f}: not JSON (${(err as Error).message})\n`);
        bad++;
        continue;
      }
      if (!data.success) {
        const i = data.error.issues[0]!;
        process.stderr.write(`memlab results: ${f}: field ${i.path.join('.') || '(root)'}: ${i.message}\n`);
        bad++;
        continue;
      }
      out.push(...parseCsv(toCsv(data.data)).slice(1));
    } else {
      const rows = parseCsv(text);
      const cols = rows[0]?.join(',') === header.join(',') ? header.length : rows[0]?.join(',') === older.join(',') ? older.length : 0;
      if (!cols) {
        process.stderr.write(`memlab results: ${f}:1: expected the header ${header.join(',')}\n`);
        bad++;
        continue;
      }
      rows.slice(1).forEach((r, i) => {
        if (r.length !== cols) {
          process.stderr.write(`memlab results: ${f}:${i + 2}: expected ${cols} fields, found ${r.length}\n`);
          bad++;
        } else out.push(cols < header.length ? [...r, ''] : r);
      });
    }
    if (bad > before) badFiles++;
  }
  // a learner who exported twice: keep one row per learner and exercise, the further one
  // (solved beats unsolved, then more attempts, then more hints seen)
  const rank = (r: string[]) => [r[4] === 'yes' ? 1 : 0, Number(r[3]) || 0, Number(r[6]) || 0];
  const best = new Map<string, string[]>();
  for (const r of out.slice(1)) {
    const k = `${r[0]}\u0000${r[1]}\u0000${r[2]}`;
    const had = best.get(k);
    if (!had) best.set(k, r);
    else {
      const [a, b] = [rank(had), rank(r)];
      const i = a.findIndex((x, j) => x !== b[j]);
      if (i >= 0 && b[i]! > a[i]!) best.set(k, r);
    }
  }
  if (bad) {
    // never a partial class table: the teacher would not know rows are missing
    process.stderr.write(`memlab results: ${badFiles} of ${positionals.length} file(s) could not be read; nothing was written to ${values.output}\n`);
    return 1;
  }
  const dup = out.length - 1 - best.size;
  const rows = [header, ...[...best.values()].sort((x, y) => x.slice(0, 3).join('\u0000').localeCompare(y.slice(0, 3).join('\u0000')))];
  const csv = rows.map(csvLine).join('\n') + '\n';
  // write beside the target and rename, so a failure leaves no partial file
  const tmp = `${values.output}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, csv);
    renameSync(tmp, values.output);
  } catch (err) {
    rmSync(tmp, { force: true });
    process.stderr.write(`memlab results: cannot write ${values.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`wrote ${values.output}: ${rows.length - 1} rows from ${positionals.length - badFiles} file(s)${dup ? `; ${dup} repeated row(s) of the same learner and exercise kept once` : ''}\n`);
  return 0;
}
