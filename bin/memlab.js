#!/usr/bin/env node
// The `memlab` command. Runs the compiled app (build/app), built by `npm install` (prepare).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'build', 'app', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('memlab: not built yet: run `npm run build` in ' + root + '\n');
  process.exit(1);
}
// `memlab host | head` closes the pipe early: that is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
