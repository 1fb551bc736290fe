// `npm test`: build, lint, then every test — unit and property (vitest) and e2e (Playwright driving a
// real Chromium against memlab serve) — and one closing line counting them all together.
import { spawnSync } from 'node:child_process';
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
function timed(label, fn) {
  const t = Date.now();
  const r = fn();
  phases.push(`${label} ${((Date.now() - t) / 1000).toFixed(0)} s`);
  return r;
}

const chromium = chromiumExecutable();
if (!chromium) {
  console.error(`npm test: ${CHROMIUM_MISSING}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`npm test: e2e will drive ${chromium}`);

const build = timed('build', () => spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit', env }));
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// types: the tests and e2e (app itself was checked by the build), and the Svelte renderer
const typecheck = [
  timed('tsc', () => spawnSync(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit', env })),
  timed('svelte-check', () => spawnSync(bin('svelte-check'), ['--tsconfig', 'renderer/tsconfig.json', '--threshold', 'error', '--output', 'human'], { cwd: root, stdio: 'inherit', env })),
];
const typeErrors = typecheck.filter((r) => r.status !== 0).length;

// lint: eslint over the whole tree (typescript-eslint, eslint-plugin-svelte, the layer rule)
const lint = timed('eslint', () => spawnSync(bin('eslint'), ['.'], { cwd: root, stdio: 'inherit', env }));

const vitestJson = join(out, 'vitest.json');
// the fidelity suite writes what it measured of the built-in pack's claims here (test/fidelity/claims.test.ts)
const claimsJson = join(out, 'claims.json');
const unit = timed('vitest', () =>
  spawnSync(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`], {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, MEMLAB_CLAIMS_SUMMARY: claimsJson },
  }),
);

const pwJson = join(out, 'playwright.json');
const e2e = timed('playwright', () => spawnSync(bin('playwright'), ['test'], { cwd: root, stdio: 'inherit', env: { ...env, MEMLAB_PW_JSON: pwJson } }));

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
if (lint.status !== 0) {
  failed += 1;
  parts.push('lint: failed');
} else parts.push('lint: clean');
if (typeErrors) {
  failed += typeErrors;
  parts.push(`typecheck: ${typeErrors} failed`);
}
if (failed === 0 && (unit.status !== 0 || e2e.status !== 0)) failed += 1; // a runner failed outside any test
if (existsSync(claimsJson)) console.log(`npm test: ${JSON.parse(readFileSync(claimsJson, 'utf8')).line}`);
else console.log('npm test: claims: the fidelity suite wrote no summary (it did not run)');
console.log(`npm test: phases: ${phases.join(', ')}`);
console.log(`npm test: ${parts.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);
