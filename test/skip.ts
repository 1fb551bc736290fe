/**
 * A skip condition that says why when it skips: vitest's skipIf prints nothing, and a skipped test
 * must never pass in silence.
 */
export function skipping(skip: boolean, what: string, why: string): boolean {
  if (skip) console.log(`skipped: ${what}: ${why}`);
  return skip;
}
