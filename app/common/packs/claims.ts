/**
 * The claim manifest (claims.yaml beside pack.yaml): every factual claim an exercise makes, and
 * how it is held to Linux —
 *   measured   a probe in test/fidelity/probes/ runs on the machine running the tests;
 *   simulated  the simulator computes it (and test/fidelity/ holds the simulator to the kernel);
 *   source     kernel-internal, not observable from user space: the file and function named;
 *   history    true of older kernels or 32-bit machines only, taught as history;
 *   computed   an algorithm's result on a reference string, computed by the page-replacement engine
 *              (common/policy), which test/policy/ostep.test.ts holds to OSTEP's paging-policy.py.
 * The built-in pack must list every exercise and may name only probes that exist; an
 * instructor's pack may have no manifest at all.
 */
import { z } from 'zod';
import type { Exercise } from './schema.js';
import { type PackProblem, parseYaml } from './parse.js';

const says = z.string().min(1).max(1000);
/** where in the exercise the claim is made: answer, explanation, prose, hints.1, misconceptions.0, options.2, stages.ID */
const at = z.string().regex(/^(answer|explanation|prose|title|options(\.\d+)?|hints\.\d+|misconceptions\.\d+|stages\.[a-z0-9][a-z0-9-]*(\.question)?|scenario)$/, 'at is answer, explanation, prose, options.N, hints.N, misconceptions.N or stages.ID');
const where = { at: z.union([at, z.array(at).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])), says };

export const Claim = z.discriminatedUnion('check', [
  z.object({ ...where, check: z.literal('measured'), probe: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a probe is the name of a file in test/fidelity/probes/, without .c or .sh') }).strict(),
  z.object({ ...where, check: z.literal('simulated'), scenario: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'the built-in scenario (exercises/scenarios/NAME.yaml) that computes it'), fidelity: z.string().max(200).optional() }).strict(),
  z.object({ ...where, check: z.literal('source'), file: z.string().regex(/^(mm|fs|kernel|include|arch|glibc|procps|valgrind)\/[\w./-]+$/, 'the kernel (or glibc) file, e.g. mm/vmscan.c'), function: z.string().min(1).max(80) }).strict(),
  z.object({ ...where, check: z.literal('history'), note: z.string().min(1).max(500) }).strict(),
  z.object({ ...where, check: z.literal('computed'), engine: z.literal('policy'), fidelity: z.string().max(200).optional() }).strict(),
]);
export type Claim = z.output<typeof Claim>;
export type ClaimCheck = Claim['check'];
export const CLAIM_CHECKS: readonly ClaimCheck[] = ['measured', 'simulated', 'source', 'history', 'computed'];

export const ClaimManifest = z.object({ exercises: z.record(z.string(), z.array(Claim).min(1)) }).strict();
export type ClaimManifest = z.output<typeof ClaimManifest>;

export function parseClaims(text: string, file = 'claims.yaml') {
  return parseYaml(text, file, ClaimManifest, 0);
}

/** The places in an exercise that carry claims and must each be covered: its answer, explanation, misconceptions and guided stages. */
export function claimSpots(ex: Exercise): string[] {
  const spots: string[] = ['explanation'];
  if (ex.kind === 'guided') for (const s of ex.stages) spots.push(`stages.${s.id}`);
  else spots.push('answer');
  ex.misconceptions.forEach((_, i) => spots.push(`misconceptions.${i}`));
  return spots;
}

/** Every place a claim may point at in this exercise (the required spots and the optional ones). */
function validSpots(ex: Exercise): Set<string> {
  const s = new Set(claimSpots(ex));
  for (const x of ['prose', 'title', 'options', 'scenario']) s.add(x);
  ex.hints.forEach((_, i) => s.add(`hints.${i}`));
  if (ex.kind === 'choice' || ex.kind === 'multiple') ex.options.forEach((_, i) => s.add(`options.${i}`));
  if (ex.kind === 'guided') for (const st of ex.stages) if (st.question) s.add(`stages.${st.id}.question`);
  return s;
}

export interface ClaimCoverage {
  exercise: string;
  claims: Claim[];
  byCheck: Record<ClaimCheck, number>;
  /** required spots no claim points at */
  uncovered: string[];
}

/** Check a manifest against the pack's exercises: unknown exercises and spots, uncovered spots, and (with probeExists) probes that do not exist. */
export function checkClaims(
  manifest: ClaimManifest,
  exercises: Map<string, Exercise>,
  opts: { file?: string; lineOf?: (field: string) => number | undefined; probeExists?: (name: string) => boolean } = {},
): { coverage: ClaimCoverage[]; problems: PackProblem[] } {
  const file = opts.file ?? 'claims.yaml';
  const problems: PackProblem[] = [];
  const here = (field: string, message: string) => {
    const line = opts.lineOf?.(field);
    problems.push({ file, ...(line !== undefined ? { line } : {}), field, message });
  };
  const coverage: ClaimCoverage[] = [];
  for (const [id, ex] of exercises) {
    const claims = manifest.exercises[id];
    if (!claims) {
      here('exercises', `the exercise '${id}' has no entry: list each factual claim it makes and how it is checked (measured, simulated, source, history or computed)`);
      continue;
    }
    const valid = validSpots(ex);
    const covered = new Set<string>();
    claims.forEach((c, i) => {
      for (const a of c.at) {
        const spot = a.replace(/\.question$/, '');
        if (!valid.has(a) && !valid.has(spot)) here(`exercises.${id}.${i}.at`, `'${a}' is not a place in ${id} (it has: ${[...valid].join(', ')})`);
        covered.add(spot);
      }
      if (c.check === 'measured' && opts.probeExists && !opts.probeExists(c.probe)) here(`exercises.${id}.${i}.probe`, `no probe '${c.probe}': add test/fidelity/probes/${c.probe}.c (or .sh) and its comparison in test/fidelity/claims.ts`);
    });
    const uncovered = claimSpots(ex).filter((s) => !covered.has(s));
    for (const s of uncovered) here(`exercises.${id}`, `${id}'s ${s} makes claims no entry covers`);
    const byCheck = { measured: 0, simulated: 0, source: 0, history: 0, computed: 0 };
    for (const c of claims) byCheck[c.check]++;
    coverage.push({ exercise: id, claims, byCheck, uncovered });
  }
  for (const id of Object.keys(manifest.exercises)) if (!exercises.has(id)) here(`exercises.${id}`, `'${id}' is not an exercise of this pack`);
  return { coverage, problems };
}

/** The coverage as `pack check --claims` prints it. */
export function formatCoverage(coverage: ClaimCoverage[]): string {
  const total = { measured: 0, simulated: 0, source: 0, history: 0, computed: 0 };
  const lines: string[] = [];
  for (const c of coverage) {
    for (const k of CLAIM_CHECKS) total[k] += c.byCheck[k];
    const parts = CLAIM_CHECKS.filter((k) => c.byCheck[k]).map((k) => `${c.byCheck[k]} ${k}`);
    const probes = [...new Set(c.claims.flatMap((x) => (x.check === 'measured' ? [x.probe] : [])))];
    lines.push(`${c.exercise}: ${parts.join(', ')}${probes.length ? ` (probes: ${probes.join(', ')})` : ''}${c.uncovered.length ? `; not covered: ${c.uncovered.join(', ')}` : ''}`);
  }
  const n = CLAIM_CHECKS.reduce((a, k) => a + total[k], 0);
  lines.push(`${coverage.length} exercises, ${n} claims: ${CLAIM_CHECKS.map((k) => `${total[k]} ${k}`).join(', ')}`);
  return lines.join('\n');
}
