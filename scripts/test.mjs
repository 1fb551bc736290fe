// `npm test`: build, lint, then every test — unit and property (vitest) and e2e (Playwright driving a
// real Chromium against memlab serve) — and one closing line counting them all together.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_MISSING, chromiumExecutable } from './chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };
const out = mkdtempSync(join(tmpdir(), 'memlab-test-'));
console.log(`npm test: reports in ${out}`);
const t0 = Date.now();
// each phase's wall time, printed at the end: the suite's cost is watched phase by phase
const phases = [];
/** run a command to its end; its exit status (1 if it could not start). `hold`: print its output when it ends */
function timedRun(label, cmd, args, { env: runEnv = env, hold = false } = {}) {
  const t = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: runEnv, stdio: hold ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    const held = [];
    if (hold) for (const s of [child.stdout, child.stderr]) s.on('data', (d) => held.push(d));
    let ended = false;
    const end = (code) => {
      if (ended) return;
      ended = true;
      const secs = ((Date.now() - t) / 1000).toFixed(0);
      phases.push(`${label} ${secs} s`);
      if (held.length) process.stdout.write(Buffer.concat(held));
      if (hold) console.log(`npm test: ${label} ${code === 0 ? 'passed' : 'failed'} in ${secs} s`);
      resolve(code);
    };
    child.once('error', (err) => {
      held.push(Buffer.from(`${label}: ${err.message}\n`));
      end(1);
    });
    child.once('close', (code) => end(code ?? 1));
  });
}

const chromium = chromiumExecutable();
if (!chromium) {
  console.error(`npm test: ${CHROMIUM_MISSING}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`npm test: e2e will drive ${chromium}`);

// Two lanes, as a 2-core machine has two cores: the type checks and lint (each one single-threaded
// process, needing no build) run beside the build and then beside vitest; vitest waits for the build
// (its CLI and server tests run build/), Playwright for vitest (both want both cores). The checks'
// output is held and printed whole when each ends, so it does not cut through vitest's.
const checks = (async () => {
  // types: the tests and e2e (app itself is checked by the build), and the Svelte renderer
  const tsc = await timedRun('tsc', bin('tsc'), ['-p', 'tsconfig.json'], { hold: true });
  const svelte = await timedRun('svelte-check', bin('svelte-check'), ['--tsconfig', 'renderer/tsconfig.json', '--threshold', 'error', '--output', 'human'], { hold: true });
  // lint: eslint over the whole tree (typescript-eslint, eslint-plugin-svelte, the layer rule)
  const lint = await timedRun('eslint', bin('eslint'), ['.'], { hold: true });
  return { typeErrors: [tsc, svelte].filter((status) => status !== 0).length, lint };
})();

const build = await timedRun('build', process.execPath, [join(root, 'scripts', 'build.mjs')]);
if (build !== 0) {
  await checks;
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const vitestJson = join(out, 'vitest.json');
// the fidelity suite writes what it measured of the built-in pack's claims here (test/fidelity/claims.test.ts)
const claimsJson = join(out, 'claims.json');
const unit = await timedRun('vitest', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`], { env: { ...env, MEMLAB_CLAIMS_SUMMARY: claimsJson } });

const pwJson = join(out, 'playwright.json');
const e2e = await timedRun('playwright', bin('playwright'), ['test'], { env: { ...env, MEMLAB_PW_JSON: pwJson } });
const { typeErrors, lint } = await checks;

let passed = 0;
let failed = 0;
let skipped = 0;
const parts = [];
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  skipped += v.numPendingTests + (v.numTodoTests ?? 0);
  parts.push(`unit ${v.numPassedTests}/${v.numTotalTests}`);
} else {
  failed += 1;
  parts.push('unit: vitest wrote no report');
}
if (existsSync(pwJson)) {
  const p = JSON.parse(readFileSync(pwJson, 'utf8'));
  passed += p.stats.expected + p.stats.flaky;
  failed += p.stats.unexpected;
  skipped += p.stats.skipped;
  parts.push(`e2e ${p.stats.expected + p.stats.flaky}/${p.stats.expected + p.stats.flaky + p.stats.unexpected + p.stats.skipped}`);
} else {
  failed += 1;
  parts.push('e2e: playwright wrote no report');
}
if (lint !== 0) {
  failed += 1;
  parts.push('lint: failed');
} else parts.push('lint: clean');
if (typeErrors) {
  failed += typeErrors;
  parts.push(`typecheck: ${typeErrors} failed`);
}
if (failed === 0 && (unit !== 0 || e2e !== 0)) failed += 1; // a runner failed outside any test
if (existsSync(claimsJson)) console.log(`npm test: ${JSON.parse(readFileSync(claimsJson, 'utf8')).line}`);
else console.log('npm test: claims: the fidelity suite wrote no summary (it did not run)');
console.log(`npm test: phases: ${phases.join(', ')}`);
console.log(`npm test: ${parts.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);
