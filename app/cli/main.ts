/** The `memlab` command: one subcommand per file in this folder. */
type Sub = { run(argv: string[]): Promise<number> };

/** Each subcommand is loaded only when used, so `memlab serve` starts without the others. */
const load = (file: string): Promise<Sub> => import(`./${file}.js`) as Promise<Sub>;

const SUBCOMMANDS: Record<string, { doc: string; load: () => Promise<Sub> }> = {
  serve: { doc: 'serve the lab on 127.0.0.1 (the browser host)', load: () => load('serve') },
  sim: { doc: 'run a scenario on the kernel simulator and print /proc-style counters', load: () => load('sim') },
  pack: { doc: 'check, scaffold or build an exercise pack (check | new | build)', load: () => load('pack') },
  host: { doc: "print this Linux host's memory readings from /proc", load: () => load('host') },
  policy: { doc: 'page replacement on a reference string: FIFO, LRU, OPT, CLOCK, ... and Linux (OSTEP-exact)', load: () => load('policy') },
  results: { doc: 'merge exported results into a class table (results merge)', load: () => load('results') },
};

function help(): string {
  const rows = Object.entries(SUBCOMMANDS).map(([name, s]) => `  ${name.padEnd(8)} ${s.doc}`);
  return `usage: memlab <command> [options]\n\n${rows.join('\n')}\n\nmemlab <command> --help for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { appRoot } = await import('../node/paths.js');
    const { appVersion } = await import('../node/services/core.js');
    process.stdout.write(`${appVersion(appRoot())}\n`);
    return 0;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) {
    process.stderr.write(`memlab: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  let mod: Sub;
  try {
    mod = await sub.load();
  } catch (err) {
    process.stderr.write(`memlab ${name}: not available in this build (${(err as Error).message})\n`);
    return 1;
  }
  return mod.run(rest);
}
